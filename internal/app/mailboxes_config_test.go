package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
)

// TestMailboxConfig reads SPORTELLO_MAILBOXES with each mailbox's password from its own
// variable or file, and refuses, naming the mailbox, what cannot work.
func TestMailboxConfig(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("segreto2\n"), 0o600)
	list := "imaps://protocollo@imap.pec.example.it/INBOX?name=pec&channel=pec&mode=register&register=PG&offices=PROT,URP&class=VI.3\n" +
		"  imap://ufficio@mail.example.it:1143/Posta?name=email&channel=email&mode=draft&max_bytes=1048576"
	c, err := Load(nil, env(map[string]string{"SPORTELLO_MAILBOXES": list, "SPORTELLO_MAILBOX_PEC_PASSWORD": "segreto1",
		"SPORTELLO_MAILBOX_EMAIL_PASSWORD_FILE": pwFile, "SPORTELLO_MAILBOX_POLL": "5s"}))
	if err != nil {
		t.Fatal(err)
	}
	got, errs := c.MailboxList()
	if len(errs) > 0 || len(got) != 2 {
		t.Fatalf("mailboxes %+v, %v", got, errs)
	}
	pec, mail := got[0], got[1]
	if pec.Host != "imap.pec.example.it:993" || !pec.TLS || pec.User != "protocollo" || pec.Password != "segreto1" ||
		pec.Folder != "INBOX" || pec.Settings.Channel != domain.ChannelPEC || pec.Settings.Mode != domain.MailboxRegister ||
		pec.Settings.Register != "PG" || !slices.Equal(pec.Settings.Offices, []string{"PROT", "URP"}) || pec.Settings.Class != "VI.3" ||
		pec.MaxBytes != 50<<20 {
		t.Errorf("pec: %+v", pec)
	}
	if mail.Host != "mail.example.it:1143" || mail.TLS || mail.Password != "segreto2" || mail.Folder != "Posta" ||
		mail.Settings.Mode != domain.MailboxDraft || c.MailboxPoll.Seconds() != 5 || mail.MaxBytes != 1<<20 {
		t.Errorf("email: %+v", mail)
	}
	for _, bad := range []struct{ list, want string }{
		{"pop3://u@h/INBOX?name=a&channel=pec", "imaps://"},
		{"imaps://u@h/INBOX?channel=pec", "name is required"},
		{"imaps://u@h/INBOX?name=a&channel=fax", "channel must be pec or email"},
		{"imaps://u@h/INBOX?name=a&channel=pec&mode=auto", "mode must be register or draft"},
		{"imaps://u:pw@h/INBOX?name=a&channel=pec", "not in the URL"},
		{"imaps://u@h/INBOX?name=b&channel=pec", "SPORTELLO_MAILBOX_B_PASSWORD"},
		{"imaps://u@h/INBOX?name=a&channel=pec&folder=x", "unknown parameter"},
		{"imaps://u@h/?name=a&channel=pec imaps://v@h/?name=a&channel=email", "used twice"},
		{"imaps://u@h/INBOX?name=a&channel=pec&max_bytes=0", "max_bytes must be a positive number"},
		{"imaps://u@h/INBOX?name=a&channel=pec&max_bytes=10MB", "max_bytes must be a positive number"},
	} {
		_, err := Load(nil, env(map[string]string{"SPORTELLO_MAILBOXES": bad.list, "SPORTELLO_MAILBOX_A_PASSWORD": "x"}))
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), "SPORTELLO_MAILBOXES") &&
			!strings.Contains(err.Error(), "SPORTELLO_MAILBOX_") {
			t.Errorf("%s: error %v, want %q", bad.list, err, bad.want)
		}
	}
	// SPORTELLO_MAILBOX_MAX_BYTES is the limit of every mailbox whose URL has no max_bytes.
	c, err = Load(nil, env(map[string]string{"SPORTELLO_MAILBOXES": list, "SPORTELLO_MAILBOX_PEC_PASSWORD": "segreto1",
		"SPORTELLO_MAILBOX_EMAIL_PASSWORD_FILE": pwFile, "SPORTELLO_MAILBOX_MAX_BYTES": "2000000"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.MailboxList(); got[0].MaxBytes != 2000000 || got[1].MaxBytes != 1<<20 {
		t.Errorf("with SPORTELLO_MAILBOX_MAX_BYTES: limits %d, %d; want 2000000, %d", got[0].MaxBytes, got[1].MaxBytes, 1<<20)
	}
	if _, err := Load(nil, env(map[string]string{"SPORTELLO_MAILBOX_MAX_BYTES": "0"})); err == nil ||
		!strings.Contains(err.Error(), "SPORTELLO_MAILBOX_MAX_BYTES") {
		t.Errorf("a zero size limit: %v", err)
	}
	if _, err := Load(nil, env(map[string]string{"SPORTELLO_MAILBOX_POLL": "0s"})); err == nil ||
		!strings.Contains(err.Error(), "SPORTELLO_MAILBOX_POLL") {
		t.Errorf("a zero poll interval: %v", err)
	}
}
