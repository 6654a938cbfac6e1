// Package imapbox reads a mailbox over IMAP (go-imap v1): it implements domain.Mailbox.
//
// The mailbox is named by a URL: imaps://user@host:993/INBOX (implicit TLS) or
// imap://user@host:143/INBOX (STARTTLS). STARTTLS is required unless the URL says ?tls=none or
// the host is a loopback address (or localhost): those are spoken to in plain text. The folder
// is the URL's path ("INBOX" when empty); the user may also be given in Config.
//
// Fetch opens the folder read-only (EXAMINE) and reads messages with BODY.PEEK[], so it never
// sets \Seen nor changes anything in the mailbox. It keeps one connection, reopened on the next
// call after any failure (a dropped connection, a server restart).
//
// Messages larger than Config.MaxSize are not downloaded: Fetch returns each in its place with
// only its header (at most MaxHeader bytes of it, BODY.PEEK[HEADER]) and
// domain.MailboxMessage.TooLarge naming its size and the limit, so that the caller records it
// and reads on past it.
package imapbox

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/mail"
)

// Config is how to reach the mailbox.
type Config struct {
	// URL is imaps://user@host[:port]/FOLDER (port 993 by default) or
	// imap://user@host[:port]/FOLDER (STARTTLS, port 143 by default), optionally ?tls=none
	// (imap only: no TLS).
	URL string
	// Username overrides the URL's user; Password is the user's password (LOGIN).
	Username, Password string
	// TLS is the TLS configuration (a custom RootCAs for a test CA); ServerName defaults to the
	// URL's host.
	TLS *tls.Config
	// Timeout bounds the connection and each command; one minute when zero.
	Timeout time.Duration
	// MaxSize is the largest message Fetch downloads, in bytes; 50 MiB when zero.
	MaxSize int64
	// Dial, when set, opens the TCP connection instead of net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// DefaultMaxSize is Config.MaxSize when zero.
const DefaultMaxSize = 50 << 20

// MaxHeader is how much of the header of a message above Config.MaxSize Fetch downloads.
const MaxHeader = 64 << 10

// Mailbox is a domain.Mailbox on one IMAP folder. It is safe for concurrent use (calls are
// serialised).
type Mailbox struct {
	cfg                      Config
	addr, host, user, folder string
	implicit, plain          bool

	mu sync.Mutex
	c  *client.Client
}

var _ domain.Mailbox = (*Mailbox)(nil)

// New checks cfg and returns its Mailbox; it connects on the first Fetch. A malformed URL is
// ECValidation.
func New(cfg Config) (*Mailbox, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, domain.Errorf(domain.ECValidation, "imap URL: %v", err)
	}
	m := &Mailbox{cfg: cfg, host: u.Hostname(), user: u.User.Username(), folder: strings.TrimPrefix(u.Path, "/")}
	if m.host == "" {
		return nil, domain.Errorf(domain.ECValidation, "imap URL %q has no host", cfg.URL)
	}
	if cfg.Username != "" {
		m.user = cfg.Username
	}
	if m.folder == "" {
		m.folder = "INBOX"
	}
	port := u.Port()
	switch u.Scheme {
	case "imap":
		port = cmp.Or(port, "143")
	case "imaps":
		m.implicit, port = true, cmp.Or(port, "993")
	default:
		return nil, domain.Errorf(domain.ECValidation, "imap URL %q: scheme must be imap or imaps", cfg.URL)
	}
	switch t := u.Query().Get("tls"); {
	case t == "none" && !m.implicit:
		m.plain = true
	case t != "":
		return nil, domain.Errorf(domain.ECValidation, "imap URL %q: tls=%s is not understood", cfg.URL, t)
	}
	m.plain = m.plain || (!m.implicit && mail.IsLoopbackHost(m.host))
	m.addr = net.JoinHostPort(m.host, port)
	if m.cfg.Timeout <= 0 {
		m.cfg.Timeout = time.Minute
	}
	if m.cfg.MaxSize <= 0 {
		m.cfg.MaxSize = DefaultMaxSize
	}
	return m, nil
}

// Close logs out, if connected.
func (m *Mailbox) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.c == nil {
		return nil
	}
	err := m.c.Logout()
	m.c = nil
	return err
}

// Fetch implements domain.Mailbox; see the package documentation for messages above MaxSize.
func (m *Mailbox) Fetch(ctx context.Context, after uint32, limit int) (uint32, []domain.MailboxMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if limit <= 0 {
		return 0, nil, domain.Errorf(domain.ECValidation, "imap fetch: limit must be positive")
	}
	reused := m.c != nil
	v, msgs, err := m.fetch(ctx, after, limit)
	if err != nil && reused && ctx.Err() == nil {
		// The kept connection may have died since the last call: once more on a new one.
		v, msgs, err = m.fetch(ctx, after, limit)
	}
	return v, msgs, err
}

func (m *Mailbox) fetch(ctx context.Context, after uint32, limit int) (uint32, []domain.MailboxMessage, error) {
	if err := m.connect(ctx); err != nil {
		return 0, nil, err
	}
	c := m.c
	stop := context.AfterFunc(ctx, func() { c.Terminate() })
	defer stop()
	v, msgs, err := m.read(c, after, limit)
	if err != nil {
		c.Terminate()
		m.c = nil
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, fmt.Errorf("imap %s: %w", m.addr, err)
	}
	return v, msgs, err
}

