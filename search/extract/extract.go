// Package extract reads the text of registered content for the search index: PDFs (with
// pdftotext from poppler-utils when installed, a pure-Go reader otherwise), plain text, e-mail
// messages (their text bodies and the text of their attachments), the file inside a signed
// envelope (.p7m), and, through tesseract when installed, scanned images and PDFs that carry
// only images. It runs inside the text-extraction job, never in a registration's request.
package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/sportello/sportello/mail"
	"io"
	"os"
	"os/exec"
	"strings"
	"unicode/utf8"
)

// ErrUnsupported is returned for content whose text cannot be read here: a media type with no
// extractor, or an image when tesseract is not installed. The job records it as "no text",
// not as a failure to retry.
var ErrUnsupported = errors.New("no text extractor for this content")

// maxInput bounds the bytes read from one file: a protocol document is at most a few hundred
// megabytes (the upload limit), and the extractors work on a temporary copy.
const maxInput = 1 << 30

// Extractor extracts text. Tool paths are found by New; an empty path means that tool is
// missing and its fallback (or ErrUnsupported) is used.
type Extractor struct {
	PDFToText string // poppler-utils pdftotext
	PDFToPPM  string // poppler-utils pdftoppm, to render image-only PDF pages for OCR
	Tesseract string // tesseract OCR
	// Languages are tesseract's language packs, "ita+eng" by default.
	Languages string
	// OCRResolution is the DPI at which image-only PDF pages are rendered for OCR.
	OCRResolution int
}

// New returns an Extractor using the tools found on PATH.
func New() *Extractor {
	look := func(name string) string {
		p, err := exec.LookPath(name)
		if err != nil {
			return ""
		}
		return p
	}
	return &Extractor{PDFToText: look("pdftotext"), PDFToPPM: look("pdftoppm"), Tesseract: look("tesseract"),
		Languages: "ita+eng", OCRResolution: 300}
}

// Extract returns the text of content of the given media type (parameters such as charset are
// allowed). It returns ErrUnsupported, possibly wrapped, when it cannot read such content.
func (x *Extractor) Extract(ctx context.Context, mediaType string, content io.Reader) (string, error) {
	data, err := io.ReadAll(io.LimitReader(content, maxInput))
	if err != nil {
		return "", fmt.Errorf("read content: %w", err)
	}
	return x.extractBytes(ctx, baseType(mediaType), data)
}

func (x *Extractor) extractBytes(ctx context.Context, mediaType string, data []byte) (string, error) {
	switch mediaType {
	case "application/pdf":
		return x.pdf(ctx, data)
	case "text/plain", "text/csv", "text/markdown":
		return normalise(toUTF8(data)), nil
	case "text/html":
		return normalise(mail.HTMLText(toUTF8(data))), nil
	case "message/rfc822":
		return x.email(ctx, data)
	case "image/png", "image/jpeg", "image/tiff":
		return x.ocrImage(ctx, data)
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		return x.signed(ctx, data)
	}
	return "", fmt.Errorf("%w: %s", ErrUnsupported, mediaType)
}

// baseType drops parameters and case from a media type.
func baseType(mediaType string) string {
	t, _, _ := strings.Cut(mediaType, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// toUTF8 returns data as a string, read as Latin-1 (Windows-1252's printable subset) when it is
// not valid UTF-8: that is what Italian plain-text files that are not UTF-8 are in practice.
func toUTF8(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	var b strings.Builder
	for _, c := range data {
		b.WriteRune(rune(c))
	}
	return b.String()
}

// normalise trims every line and collapses runs of blank lines, so that layout-preserving
// extractors do not fill the index and its highlights with whitespace.
func normalise(s string) string {
	var b strings.Builder
	blank := false
	for line := range strings.Lines(s) {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			blank = b.Len() > 0
			continue
		}
		if blank {
			b.WriteString("\n")
			blank = false
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
	return strings.TrimSpace(b.String())
}

// toolNice is how far below the server's the tools' scheduling priority is: they run at the
// server's niceness plus toolNice (at most 19).
const toolNice = 10

// run runs a tool and returns its standard output; a failure carries its standard error.
func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return Run(ctx, nil, name, args...)
}

// Run runs a tool with stdin as its standard input (none when nil), with one thread (tesseract's
// OpenMP would take every core) and below the server's priority, and returns its standard
// output; a failure carries its standard error. Other packages that run these tools (scan) run
// them through it. The tools read the
// document from there rather than from a temporary file: a file made and deleted for every
// document is two inodes' churn per registration, which some file systems (ext4 without a
// journal) make every later file creation pay for while they are recent.
func Run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	// One thread per tool run: the job queue already runs SPORTELLO_TEXT_WORKERS of them at
	// once, and tesseract's OpenMP threads would otherwise each take every core.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	// Below the server's priority: extraction is background work, and on a busy machine it
	// should take the CPU that registrations and searches leave, not compete for it.
	err := startNiced(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 500 {
			msg = msg[:500]
		}
		return nil, fmt.Errorf("%s: %w: %s", name, err, msg)
	}
	return stdout.Bytes(), nil
}

// tempFile writes data to a new file in dir and returns its path.
func tempFile(dir, pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}
