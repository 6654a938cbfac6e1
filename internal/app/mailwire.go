package app

import (
	"net/url"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/mail"
	"github.com/sportello/sportello/mail/imapbox"
	"github.com/sportello/sportello/mail/smtpsend"
)

// builtInMail are the mail packages of this build: mail.Compose writes the messages,
// mail/smtpsend hands them to the relay of SPORTELLO_SMTP_URL.
func builtInMail() MailParts {
	return MailParts{Compose: mail.Compose, NewSender: newSMTPSender}
}

// newSMTPSender reaches the relay at rawURL (smtp:// or smtps://, the user in the URL) with
// password.
func newSMTPSender(rawURL, password string) (domain.MailSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, domain.Errorf(domain.ECValidation, "smtp relay URL: %v", err)
	}
	cfg := smtpsend.Config{URL: rawURL, Password: password}
	if u.User != nil {
		cfg.Username = u.User.Username()
		u.User = nil
		cfg.URL = u.String()
	}
	return smtpsend.New(cfg)
}

// openIMAPMailbox opens a mailbox of SPORTELLO_MAILBOXES with mail/imapbox.
func openIMAPMailbox(cfg MailboxConfig) (domain.Mailbox, error) {
	scheme := "imap"
	if cfg.TLS {
		scheme = "imaps"
	}
	u := url.URL{Scheme: scheme, Host: cfg.Host, Path: "/" + cfg.Folder}
	return imapbox.New(imapbox.Config{URL: u.String(), Username: cfg.User, Password: cfg.Password, MaxSize: cfg.MaxBytes})
}
