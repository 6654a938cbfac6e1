package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/importer"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// writeSourceRows writes a source whose manifest has header and rows, each row's file a PDF of
// its own, and returns its folder.
func writeSourceRows(t *testing.T, header string, rows []string) string {
	t.Helper()
	dir := t.TempDir()
	m := header + "\n"
	for _, row := range rows {
		name, _, _ := strings.Cut(row, ",")
		if err := os.WriteFile(filepath.Join(dir, name), apptest.PDF("Documento "+name), 0o644); err != nil {
			t.Fatal(err)
		}
		m += row + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, importer.ManifestName), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// emergencyListed is a registration as TestImportEmergencyRegister compares them.
type emergencyListed struct {
	Number    int    `json:"number"`
	Subject   string `json:"subject"`
	Date      string `json:"date"`
	Emergency *struct {
		Register string `json:"register"`
		Number   int    `json:"number"`
		Date     string `json:"date"`
	} `json:"emergency"`
}

// TestImportEmergencyRegister is must-show 5 of issue 15 through the tool, on both engines: an
// outage of PG with 20 entries of the emergency register, listed in the manifest out of order
// and after an ordinary row, naming no outage: the tool sends them first, in emergency-number
// order, and they take the 20 ordinary numbers after the last one, keep their emergency numbers
// and dates, and are in that day's journal; the ordinary row follows them; an entry dated
// outside the outage goes to the report; a second run registers nothing again.
func TestImportEmergencyRegister(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Time{})
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, rome))
		token := importerToken(t, s)
		ro := s.NewClient(t, "officer", []string{"records_officer"})

		before := writeSourceRows(t, "file,subject,sender_name", []string{
			"prima-1.pdf,Prima dell'interruzione 1,Mario Rossi", "prima-2.pdf,Prima dell'interruzione 2,Mario Rossi"})
		if code, out := runImport(t, "--server", s.URL, "--token-file", token, before); code != 0 {
			t.Fatalf("ordinary rows: exit %d\n%s", code, out)
		}
		const last = 2

		start := time.Date(2026, 11, 30, 8, 0, 0, 0, rome)
		body, _ := json.Marshal(map[string]any{"cause": "Guasto del server di protocollo", "start": start,
			"end": start.Add(10 * time.Hour), "authorization": "Autorizzazione del responsabile n. 3 del 2026-11-30"})
		var o struct{ ID string }
		s.Do(t, "POST", "/v1/registers/PG/emergencies", ro, "application/json", bytes.NewReader(body), http.StatusCreated, &o)

		rows := []string{"dopo.pdf,Dopo il caricamento,Mario Rossi,,"}
		for _, n := range rand.Perm(20) {
			rows = append(rows, fmt.Sprintf("voce-%02d.pdf,Voce %02d del registro di emergenza,Mario Rossi,%d,2026-11-30", n+1, n+1, n+1))
		}
		rows = append(rows, "fuori.pdf,Voce fuori dall'interruzione,Mario Rossi,21,2026-11-29")
		src := writeSourceRows(t, "file,subject,sender_name,emergency_number,emergency_date", rows)
		report := filepath.Join(t.TempDir(), "report.csv")
		args := []string{"--server", s.URL, "--token-file", token, "--report", report, "--concurrency", "3", src}
		code, out := runImport(t, args...)
		if code != 1 || !strings.Contains(out, "22 rows: 21 registered, 0 already registered, 1 failed, 0 not sent") {
			t.Fatalf("emergency rows: exit %d\n%s", code, out)
		}
		raw, _ := os.ReadFile(report)
		recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][0] != "23" || recs[1][1] != "fuori.pdf" ||
			!strings.Contains(recs[1][2], "no outage of register PG covers 2026-11-29") {
			t.Fatalf("report %q (%v), want row 23, fuori.pdf, outside the outage", recs, err)
		}

		var page struct{ Items []emergencyListed }
		s.Do(t, "GET", "/v1/registrations?register=PG&limit=500", ro, "", nil, http.StatusOK, &page)
		regs := page.Items
		slices.SortFunc(regs, func(a, b emergencyListed) int { return a.Number - b.Number })
		if len(regs) != last+21 {
			t.Fatalf("%d registrations, want %d", len(regs), last+21)
		}
		for i, r := range regs[last : last+20] {
			e := r.Emergency
			if r.Number != last+1+i || e == nil || e.Number != i+1 || e.Date != "2026-11-30" || e.Register != o.ID ||
				r.Subject != fmt.Sprintf("Voce %02d del registro di emergenza", i+1) || r.Date != "2026-12-01" {
				t.Fatalf("registration %d: %+v emergency %+v; want emergency entry %d of 2026-11-30, outage %s",
					r.Number, r, e, i+1, o.ID)
			}
		}
		if after := regs[last+20]; after.Subject != "Dopo il caricamento" || after.Emergency != nil {
			t.Fatalf("the ordinary row took %d (%+v), want the number after the emergency entries", after.Number, after)
		}

		if code, out := runImport(t, args...); code != 1 || !strings.Contains(out, "0 registered, 21 already registered, 1 failed") {
			t.Fatalf("second run: exit %d\n%s", code, out)
		}

		clock.Set(time.Date(2026, 12, 2, 0, 1, 0, 0, rome))
		if _, err := s.Main.ProduceJournals(t.Context()); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", s.URL+"/v1/registers/PG/journals/2026-12-01", nil)
		req.Header.Set("Authorization", "Bearer "+ro)
		req.Header.Set("Accept", "application/json")
		resp, err := apptest.ContractClient(t, s.URL).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var journal struct{ Registrations []emergencyListed }
		if err := json.NewDecoder(resp.Body).Decode(&journal); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("journal of 2026-12-01: %s, %v", resp.Status, err)
		}
		var entries []int
		for _, r := range journal.Registrations {
			if e := r.Emergency; e != nil {
				if r.Number != last+e.Number || e.Date != "2026-11-30" {
					t.Errorf("journal: number %d with emergency %+v", r.Number, e)
				}
				entries = append(entries, e.Number)
			}
		}
		if len(entries) != 20 || len(journal.Registrations) != last+21 {
			t.Fatalf("journal of 2026-12-01: %d registrations, emergency entries %v", len(journal.Registrations), entries)
		}
	}, apptest.WithClock(clock.Now), func(m *app.Main) { m.JournalEvery = time.Hour })
}
