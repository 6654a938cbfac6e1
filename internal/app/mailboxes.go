package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sportello/sportello/domain"
)

// Mailboxes are configured by one setting, SPORTELLO_MAILBOXES: mailbox URLs separated by
// spaces or new lines, each
//
//	imaps://user@host[:port]/FOLDER?name=pec&channel=pec&mode=register&register=PG&offices=PROT,URP&class=VI.3&max_bytes=52428800
//
// (imap:// for plain IMAP with STARTTLS; FOLDER defaults to INBOX). name (lower-case letters,
// digits and _) identifies the mailbox in the records of its messages and names its password:
// SPORTELLO_MAILBOX_<NAME>_PASSWORD, or a file named by SPORTELLO_MAILBOX_<NAME>_PASSWORD_FILE,
// so that no secret is written in the list. channel is pec or email; mode register (the
// default) registers each message, draft keeps each for an operator; register, offices and
// class go to the registrations made. max_bytes is the largest message read, in bytes
// (SPORTELLO_MAILBOX_MAX_BYTES, 50 MiB by default, for every mailbox that does not say): a
// larger one is not downloaded but recorded as rejected, with its header, and reading goes on
// past it. One URL per mailbox keeps everything about a mailbox on
// one line, in the form IMAP clients already use.

// MailboxConfig is one configured mailbox.
type MailboxConfig struct {
	// Host is host:port; TLS is true for imaps (implicit TLS), false for imap (STARTTLS).
	Host     string
	TLS      bool
	User     string
	Password string
	Folder   string
	// MaxBytes is the largest message read whole (max_bytes, or SPORTELLO_MAILBOX_MAX_BYTES).
	MaxBytes int64
	Settings domain.MailboxSettings
}

var mailboxName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

// mailboxParams are the query parameters a mailbox URL may have.
var mailboxParams = []string{"name", "channel", "mode", "register", "offices", "class", "max_bytes"}

// parseMailboxes reads SPORTELLO_MAILBOXES; passwords are looked up with password(name), and
// maxBytes is the size limit of a mailbox whose URL has no max_bytes.
func parseMailboxes(list string, maxBytes int64, password func(name string) string) ([]MailboxConfig, []error) {
	var (
		out  []MailboxConfig
		errs []error
	)
	for i, raw := range strings.Fields(list) {
		mb, err := parseMailbox(raw, maxBytes, password)
		if err != nil {
			errs = append(errs, fmt.Errorf("SPORTELLO_MAILBOXES: mailbox %d: %w", i+1, err))
			continue
		}
		if slices.ContainsFunc(out, func(o MailboxConfig) bool { return o.Settings.Name == mb.Settings.Name }) {
			errs = append(errs, fmt.Errorf("SPORTELLO_MAILBOXES: mailbox %d: name %s is used twice", i+1, mb.Settings.Name))
			continue
		}
		out = append(out, mb)
	}
	return out, errs
}

func parseMailbox(raw string, maxBytes int64, password func(name string) string) (MailboxConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return MailboxConfig{}, errors.New("not a URL")
	}
	var mb MailboxConfig
	switch u.Scheme {
	case "imaps":
		mb.TLS = true
		mb.Host = withPort(u.Host, "993")
	case "imap":
		mb.Host = withPort(u.Host, "143")
	default:
		return mb, fmt.Errorf("want imaps:// or imap://, not %q", u.Scheme)
	}
	if u.Hostname() == "" || u.User == nil || u.User.Username() == "" {
		return mb, errors.New("want imaps://user@host/FOLDER?name=…")
	}
	if _, set := u.User.Password(); set {
		return mb, errors.New("the password goes in SPORTELLO_MAILBOX_<NAME>_PASSWORD, not in the URL")
	}
	mb.User = u.User.Username()
	mb.Folder = strings.TrimPrefix(u.Path, "/")
	if mb.Folder == "" {
		mb.Folder = "INBOX"
	}
	q := u.Query()
	for k := range q {
		if !slices.Contains(mailboxParams, k) {
			return mb, fmt.Errorf("unknown parameter %q (want %s)", k, strings.Join(mailboxParams, ", "))
		}
	}
	s := domain.MailboxSettings{Name: q.Get("name"), Channel: domain.Channel(q.Get("channel")), Mode: q.Get("mode"),
		Register: q.Get("register"), Class: q.Get("class")}
	if !mailboxName.MatchString(s.Name) {
		return mb, errors.New("name is required: 1 to 32 lower-case letters, digits or _")
	}
	if s.Channel != domain.ChannelPEC && s.Channel != domain.ChannelEmail {
		return mb, fmt.Errorf("%s: channel must be pec or email", s.Name)
	}
	if s.Mode == "" {
		s.Mode = domain.MailboxRegister
	}
	if s.Mode != domain.MailboxRegister && s.Mode != domain.MailboxDraft {
		return mb, fmt.Errorf("%s: mode must be register or draft", s.Name)
	}
	if s.Class != "" && !domain.ValidClass(s.Class) {
		return mb, fmt.Errorf("%s: class must be a classification code such as VI.3", s.Name)
	}
	if o := q.Get("offices"); o != "" {
		s.Offices = strings.Split(o, ",")
	}
	mb.MaxBytes = maxBytes
	if v := q.Get("max_bytes"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return mb, fmt.Errorf("%s: max_bytes must be a positive number of bytes, not %q", s.Name, v)
		}
		mb.MaxBytes = n
	}
	mb.Settings = s
	if mb.Password = password(s.Name); mb.Password == "" {
		return mb, fmt.Errorf("%s: no password: set %s", s.Name, mailboxPasswordEnv(s.Name))
	}
	return mb, nil
}

