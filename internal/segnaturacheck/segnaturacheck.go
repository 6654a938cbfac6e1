// Package segnaturacheck checks a sealed segnatura informatica with tools that share no code
// with Sportello: xmllint validates it against the official schema and xmlsec1 verifies its
// XML signature. Tests of the signing package and of the API use it.
package segnaturacheck

import (
	"bytes"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Schema is the official schema's path from the repository's root; it is kept outside the
// repository, and Check skips without it.
const Schema = "../shared/standards/agid-segnatura/segnatura_protocollo.xsd"

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
