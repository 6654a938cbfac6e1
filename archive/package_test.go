package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/segnaturacheck"
	"github.com/sportello/sportello/signing"
)

var (
	keysOnce sync.Once
	keysID   *signing.Identity
	keysTSA  *signing.BuiltinTSA
	keysErr  error
)

func keys(t testing.TB) (*signing.Identity, *signing.BuiltinTSA) {
	t.Helper()
	keysOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sportello-archive-")
		if err != nil {
			keysErr = err
			return
		}
		if keysID, keysErr = signing.LoadOrCreateSelfSigned(filepath.Join(dir, "seal")); keysErr != nil {
			return
		}
		keysTSA, keysErr = signing.LoadOrCreateBuiltinTSA(filepath.Join(dir, "tsa"))
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keysID, keysTSA
}

func sealing(t testing.TB) Sealing {
	id, tsa := keys(t)
	return Sealing{Seal: func(_ context.Context, data []byte) ([]byte, error) { return signing.SealDetached(id, data) }, TSA: tsa}
}

// testPackage returns the index and files of a package of n registrations, each with a
// document, an attachment and a metadata file.
func testPackage(n int) (Index, []Entry) {
	ix := Index{Label: "Pacchetto di archiviazione", ApplicationVersion: "test", Producer: "Comune di Prova & AOO <A1>",
		ProducerDocument: "Manuale di gestione documentale", Signer: "Sportello sealing key",
		TimeReference: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), Laws: "DPCM 3 dicembre 2013"}
	var files []Entry
	for i := 1; i <= n; i++ {
		g := fmt.Sprintf("PG-2026-%07d", i)
		ix.Groups = append(ix.Groups, IndexGroup{ID: g, Label: "c_h501-A1-" + g})
		files = append(files,
			Entry{Path: "registrations/" + g + "/document/" + SafeName("richiesta n. "+strconv.Itoa(i)+".pdf"), Group: g, Format: "application/pdf",
				Data: []byte(fmt.Sprintf("%%PDF-1.7 richiesta %d", i))},
			Entry{Path: "registrations/" + g + "/attachments/01-" + SafeName("allegato è.txt"), Group: g, Format: "text/plain", Data: bytes.Repeat([]byte{byte(i)}, 1000+i)},
			Entry{Path: "registrations/" + g + "/metadata.xml", Group: g, Format: "application/xml", Data: []byte("<Metadati>" + strconv.Itoa(i) + "</Metadati>")})
	}
	return ix, files
}

