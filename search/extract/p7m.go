package extract

import (
	"context"
	"errors"
	"fmt"

	"github.com/gabriel-vasile/mimetype"

	"github.com/sportello/sportello/signing/p7m"
)

// signed extracts the text of the file inside a signed envelope (.p7m, nested ones too): its
// media type is sniffed, as the envelope does not state it, and its own extractor reads it.
// Whether the signatures hold is not this package's concern: the text is indexed either way.
func (x *Extractor) signed(ctx context.Context, data []byte) (string, error) {
	_, content, err := p7m.Open(data)
	if errors.Is(err, p7m.ErrNotEnveloped) {
		return "", fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	if err != nil {
		return "", err
	}
	inner := mimetype.Detect(content)
	text, err := x.extractBytes(ctx, baseType(inner.String()), content)
	if err != nil {
		return "", fmt.Errorf("signed content: %w", err)
	}
	return text, nil
}
