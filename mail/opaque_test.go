package mail

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/sportello/sportello/signing/p7m/p7mtest"
)

// An S/MIME opaque-signed message (application/pkcs7-mime, signed-data, as Outlook sends it):
// the envelope is kept as smime.p7m and the entity it signs is read as the message.
func TestParseOpaqueSigned(t *testing.T) {
	inner := "Content-Type: multipart/mixed; boundary=\"in\"\r\n\r\n" +
		"--in\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nTesto firmato.\r\n" +
		"--in\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"atto.pdf\"\r\n\r\n%PDF-1.4\r\n" +
		"--in--\r\n"
	env := p7mtest.NewCA(t, "Test CA").Sign(t, "Mario Rossi", []byte(inner))
	raw := "From: Mario Rossi <mario.rossi@example.it>\r\nTo: protocollo@ente.example.it\r\nSubject: firmato\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\r\n" +
		"Content-Disposition: attachment; filename=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(env) + "\r\n"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "Testo firmato." || m.Subject != "firmato" {
		t.Errorf("text %q subject %q", m.Text, m.Subject)
	}
	if got := fileNames(m.Attachments); !reflect.DeepEqual(got, []string{"smime.p7m", "atto.pdf"}) {
		t.Errorf("attachments %q", got)
	}
	if len(m.Attachments) == 2 && (string(m.Attachments[0].Content) != string(env) || !strings.HasPrefix(string(m.Attachments[1].Content), "%PDF")) {
		t.Error("files not byte-exact")
	}
}

// A signed document sent as a file (application/pkcs7-mime named NAME.p7m) stays a file: what
// it signs is not read as the message, even when it looks like a MIME entity.
func TestParseP7MFileNotOpened(t *testing.T) {
	env := p7mtest.NewCA(t, "Test CA").Sign(t, "Mario Rossi", []byte("Oggetto: determina\r\n\r\nTesto della determina.\r\n"))
	raw := "From: a@example.it\r\nSubject: determina firmata\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nIn allegato.\r\n" +
		"--b\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=\"determina.txt.p7m\"\r\n" +
		"Content-Disposition: attachment; filename=\"determina.txt.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(env) + "\r\n--b--\r\n"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := fileNames(m.Attachments); m.Text != "In allegato." || !reflect.DeepEqual(got, []string{"determina.txt.p7m"}) || m.Attachments[0].MediaType != "application/pkcs7-mime" {
		t.Errorf("text %q attachments %q", m.Text, got)
	}
}
