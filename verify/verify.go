// Package verify checks what Sportello hands out — a receipt (PDF or JSON), a checkpoint, an
// archive package — offline, from the bytes alone (docs/verification.md). It reads no file,
// runs no program and calls no address, so that the same code is the command `sportello
// verify` and, compiled to WebAssembly, the public verification page (GET /verify): what the
// browser cannot do, the caller supplies (Options.Schema) or the report says is not checked.
package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Options are the trust decisions a verifier makes, and what its host can do that the
// package cannot.
type Options struct {
	// Fingerprint and TSAFingerprint, when set, require the sealing and TSA certificates with
	// these hex SHA-256 digests of their DER (colons allowed), as GET /v1/info publishes.
	Fingerprint, TSAFingerprint string
	// Certificate and TSACertificate (DER), when set, replace the certificates the file
	// carries; CertificateSource and TSACertificateSource say where they came from.
	Certificate, TSACertificate             []byte
	CertificateSource, TSACertificateSource string
	// Schema validates a package's index against the UNI SInCRO schema and describes how; nil
	// leaves it unchecked, which the report says in a note (NoteSchemaNotChecked) whose text
	// is SchemaNote, in Italian SchemaNoteIT.
	Schema                   func(index []byte) (string, error)
	SchemaNote, SchemaNoteIT string
}

// Report is the outcome: every check in order, the notes, and the names of the failed checks.
type Report struct {
	OK     bool     `json:"ok"`
	Checks []Check  `json:"checks"`
	Notes  []Note   `json:"notes"`
	Failed []string `json:"failed"`
}

// Check is one check: its name in English (Name, what `sportello verify` prints) and in
// Italian (NameIT), whether it passed, what it found or why it failed (in English).
type Check struct {
	Name   string `json:"name"`
	NameIT string `json:"name_it"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Note is what is not a check but the reader must know, in English and Italian.
type Note struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	IT   string `json:"text_it"`
}

// The notes' IDs.
const (
	// NoteSelfAsserted: no fingerprint was required, so the certificate is the file's own claim.
	NoteSelfAsserted = "self_asserted"
	// NoteSchemaNotChecked: the package index was not validated against the XSD.
	NoteSchemaNotChecked = "schema_not_checked"
)

// File verifies raw, whatever it is: a receipt PDF, a package zip, a receipt JSON or a
// checkpoint JSON (which carries no certificate: Options.Certificate must give it).
func File(raw []byte, opts Options) Report {
	v := &verifier{opts: opts}
	v.file(raw)
	v.report.OK = len(v.report.Failed) == 0
	for _, s := range []*[]string{&v.report.Failed} {
		if *s == nil {
			*s = []string{}
		}
	}
	if v.report.Notes == nil {
		v.report.Notes = []Note{}
	}
	if v.report.Checks == nil {
		v.report.Checks = []Check{}
	}
	return v.report
}

// verifier collects the checks of one file.
type verifier struct {
	opts   Options
	report Report
}

// check records the outcome of one check of kind k about subject (may be empty); detail, if
// any, describes a success.
func (v *verifier) check(k kind, subject string, err error, detail ...string) bool {
	c := Check{Name: k.name(subject, false), NameIT: k.name(subject, true), OK: err == nil}
	if len(detail) > 0 && detail[0] != "" {
		c.Detail = strings.Join(detail, ", ")
	}
	if err != nil {
		c.Error = err.Error()
		v.report.Failed = append(v.report.Failed, c.Name)
	}
	v.report.Checks = append(v.report.Checks, c)
	return err == nil
}

func (v *verifier) note(id, en, it string) {
	v.report.Notes = append(v.report.Notes, Note{ID: id, Text: en, IT: it})
}

// file dispatches on the content: a PDF, a package zip, a receipt (has "registration") or a
// checkpoint.
func (v *verifier) file(raw []byte) {
	if bytes.HasPrefix(raw, []byte("%PDF-")) {
		v.pdf(raw)
		return
	}
	if bytes.HasPrefix(raw, []byte("PK\x03\x04")) {
		v.pkg(raw)
		return
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		v.check(kFileFormat, "", fmt.Errorf("neither a PDF, a zip nor JSON: %w", err))
		return
	}
	switch {
	case probe["registration"] != nil:
		v.receipt(raw)
	case probe["note"] != nil && probe["root_hash"] != nil:
		v.checkpointFile(raw)
	default:
		v.check(kFileFormat, "", errors.New("JSON that is neither a receipt nor a checkpoint"))
	}
}

// role is a certificate the verifier must trust: the sealing one or the TSA's.
type role struct {
	k, fp kind
	en    string // as the English text names it
	it    string
	flag  string // the command's flag that requires its fingerprint
	cert  string // the command's flag that gives it apart
}

var (
	sealingRole = role{kSealingCert, kSealingFingerprint, "sealing", "di sigillo", "--fingerprint", "--certificate"}
	tsaRole     = role{kTSACert, kTSAFingerprint, "TSA", "della TSA", "--tsa-fingerprint", "--tsa-certificate"}
)

// trust picks the certificate to rely on: one given apart (Options) wins over the one the
// file carries (embedded); then a required fingerprint must match. Without one the fingerprint
// is noted as what it is: the file's own claim.
func (v *verifier) trust(r role, embedded []byte) *x509.Certificate {
	given, source, want := v.opts.Certificate, v.opts.CertificateSource, v.opts.Fingerprint
	if r == tsaRole {
		given, source, want = v.opts.TSACertificate, v.opts.TSACertificateSource, v.opts.TSAFingerprint
	}
	der, from := embedded, "carried by the file"
	if len(given) > 0 {
		der, from = given, "from "+source
	}
	if len(der) == 0 {
		v.check(r.k, "", fmt.Errorf("none available: the file carries none; give it apart (%s)", r.cert))
		return nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		v.check(r.k, "", err)
		return nil
	}
	v.check(r.k, "", nil, cert.Subject.String(), from)
	sum := sha256.Sum256(cert.Raw)
	fp := hex.EncodeToString(sum[:])
	if want == "" {
		v.note(NoteSelfAsserted,
			fmt.Sprintf("%s fingerprint %s is self-asserted: compare it with the one the administration publishes, or pass %s", r.en, fp, r.flag),
			fmt.Sprintf("l'impronta del certificato %s %s è dichiarata dal file stesso: confrontala con quella pubblicata dall'amministrazione", r.it, fp))
		return cert
	}
	if !strings.EqualFold(strings.ReplaceAll(want, ":", ""), fp) {
		v.check(r.fp, "", fmt.Errorf("certificate %s is not the required %s", fp, want))
		return nil
	}
	v.check(r.fp, "", nil, fp)
	return cert
}
