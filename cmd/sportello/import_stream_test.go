package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// TestImportSameRowTwice: of two rows with the same content and files, the first is registered
// and the second fails naming its registration — in the first run and in a second, where both
// are answered by the server (the tool keeps numbers, not rows); --check names the first row.
func TestImportSameRowTwice(t *testing.T) {
	s := apptest.Start(t, testdb.SQLiteURL(t))
	src := writeSourceRows(t, "file,subject,sender_name", []string{
		"uno.pdf,Domanda,Mario Rossi", "due.pdf,Altra domanda,Mario Rossi"})
	m, _ := os.ReadFile(filepath.Join(src, "manifest.csv"))
	os.WriteFile(filepath.Join(src, "manifest.csv"), append(m, "uno.pdf,Domanda,Mario Rossi\n"...), 0o644)
	token, report := importerToken(t, s), filepath.Join(t.TempDir(), "report.csv")
	args := []string{"--server", s.URL, "--token-file", token, "--report", report, src}
	for run, want := range []string{"3 rows: 2 registered, 0 already registered, 1 failed", "3 rows: 0 registered, 2 already registered, 1 failed"} {
		code, out := runImport(t, args...)
		raw, _ := os.ReadFile(report)
		if code != 1 || !strings.Contains(out, want) ||
			!strings.Contains(string(raw), "4,uno.pdf,\"same content and files as an earlier row, registered once as PG ") ||
			!strings.Contains(string(raw), "/0000001\"") {
			t.Fatalf("run %d: exit %d\n%s\nreport:\n%s", run+1, code, out, raw)
		}
	}
	if regs := registrations(t, s); len(regs) != 2 {
		t.Fatalf("%d registrations, want 2", len(regs))
	}
	code, out := runImport(t, "--check", "--report", report, src)
	raw, _ := os.ReadFile(report)
	if code != 1 || !strings.Contains(string(raw), "4,uno.pdf,\"same content and files as row 2, registered once\"") {
		t.Fatalf("--check: exit %d\n%s\n%s", code, out, raw)
	}
}

// TestImportReportsAsRowsFail: a row that fails is in the report file while the run goes on,
// not only when it ends (a run killed later leaves it there).
func TestImportReportsAsRowsFail(t *testing.T) {
	s := apptest.Start(t, testdb.SQLiteURL(t))
	target, _ := url.Parse(s.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	release := make(chan struct{})
	held := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			<-release // every registration waits until the report has been looked at
		}
		proxy.ServeHTTP(w, r)
	}))
	defer held.Close()
	src := writeSourceRows(t, "file,subject,sender_name", []string{"vuoto.pdf,,Mario Rossi", "buono.pdf,Domanda,Mario Rossi"})
	report := filepath.Join(t.TempDir(), "report.csv")
	done := make(chan string, 1)
	go func() {
		_, out := runImport(t, "--server", held.URL, "--token-file", importerToken(t, s), "--report", report, src)
		done <- out
	}()
	deadline := time.Now().Add(time.Minute)
	for {
		raw, _ := os.ReadFile(report)
		if strings.Contains(string(raw), "2,vuoto.pdf,subject: is empty") {
			break
		}
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("the failed row is not in the report while the run goes on:\n%s", raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(release)
	if out := <-done; !strings.Contains(out, "2 rows: 1 registered, 0 already registered, 1 failed") {
		t.Fatalf("run:\n%s", out)
	}
}
