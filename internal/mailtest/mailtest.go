// Package mailtest starts real mail servers on loopback for a test, and stops them at cleanup:
// a Dovecot (Debian dovecot-imapd and dovecot-lmtpd) serving IMAP and LMTP, and an SMTP relay in
// the test process (go-smtp) that delivers every message it accepts into the recipients'
// Dovecot mailboxes.
//
//	srv := mailtest.Start(t)          // or mailtest.Start(t, mailtest.PEC)
//	srv.AddUser("aoo-a@pec.test", "pw")
//	srv.SMTPURL()                     // smtp://127.0.0.1:PORT?tls=none, for mail/smtpsend
//	srv.IMAPURL("aoo-a@pec.test")     // imap://aoo-a%40pec.test@127.0.0.1:PORT/INBOX?tls=none
//	srv.Messages(t, "aoo-a@pec.test") // the mailbox's messages, byte for byte, in UID order
//
// Dovecot runs as `dovecot -F -c CONF` with a configuration of its own in a fresh directory
// (listening on 127.0.0.1 only, free ports, no TLS, a passwd-file of plain passwords that
// AddUser appends to, one maildir per user); without the dovecot binary the test is skipped
// with the package to install. When the test runs as root, mail is stored as user nobody
// (Dovecot refuses to store it as root), otherwise as the running user.
//
// The relay delivers by LMTP, Dovecot's own delivery protocol, rather than IMAP APPEND: it
// needs no password of the recipient, reports per recipient, and stores messages the way a
// real provider's delivery does. Dovecot adds one trace header at delivery, Return-Path (RFC
// 5321 §4.4); its Received and Delivered-To headers are turned off, so a message read back is
// "Return-Path: <sender>\r\n" followed by the bytes sent, line ends as CRLF. The relay accepts
// AUTH PLAIN against the users' passwords but does not require it unless started with
// RequireAuth; Submissions lists who sent what. Recipients of a domain with no user are refused
// with 550 5.7.1, unknown users of a known domain with 550 5.1.1.
//
// Append, CreateFolder and RecreateFolder fill and renumber folders directly over IMAP (a
// folder deleted and created again gets a new UIDVALIDITY).
//
// PEC mode (the PEC option) makes the relay behave as a PEC provider; see PEC.
package mailtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap"
	imapclient "github.com/emersion/go-imap/client"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Option changes how Start sets up the servers.
type Option func(*Server)

// Server is a running Dovecot and relay pair.
type Server struct {
	dir              string // configuration, log, passwd-file, maildirs, sockets
	conf             string
	imapPort, lmtp   int
	smtpAddr         string
	mailUID, mailGID int
	dovecot          *exec.Cmd
	exited           chan struct{}
	pec              bool
	provider         tls.Certificate // PEC mode's signing certificate

	requireAuth bool

	mu          sync.Mutex
	users       map[string]string // address → password
	domains     map[string]bool
	failing     map[string]bool
	virus       map[string]bool
	notAccept   func(raw []byte) (errore, detail string)
	alter       func(raw []byte) []byte
	submissions []Submission
}

// RequireAuth makes the relay refuse MAIL FROM (530 5.7.0) in a session that has not
// authenticated, as a provider's submission server does.
func RequireAuth(s *Server) { s.requireAuth = true }

// Submission is one message the relay accepted: the user its session authenticated as ("" for
// none), the envelope sender and recipients.
type Submission struct {
	User, From string
	To         []string
}

// Submissions lists the messages the relay accepted, in order.
func (s *Server) Submissions() []Submission {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.submissions)
}

