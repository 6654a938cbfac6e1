package importer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"
)

// deflated returns n zero bytes deflated.
func deflated(t testing.TB, n int64) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	if _, err := io.CopyN(w, zeros{}, n); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// rawZip writes an archive whose entries declare the sizes given, whatever their data.
func rawZip(t testing.TB, entries ...*zip.FileHeader) *zip.Reader {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	w.Create(ManifestName)
	for _, h := range entries {
		data := h.Extra
		h.Extra = nil
		f, err := w.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

// entry is a deflated entry carrying data (in Extra, taken by rawZip) and declaring size.
func entry(name string, data []byte, size uint64) *zip.FileHeader {
	return &zip.FileHeader{Name: name, Method: zip.Deflate, CompressedSize64: uint64(len(data)),
		UncompressedSize64: size, CRC32: crc32.ChecksumIEEE(nil), Extra: data}
}

// TestZipLimits: too many entries, too large a declared total, and an entry compressed past
// the ratio are refused, naming the limit or the entry; an archive within them passes.
func TestZipLimits(t *testing.T) {
	l := Limits{MaxEntries: 10, MaxExpanded: 100 << 20, MaxRatio: 200}
	many := make([]*zip.FileHeader, 12)
	for i := range many {
		many[i] = entry(strings.Repeat("x", i+1), nil, 0)
	}
	if err := CheckZipLimits(rawZip(t, many...), l); err == nil || !strings.Contains(err.Error(), "13 entries, more than the 10") {
		t.Errorf("too many entries: %v", err)
	}
	z := deflated(t, 10<<20) // 10 MiB of zeros: ~10 KB, a ratio of about 1000
	if err := CheckZipLimits(rawZip(t, entry("bomb.pdf", z, 10<<20)), l); err == nil ||
		!strings.Contains(err.Error(), `"bomb.pdf": compressed`) {
		t.Errorf("ratio: %v", err)
	}
	// A header that declares 10 GB: refused on the declaration alone, nothing read.
	if err := CheckZipLimits(rawZip(t, entry("a.pdf", z, 1<<20), entry("big.pdf", z, 10<<30)), l); err == nil ||
		!strings.Contains(err.Error(), `"big.pdf": the entries expand to more than`) {
		t.Errorf("declared size: %v", err)
	}
	if err := CheckZipLimits(rawZip(t, entry("a.pdf", z, 1<<20), entry("b.pdf", z, 1<<20)), l); err != nil {
		t.Errorf("within the limits: %v", err)
	}
	if DefaultLimits.MaxExpanded >= 10<<30 && DefaultLimits.MaxRatio*int64(len(z)) >= 10<<20 {
		t.Errorf("the default limits take a 10 MiB entry deflated to %d bytes", len(z))
	}
}

// TestLyingHeader: an entry whose data expands past the size its header declares cannot be
// read past that size: archive/zip stops with an error, so declared sizes bound what is
// written.
func TestLyingHeader(t *testing.T) {
	z := deflated(t, 64<<20) // 64 MiB of zeros, declared as 1 KiB
	zr := rawZip(t, entry("liar.pdf", z, 1024))
	if err := CheckZipLimits(zr, DefaultLimits); err != nil {
		t.Fatalf("the declaration passes the limits: %v", err)
	}
	f, err := zr.Open("liar.pdf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := io.Copy(io.Discard, f)
	if !errors.Is(err, zip.ErrFormat) || n > 1024+32<<10 {
		t.Fatalf("read %d bytes of an entry declaring 1024, error %v", n, err)
	}
}
