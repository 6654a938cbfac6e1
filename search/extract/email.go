package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	mailmsg "github.com/sportello/sportello/mail"
	"io"
	"strings"

	_ "github.com/emersion/go-message/charset" // decode ISO-8859-*, Windows-125x and other charsets
	"github.com/emersion/go-message/mail"
)

// email extracts a message's subject, its text bodies (HTML only when there is no plain text),
// and the text of each attachment it can read. A PEC delivery wraps the original message as an
// attachment (postacert.eml): that is read the same way, recursively.
func (x *Extractor) email(ctx context.Context, data []byte) (string, error) {
	r, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil && r == nil {
		return "", fmt.Errorf("read e-mail: %w", err)
	}
	defer r.Close()
	var plain, html, attached []string
	if s, err := r.Header.Subject(); err == nil && s != "" {
		plain = append(plain, s)
	}
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read e-mail part: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(p.Body, maxInput))
		if err != nil {
			return "", fmt.Errorf("read e-mail part: %w", err)
		}
		switch h := p.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := h.ContentType()
			switch ct {
			case "text/plain", "":
				plain = append(plain, string(body))
			case "text/html":
				html = append(html, mailmsg.HTMLText(string(body)))
			}
		case *mail.AttachmentHeader:
			ct, _, _ := h.ContentType()
			text, err := x.extractBytes(ctx, ct, body)
			if errors.Is(err, ErrUnsupported) {
				continue
			}
			if err != nil {
				return "", fmt.Errorf("e-mail attachment: %w", err)
			}
			attached = append(attached, text)
		}
	}
	if len(plain) <= 1 { // the subject alone: the bodies are HTML only
		plain = append(plain, html...)
	}
	return normalise(strings.Join(append(plain, attached...), "\n\n")), nil
}
