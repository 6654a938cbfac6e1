package smtpsend_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/mailtest"
	"github.com/sportello/sportello/mail/smtpsend"
)

var raw = []byte("From: <aoo-a@pec.test>\r\nTo: <aoo-b@pec.test>\r\nSubject: prova\r\n\r\ntesto\r\n")

func TestPermanentRefusalIsValidation(t *testing.T) {
	srv := mailtest.Start(t)
	srv.AddUser("aoo-a@pec.test", "pw")
	srv.AddUser("aoo-b@pec.test", "pw")
	s, err := smtpsend.New(smtpsend.Config{URL: srv.SMTPURL(), Username: "aoo-a@pec.test", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"nobody@elsewhere.test", "nobody@pec.test"} {
		err := s.Send(context.Background(), "aoo-a@pec.test", []string{"aoo-b@pec.test", to}, raw)
		if domain.CodeOf(err) != domain.ECValidation || !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), to) {
			t.Errorf("Send to %s = %v; want ECValidation naming 550 and the recipient", to, err)
		}
	}
	if got := srv.Messages(t, "aoo-b@pec.test"); len(got) != 0 {
		t.Errorf("%d messages delivered from refused transactions", len(got))
	}
	bad, _ := smtpsend.New(smtpsend.Config{URL: srv.SMTPURL(), Username: "aoo-a@pec.test", Password: "wrong"})
	if err := bad.Send(context.Background(), "aoo-a@pec.test", []string{"aoo-b@pec.test"}, raw); domain.CodeOf(err) != domain.ECValidation {
		t.Errorf("Send with a wrong password = %v; want ECValidation", err)
	}
}

// relay is an SMTP server of the test's own: it records what it accepts and answers RCPT TO
// with rcptErr when set.
type relay struct {
	mu      sync.Mutex
	got     [][]byte
	rcptErr error
}

func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }

func (r *relay) messages() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got
}

type relaySession struct{ r *relay }

func (x *relaySession) Reset()                               {}
func (x *relaySession) Logout() error                        { return nil }
func (x *relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (x *relaySession) Rcpt(string, *smtp.RcptOptions) error { return x.r.rcptErr }
func (x *relaySession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	x.r.mu.Lock()
	x.r.got = append(x.r.got, b)
	x.r.mu.Unlock()
	return err
}

// serve starts r on loopback, with STARTTLS when cert is set (implicit TLS when implicit).
func serve(t *testing.T, r *relay, cert *tls.Certificate, implicit bool) string {
	t.Helper()
	srv := smtp.NewServer(r)
	srv.Domain = "mail.example.it"
	srv.AllowInsecureAuth = true
	var l net.Listener
	var err error
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	if implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// to makes every dial reach addr, so that a name that is not loopback reaches the test's server.
func to(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
}

func TestTemporaryRefusal(t *testing.T) {
	r := &relay{rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}}
	addr := serve(t, r, nil, false)
	s, _ := smtpsend.New(smtpsend.Config{URL: "smtp://" + addr})
	err := s.Send(context.Background(), "a@x.test", []string{"b@x.test"}, raw)
	if err == nil || domain.CodeOf(err) != domain.ECInternal {
		t.Fatalf("Send = %v; want a temporary (non-domain) error", err)
	}
}

func TestStartTLSRequired(t *testing.T) {
	r := &relay{}
	addr := serve(t, r, nil, false)
	s, err := smtpsend.New(smtpsend.Config{URL: "smtp://mail.example.it:587", Dial: to(addr), Username: "u", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), "a@x.test", []string{"b@x.test"}, raw)
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || domain.CodeOf(err) == domain.ECValidation {
		t.Fatalf("Send to a relay without STARTTLS = %v; want a refusal naming STARTTLS", err)
	}
	if len(r.messages()) != 0 {
		t.Fatal("the message was sent in plain text")
	}
	// Said explicitly, plain text is allowed.
	s, _ = smtpsend.New(smtpsend.Config{URL: "smtp://mail.example.it:587?tls=none", Dial: to(addr)})
	if err := s.Send(context.Background(), "a@x.test", []string{"b@x.test"}, raw); err != nil || len(r.messages()) != 1 {
		t.Fatalf("Send with tls=none = %v", err)
	}
}

func TestTLS(t *testing.T) {
	cert, pool := testCert(t, "mail.example.it")
	for _, implicit := range []bool{false, true} {
		r := &relay{}
		addr := serve(t, r, &cert, implicit)
		url := "smtp://mail.example.it"
		if implicit {
			url = "smtps://mail.example.it"
		}
		s, _ := smtpsend.New(smtpsend.Config{URL: url, Dial: to(addr), TLS: &tls.Config{RootCAs: pool}, Timeout: 10 * time.Second})
		if err := s.Send(context.Background(), "a@x.test", []string{"b@x.test"}, raw); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if got := r.messages(); len(got) != 1 || !bytes.HasSuffix(got[0], raw[len(raw)-8:]) {
			t.Fatalf("%s: relay got %q", url, got)
		}
		// Without the test CA the certificate does not verify.
		s, _ = smtpsend.New(smtpsend.Config{URL: url, Dial: to(addr)})
		if err := s.Send(context.Background(), "a@x.test", []string{"b@x.test"}, raw); err == nil {
			t.Fatalf("%s: sent to a relay with an unknown CA", url)
		}
	}
}

func TestURL(t *testing.T) {
	for _, u := range []string{"http://x", "smtps://x?tls=none", "smtp://", "smtp://x?tls=maybe"} {
		if _, err := smtpsend.New(smtpsend.Config{URL: u}); domain.CodeOf(err) != domain.ECValidation {
			t.Errorf("New(%q) = %v; want ECValidation", u, err)
		}
	}
}

// testCert is a self-signed certificate for name and the pool that trusts it.
func testCert(t *testing.T, name string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}
