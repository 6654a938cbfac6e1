package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// badRows are the rows of importArchive that fail, by index: a missing file, an unknown class,
// an empty subject.
var badRows = map[int]string{3: "missing", 7: "class", 9: "subject"}

// importArchive is an archive of n rows, each its own small PDF.
func importArchive(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	var m strings.Builder
	m.WriteString("file,subject,sender_name,class\n")
	for i := range n {
		name, subject, class := fmt.Sprintf("doc-%04d.pdf", i), fmt.Sprintf("Documento %04d", i), "VI.3"
		switch badRows[i] {
		case "class":
			class = "VI.99"
		case "subject":
			subject = ""
		}
		if badRows[i] != "missing" {
			f, _ := w.Create(name)
			f.Write(apptest.PDF(name))
		}
		fmt.Fprintf(&m, "%s,%s,Mario Rossi,%s\n", name, subject, class)
	}
	f, _ := w.Create("manifest.csv")
	f.Write([]byte(m.String()))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// importView is what the tests read of GET /v1/imports/{id}.
type importView struct {
	ID          string `json:"id"`
	State       string `json:"state"`
	RowsDone    int    `json:"rows_done"`
	RowsFailed  int    `json:"rows_failed"`
	RowsPending int    `json:"rows_pending"`
	Failures    []struct {
		Row    int    `json:"row"`
		Reason string `json:"reason"`
	} `json:"failures"`
}

// httpJSON sends a request to base and decodes a JSON answer, which must have status want.
func httpJSON(t testing.TB, method, url, token, contentType string, body io.Reader, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, url, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
}

// startImport uploads archive to the server at base and returns the import's id.
func startImport(t testing.TB, base, token string, archive []byte) string {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	p, _ := w.CreateFormFile("file", "scansioni.zip")
	p.Write(archive)
	w.Close()
	var im importView
	httpJSON(t, "POST", base+"/v1/imports", token, w.FormDataContentType(), &b, http.StatusAccepted, &im)
	return im.ID
}

// pollImport polls an import until until(im), for at most three minutes.
func pollImport(t testing.TB, base, token, id string, until func(importView) bool) importView {
	t.Helper()
	var im importView
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		httpJSON(t, "GET", base+"/v1/imports/"+id, token, "", nil, http.StatusOK, &im)
		if until(im) {
			return im
		}
	}
	t.Fatalf("import %s: %+v", id, im)
	return im
}

