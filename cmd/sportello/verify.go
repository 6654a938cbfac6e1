package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sportello/sportello/internal/app"
)

// errVerifyFailed is returned when a check fails, so that the process exits with status 1
// after the checks themselves were printed.
var errVerifyFailed = errors.New("verification failed")

// verifyOptions are the trust decisions a verifier makes: which sealing and TSA certificates
// to accept, by fingerprint or as files held apart from the receipt.
type verifyOptions struct {
	fingerprint, tsaFingerprint string
	certificate, tsaCertificate string
	// schema is the UNI SInCRO schema file a package's index is validated against (xmllint).
	schema string
	// json prints the report as one JSON object instead of lines.
	json bool
}

// verifyCmd implements `sportello verify FILE` (offline, no server and no database: a receipt
// PDF, a receipt JSON, a checkpoint JSON or an archive package zip) and `sportello verify --data` (the configured
// database against the transparency log).
func verifyCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	// --data is a mode, not a setting: the configuration has its own --data (the data
	// directory), so the mode must come first and everything after it configures the app.
	if len(args) > 0 && (args[0] == "--audit" || args[0] == "-audit") {
		return verifyAuditCmd(ctx, args[1:], getenv, stdout)
	}
	if len(args) > 0 && (args[0] == "--data" || args[0] == "-data") {
		noFixity, rest := noFixityFlag(args[1:])
		lag, rest, err := lagFlag(rest)
		if err != nil {
			return err
		}
		cfg, err := app.Load(rest, getenv)
		if err != nil {
			return err
		}
		return verifyData(ctx, cfg, lag, !noFixity, stdout)
	}
	var opts verifyOptions
	fs := flag.NewFlagSet("sportello verify", flag.ContinueOnError)
	fs.StringVar(&opts.fingerprint, "fingerprint", "", "require this sealing certificate (hex SHA-256 of its DER, as /v1/info publishes)")
	fs.StringVar(&opts.tsaFingerprint, "tsa-fingerprint", "", "require this time-stamping authority certificate (hex SHA-256 of its DER)")
	fs.StringVar(&opts.certificate, "certificate", "", "sealing certificate file (PEM or DER); needed for a checkpoint.json")
	fs.StringVar(&opts.tsaCertificate, "tsa-certificate", "", "time-stamping authority certificate file (PEM or DER)")
	fs.StringVar(&opts.schema, "schema", "", "Unisincro_PIndex.xsd, to validate a package's index with xmllint")
	fs.BoolVar(&opts.json, "json", false, "print the report as JSON")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return errors.New("usage: sportello verify [--fingerprint HEX] [--tsa-fingerprint HEX] [--certificate FILE] [--schema XSD] [--json] FILE\n" +
			"       sportello verify --data [--lag DURATION] [--no-fixity] [configuration flags]\n" +
			"       sportello verify --audit [--certificate FILE] EXPORT.ndjson | --audit --data [configuration flags]")
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	v := &verifier{out: stdout, opts: opts}
	v.file(raw)
	return v.result()
}

// parseInterspersed parses flags placed before or after the file names.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// verifier runs checks and prints each as ok or FAIL with its reason (or, with --json,
// collects them for one report).
type verifier struct {
	out    io.Writer
	opts   verifyOptions
	failed []string
	report verifyReport
}

// verifyReport is the --json report: every check in order, the notes, and whether all passed.
type verifyReport struct {
	OK     bool          `json:"ok"`
	Checks []verifyCheck `json:"checks"`
	Notes  []string      `json:"notes"`
	Failed []string      `json:"failed"`
}

// verifyCheck is one check of the --json report.
type verifyCheck struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

// check prints the outcome of one check; detail, if any, follows an ok.
func (v *verifier) check(name string, err error, detail ...string) bool {
	c := verifyCheck{Name: name, OK: err == nil}
	if len(detail) > 0 && detail[0] != "" {
		c.Detail = strings.Join(detail, ", ")
	}
	if err != nil {
		c.Error = err.Error()
		v.failed = append(v.failed, name)
	}
	v.report.Checks = append(v.report.Checks, c)
	if v.opts.json {
		return err == nil
	}
	if err != nil {
		fmt.Fprintf(v.out, "FAIL %s: %v\n", name, err)
		return false
	}
	line := "ok   " + name
	if c.Detail != "" {
		line += " (" + c.Detail + ")"
	}
	fmt.Fprintln(v.out, line)
	return true
}

// note prints what is not a check but the reader must know.
func (v *verifier) note(s string) {
	v.report.Notes = append(v.report.Notes, s)
	if !v.opts.json {
		fmt.Fprintln(v.out, "     "+s)
	}
}

func (v *verifier) result() error {
	if v.opts.json {
		v.report.OK, v.report.Failed = len(v.failed) == 0, v.failed
		if v.report.Failed == nil {
			v.report.Failed = []string{}
		}
		if v.report.Notes == nil {
			v.report.Notes = []string{}
		}
		enc := json.NewEncoder(v.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v.report); err != nil {
			return err
		}
	}
	if len(v.failed) > 0 {
		return fmt.Errorf("%w: %s", errVerifyFailed, strings.Join(v.failed, "; "))
	}
	if !v.opts.json {
		fmt.Fprintln(v.out, "all checks passed")
	}
	return nil
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
		v.check("file format", fmt.Errorf("neither a PDF nor JSON: %w", err))
		return
	}
	switch {
	case probe["registration"] != nil:
		v.receipt(raw)
	case probe["note"] != nil && probe["root_hash"] != nil:
		v.checkpointFile(raw)
	default:
		v.check("file format", errors.New("JSON that is neither a receipt nor a checkpoint"))
	}
}

// trust picks the certificate to rely on: a file given on the command line wins over the one
// the receipt carries (embedded); then a required fingerprint must match. Without one the
// fingerprint is printed as what it is: the file's own claim.
func (v *verifier) trust(what, file string, embedded []byte, want string) *x509.Certificate {
	name := what + " certificate"
	der, source := embedded, "carried by the file"
	if file != "" {
		b, err := readCertFile(file)
		if err != nil {
			v.check(name, err)
			return nil
		}
		der, source = b, "from "+file
	}
	if len(der) == 0 {
		v.check(name, fmt.Errorf("none available: pass --%s", map[string]string{"sealing": "certificate", "TSA": "tsa-certificate"}[what]))
		return nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		v.check(name, err)
		return nil
	}
	v.check(name, nil, cert.Subject.String(), source)
	sum := sha256.Sum256(cert.Raw)
	fp := hex.EncodeToString(sum[:])
	if want == "" {
		v.note(fmt.Sprintf("%s fingerprint %s is self-asserted: compare it with the one the administration publishes, or pass --%sfingerprint",
			what, fp, map[string]string{"sealing": "", "TSA": "tsa-"}[what]))
		return cert
	}
	if !strings.EqualFold(strings.ReplaceAll(want, ":", ""), fp) {
		v.check(what+" fingerprint", fmt.Errorf("certificate %s is not the required %s", fp, want))
		return nil
	}
	v.check(what+" fingerprint", nil, fp)
	return cert
}

// readCertFile reads one certificate as PEM or DER.
func readCertFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if block, _ := pem.Decode(b); block != nil {
		return block.Bytes, nil
	}
	return b, nil
}