// Start starts Dovecot and the relay for t, and stops them at t.Cleanup. It skips t when
// Dovecot is not installed.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin := dovecotPath()
	if _, err := os.Stat("/usr/lib/dovecot/imap"); err == nil {
		if _, err := os.Stat("/usr/lib/dovecot/lmtp"); err != nil {
			bin = "" // dovecot-imapd without dovecot-lmtpd
		}
	}
	if bin == "" {
		t.Skip("dovecot is not installed: apt-get install dovecot-imapd dovecot-lmtpd")
	}
	// A short directory of its own rather than t.TempDir(): Dovecot's unix sockets live in it
	// (their paths are limited to about 100 bytes) and the mail user must be able to enter it.
	dir, err := os.MkdirTemp("", "mailtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{dir: dir, users: map[string]string{}, domains: map[string]bool{}, failing: map[string]bool{}, virus: map[string]bool{}}
	for _, o := range opts {
		o(s)
	}
	if s.pec {
		if s.provider, err = newProvider(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.configure(); err != nil {
		t.Fatal(err)
	}
	if err := s.startDovecot(bin); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stopDovecot)
	if err := s.startRelay(t); err != nil {
		t.Fatal(err)
	}
	return s
}

func dovecotPath() string {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/dovecot"); err == nil {
		return "/usr/sbin/dovecot"
	}
	return ""
}

// freePort returns a loopback port nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) configure() error {
	var err error
	if s.imapPort, err = freePort(); err != nil {
		return err
	}
	if s.lmtp, err = freePort(); err != nil {
		return err
	}
	internal := ""
	s.mailUID, s.mailGID = os.Getuid(), os.Getgid()
	if s.mailUID == 0 {
		s.mailUID, s.mailGID = 65534, 65534
		if err := os.Chmod(s.dir, 0o755); err != nil {
			return err
		}
	} else {
		u, err := user.Current()
		if err != nil {
			return err
		}
		internal = fmt.Sprintf("default_login_user = %s\ndefault_internal_user = %s\n", u.Username, u.Username)
	}
	mail := filepath.Join(s.dir, "mail")
	if err := os.Mkdir(mail, 0o755); err != nil {
		return err
	}
	if err := os.Chown(mail, s.mailUID, s.mailGID); err != nil && os.Getuid() == 0 {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.dir, "users"), nil, 0o644); err != nil {
		return err
	}
	s.conf = filepath.Join(s.dir, "dovecot.conf")
	conf := fmt.Sprintf(dovecotConf, s.dir, internal, s.imapPort, s.lmtp)
	return os.WriteFile(s.conf, []byte(conf), 0o644)
}

// dovecotConf is the whole configuration: nothing of /etc/dovecot is read.
const dovecotConf = `base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
instance_name = mailtest
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
%[2]smail_location = maildir:%[1]s/mail/%%u
lmtp_add_received_header = no
lmtp_hdr_delivery_address = none
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/users
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[1]s/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[3]d
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %[4]d
  }
}
`

func (s *Server) startDovecot(bin string) error {
	// A file, not a buffer: Wait would wait for every child holding the pipe.
	out, err := os.Create(filepath.Join(s.dir, "dovecot.out"))
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(bin, "-F", "-c", s.conf)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	s.dovecot, s.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("dovecot exited: %s", s.log())
		default:
		}
		if answers(s.imapPort, "* OK") && answers(s.lmtp, "220") {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stopDovecot()
	return fmt.Errorf("dovecot did not answer on 127.0.0.1:%d: %s", s.imapPort, s.log())
}

// answers reports whether a server on port greets with prefix.
func answers(port int, prefix string) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, prefix)
}

func (s *Server) stopDovecot() {
	if s.dovecot == nil {
		return
	}
	s.dovecot.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.dovecot.Process.Kill()
		<-s.exited
	}
	s.dovecot = nil
}

// log is what Dovecot wrote on its standard output and to its log.
func (s *Server) log() []byte {
	a, _ := os.ReadFile(filepath.Join(s.dir, "dovecot.out"))
	b, _ := os.ReadFile(filepath.Join(s.dir, "dovecot.log"))
	return append(a, b...)
}

// Restart stops Dovecot and starts it again on the same ports and mailboxes (to check what
// survives a server restart, such as UIDs).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.stopDovecot()
	if err := s.startDovecot(dovecotPath()); err != nil {
		t.Fatal(err)
	}
}