// connect opens, secures and logs in a connection when there is none.
func (m *Mailbox) connect(ctx context.Context) error {
	if m.c != nil {
		return nil
	}
	dctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	dial := m.cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(dctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("imap %s: %w", m.addr, err)
	}
	if m.implicit {
		tc := tls.Client(conn, m.tlsConfig())
		if err := tc.HandshakeContext(dctx); err != nil {
			conn.Close()
			return fmt.Errorf("imap %s: TLS: %w", m.addr, err)
		}
		conn = tc
	}
	conn.SetDeadline(time.Now().Add(m.cfg.Timeout))
	c, err := client.New(conn)
	if err != nil {
		conn.Close()
		return fmt.Errorf("imap %s: %w", m.addr, err)
	}
	conn.SetDeadline(time.Time{})
	c.ErrorLog = discard{}
	c.Timeout = m.cfg.Timeout
	if err := m.login(c); err != nil {
		c.Terminate()
		return err
	}
	m.c = c
	return nil
}

type discard struct{}

func (discard) Printf(string, ...interface{}) {}
func (discard) Println(...interface{})        {}

func (m *Mailbox) login(c *client.Client) error {
	if !m.implicit && !m.plain {
		if ok, err := c.SupportStartTLS(); err != nil || !ok {
			return fmt.Errorf("imap %s does not offer STARTTLS, required for a server not on loopback (use imaps:// or, knowingly, ?tls=none)", m.addr)
		}
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return fmt.Errorf("imap %s: STARTTLS: %w", m.addr, err)
		}
	}
	if err := c.Login(m.user, m.cfg.Password); err != nil {
		return fmt.Errorf("imap %s: login as %s: %w", m.addr, m.user, err)
	}
	return nil
}

func (m *Mailbox) tlsConfig() *tls.Config {
	c := &tls.Config{}
	if m.cfg.TLS != nil {
		c = m.cfg.TLS.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = m.host
	}
	return c
}

// sized is a message's UID and size, from the first pass of read.
type sized struct {
	uid  uint32
	size int64
}

// read examines the folder, lists the UIDs above after with their sizes, and downloads the
// first limit of them: whole when they fit MaxSize, their header only otherwise.
func (m *Mailbox) read(c *client.Client, after uint32, limit int) (uint32, []domain.MailboxMessage, error) {
	st, err := c.Select(m.folder, true)
	if err != nil {
		return 0, nil, err
	}
	if st.Messages == 0 || after == math.MaxUint32 || (st.UidNext != 0 && st.UidNext <= after+1) {
		return st.UidValidity, nil, nil
	}
	list, err := m.list(c, after)
	if err != nil {
		return 0, nil, err
	}
	list = list[:min(len(list), limit)]
	var whole, large []uint32
	for _, s := range list {
		if s.size > m.cfg.MaxSize {
			large = append(large, s.uid)
		} else {
			whole = append(whole, s.uid)
		}
	}
	bodies, err := m.bodies(c, whole, &imap.BodySectionName{Peek: true})
	if err != nil {
		return 0, nil, err
	}
	headers, err := m.bodies(c, large, &imap.BodySectionName{Peek: true,
		BodyPartName: imap.BodyPartName{Specifier: imap.HeaderSpecifier}, Partial: []int{0, MaxHeader}})
	if err != nil {
		return 0, nil, err
	}
	msgs := make([]domain.MailboxMessage, 0, len(list))
	for _, s := range list {
		if b, ok := bodies[s.uid]; ok {
			msgs = append(msgs, domain.MailboxMessage{UID: s.uid, Raw: b})
		} else if h, ok := headers[s.uid]; ok {
			msgs = append(msgs, domain.MailboxMessage{UID: s.uid, Raw: h,
				TooLarge: &domain.MessageTooLarge{Size: s.size, Max: m.cfg.MaxSize}})
		}
	}
	return st.UidValidity, msgs, nil
}

// list returns the UIDs above after with their sizes, in UID order. UID FETCH N:* answers with
// the last message even when its UID is below N, hence the filter.
func (m *Mailbox) list(c *client.Client, after uint32) ([]sized, error) {
	set := new(imap.SeqSet)
	set.AddRange(after+1, 0)
	ch := make(chan *imap.Message, 64)
	done := make(chan error, 1)
	go func() { done <- c.UidFetch(set, []imap.FetchItem{imap.FetchUid, imap.FetchRFC822Size}, ch) }()
	var list []sized
	for msg := range ch {
		if msg.Uid > after {
			list = append(list, sized{msg.Uid, int64(msg.Size)})
		}
	}
	if err := <-done; err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b sized) int { return int(int64(a.uid) - int64(b.uid)) })
	return list, nil
}

// bodies downloads section (a PEEK, which does not set \Seen) of the messages uids, byte for
// byte, by UID. A message expunged meanwhile is left out.
func (m *Mailbox) bodies(c *client.Client, uids []uint32, section *imap.BodySectionName) (map[uint32][]byte, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	set := new(imap.SeqSet)
	set.AddNum(uids...)
	ch := make(chan *imap.Message, 16)
	done := make(chan error, 1)
	go func() { done <- c.UidFetch(set, []imap.FetchItem{imap.FetchUid, section.FetchItem()}, ch) }()
	got := map[uint32][]byte{}
	var readErr error
	for msg := range ch {
		body := msg.GetBody(section)
		if body == nil {
			continue
		}
		b, err := io.ReadAll(body)
		if err != nil && readErr == nil {
			readErr = err
		}
		got[msg.Uid] = b
	}
	if err := errors.Join(<-done, readErr); err != nil {
		return nil, err
	}
	return got, nil
}
