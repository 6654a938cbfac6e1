// Package scan binds the page images of a scanned paper document (TIFF, multi-page TIFF, JPEG,
// PNG) into one PDF with a text layer: tesseract's `pdf` output puts each page's image with the
// recognised text invisible above it, so the PDF looks like the paper and its words are found
// by text extraction and search; poppler's pdfunite joins the PDFs of several image files. The
// server-side imports register the PDF as the primary document and keep the images as
// attachments.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"golang.org/x/sync/errgroup"

	"github.com/sportello/sportello/search/extract"
)

// ErrUnavailable is returned by Bind when tesseract or pdfunite is not installed.
var ErrUnavailable = errors.New("scanned pages cannot be bound: tesseract (tesseract-ocr) or pdfunite and pdfinfo (poppler-utils) is not installed")

// ErrNotImage is the reason a page is refused: it is not a TIFF, JPEG or PNG image.
var ErrNotImage = errors.New("not a TIFF, JPEG or PNG image")

// imageTypes are the media types of the page images a scan may be made of.
var imageTypes = []string{"image/tiff", "image/jpeg", "image/png"}

// IsImage reports whether a file whose first bytes are head (mimetype's 3 KiB are plenty) is a
// page image a scan may be made of. The name is not trusted: only the content decides.
func IsImage(head []byte) bool {
	m := mimetype.Detect(head)
	return slices.ContainsFunc(imageTypes, m.Is)
}

// A Binder binds scans. Its workers bound how many tesseract processes run at once across every
// Bind of the process: each is one thread (extract.Run), so one worker per core saturates the
// machine.
type Binder struct {
	Tesseract string // path of tesseract; "" when not installed
	PDFUnite  string // path of pdfunite; "" when not installed
	PDFInfo   string // path of pdfinfo; "" when not installed
	Languages string // tesseract's language packs, "ita+eng" by default

	slots chan struct{}
}

// New returns a Binder running at most workers tesseract processes at once (at least one), with
// the tools found on PATH.
func New(workers int) *Binder {
	look := func(name string) string {
		p, err := exec.LookPath(name)
		if err != nil {
			return ""
		}
		return p
	}
	return &Binder{Tesseract: look("tesseract"), PDFUnite: look("pdfunite"), PDFInfo: look("pdfinfo"), Languages: "ita+eng",
		slots: make(chan struct{}, max(workers, 1))}
}

// Available reports ErrUnavailable when a tool Bind needs is missing.
func (b *Binder) Available() error {
	if b.Tesseract == "" || b.PDFUnite == "" || b.PDFInfo == "" {
		return ErrUnavailable
	}
	return nil
}

// Result describes a bound scan.
type Result struct {
	Pages int // pages of the PDF: every page of every image, multi-page TIFFs included
}

// Bind recognises the page images, in order, and writes one PDF of all their pages to out,
// atomically (a file beside it, renamed): out exists only complete. pages are paths relative to
// dir (filepath.IsLocal); every one must be a TIFF, JPEG or PNG image, else the error names it
// and wraps ErrNotImage. The images of one scan are recognised in parallel, within the
// Binder's workers; the working files are made in a folder inside dir and removed.
func (b *Binder) Bind(ctx context.Context, dir string, pages []string, out string) (Result, error) {
	if err := b.Available(); err != nil {
		return Result{}, err
	}
	if len(pages) == 0 {
		return Result{}, errors.New("a scan needs at least one page image")
	}
	for _, p := range pages {
		if !filepath.IsLocal(p) {
			return Result{}, fmt.Errorf("page %q: not a path inside the scan's folder", p)
		}
		if err := checkImage(filepath.Join(dir, p)); err != nil {
			return Result{}, fmt.Errorf("page %q: %w", p, err)
		}
	}
	work, err := os.MkdirTemp(dir, ".scan-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(work)

	parts := make([]string, len(pages))
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range pages {
		base := filepath.Join(work, strconv.Itoa(i))
		parts[i] = base + ".pdf"
		g.Go(func() error {
			select {
			case b.slots <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			defer func() { <-b.slots }()
			if _, err := extract.Run(gctx, nil, b.Tesseract, filepath.Join(dir, p), base, "-l", b.Languages, "pdf"); err != nil {
				return fmt.Errorf("page %q: %w", p, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Result{}, err
	}
	joined := parts[0]
	if len(parts) > 1 {
		joined = filepath.Join(work, "scan.pdf")
		if _, err := extract.Run(ctx, nil, b.PDFUnite, append(parts, joined)...); err != nil {
			return Result{}, err
		}
	}
	n, err := b.pageCount(ctx, joined)
	if err != nil {
		return Result{}, fmt.Errorf("the bound PDF: %w", err)
	}
	tmp := out + ".part"
	if err := copyFile(joined, tmp); err != nil {
		return Result{}, err
	}
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return Result{}, err
	}
	return Result{Pages: n}, nil
}

// checkImage refuses a file that is not a page image.
func checkImage(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 3072)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	if !IsImage(head[:n]) {
		return ErrNotImage
	}
	return nil
}

// pageCount reads the page count of a PDF with poppler's pdfinfo, which reads what pdfunite
// writes (object streams included).
func (b *Binder) pageCount(ctx context.Context, name string) (int, error) {
	out, err := extract.Run(ctx, nil, b.PDFInfo, name)
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, errors.New("pdfinfo names no page count")
}

// copyFile copies src to a new file dst and syncs it, so that the rename that follows publishes
// complete content even across a crash.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	outf, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(outf, in); err != nil {
		outf.Close()
		os.Remove(dst)
		return err
	}
	if err := outf.Sync(); err != nil {
		outf.Close()
		os.Remove(dst)
		return err
	}
	return outf.Close()
}
