package extract

import (
	"context"
	"fmt"
	"os"
)

// ocrImage reads a scanned image with tesseract.
func (x *Extractor) ocrImage(ctx context.Context, data []byte) (string, error) {
	if x.Tesseract == "" {
		return "", fmt.Errorf("%w: tesseract is not installed", ErrUnsupported)
	}
	dir, err := os.MkdirTemp("", "sportello-ocr-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	in, err := tempFile(dir, "in-*", data)
	if err != nil {
		return "", err
	}
	return x.tesseract(ctx, in)
}

// tesseract OCRs one image file (a multi-page TIFF gives every page) and returns its text.
func (x *Extractor) tesseract(ctx context.Context, path string) (string, error) {
	out, err := run(ctx, x.Tesseract, path, "stdout", "-l", x.Languages, "--psm", "3")
	if err != nil {
		return "", err
	}
	return normalise(string(out)), nil
}