// checkImportResult checks a finished import of importArchive(n): done, the three bad rows
// failed and listed, and PG holds every other row once, numbered 1… in manifest order.
func checkImportResult(t *testing.T, s *apptest.Server, im importView, n int) {
	t.Helper()
	if im.State != "done" || im.RowsDone != n-len(badRows) || im.RowsFailed != len(badRows) || im.RowsPending != 0 {
		t.Fatalf("finished import %+v", im)
	}
	var lines []int
	for _, f := range im.Failures {
		lines = append(lines, f.Row)
	}
	if !slices.Equal(lines, []int{5, 9, 11}) {
		t.Errorf("failed rows %v, want 5, 9, 11", lines)
	}
	var list struct {
		Items []struct {
			Number  int64  `json:"number"`
			Subject string `json:"subject"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	var got []string
	cursor := ""
	for {
		httpJSON(t, "GET", s.URL+"/v1/registrations?register=PG&limit=500&cursor="+cursor, s.AdminToken, "", nil, http.StatusOK, &list)
		for _, r := range list.Items {
			for int64(len(got)) < r.Number {
				got = append(got, "")
			}
			if got[r.Number-1] != "" {
				t.Fatalf("number %d twice", r.Number)
			}
			got[r.Number-1] = r.Subject
		}
		if cursor = list.NextCursor; cursor == "" {
			break
		}
	}
	var want []string
	for i := range n {
		if _, bad := badRows[i]; !bad {
			want = append(want, fmt.Sprintf("Documento %04d", i))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%d registrations (numbered 1…%d), want the %d valid rows once each in manifest order", len(got), len(got), len(want))
	}
}

// fastImports makes import attempts short, and their rescue after a crash quick.
func fastImports(m *app.Main) {
	m.ImportChunk, m.ImportTimeout, m.ImportRescueAfter = 300*time.Millisecond, 3*time.Second, 4*time.Second
}

// TestImportSurvivesRestart: an import whose server stops (gracefully) midway goes on when the
// server starts again on the same data, and ends as it would have: every valid row registered
// once, numbers without gaps, the bad rows failed.
func TestImportSurvivesRestart(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		dir := t.TempDir()
		const n = 150
		m1, base, admin := runMain(t, dir, url)
		imp := newImporter(t, base, admin)
		id := startImport(t, base, imp, importArchive(t, n))
		mid := pollImport(t, base, imp, id, func(im importView) bool { return im.RowsDone >= 20 || im.State == "done" })
		if err := m1.Close(); err != nil {
			t.Fatal(err)
		}
		if mid.State == "done" {
			t.Fatal("the import finished before the restart")
		}
		s := apptest.StartIn(t, dir, url, fastImports)
		im := pollImport(t, s.URL, imp, id, func(im importView) bool { return im.State != "running" && im.State != "queued" })
		checkImportResult(t, s, im, n)
		if left, _ := os.ReadDir(filepath.Join(dir, app.ImportsDir)); len(left) != 0 {
			t.Errorf("working files left: %v", left)
		}
	})
}

// runMain runs a server on dir and url until the test closes it; it returns the server, its
// URL and the admin token.
func runMain(t *testing.T, dir, url string) (*app.Main, string, string) {
	t.Helper()
	cfg, err := app.Load([]string{"--addr", "127.0.0.1:0", "--data", dir, "--database-url", url, "--shutdown-timeout", "15s"},
		func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	m := app.New(cfg, slog.New(slog.DiscardHandler))
	fastImports(m)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, app.AdminKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return m, m.URL(), strings.TrimSpace(string(key))
}

// newImporter creates an importer client and returns its token.
func newImporter(t testing.TB, base, admin string) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	httpJSON(t, "POST", base+"/v1/clients", admin, "application/json",
		strings.NewReader(`{"name":"scanner","roles":["importer"],"offices":[]}`), http.StatusCreated, &out)
	return out.Token
}

// TestImportChildServer is the server TestImportSurvivesKill kills: it runs only as that
// test's child process.
func TestImportChildServer(t *testing.T) {
	dir, url := os.Getenv("SPORTELLO_TEST_CHILD_DATA"), os.Getenv("SPORTELLO_TEST_CHILD_DB")
	if dir == "" {
		t.Skip("run by TestImportSurvivesKill")
	}
	m, base, _ := runMain(t, dir, url)
	defer m.Close()
	if err := os.WriteFile(filepath.Join(dir, "url"), []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	select {} // until killed
}

// TestImportSurvivesKill: an import whose server is killed (SIGKILL) midway — its job left
// running in River's table, and, as a crash between a row's registration and its record
// leaves it, its last registered row not recorded — is rescued by the next server on the same
// data and ends as it would have: every valid row once (the unrecorded row is answered by its
// idempotency key, not registered again), numbers without gaps, the bad rows failed.
func TestImportSurvivesKill(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		dir := t.TempDir()
		const n = 150
		cmd := exec.Command(os.Args[0], "-test.run=^TestImportChildServer$")
		cmd.Env = append(os.Environ(), "SPORTELLO_TEST_CHILD_DATA="+dir, "SPORTELLO_TEST_CHILD_DB="+url)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		var base string
		for deadline := time.Now().Add(time.Minute); base == ""; time.Sleep(50 * time.Millisecond) {
			raw, _ := os.ReadFile(filepath.Join(dir, "url"))
			base = string(raw)
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("the child server did not start")
			}
		}
		key, _ := os.ReadFile(filepath.Join(dir, app.AdminKeyFile))
		imp := newImporter(t, base, strings.TrimSpace(string(key)))
		id := startImport(t, base, imp, importArchive(t, n))
		mid := pollImport(t, base, imp, id, func(im importView) bool { return im.RowsDone >= 20 || im.State == "done" })
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if mid.State == "done" {
			t.Fatal("the import finished before the kill")
		}
		raw := testdb.RawDB(t, url)
		var running int
		if err := raw.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'run_import' AND state = 'running'`).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running != 1 {
			t.Logf("the kill left %d running import jobs (the job was between attempts)", running)
		}
		// The crash came after the last recorded row's registration committed and before its
		// record: the row is pending again, its registration made.
		if _, err := raw.Exec(fmt.Sprintf(`UPDATE import_rows SET state = 'pending', registration_id = NULL
			WHERE import_id = '%[1]s' AND n = (SELECT max(n) FROM import_rows WHERE import_id = '%[1]s' AND state = 'done')`,
			id)); err != nil {
			t.Fatal(err)
		}
		s := apptest.StartIn(t, dir, url, fastImports)
		im := pollImport(t, s.URL, imp, id, func(im importView) bool { return im.State != "running" && im.State != "queued" })
		checkImportResult(t, s, im, n)
	})
}
