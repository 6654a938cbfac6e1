package scan_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sportello/sportello/scan"
)

// letterPNG is a one-page scan-like PNG (the OCR fixture of the api tests) and letterWord a
// word in it.
const (
	letterPNG  = "../testdata/verbale_sopralluogo.png"
	letterWord = "infiltrazioni"
)

func binder(t *testing.T) *scan.Binder {
	t.Helper()
	b := scan.New(2)
	if err := b.Available(); err != nil {
		t.Skip(err) // .ci/run installs tesseract-ocr and poppler-utils
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) checks the text layer")
	}
	return b
}

// copyInto copies the fixtures into dir under the names given.
func copyInto(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// textOf is the text layer of a PDF as pdftotext reads it, one string per page.
func textOf(t *testing.T, name string) []string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", name, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
}

func TestBindMultiPageTIFF(t *testing.T) {
	b := binder(t)
	dir := t.TempDir()
	copyInto(t, dir, map[string]string{"scan.tif": threePages})
	out := filepath.Join(t.TempDir(), "scan.pdf")
	res, err := b.Bind(context.Background(), dir, []string{"scan.tif"}, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 3 {
		t.Errorf("pages = %d, want 3", res.Pages)
	}
	pages := textOf(t, out)
	if len(pages) != 3 {
		t.Fatalf("pdftotext read %d pages, want 3", len(pages))
	}
	for i, w := range pageWords {
		if !strings.Contains(strings.ToLower(pages[i]), w) {
			t.Errorf("page %d's text layer lacks %q: %q", i+1, w, pages[i])
		}
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 {
		t.Errorf("working files left in the scan's folder: %v", left)
	}
}

func TestBindSeveralImagesInOrder(t *testing.T) {
	b := binder(t)
	dir := t.TempDir()
	copyInto(t, dir, map[string]string{"a/letter.png": letterPNG, "b.tif": threePages})
	out := filepath.Join(dir, "scan.pdf")
	res, err := b.Bind(context.Background(), dir, []string{"b.tif", "a/letter.png"}, out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 4 {
		t.Errorf("pages = %d, want 4", res.Pages)
	}
	pages := textOf(t, out)
	if len(pages) != 4 || !strings.Contains(pages[0], pageWords[0]) || !strings.Contains(pages[3], letterWord) {
		t.Errorf("pages out of order or unread: %q", pages)
	}
}

func TestBindRefuses(t *testing.T) {
	b := binder(t)
	dir := t.TempDir()
	copyInto(t, dir, map[string]string{"letter.png": letterPNG})
	if err := os.WriteFile(filepath.Join(dir, "note.pdf"), []byte("%PDF-1.4\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "scan.pdf")
	for _, tc := range []struct {
		pages []string
		want  string
	}{
		{[]string{"letter.png", "note.pdf"}, `page "note.pdf": not a TIFF, JPEG or PNG image`},
		{[]string{"../letter.png"}, "not a path inside"},
		{[]string{"/etc/passwd"}, "not a path inside"},
		{[]string{"missing.png"}, "no such file"},
		{nil, "at least one page"},
	} {
		_, err := b.Bind(context.Background(), dir, tc.pages, out)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Bind(%q) = %v, want an error saying %q", tc.pages, err, tc.want)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Bind(%q) left %s", tc.pages, out)
		}
	}
	_, err := b.Bind(context.Background(), dir, []string{"letter.png", "note.pdf"}, out)
	if !errors.Is(err, scan.ErrNotImage) {
		t.Errorf("a PDF page: %v, want ErrNotImage", err)
	}
}

func TestBindCancelled(t *testing.T) {
	b := binder(t)
	dir := t.TempDir()
	copyInto(t, dir, map[string]string{"scan.tif": threePages})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(dir, "scan.pdf")
	if _, err := b.Bind(ctx, dir, []string{"scan.tif"}, out); err == nil {
		t.Fatal("a cancelled Bind succeeded")
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cancelled Bind left %s", out)
	}
}

func TestIsImage(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.White)
	var j, p bytes.Buffer
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	tif, err := os.ReadFile(threePages)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		head []byte
		want bool
	}{
		"jpeg": {j.Bytes(), true},
		"png":  {p.Bytes(), true},
		"tiff": {tif[:3072], true},
		"pdf":  {[]byte("%PDF-1.7\n"), false},
		"text": {[]byte("Egregio Sindaco,"), false},
		"gif":  {[]byte("GIF89a\x01\x00\x01\x00"), false},
	} {
		if got := scan.IsImage(tc.head); got != tc.want {
			t.Errorf("IsImage(%s) = %v, want %v", name, got, tc.want)
		}
	}
}
