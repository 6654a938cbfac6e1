package extract

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/sportello/sportello/signing/p7m/p7mtest"
)

// The text of a signed file is that of the file inside its envelope, whichever way the envelope
// is encoded and however many signers wrapped it.
func TestSignedText(t *testing.T) {
	ca := p7mtest.NewCA(t, "Test CA")
	x := &Extractor{}
	plain := ca.Sign(t, "Mario Rossi", []byte("Verbale della commissione edilizia\n"))
	html := ca.Sign(t, "Mario Rossi", []byte("<html><body><p>Ordinanza sulla viabilit&agrave;</p></body></html>"))
	cases := map[string]struct {
		data []byte
		want string
	}{
		"DER":    {plain, "Verbale della commissione edilizia"},
		"Base64": {[]byte(base64.StdEncoding.EncodeToString(plain)), "Verbale della commissione edilizia"},
		"PEM":    {pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: plain}), "Verbale della commissione edilizia"},
		"Nested": {ca.Sign(t, "Anna Bianchi", ca.Sign(t, "Mario Rossi", plain)), "Verbale della commissione edilizia"},
		"HTML":   {html, "Ordinanza sulla viabilità"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := x.Extract(context.Background(), "application/pkcs7-mime", strings.NewReader(string(c.data)))
			if err != nil || got != c.want {
				t.Errorf("text %q (%v), want %q", got, err, c.want)
			}
		})
	}
	t.Run("ErrUnsupportedNotAnEnvelope", func(t *testing.T) {
		_, err := x.Extract(context.Background(), "application/pkcs7-mime", strings.NewReader("not signed"))
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("err %v, want ErrUnsupported", err)
		}
	})
}