// AddUser creates the mailbox addr with password pw; addr's domain becomes one the relay
// delivers to. Passwords must not contain ':'.
func (s *Server) AddUser(addr, pw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	addr = strings.ToLower(addr)
	s.users[addr] = pw
	s.domains[domainOf(addr)] = true
	line := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::\n", addr, pw, s.mailUID, s.mailGID, filepath.Join(s.dir, "mail", addr))
	f, err := os.OpenFile(filepath.Join(s.dir, "users"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line); err != nil {
		panic(err)
	}
}

func domainOf(addr string) string {
	return strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])
}

// SMTPURL is the relay's URL for mail/smtpsend (no TLS, loopback).
func (s *Server) SMTPURL() string { return "smtp://" + s.smtpAddr + "?tls=none" }

// SMTPAddr is the relay's host:port.
func (s *Server) SMTPAddr() string { return s.smtpAddr }

// IMAPAddr is Dovecot's IMAP host:port.
func (s *Server) IMAPAddr() string { return "127.0.0.1:" + strconv.Itoa(s.imapPort) }

// IMAPURL is the URL of user's INBOX for mail/imapbox (no TLS, loopback); the password is
// the one given to AddUser.
func (s *Server) IMAPURL(user string) string {
	u := url.URL{Scheme: "imap", User: url.User(user), Host: s.IMAPAddr(), Path: "/INBOX", RawQuery: "tls=none"}
	return u.String()
}

// Password is user's password as given to AddUser.
func (s *Server) Password(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[strings.ToLower(user)]
}

// Messages returns user's INBOX, each message byte for byte as IMAP serves it, in UID order.
func (s *Server) Messages(t testing.TB, user string) [][]byte {
	t.Helper()
	msgs, err := s.messages(user)
	if err != nil {
		t.Fatalf("mailtest: reading %s: %v", user, err)
	}
	return msgs
}

func (s *Server) messages(user string) ([][]byte, error) {
	c, err := imapclient.Dial(s.IMAPAddr())
	if err != nil {
		return nil, err
	}
	defer c.Logout()
	c.Timeout = 30 * time.Second
	if err := c.Login(user, s.Password(user)); err != nil {
		return nil, err
	}
	st, err := c.Select("INBOX", true)
	if err != nil || st.Messages == 0 {
		return nil, err
	}
	set := new(imap.SeqSet)
	set.AddRange(1, 0)
	section := &imap.BodySectionName{Peek: true}
	ch := make(chan *imap.Message, 16)
	done := make(chan error, 1)
	go func() { done <- c.UidFetch(set, []imap.FetchItem{imap.FetchUid, section.FetchItem()}, ch) }()
	var out [][]byte
	for m := range ch {
		b, err := io.ReadAll(m.GetBody(section))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, <-done
}

// startRelay serves SMTP on a free loopback port until t ends.
func (s *Server) startRelay(t testing.TB) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 64 << 20
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.ErrorLog = discardLogger{}
	s.smtpAddr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return nil
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}

