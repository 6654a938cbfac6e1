package page_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// artefacts are what a real server hands out: a receipt (PDF and JSON) and a package.
type artefacts struct {
	s              *apptest.Server
	pdf, json, pkg []byte
	fingerprint    string
	document       string // a document inside the package
}

// serverArtefacts registers two documents on a real server, files them in a dossier and has
// its package built, and fetches the first registration's receipt as PDF and JSON.
func serverArtefacts(t *testing.T) artefacts {
	s := apptest.Start(t, testdb.SQLiteURL(t), apptest.WithConfig(func(cfg *app.Config) { cfg.CheckpointEvery = 20 * time.Millisecond }))
	s.NewOffice(t, "TEC", "Ufficio tecnico")
	op := s.NewClient(t, "operator", []string{"protocol_operator"})
	ro := s.NewClient(t, "records", []string{"records_officer"})
	var d struct{ ID string }
	s.Do(t, "POST", "/v1/dossiers", op, "application/json",
		strings.NewReader(`{"class":"VI.3","subject":"Pratica","type":"affare","office":"TEC"}`), http.StatusCreated, &d)
	var first string
	for i := range 2 {
		subject := "Istanza " + strconv.Itoa(i+1)
		ct, body := apptest.Multipart(apptest.Incoming(subject), apptest.Part{Name: "document", Filename: "a.pdf", Content: apptest.PDF(subject)},
			apptest.Part{Name: "attachment", Filename: "b.pdf", Content: apptest.PDF(subject + " allegato")})
		var reg struct {
			Register        string `json:"register"`
			Year            int    `json:"year"`
			NumberFormatted string `json:"number_formatted"`
		}
		s.Do(t, "POST", "/v1/registrations", op, ct, body, http.StatusCreated, &reg)
		ref := reg.Register + "/" + strconv.Itoa(reg.Year) + "/" + reg.NumberFormatted
		if first == "" {
			first = ref
		}
		s.Do(t, "POST", "/v1/dossiers/"+d.ID+"/items", op, "application/json", strings.NewReader(`{"registration":"`+ref+`"}`), http.StatusOK, nil)
	}
	var p struct{ ID, State, Reason string }
	s.Do(t, "POST", "/v1/archive/packages", ro, "application/json", strings.NewReader(`{"dossier":"`+d.ID+`"}`), http.StatusAccepted, &p)
	for deadline := time.Now().Add(60 * time.Second); p.State != "ready"; time.Sleep(50 * time.Millisecond) {
		s.Do(t, "GET", "/v1/archive/packages/"+p.ID, ro, "", nil, http.StatusOK, &p)
		if p.State == "failed" || time.Now().After(deadline) {
			t.Fatalf("package %s %s", p.State, p.Reason)
		}
	}
	var info struct {
		Signing struct{ Fingerprint string } `json:"signing"`
	}
	s.Do(t, "GET", "/v1/info", op, "", nil, http.StatusOK, &info)
	a := artefacts{s: s, fingerprint: info.Signing.Fingerprint,
		pdf:  get(t, s, op, "/v1/registrations/"+first+"/receipt", "application/pdf"),
		json: get(t, s, op, "/v1/registrations/"+first+"/receipt", "application/json"),
		pkg:  get(t, s, ro, "/v1/archive/packages/"+p.ID+"/content", "")}
	zr, err := zip.NewReader(bytes.NewReader(a.pkg), int64(len(a.pkg)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if a.document == "" && strings.Contains(f.Name, "/document/") {
			a.document = f.Name
		}
	}
	return a
}

func get(t *testing.T, s *apptest.Server, token, path, accept string) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s (%v)", path, resp.StatusCode, b, err)
	}
	return b
}

// editZip returns z with one entry's bytes changed by edit.
func editZip(t *testing.T, z []byte, name string, edit func([]byte) []byte) []byte {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var entries []archive.Entry
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name {
			data = edit(data)
		}
		entries = append(entries, archive.Entry{Path: f.Name, Data: data})
	}
	out, err := archive.WriteZip(entries)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// browser starts headless Chromium with a fresh profile, or skips the test without it.
func browser(t *testing.T) context.Context {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is not installed (Debian package chromium; .ci/run installs it)", chromiumPath)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return ctx
}

// pageResult is what the page shows after verifying one file.
type pageResult struct {
	verdict string
	failed  []string // the Italian and English names of the checks shown as failed
	notes   string
}