func unzip(t *testing.T, z []byte) (map[string][]byte, []string) {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var names []string
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
		names = append(names, f.Name)
	}
	return out, names
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPackageIndex builds a package of packageSize registrations and checks it with tools that
// share no code with Sportello: xmllint validates PIndex.xml against the official schema, every
// File's hash matches the file, openssl accepts the seal and reads the time-stamp.
func TestPackageIndex(t *testing.T) {
	n := segnaturacheck.PackageSize(t)
	ix, files := testPackage(n)
	b, err := Build(context.Background(), ix, files, sealing(t))
	if err != nil {
		t.Fatal(err)
	}
	if b.Files != 3*n {
		t.Fatalf("files %d", b.Files)
	}
	got, names := unzip(t, b.Zip)
	if len(got) != 3*n+3 {
		t.Fatalf("%d entries", len(got))
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("entries not sorted: %s before %s", names[i-1], names[i])
		}
	}
	index := got[IndexName]
	if sum := sha256.Sum256(index); !bytes.Equal(sum[:], b.IndexSHA256) {
		t.Fatal("IndexSHA256")
	}
	if sum := sha256.Sum256(b.Zip); !bytes.Equal(sum[:], b.SHA256) {
		t.Fatal("SHA256")
	}

	t.Run("Schema", func(t *testing.T) { segnaturacheck.Validate(t, "..", segnaturacheck.SincroSchema, index) })

	t.Run("Hashes", func(t *testing.T) {
		var doc struct {
			Groups []struct {
				ID    string `xml:"ID"`
				Files []struct {
					Path string `xml:"Path"`
					Hash struct {
						Value    string `xml:",chardata"`
						Function string `xml:"hashFunction,attr"`
					} `xml:"Hash"`
				} `xml:"File"`
			} `xml:"FileGroup"`
		}
		if err := xml.Unmarshal(index, &doc); err != nil {
			t.Fatal(err)
		}
		listed := 0
		for _, g := range doc.Groups {
			for _, f := range g.Files {
				sum := sha256.Sum256(got[f.Path])
				if _, ok := got[f.Path]; !ok || f.Hash.Value != base64.StdEncoding.EncodeToString(sum[:]) || f.Hash.Function != "SHA-256" {
					t.Errorf("%s: hash %s (%s)", f.Path, f.Hash.Value, f.Hash.Function)
				}
				listed++
			}
		}
		if len(doc.Groups) != n || listed != 3*n {
			t.Fatalf("%d groups, %d files listed", len(doc.Groups), listed)
		}
		if !strings.Contains(string(index), `<sincro:TimeInfo sincro:attachedTimeStamp="true">2026-03-02T10:00:00Z</sincro:TimeInfo>`) {
			t.Error("time reference")
		}
	})

	t.Run("ContentID", func(t *testing.T) {
		dir := t.TempDir()
		for name, data := range got {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		// The recipe of docs/package-format.md.
		cmd := exec.Command("sh", "-c", `find . -type f ! -name 'PIndex.xml*' | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum | sha256sum`)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Skipf("sh, find, sort or sha256sum: %v", err)
		}
		id := strings.Fields(string(out))[0]
		if !strings.Contains(string(index), `<sincro:ID sincro:scheme="sha256">`+id+`</sincro:ID>`) {
			t.Fatalf("the index does not carry the content ID %s", id)
		}
	})

	t.Run("Seal", func(t *testing.T) {
		if _, err := exec.LookPath("openssl"); err != nil {
			t.Skip("openssl is not installed")
		}
		id, _ := keys(t)
		ca := writeTemp(t, "seal.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Certificate.Raw}))
		p7s, content := writeTemp(t, SealName, got[SealName]), writeTemp(t, IndexName, index)
		cmd := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", p7s, "-content", content,
			"-CAfile", ca, "-purpose", "any", "-out", os.DevNull)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl cms -verify: %v\n%s", err, out)
		}
		tampered := bytes.Replace(index, []byte("Comune di Prova"), []byte("Comune di Pr0va"), 1)
		cmd = exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", p7s, "-content",
			writeTemp(t, "tampered.xml", tampered), "-CAfile", ca, "-purpose", "any", "-out", os.DevNull)
		if err := cmd.Run(); err == nil {
			t.Fatal("openssl accepts the seal over a changed index")
		}
	})

	t.Run("Timestamp", func(t *testing.T) {
		if _, err := exec.LookPath("openssl"); err != nil {
			t.Skip("openssl is not installed")
		}
		tsr := writeTemp(t, TimestampName, got[TimestampName])
		out, err := exec.Command("openssl", "ts", "-reply", "-in", tsr, "-text").CombinedOutput()
		if err != nil {
			t.Fatalf("openssl ts -reply: %v\n%s", err, out)
		}
		sum := sha256.Sum256(got[SealName])
		for row := 0; row < 2; row++ {
			var line strings.Builder
			fmt.Fprintf(&line, "%04x - ", row*16)
			for i, c := range sum[row*16 : row*16+16] {
				sep := " "
				if i == 7 {
					sep = "-"
				}
				if i == 15 {
					sep = ""
				}
				fmt.Fprintf(&line, "%02x%s", c, sep)
			}
			if !strings.Contains(string(out), "Status: Granted") || !strings.Contains(string(out), line.String()) {
				t.Fatalf("the reply is not granted over the seal's SHA-256 (%s):\n%s", line.String(), out)
			}
		}
		_, tsa := keys(t)
		ca := writeTemp(t, "tsa.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tsa.Certificate().Raw}))
		if out, err := exec.Command("openssl", "ts", "-verify", "-data", writeTemp(t, SealName, got[SealName]), "-in", tsr,
			"-CAfile", ca).CombinedOutput(); err != nil {
			t.Fatalf("openssl ts -verify: %v\n%s", err, out)
		}
	})
}

