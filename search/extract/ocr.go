package extract

import (
	"context"
	"fmt"
)

// ocrImage reads a scanned image with tesseract.
func (x *Extractor) ocrImage(ctx context.Context, data []byte) (string, error) {
	if x.Tesseract == "" {
		return "", fmt.Errorf("%w: tesseract is not installed", ErrUnsupported)
	}
	return x.tesseract(ctx, "stdin", data)
}

// tesseract OCRs one image (a multi-page TIFF gives every page) and returns its text: the file
// at path, or stdin when path is "stdin".
func (x *Extractor) tesseract(ctx context.Context, path string, stdin []byte) (string, error) {
	out, err := Run(ctx, stdin, x.Tesseract, path, "stdout", "-l", x.Languages, "--psm", "3")
	if err != nil {
		return "", err
	}
	return normalise(string(out)), nil
}