// verifyInPage opens /verify, waits for the verifier, chooses the file and reads the result.
func verifyInPage(t *testing.T, ctx context.Context, baseURL, path, fingerprint string) pageResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(baseURL + "/verify"),
		chromedp.WaitReady(chromedp.CSS(`#status[data-state="ready"]`)),
	}
	if fingerprint != "" {
		steps = append(steps, chromedp.Click(chromedp.CSS(`summary`)), chromedp.SendKeys(chromedp.CSS(`#fingerprint`), fingerprint))
	}
	steps = append(steps,
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{path}),
		chromedp.WaitReady(chromedp.CSS(`#status[data-state="done"]`)),
	)
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("verify %s in the page: %v", filepath.Base(path), err)
	}
	var r pageResult
	var err error
	if r.verdict, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#verdict`))); err != nil {
		t.Fatal(err)
	}
	if r.failed, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#checks li.failed")).map(li => li.textContent)`)); err != nil {
		t.Fatal(err)
	}
	if r.notes, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("notes").textContent`)); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestVerifyPageInChromium: in headless Chromium, the public page verifies in the browser
// what a real server handed out — a receipt PDF, a receipt JSON, an archive package — and says
// "verificato — verified"; a tampered receipt or package is "not verified", naming the failed
// check in Italian and English. The page sends nothing: every request it makes is a GET,
// without a query, of its own origin (its files, and the browser's favicon).
func TestVerifyPageInChromium(t *testing.T) {
	ctx := browser(t)
	a := serverArtefacts(t)
	var mu sync.Mutex
	var requests []string
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.Method+" "+e.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var rc map[string]any
	if err := json.Unmarshal(a.json, &rc); err != nil {
		t.Fatal(err)
	}
	rc["registration"].(map[string]any)["subject"] = "altro oggetto"
	tamperedJSON, _ := json.Marshal(rc)
	flip := func(b []byte) []byte { b = bytes.Clone(b); b[len(b)/2] ^= 1; return b }

	for _, tc := range []struct {
		name, file, fingerprint string
		failed                  []string // substrings of the failed checks, in order; none: verified
	}{
		{"ReceiptPDF", file("receipt.pdf", a.pdf), a.fingerprint, nil},
		{"ReceiptJSON", file("receipt.json", a.json), "", nil},
		{"Package", file("package.zip", a.pkg), a.fingerprint, nil},
		{"ErrTamperedReceiptPDF", file("tampered.pdf", append(bytes.Clone(a.pdf), "\n% appended\n"...)), "", []string{"sigillo del PDF (PDF seal)"}},
		{"ErrTamperedReceiptJSON", file("tampered.json", tamperedJSON), "",
			[]string{"foglia ricalcolata dalla registrazione (leaf recomputed from the registration)", "prova di inclusione (inclusion proof)"}},
		{"ErrTamperedPackage", file("tampered.zip", editZip(t, a.pkg, a.document, flip)), "",
			[]string{"file " + a.document + " (file " + a.document + ")", "prova "}},
		{"ErrWrongFingerprint", file("pinned.json", a.json), strings.Repeat("ab", 32),
			[]string{"impronta del certificato di sigillo (sealing fingerprint)", "firma del checkpoint (checkpoint signature)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := verifyInPage(t, ctx, a.s.URL, tc.file, tc.fingerprint)
			if len(tc.failed) == 0 {
				if r.verdict != "Verificato — verified" || len(r.failed) > 0 {
					t.Fatalf("verdict %q, failed %q", r.verdict, r.failed)
				}
				if strings.HasSuffix(tc.file, ".zip") && !strings.Contains(r.notes, "non verificato nel browser") {
					t.Errorf("the page does not say the index schema was not checked: %q", r.notes)
				}
				return
			}
			if !strings.HasPrefix(r.verdict, "Non verificato — not verified: ") || len(r.failed) != len(tc.failed) {
				t.Fatalf("verdict %q, failed %q, want %q", r.verdict, r.failed, tc.failed)
			}
			for i, want := range tc.failed {
				if !strings.Contains(r.failed[i], want) || !strings.Contains(r.failed[i], "non superato — failed") {
					t.Errorf("failed check %d is %q, want %q", i, r.failed[i], want)
				}
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requests) == 0 {
		t.Fatal("no request of the page was seen: the check below would prove nothing")
	}
	for _, req := range requests {
		method, url, _ := strings.Cut(req, " ")
		if method != "GET" || !strings.HasPrefix(url, a.s.URL+"/") || strings.Contains(url, "?") {
			t.Errorf("the page sent %s", req)
		}
	}
}