// TestPackageDeterministic builds the same content twice: every entry but the seal and the
// time-stamp is the same, and with a seal and a time-stamp that do not change the zips are the
// same bytes.
func TestPackageDeterministic(t *testing.T) {
	ix, files := testPackage(5)
	ctx := context.Background()
	a, err := Build(ctx, ix, files, sealing(t))
	if err != nil {
		t.Fatal(err)
	}
	// The same files in another order, groups too.
	rev := append([]Entry(nil), files...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	ix2 := ix
	ix2.Groups = append([]IndexGroup(nil), ix.Groups...)
	ix2.Groups[0], ix2.Groups[4] = ix2.Groups[4], ix2.Groups[0]
	b, err := Build(ctx, ix2, rev, sealing(t))
	if err != nil {
		t.Fatal(err)
	}
	ea, na := unzip(t, a.Zip)
	eb, nb := unzip(t, b.Zip)
	if strings.Join(na, ",") != strings.Join(nb, ",") {
		t.Fatalf("entries differ: %v / %v", na, nb)
	}
	for name, data := range ea {
		if name == SealName || name == TimestampName {
			continue
		}
		if !bytes.Equal(data, eb[name]) {
			t.Errorf("%s differs between builds", name)
		}
	}
	if !bytes.Equal(a.IndexSHA256, b.IndexSHA256) {
		t.Error("index digest differs")
	}
	fixed := Sealing{Seal: func(context.Context, []byte) ([]byte, error) { return []byte("seal"), nil }, TSA: fixedTSA{}}
	c, err := Build(ctx, ix, files, fixed)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Build(ctx, ix2, rev, fixed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Zip, d.Zip) {
		t.Fatal("the same content with the same seal gives different zips")
	}
}

type fixedTSA struct{}

func (fixedTSA) Timestamp(context.Context, []byte, crypto.Hash) ([]byte, error) {
	return []byte{0x30, 0x00}, nil
}

// TestPackageRefusesUnsafePaths checks that a path that could leave the extraction folder, or
// is used twice, or names the index, is refused.
func TestPackageRefusesUnsafePaths(t *testing.T) {
	ix, files := testPackage(1)
	for _, p := range []string{"../x", "/abs", "a//b", ".hidden", "a/../b", "a b", IndexName, files[0].Path} {
		bad := append(append([]Entry(nil), files...), Entry{Path: p, Group: "PG-2026-0000001", Data: []byte("x")})
		if _, err := Build(context.Background(), ix, bad, sealing(t)); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	if got := SafeName("../Lettera finale (1).PDF"); got != "file.._Lettera_finale_1_.PDF" {
		t.Errorf("SafeName %q", got)
	}
}

// TestPackageStreamed builds the same package from files streamed through Open and from bytes
// in memory: the same zip, given the same seal; a streamed file whose bytes are not those of its
// stated digest fails the build with ErrDigestMismatch, and no temporary file is left behind.
func TestPackageStreamed(t *testing.T) {
	ix, files := testPackage(3)
	streamed := make([]Entry, len(files))
	for i, f := range files {
		data := f.Data
		sum := sha256.Sum256(data)
		streamed[i] = Entry{Path: f.Path, Group: f.Group, Format: f.Format, SHA256: fmt.Sprintf("%x", sum),
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
	}
	fixed := Sealing{Seal: func(context.Context, []byte) ([]byte, error) { return []byte("seal"), nil }, TSA: fixedTSA{}}
	ctx := context.Background()
	a, err := Build(ctx, ix, files, fixed)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	b, err := BuildTo(ctx, ix, streamed, fixed, &out, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Zip, out.Bytes()) || !bytes.Equal(a.SHA256, b.SHA256) || b.Size != int64(out.Len()) {
		t.Fatal("the streamed package differs from the one built in memory")
	}
	streamed[1].SHA256 = strings.Repeat("0", 64)
	if _, err := BuildTo(ctx, ix, streamed, fixed, io.Discard, dir); !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), streamed[1].Path) {
		t.Fatalf("a file whose bytes are not its digest's: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
