package app

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadMail: the relay URL and the address to send from go together; the password may come
// from a file; a bad value stops the start naming its variable.
func TestLoadMail(t *testing.T) {
	if c, err := Load(nil, env(nil)); err != nil || c.SMTPURL != "" || c.MailWorkers != 4 {
		t.Fatalf("defaults: %q, %d workers, %v", c.SMTPURL, c.MailWorkers, err)
	}
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(nil, env(map[string]string{"SPORTELLO_SMTP_URL": "smtps://protocollo@smtps.pec.example:465",
		"SPORTELLO_SMTP_PASSWORD_FILE": pw, "SPORTELLO_MAIL_FROM": "Comune di Roma <protocollo@pec.comune.example>"}))
	from, ferr := c.MailFromAddress()
	if err != nil || ferr != nil || c.SMTPPassword != "s3cret" || from.Address != "protocollo@pec.comune.example" || from.Name != "Comune di Roma" {
		t.Fatalf("mail settings %+v, %v, %v", from, err, ferr)
	}
	for _, bad := range []map[string]string{
		{"SPORTELLO_SMTP_URL": "http://relay.example", "SPORTELLO_MAIL_FROM": "a@b.example"},
		{"SPORTELLO_SMTP_URL": "smtp://relay.example:587"},
		{"SPORTELLO_MAIL_FROM": "not an address"},
		{"SPORTELLO_MAIL_WORKERS": "-1"},
	} {
		_, err := Load(nil, env(bad))
		var named bool
		for k := range bad {
			named = named || err != nil && strings.Contains(err.Error(), k)
		}
		if !named {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// TestMailPartsRequired: a relay configured in a build without the mail packages stops the
// start, naming the setting, rather than accepting dispatches it cannot send.
func TestMailPartsRequired(t *testing.T) {
	dir := t.TempDir()
	c, err := Load([]string{"--addr", "127.0.0.1:0", "--data", dir}, env(map[string]string{
		"SPORTELLO_SMTP_URL": "smtp://127.0.0.1:2525", "SPORTELLO_MAIL_FROM": "protocollo@pec.comune.example"}))
	if err != nil {
		t.Fatal(err)
	}
	m := New(c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	m.Mail = MailParts{} // a build without them
	err = m.Run(t.Context())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "SPORTELLO_SMTP_URL") {
		t.Fatalf("start without mail parts: %v", err)
	}
}
