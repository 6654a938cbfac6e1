// Package smtpsend hands composed messages to an SMTP relay (the PEC provider's): it implements
// domain.MailSender with go-smtp's client.
//
// The relay is named by a URL: smtp://host:587 speaks STARTTLS, smtps://host:465 implicit TLS.
// STARTTLS is required — a relay that does not offer it is refused before any credential or
// message is sent — unless the URL says ?tls=none or the host is a loopback address (or
// localhost): those are spoken to in plain text. Credentials, when given, are
// sent with AUTH PLAIN.
//
// Errors: a 5xx answer to MAIL, a recipient or the message is permanent and returned as
// domain.Errorf(domain.ECValidation, …) naming the code and the recipient; anything else (4xx,
// network, TLS) is returned as is, a temporary error the caller retries.
package smtpsend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/mail"
)

// Config is how to reach the relay.
type Config struct {
	// URL is smtp://host[:port] (STARTTLS, port 587 by default) or smtps://host[:port]
	// (implicit TLS, port 465 by default), optionally with ?tls=none (smtp only: no TLS).
	URL string
	// Username and Password are sent with AUTH PLAIN when Username is set.
	Username, Password string
	// TLS is the TLS configuration (a custom RootCAs for a test CA); ServerName defaults to
	// the URL's host.
	TLS *tls.Config
	// Timeout bounds the connection and each command; 30 seconds when zero. The message's
	// transfer and the relay's answer to it are bounded by 5 minutes or by Timeout if longer.
	Timeout time.Duration
	// Dial, when set, opens the TCP connection instead of net.Dialer (a proxy, or a test that
	// points a name at a loopback server).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Sender is a domain.MailSender opening one SMTP connection per message.
type Sender struct {
	cfg      Config
	addr     string
	host     string
	implicit bool // smtps
	noTLS    bool // ?tls=none
	loopback bool // no TLS needed
}

var _ domain.MailSender = (*Sender)(nil)

// New checks cfg and returns its Sender; a malformed URL is ECValidation.
func New(cfg Config) (*Sender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, domain.Errorf(domain.ECValidation, "smtp relay URL: %v", err)
	}
	s := &Sender{cfg: cfg, host: u.Hostname()}
	if s.host == "" {
		return nil, domain.Errorf(domain.ECValidation, "smtp relay URL %q has no host", cfg.URL)
	}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		s.implicit = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, domain.Errorf(domain.ECValidation, "smtp relay URL %q: scheme must be smtp or smtps", cfg.URL)
	}
	switch t := u.Query().Get("tls"); t {
	case "":
	case "none":
		if s.implicit {
			return nil, domain.Errorf(domain.ECValidation, "smtp relay URL %q: smtps with tls=none", cfg.URL)
		}
		s.noTLS = true
	default:
		return nil, domain.Errorf(domain.ECValidation, "smtp relay URL %q: unknown tls=%s", cfg.URL, t)
	}
	s.loopback = mail.IsLoopbackHost(s.host)
	s.addr = net.JoinHostPort(s.host, port)
	if s.cfg.Timeout <= 0 {
		s.cfg.Timeout = 30 * time.Second
	}
	return s, nil
}

func (s *Sender) tlsConfig() *tls.Config {
	c := &tls.Config{}
	if s.cfg.TLS != nil {
		c = s.cfg.TLS.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.host
	}
	return c
}

// Send sends raw from from to every address in to, in one transaction.
func (s *Sender) Send(ctx context.Context, from string, to []string, raw []byte) error {
	if len(to) == 0 {
		return domain.Errorf(domain.ECValidation, "no recipient")
	}
	c, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := s.transact(c, from, to, raw); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	c.Quit()
	return nil
}

// connect dials, secures and authenticates a connection.
func (s *Sender) connect(ctx context.Context) (*smtp.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	dial := s.cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(dctx, "tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("smtp relay %s: %w", s.addr, err)
	}
	if s.implicit {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(dctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("smtp relay %s: TLS: %w", s.addr, err)
		}
		conn = tc
	}
	c, err := s.client(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	c.CommandTimeout = s.cfg.Timeout
	c.SubmissionTimeout = max(s.cfg.Timeout, 5*time.Minute)
	if s.cfg.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			c.Close()
			return nil, s.classify(err, "AUTH", "")
		}
	}
	return c, nil
}

// client starts the SMTP session on conn, with STARTTLS unless the URL or a loopback host
// spares it.
func (s *Sender) client(conn net.Conn) (*smtp.Client, error) {
	if s.implicit || s.noTLS || s.loopback {
		return smtp.NewClient(conn), nil
	}
	conn.SetDeadline(time.Now().Add(s.cfg.Timeout))
	c, err := smtp.NewClientStartTLS(conn, s.tlsConfig())
	if err != nil {
		return nil, fmt.Errorf("smtp relay %s: STARTTLS, required for a relay that is not on loopback (use smtps:// or, knowingly, ?tls=none): %w", s.addr, err)
	}
	conn.SetDeadline(time.Time{})
	return c, nil
}

func (s *Sender) transact(c *smtp.Client, from string, to []string, raw []byte) error {
	if err := c.Mail(from, nil); err != nil {
		return s.classify(err, "MAIL FROM", from)
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return s.classify(err, "RCPT TO", r)
		}
	}
	w, err := c.Data()
	if err != nil {
		return s.classify(err, "DATA", "")
	}
	if _, err := w.Write(raw); err != nil {
		return s.classify(err, "DATA", "")
	}
	if err := w.Close(); err != nil {
		return s.classify(err, "the message", "")
	}
	return nil
}

// classify turns a permanent (5xx) SMTP answer into ECValidation; what is about an address
// names it.
func (s *Sender) classify(err error, what, addr string) error {
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code < 500 || se.Code > 599 {
		return fmt.Errorf("smtp relay %s: %s %s: %w", s.addr, what, addr, err)
	}
	about := what
	if addr != "" {
		about += " <" + addr + ">"
	}
	code := fmt.Sprint(se.Code)
	if ec := se.EnhancedCode; ec[0] > 0 {
		code += fmt.Sprintf(" %d.%d.%d", ec[0], ec[1], ec[2])
	}
	e := domain.Errorf(domain.ECValidation, "smtp relay %s refused %s: %s %s", s.addr, about, code, se.Message)
	e.Err = err
	return e
}