func withPort(host, port string) string {
	if strings.Contains(strings.TrimPrefix(host, "["), ":") && !strings.HasSuffix(host, "]") {
		return host
	}
	return host + ":" + port
}

// mailboxPasswordEnv is the variable holding a mailbox's password.
func mailboxPasswordEnv(name string) string {
	return "SPORTELLO_MAILBOX_" + strings.ToUpper(name) + "_PASSWORD"
}

// mailboxPasswords reads the password of every mailbox the list names from getenv (or the file
// its _FILE variable names).
func mailboxPasswords(list string, getenv func(string) string) (map[string]string, error) {
	out := map[string]string{}
	for _, raw := range strings.Fields(list) {
		u, err := url.Parse(raw)
		if err != nil {
			continue // Validate reports it
		}
		name := u.Query().Get("name")
		if !mailboxName.MatchString(name) {
			continue
		}
		env := mailboxPasswordEnv(name)
		if v := getenv(env); v != "" {
			out[name] = v
		} else if f := getenv(env + "_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("%s_FILE: %w", env, err)
			}
			out[name] = strings.TrimSpace(string(b))
		}
	}
	return out, nil
}

// MailboxList parses SPORTELLO_MAILBOXES with MailboxPasswords, on demand (a test may edit
// both after Validate).
func (c *Config) MailboxList() ([]MailboxConfig, []error) {
	return parseMailboxes(c.Mailboxes, c.MailboxMaxBytes, func(name string) string { return c.MailboxPasswords[name] })
}

// MailboxOpener opens a configured mailbox (mail/imapbox on a real server).
type MailboxOpener func(cfg MailboxConfig) (domain.Mailbox, error)

// mailboxBatch is how many messages one Fetch asks for.
const mailboxBatch = 50

// mailboxWorkers read the configured mailboxes, one goroutine each.
type mailboxWorkers struct {
	cancel func()
	wg     sync.WaitGroup
}

// startMailboxes starts a worker per configured mailbox.
func (m *Main) startMailboxes() error {
	list, errs := m.Config.MailboxList()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(list) == 0 {
		return nil
	}
	if m.OpenMailbox == nil {
		return errors.New("mailboxes are configured but no IMAP client is built in")
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &mailboxWorkers{cancel: cancel}
	for _, cfg := range list {
		box, err := m.OpenMailbox(cfg)
		if err != nil {
			cancel()
			return fmt.Errorf("mailbox %s: %w", cfg.Settings.Name, err)
		}
		r := &mailboxReader{svc: m.Service, box: box, settings: cfg.Settings,
			logger: m.Logger.With("mailbox", cfg.Settings.Name)}
		w.wg.Go(func() { r.run(ctx, m.Config.MailboxPoll) })
	}
	m.mailboxes = w
	return nil
}

// stop stops the workers and waits for them: a message being handled is rolled back, and read
// again at the next start.
func (w *mailboxWorkers) stop() {
	if w == nil {
		return
	}
	w.cancel()
	w.wg.Wait()
}

// mailboxReader reads one mailbox.
type mailboxReader struct {
	svc      *domain.Service
	box      domain.Mailbox
	settings domain.MailboxSettings
	logger   *slog.Logger
}

// run polls the mailbox every `every` until ctx ends.
func (r *mailboxReader) run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if n, err := r.poll(ctx); err != nil && ctx.Err() == nil {
			r.logger.Error("read mailbox", "err", err)
		} else if n > 0 {
			r.logger.Info("read mailbox", "messages", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// poll handles every message above the last one recorded, in UID order, and returns how many
// it handled. It stops at the first failure, so that the highest UID recorded is always one
// below which every message was handled: the next poll starts again from there.
func (r *mailboxReader) poll(ctx context.Context) (int, error) {
	validity, after, err := r.svc.MailboxCursor(ctx, r.settings.Name)
	if err != nil {
		return 0, err
	}
	handled := 0
	for {
		v, msgs, err := r.box.Fetch(ctx, after, mailboxBatch)
		if err != nil {
			return handled, fmt.Errorf("fetch: %w", err)
		}
		if v != validity && after != 0 {
			// IMAP renumbered the mailbox: every message is read again, and the ones recorded
			// already are recognised by their Message-ID.
			r.logger.Warn("UIDVALIDITY changed: reading the mailbox again", "was", validity, "now", v)
			validity, after = v, 0
			continue
		}
		validity = v
		for _, m := range msgs {
			rec, recorded, err := r.svc.ReceiveMail(ctx, r.settings, v, m)
			if err != nil {
				return handled, err
			}
			if recorded && m.TooLarge != nil {
				r.logger.Warn("message too large: recorded as rejected", "uid", m.UID, "size", m.TooLarge.Size,
					"max_bytes", m.TooLarge.Max, "record", rec.ID)
			}
			handled++
			after = m.UID
		}
		if len(msgs) < mailboxBatch {
			return handled, nil
		}
	}
}
