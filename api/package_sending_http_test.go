package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// conservator is an HTTP conservation endpoint on loopback: it answers 503 to the first
// delivery, then takes every package.
type conservator struct {
	mu       sync.Mutex
	attempts int
	got      map[string][]byte // path → body
}

func (c *conservator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts++
	if c.attempts == 1 {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	c.got[r.Method+" "+r.URL.Path] = body
	w.WriteHeader(http.StatusCreated)
}

// waitState polls the package until it is in state.
func (c *client) waitState(token, id, state string) api.ArchivePackage {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var p api.ArchivePackage
		c.do("GET", "/v1/archive/packages/"+id, token, nil).decode(c.t, http.StatusOK, &p)
		if p.State == state {
			return p
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("package %s still %s, not %s", id, p.State, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPackageSending: a built archival package goes by PUT to the conservator's endpoint on
// loopback, which the administrator allowed; the endpoint's 503 is retried by the job queue;
// the package is listed sent, then the conservator's report acknowledges it and is downloaded
// again; a refused package keeps its reason; states do not move back.
func TestPackageSending(t *testing.T) {
	cons := &conservator{got: map[string][]byte{}}
	srv := httptest.NewServer(cons)
	t.Cleanup(srv.Close)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		ref := func(r api.Registration) string {
			return r.Register + "/" + strconv.Itoa(r.Year) + "/" + r.NumberFormatted
		}
		a := c.mustRegister(op, "Da versare")
		var p, dip api.ArchivePackage
		c.json("POST", "/v1/archive/packages", ro, map[string]any{"registrations": []string{ref(a)}}).decode(t, http.StatusAccepted, &p)
		c.json("POST", "/v1/archive/packages", ro, map[string]any{"kind": "dip", "registrations": []string{ref(a)}}).decode(t, http.StatusAccepted, &dip)
		sent := c.waitState(ro, p.ID, "sent")
		if sent.SentAt == nil || sent.Destination == nil || !strings.HasPrefix(*sent.Destination, "PUT "+srv.URL) || sent.Report != nil {
			t.Fatalf("sent package %+v", sent)
		}
		cons.mu.Lock()
		body, ok := cons.got["PUT /versamenti/"+p.ID+".zip"]
		attempts := cons.attempts
		cons.mu.Unlock()
		sum := sha256.Sum256(body)
		if !ok || hex.EncodeToString(sum[:]) != *sent.SHA256 || attempts < 2 {
			t.Fatalf("the conservator got %d bytes (digest %x, package %s) after %d attempts", len(body), sum, *sent.SHA256, attempts)
		}
		if d := c.waitPackage(ro, dip.ID); d.State != "ready" {
			t.Errorf("distribution package %+v: it is not sent", d)
		}

		var list api.ArchivePackageList
		c.do("GET", "/v1/archive/packages?state=sent", ro, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 1 || list.Items[0].ID != p.ID || list.NextCursor != "" {
			t.Errorf("sent packages %+v", list)
		}
		c.do("GET", "/v1/archive/packages?kind=dip&limit=1", ro, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 1 || list.Items[0].ID != dip.ID {
			t.Errorf("distribution packages %+v", list)
		}
		c.do("GET", "/v1/archive/packages?state=lost", ro, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed")
		c.do("GET", "/v1/archive/packages?status=sent", ro, nil).problem(t, http.StatusUnprocessableEntity, "validation_failed")
		c.do("GET", "/v1/archive/packages/"+p.ID+"/report", ro, nil).problem(t, http.StatusNotFound, "not_found")

		report := []byte(`<?xml version="1.0" encoding="UTF-8"?><RapportoVersamento><Esito>POSITIVO</Esito></RapportoVersamento>`)
		settle := func(id string, meta map[string]any, parts ...apptest.Part) *response {
			ct, b := apptest.Multipart(meta, parts...)
			return c.do("POST", "/v1/archive/packages/"+id+"/report", ro, b, "Content-Type", ct)
		}
		xmlPart := apptest.Part{Name: "report", Filename: "rapporto.xml", Content: report}
		namesField(t, settle(p.ID, map[string]any{"outcome": "acknowledged"}, apptest.Part{Name: "report", Filename: "r.txt",
			Content: []byte("tutto a posto")}).problem(t, http.StatusUnprocessableEntity, "validation_failed"), "report", "XML")
		var acked api.ArchivePackage
		settle(p.ID, map[string]any{"outcome": "acknowledged"}, xmlPart).decode(t, http.StatusOK, &acked)
		rsum := sha256.Sum256(report)
		if acked.State != "acknowledged" || acked.Report == nil || acked.Report.MediaType != "application/xml" ||
			acked.Report.SHA256 != hex.EncodeToString(rsum[:]) || acked.SettledAt == nil || acked.SentAt == nil {
			t.Fatalf("acknowledged %+v", acked)
		}
		r := c.do("GET", "/v1/archive/packages/"+p.ID+"/report", ro, nil)
		if r.Status != http.StatusOK || !bytes.Equal(r.Body, report) || r.Header.Get("Content-Type") != "application/xml" ||
			r.Header.Get("ETag") != `"`+acked.Report.SHA256+`"` {
			t.Errorf("report download %d %s %q", r.Status, r.Header, r.Body)
		}
		settle(p.ID, map[string]any{"outcome": "refused", "reason": "ripensamento"}).problem(t, http.StatusConflict, "conflict")
		settle(dip.ID, map[string]any{"outcome": "refused", "reason": "no"}).problem(t, http.StatusConflict, "conflict")
		settle(p.ID, map[string]any{"outcome": "acknowledged", "state": "sent"}, xmlPart).problem(t, http.StatusUnprocessableEntity, "validation_failed")

		var after api.ArchivePackage
		c.do("GET", "/v1/archive/packages/"+p.ID, ro, nil).decode(t, http.StatusOK, &after)
		if after.State != "acknowledged" {
			t.Errorf("after the refused moves: %s", after.State)
		}
	}, apptest.WithConfig(func(cfg *app.Config) {
		cfg.ConservationURL, cfg.ConservationAllow = srv.URL+"/versamenti/", "127.0.0.1"
	}))
}

// TestConservationConfig: an HTTP destination on loopback is refused unless allowed, and a
// folder must be absolute.
func TestConservationConfig(t *testing.T) {
	for _, c := range []struct {
		env map[string]string
		ok  bool
	}{
		{map[string]string{"SPORTELLO_CONSERVATION_URL": "http://127.0.0.1:8081/versa"}, false},
		{map[string]string{"SPORTELLO_CONSERVATION_URL": "https://10.1.2.3/versa"}, false},
		{map[string]string{"SPORTELLO_CONSERVATION_URL": "http://127.0.0.1:8081/versa", "SPORTELLO_CONSERVATION_ALLOW": "127.0.0.1"}, true},
		{map[string]string{"SPORTELLO_CONSERVATION_URL": "https://conservatore.example/versa"}, true},
		{map[string]string{"SPORTELLO_CONSERVATION_URL": "http://conservatore.example/versa"}, false},
		{map[string]string{"SPORTELLO_CONSERVATION_URL": "https://conservatore.example/versa", "SPORTELLO_CONSERVATION_METHOD": "GET"}, false},
		{map[string]string{"SPORTELLO_CONSERVATION_URL": "file:///srv/versamenti"}, true},
		{map[string]string{"SPORTELLO_CONSERVATION_URL": "file:versamenti"}, false},
		{map[string]string{"SPORTELLO_CONSERVATION_TOKEN": "x"}, false},
	} {
		_, err := app.Load(nil, func(k string) string { return c.env[k] })
		if (err == nil) != c.ok {
			t.Errorf("%v: %v", c.env, err)
		}
	}
}

// TestConservationSchedule: the schedule, a River periodic job, packages the journal of a
// Friday on the Monday after (in Rome, at the server's clock) and the package lands in the
// conservation folder, its zip and its index's seal named by its id; the metrics count it.
func TestConservationSchedule(t *testing.T) {
	testdbEachClock(t, func(t *testing.T, s *apptest.Server, setClock func(time.Time), dir string) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		c.mustRegister(op, "Registrata di venerdì")
		setClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)) // Monday 7 December, 10:00 in Rome
		deadline := time.Now().Add(90 * time.Second)
		var sent api.ArchivePackage
		for sent.ID == "" {
			var list api.ArchivePackageList
			c.do("GET", "/v1/archive/packages?state=sent", ro, nil).decode(t, http.StatusOK, &list)
			for _, p := range list.Items {
				if p.ScheduleKey != nil && *p.ScheduleKey == "journal/PG/2026-12-04" {
					sent = p
				}
			}
			if time.Now().After(deadline) {
				c.do("GET", "/v1/archive/packages", ro, nil).decode(t, http.StatusOK, &list)
				t.Fatalf("no sent package of Friday's journal: %+v", list.Items)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if sent.Kind != "aip" || sent.CreatedBy != "system" || sent.Request.Journals == nil || sent.Request.Journals.From != "2026-12-04" ||
			sent.Destination == nil || *sent.Destination != "file://"+dir {
			t.Errorf("scheduled package %+v", sent)
		}
		zipped, err := os.ReadFile(filepath.Join(dir, sent.ID+".zip"))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(zipped)
		entries, _ := zipEntries(t, zipped)
		seal, err := os.ReadFile(filepath.Join(dir, sent.ID+".p7s"))
		if err != nil || hex.EncodeToString(sum[:]) != *sent.SHA256 || !bytes.Equal(seal, entries["PIndex.xml.p7s"]) {
			t.Errorf("folder: zip digest %x (package %s), seal %d bytes, %v", sum, *sent.SHA256, len(seal), err)
		}
		metrics := string(c.do("GET", "/metrics", "", nil).Body)
		for _, want := range []string{`sportello_archive_packages{state="sent"} 1`, "sportello_conservation_oldest_unsent_journal_seconds 0"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

// testdbEachClock starts, on each engine, a server whose clock the test sets (first Friday
// 4 December 2026, 10:00 in Rome), sending to a folder, with the journal worker and the
// conservation schedule run every fraction of a second.
func testdbEachClock(t *testing.T, fn func(t *testing.T, s *apptest.Server, setClock func(time.Time), dir string)) {
	var (
		mu  sync.Mutex
		now time.Time
	)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	set := func(at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		now = at
	}
	testdb.Each(t, func(t *testing.T, url string) {
		set(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
		dir := t.TempDir()
		s := apptest.Start(t, url, apptest.WithClock(clock), apptest.WithConfig(func(cfg *app.Config) {
			cfg.ConservationURL = "file://" + dir
		}), func(m *app.Main) { m.JournalEvery, m.ConservationEvery = 200*time.Millisecond, time.Second })
		fn(t, s, set, dir)
	})
}
