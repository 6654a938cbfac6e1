// Package segnaturacheck checks a sealed segnatura informatica with tools that share no code
// with Sportello: xmllint validates it against the official schema and xmlsec1 verifies its
// XML signature. Tests of the signing package and of the API use it, and the archive package
// tests for the UNI SInCRO index (SincroSchema, PackageSize).
package segnaturacheck

import (
	"bytes"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Schema is the official schema's path from the repository's root; it is kept outside the
// repository, and Check skips without it.
const Schema = "../shared/standards/agid-segnatura/segnatura_protocollo.xsd"

// SincroSchema is the official UNI SInCRO index schema's path from the repository's root,
// like Schema.
const SincroSchema = "../shared/standards/uni-sincro/Unisincro_PIndex.xsd"

// PackageSize is how many registrations the archive package tests put in a package: 50 (issue
// 16's must-show), or SPORTELLO_PACKAGE_SIZE.
func PackageSize(t testing.TB) int {
	if s := os.Getenv("SPORTELLO_PACKAGE_SIZE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("SPORTELLO_PACKAGE_SIZE=%q", s)
		}
		return n
	}
	return 50
}

// The official schemas of the messages between AOOs and of the older segnature, from the
// repository's root like Schema.
const (
	PECSchema  = "../shared/standards/agid-segnatura/pec_message.xsd"
	Schema2013 = "../shared/standards/agid-segnatura/previous_schemas/segnatura_circolare_60_2013.xsd"
	DTD2001    = "../shared/standards/agid-segnatura/previous_schemas/segnatura_circolare_28_2001.dtd"
)

// CheckProtocolMessage validates a ConfermaRicezione, NotificaEccezione,
// AggiornamentoConferma or AnnullamentoProtocollazione against pec_message.xsd with xmllint.
func CheckProtocolMessage(t *testing.T, root string, xml []byte) {
	t.Helper()
	Validate(t, root, PECSchema, xml)
}

// Validate validates xml with xmllint against the schema at root/schema: an XML Schema, or a
// DTD when the name ends in .dtd. It skips, saying why, without xmllint or the schema.
func Validate(t *testing.T, root, schema string, xml []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint is not installed (Debian package libxml2-utils)")
	}
	path := filepath.Join(root, schema)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("the official schema is not at %s", path)
	}
	doc := filepath.Join(t.TempDir(), "doc.xml")
	write(t, doc, xml)
	flag := "--schema"
	if filepath.Ext(path) == ".dtd" {
		flag = "--dtdvalid"
	}
	if out, err := exec.Command("xmllint", "--noout", "--nonet", flag, path, doc).CombinedOutput(); err != nil {
		t.Fatalf("xmllint %s %s refuses the document: %v\n%s\n%s", flag, schema, err, out, xml)
	}
}

// Check validates xml against the schema at root/Schema (root is the repository's root,
// relative to the test's directory) and verifies its signature trusting only cert (DER),
// resolving the XAdES SignedProperties by its Id. Then it changes one byte of the subject and
// one of the signing time, and expects xmlsec1 to refuse each. It skips, saying why, without
// the tools or the schema.
func Check(t *testing.T, root string, xml, cert []byte) {
	t.Helper()
	for _, tool := range []string{"xmllint", "xmlsec1"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian packages libxml2-utils and xmlsec1)", tool)
		}
	}
	schema := filepath.Join(root, Schema)
	if _, err := os.Stat(schema); err != nil {
		t.Skipf("the official segnatura schema is not at %s", schema)
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "Segnatura.xml")
	trusted := filepath.Join(dir, "seal.pem")
	write(t, doc, xml)
	write(t, trusted, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}))
	if out, err := exec.Command("xmllint", "--noout", "--schema", schema, doc).CombinedOutput(); err != nil {
		t.Fatalf("xmllint refuses the segnatura: %v\n%s\n%s", err, out, xml)
	}
	verify := func(data []byte) ([]byte, error) {
		write(t, doc, data)
		return exec.Command("xmlsec1", "--verify", "--trusted-pem", trusted,
			"--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties", doc).CombinedOutput()
	}
	if out, err := verify(xml); err != nil {
		t.Fatalf("xmlsec1 refuses the signature: %v\n%s\n%s", err, out, xml)
	}
	for _, after := range []string{"</prot:Oggetto>", "</xades:SigningTime>"} {
		i := bytes.Index(xml, []byte(after))
		if i < 1 {
			t.Fatalf("the segnatura has no %s:\n%s", after, xml)
		}
		tampered := bytes.Clone(xml)
		tampered[i-1] ^= 1
		if out, err := verify(tampered); err == nil {
			t.Fatalf("xmlsec1 accepts the segnatura with the byte before %s changed:\n%s", after, out)
		}
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
