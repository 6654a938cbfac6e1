package app_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/internal/tinydisk"
)

// answer is the status, Retry-After and problem code of one response.
type answer struct {
	request    string
	status     int
	retryAfter string
	code       string
	health     string
	warnings   []string
}

// call sends a request and reads what a fault test checks of its answer.
func call(t *testing.T, s *apptest.Server, method, path, token, contentType string, body io.Reader) answer {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out struct {
		Code     string   `json:"code"`
		Status   any      `json:"status"`
		Warnings []string `json:"warnings"`
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	health, _ := out.Status.(string)
	return answer{request: method + " " + path, status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), code: out.Code, health: health, warnings: out.Warnings}
}

func postRegistration(t *testing.T, s *apptest.Server, token, subject string) answer {
	t.Helper()
	ct, body := apptest.Multipart(apptest.Incoming(subject),
		apptest.Part{Name: "document", Filename: "istanza.pdf", Content: apptest.PDF(subject)})
	return call(t, s, "POST", "/v1/registrations", token, ct, body)
}

// TestDiskFull: with the data directory (blobs, and the SQLite database) on a full file
// system, a registration is 507 insufficient_storage and takes no number, /readyz says the
// instance is degraded, and once space is freed the next registration takes the next number
// and /readyz recovers.
func TestDiskFull(t *testing.T) {
	for _, engine := range testdb.Names() {
		t.Run(engine, func(t *testing.T) {
			dir := tinydisk.Mount(t, "32m")
			dbURL := "sqlite:" + dir + "/sportello.db"
			if engine == testdb.Postgres {
				dbURL = testdb.PostgresURL(t)
			}
			s := apptest.StartIn(t, dir, dbURL)
			op := s.NewClient(t, "operator", []string{"protocol_operator"})
			if r := register(t, s, op, "", "prima"); r.Number != 1 {
				t.Fatalf("first number %d", r.Number)
			}
			free := tinydisk.Fill(t, dir)
			if a := postRegistration(t, s, op, "disco pieno"); a.status != http.StatusInsufficientStorage || a.code != "insufficient_storage" {
				t.Fatalf("registration on a full disk: %+v, want 507 insufficient_storage", a)
			}
			ready := call(t, s, "GET", "/readyz", "", "", nil)
			if ready.status != http.StatusOK || ready.health != "degraded" || len(ready.warnings) == 0 ||
				!strings.Contains(ready.warnings[0], "disk is full") {
				t.Fatalf("/readyz on a full disk: %+v, want 200 degraded with a warning", ready)
			}
			free()
			if r := register(t, s, op, "", "dopo"); r.Number != 2 {
				t.Fatalf("number after the disk was full: %d, want 2 (none taken by the refused one)", r.Number)
			}
			if ready := call(t, s, "GET", "/readyz", "", "", nil); ready.status != http.StatusOK || ready.health != "ok" {
				t.Fatalf("/readyz after space was freed: %+v, want ok", ready)
			}
		})
	}
}

// TestDatabaseBackendsTerminated: PostgreSQL ending the server's connections (an
// administrator, a failover) never gives 500: a request either succeeds on a new connection or
// is 503 with Retry-After.
func TestDatabaseBackendsTerminated(t *testing.T) {
	s := apptest.Start(t, testdb.PostgresURL(t))
	op := s.NewClient(t, "operator", []string{"protocol_operator"})
	register(t, s, op, "", "prima")
	db := testdb.RawDB(t, s.DatabaseURL)
	u, _ := url.Parse(s.DatabaseURL)
	for round := range 3 {
		if _, err := db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
			strings.TrimPrefix(u.Path, "/")); err != nil {
			t.Fatal(err)
		}
		for _, a := range []answer{
			call(t, s, "GET", "/v1/registrations", op, "", nil),
			postRegistration(t, s, op, "dopo la chiusura"),
			call(t, s, "GET", "/v1/dossiers", op, "", nil),
		} {
			ok := a.status < 300 || (a.status == http.StatusServiceUnavailable && a.retryAfter != "" && a.code == "unavailable")
			if !ok {
				t.Fatalf("round %d: answer after the backends were terminated: %+v, want success or 503 unavailable with Retry-After", round, a)
			}
		}
	}
}

// TestDatabaseUnreachable: with the database unreachable (connections cut, the port closed)
// requests are 503 unavailable with Retry-After, /readyz too, and no number is taken: once the
// database is back the next registration takes the next number.
func TestDatabaseUnreachable(t *testing.T) {
	dbURL := testdb.PostgresURL(t)
	u, _ := url.Parse(dbURL)
	p := startProxy(t, "127.0.0.1:0", u.Host)
	u.Host = p.addr
	s := apptest.Start(t, u.String())
	op := s.NewClient(t, "operator", []string{"protocol_operator"})
	if r := register(t, s, op, "", "prima"); r.Number != 1 {
		t.Fatalf("first number %d", r.Number)
	}
	unused := s.NewClient(t, "clerk", []string{"clerk"}) // its key is not cached: checking it needs the database
	p.close()
	for _, a := range []answer{
		call(t, s, "GET", "/v1/registrations", op, "", nil),
		call(t, s, "GET", "/v1/me", unused, "", nil),
		postRegistration(t, s, op, "database irraggiungibile"),
		call(t, s, "GET", "/v1/dossiers", op, "", nil),
	} {
		if a.status != http.StatusServiceUnavailable || a.code != "unavailable" || a.retryAfter == "" {
			t.Fatalf("answer with the database unreachable: %+v, want 503 unavailable with Retry-After", a)
		}
	}
	if a := call(t, s, "GET", "/readyz", "", "", nil); a.status != http.StatusServiceUnavailable || a.retryAfter == "" {
		t.Fatalf("/readyz with the database unreachable: %+v, want 503 with Retry-After", a)
	}
	startProxy(t, p.addr, p.target)
	// Connections the pool held across the outage fail once more when next used: a client
	// retries those 503s, as Retry-After tells it to.
	var r registration
	for attempt := 0; ; attempt++ {
		var err error
		if r, err = post(s, op, "", "dopo"); err == nil {
			break
		}
		if attempt == 20 || !strings.Contains(err.Error(), "= 503") {
			t.Fatalf("once the database is back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r.Number != 2 {
		t.Fatalf("number once the database is back: %d, want 2", r.Number)
	}
}

// proxy forwards TCP connections to target until closed, when it also cuts the connections it
// carries: the database then looks gone, as when its host or the network fails.
type proxy struct {
	addr, target string
	ln           net.Listener
	mu           sync.Mutex
	conns        []net.Conn
}

func startProxy(t *testing.T, addr, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String(), target: target, ln: ln}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
