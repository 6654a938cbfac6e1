package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// binary is the sportello command built once for the process-level tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sportello-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "sportello")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a sportello server running as its own OS process.
type process struct {
	cmd *exec.Cmd
	url string
}

// start runs `sportello serve` on dataDir and databaseURL, with env added to its environment,
// and waits until it listens.
func start(t *testing.T, dataDir, databaseURL string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "SPORTELLO_ADDR=127.0.0.1:0", "SPORTELLO_DATA="+dataDir,
		"SPORTELLO_DATABASE_URL="+databaseURL, "SPORTELLO_LOG_FORMAT=json")
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				found <- line.Addr
			}
			if testing.Verbose() && !bytes.Contains(sc.Bytes(), []byte(`"http request"`)) {
				t.Log(sc.Text())
			}
		}
		close(found)
	}()
	select {
	case addr, ok := <-found:
		if !ok {
			t.Fatal("sportello exited before listening")
		}
		p.url = "http://" + addr
	case <-time.After(60 * time.Second):
		t.Fatal("sportello did not start listening")
	}
	return p
}

func (p *process) server(t *testing.T, dataDir string) *apptest.Server {
	key, err := os.ReadFile(filepath.Join(dataDir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	return &apptest.Server{URL: p.url, AdminToken: strings.TrimSpace(string(key)), DataDir: dataDir}
}

func registerNumber(t *testing.T, s *apptest.Server, token string) int64 {
	t.Helper()
	ct, body := apptest.Multipart(apptest.Incoming("istanza"), apptest.Part{Name: "document", Filename: "a.pdf", Content: apptest.PDF("x")})
	var r struct{ Number int64 }
	s.Do(t, "POST", "/v1/registrations", token, ct, body, http.StatusCreated, &r)
	return r.Number
}

// TestSurvivesKill: after kill -9 the data is there and the next registration
// continues the sequence.
func TestSurvivesKill(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		data := t.TempDir()
		p := start(t, data, url)
		s := p.server(t, data)
		info, err := os.Stat(filepath.Join(data, "admin.key"))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("admin.key: %v, mode %v; want 0600", err, info.Mode().Perm())
		}
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		for want := int64(1); want <= 3; want++ {
			if n := registerNumber(t, s, op); n != want {
				t.Fatalf("number %d, want %d", n, want)
			}
		}
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()

		p = start(t, data, url)
		s = p.server(t, data)
		if n := registerNumber(t, s, op); n != 4 {
			t.Fatalf("after kill -9 the next number is %d, want 4", n)
		}
	})
}

// TestGracefulShutdown: SIGTERM stops the server cleanly with exit status 0.
func TestGracefulShutdown(t *testing.T) {
	data := t.TempDir()
	p := start(t, data, "sqlite:"+filepath.Join(data, "sportello.db"))
	if resp, err := http.Get(p.url + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
}

// TestKeysCreate: `sportello keys create` prints a working key once.
func TestKeysCreate(t *testing.T) {
	data := t.TempDir()
	var out bytes.Buffer
	env := func(k string) string {
		if k == "SPORTELLO_DATA" {
			return data
		}
		return ""
	}
	err := run(context.Background(), []string{"keys", "create", "--name", "records", "--role", "records_officer"}, env, &out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	token := lines[len(lines)-1]
	if !strings.HasPrefix(token, "spt_") {
		t.Fatalf("no token in %q", out.String())
	}
	p := start(t, data, "sqlite:"+filepath.Join(data, "sportello.db"))
	req, _ := http.NewRequest("GET", p.url+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "records_officer") {
		t.Fatalf("GET /v1/me with the new key = %d %s", resp.StatusCode, body)
	}
	err = run(context.Background(), []string{"keys", "create", "--name", "bad", "--role", "emperor"}, env, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "roles[0]") {
		t.Fatalf("unknown role: %v", err)
	}
}

// TestMigrate: `sportello migrate` applies the schema and reports its version.
func TestMigrate(t *testing.T) {
	data := t.TempDir()
	var out bytes.Buffer
	err := run(context.Background(), []string{"migrate", "--data", data}, func(string) string { return "" }, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "database schema at version ") {
		t.Fatalf("migrate printed %q", out.String())
	}
}
