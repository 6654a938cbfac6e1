package signing

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// minimalPDF builds a one-page PDF 1.7 with a classic xref table whose
// offsets are computed, not guessed, so pdfsign's reader accepts it.
func minimalPDF() []byte {
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		streamObject("BT /F1 18 Tf 72 770 Td (Ricevuta di protocollo PG/2026/0000001) Tj ET"),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Producer (Sportello tests) /Title (Ricevuta) >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, obj := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, obj)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

func streamObject(content string) string {
	return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content)
}

// testPDF is the fixture in testdata, kept equal to minimalPDF's output.
func testPDF(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "minimal.pdf"))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return data
}

var (
	fixtureOnce     sync.Once
	fixtureIdentity *Identity
	fixtureTSA      *BuiltinTSA
	fixtureErr      error
)

// fixtures returns one identity and one TSA shared by the tests that only
// use them: generating keys per test would dominate the run time.
func fixtures(t testing.TB) (*Identity, *BuiltinTSA) {
	t.Helper()
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sportello-signing-")
		if err != nil {
			fixtureErr = err
			return
		}
		fixtureIdentity, fixtureErr = LoadOrCreateSelfSigned(filepath.Join(dir, "keys"))
		if fixtureErr != nil {
			return
		}
		fixtureTSA, fixtureErr = LoadOrCreateBuiltinTSA(filepath.Join(dir, "tsa"))
	})
	if fixtureErr != nil {
		t.Fatalf("fixtures: %v", fixtureErr)
	}
	return fixtureIdentity, fixtureTSA
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func TestMinimalPDFFixtureIsUpToDate(t *testing.T) {
	if !bytes.Equal(testPDF(t), minimalPDF()) {
		t.Fatal("testdata/minimal.pdf differs from minimalPDF(); regenerate it")
	}
}