// session is one SMTP connection of the relay: the user it authenticated as, and the
// transaction under way.
type session struct {
	s    *Server
	user string
	from string
	to   []string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if pw := x.s.Password(username); pw == "" || pw != password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Invalid credentials"}
		}
		x.user = strings.ToLower(username)
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.requireAuth && x.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := x.s.accepts(to); err != nil {
		return err
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.submissions = append(x.s.submissions, Submission{User: x.user, From: x.from, To: slices.Clone(x.to)})
	x.s.mu.Unlock()
	if x.s.pec {
		return x.s.certify(x.from, x.to, raw)
	}
	return x.s.deliver(x.from, x.to, x.s.altered(raw))
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// accepts is the relay's answer to RCPT TO.
func (s *Server) accepts(to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	to = strings.ToLower(to)
	switch {
	case s.pec && s.failing[to]:
		return nil // accepted now, its delivery fails later (errore-consegna)
	case !s.domains[domainOf(to)]:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied for " + to}
	case s.users[to] == "":
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user " + to}
	}
	return nil
}

// Alter sets a hook that rewrites every message in transit before it is delivered (in PEC mode:
// the original inside the envelope), to simulate tampering; nil removes it.
func (s *Server) Alter(fn func(raw []byte) []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alter = fn
}

func (s *Server) altered(raw []byte) []byte {
	s.mu.Lock()
	fn := s.alter
	s.mu.Unlock()
	if fn == nil {
		return raw
	}
	return fn(bytes.Clone(raw))
}

// deliver hands raw to Dovecot by LMTP for every recipient in to.
func (s *Server) deliver(from string, to []string, raw []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(s.lmtp))
	if err != nil {
		return err
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("relay.test"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	_, err = w.CloseWithLMTPResponse() // an LMTPDataError names each recipient that failed
	return err
}

// imapLogin opens an IMAP connection to Dovecot as user.
func (s *Server) imapLogin(user string) (*imapclient.Client, error) {
	c, err := imapclient.Dial(s.IMAPAddr())
	if err != nil {
		return nil, err
	}
	c.Timeout = 30 * time.Second
	if err := c.Login(user, s.Password(user)); err != nil {
		c.Logout()
		return nil, err
	}
	return c, nil
}

// Append stores each of msgs in user's folder (INBOX, or one CreateFolder made) over IMAP, as
// they are, quicker than delivering them one by one through the relay.
func (s *Server) Append(t testing.TB, user, folder string, msgs ...[]byte) {
	t.Helper()
	c, err := s.imapLogin(user)
	if err != nil {
		t.Fatalf("mailtest: append to %s: %v", user, err)
	}
	defer c.Logout()
	for _, raw := range msgs {
		if err := c.Append(folder, nil, time.Time{}, bytes.NewReader(raw)); err != nil {
			t.Fatalf("mailtest: append to %s/%s: %v", user, folder, err)
		}
	}
}

// CreateFolder creates folder in user's mail.
func (s *Server) CreateFolder(t testing.TB, user, folder string) {
	t.Helper()
	c, err := s.imapLogin(user)
	if err != nil {
		t.Fatalf("mailtest: create %s: %v", folder, err)
	}
	defer c.Logout()
	if err := c.Create(folder); err != nil {
		t.Fatalf("mailtest: create %s/%s: %v", user, folder, err)
	}
}

// RecreateFolder deletes user's folder with its messages and creates it again, empty: IMAP
// gives it a new UIDVALIDITY, so that its UIDs start again. It returns the old and the new
// UIDVALIDITY.
func (s *Server) RecreateFolder(t testing.TB, user, folder string) (was, now uint32) {
	t.Helper()
	c, err := s.imapLogin(user)
	if err != nil {
		t.Fatalf("mailtest: recreate %s: %v", folder, err)
	}
	defer c.Logout()
	st, err := c.Status(folder, []imap.StatusItem{imap.StatusUidValidity})
	if err != nil {
		t.Fatalf("mailtest: status of %s/%s: %v", user, folder, err)
	}
	if err := c.Delete(folder); err != nil {
		t.Fatalf("mailtest: delete %s/%s: %v", user, folder, err)
	}
	if err := c.Create(folder); err != nil {
		t.Fatalf("mailtest: create %s/%s: %v", user, folder, err)
	}
	st2, err := c.Status(folder, []imap.StatusItem{imap.StatusUidValidity})
	if err != nil {
		t.Fatalf("mailtest: status of %s/%s: %v", user, folder, err)
	}
	if st2.UidValidity == st.UidValidity {
		t.Fatalf("mailtest: %s/%s recreated with the same UIDVALIDITY %d", user, folder, st.UidValidity)
	}
	return st.UidValidity, st2.UidValidity
}

// Copy copies every message of user's folder from into folder to in one IMAP command, on the
// server's side: a mailbox fills at once, as if its messages had all just arrived.
func (s *Server) Copy(t testing.TB, user, from, to string) {
	t.Helper()
	c, err := s.imapLogin(user)
	if err != nil {
		t.Fatalf("mailtest: copy %s to %s: %v", from, to, err)
	}
	defer c.Logout()
	if _, err := c.Select(from, false); err != nil {
		t.Fatalf("mailtest: select %s/%s: %v", user, from, err)
	}
	set := new(imap.SeqSet)
	set.AddRange(1, 0)
	if err := c.UidCopy(set, to); err != nil {
		t.Fatalf("mailtest: copy %s/%s to %s: %v", user, from, to, err)
	}
}
