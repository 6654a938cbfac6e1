package app_test

import (
	"bytes"
	"cmp"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/corpus"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/jobs"
)

// BenchmarkStoredBytes measures what a running server stores per registration, by table, in
// the blob store and in the search index: b.N registrations over HTTP (16 clients), each with a
// distinct one-page PDF letter of 1–2 KB in words of internal/corpus, on a server with
// everything on (text extraction, log sequencer, search projection, journal). Once every
// follower has caught up — texts done, River's text jobs completed, a leaf for every change
// event, the index counting every registration, the day's journal produced and logged — it
// reports (after − before)/N against the sizes right after start: db-B/reg (SQLite's file after
// a checkpoint; PostgreSQL's pg_database_size after VACUUM), blob-B/reg and blob-disk-B/reg
// (apparent and allocated bytes), index-B/reg, and prints the bytes by table. The registrations
// are dated the day before (the server's clock runs a day behind until they are all in), so
// that the daily journal of their day can be produced and counted.
//
//	go test ./internal/app -run '^$' -bench StoredBytes -benchtime 20000x -timeout 60m
func BenchmarkStoredBytes(b *testing.B) {
	for _, engine := range testdb.Names() {
		b.Run(engine, func(b *testing.B) {
			url := testdb.URL(b, engine)
			var behind atomic.Int64
			behind.Store(int64(24 * time.Hour))
			now := func() time.Time { return time.Now().Add(-time.Duration(behind.Load())) }
			s := apptest.Start(b, url, apptest.WithClock(now))
			ensureOffices(b, s, corpus.Offices)
			op := s.NewClient(b, "bench", []string{"protocol_operator"})
			officer := s.NewClient(b, "reader", []string{"records_officer"})
			raw := testdb.RawDB(b, url)
			year := now().Year()
			before := measureStored(b, s, raw)

			var sent atomic.Int64
			loadTest(b, 16, "reg/s", http.StatusCreated, func(i int64, _ int) *http.Request {
				meta, doc := storedLetter(i)
				sent.Add(int64(len(doc)))
				ct, body := apptest.Multipart(meta, apptest.Part{Name: "document", Filename: fmt.Sprintf("lettera-%d.pdf", i), Content: doc})
				req, _ := http.NewRequest("POST", s.URL+"/v1/registrations", body)
				req.Header.Set("Authorization", "Bearer "+op)
				req.Header.Set("Content-Type", ct)
				return req
			})
			if b.Failed() {
				return
			}
			n := int64(b.N)
			caughtUp(b, s, raw, officer, year, n)
			// The day is over: its journal is produced (as the worker would at its next run)
			// and logged as a leaf.
			behind.Store(0)
			if _, err := s.Main.ProduceJournals(b.Context()); err != nil {
				b.Fatal(err)
			}
			waitStored(b, "the journal's leaf", func() (bool, string) { return logCaughtUp(b, s) })
			indexSettled(b, s)
			after := measureStored(b, s, raw)
			reportStored(b, before, after, n, sent.Load())
		})
	}
}

// ensureOffices creates the offices of codes that the installation does not have yet.
func ensureOffices(b *testing.B, s *apptest.Server, codes []string) {
	b.Helper()
	for _, code := range codes {
		body, _ := json.Marshal(map[string]string{"code": code, "name": "Ufficio " + code})
		req, _ := http.NewRequest("POST", s.URL+"/v1/offices", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.AdminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusConflict {
			b.Fatalf("POST /v1/offices %s = %d", code, resp.StatusCode)
		}
	}
}

// storedLetter returns registration i's metadata and document: a one-page PDF of a letter of
// 1–2 KB, distinct for every i, in words of internal/corpus, with a subject, sender, class and
// offices drawn from it too.
func storedLetter(i int64) (map[string]any, []byte) {
	r := rand.New(rand.NewPCG(uint64(i), 11))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	subject := fmt.Sprintf("%s %s %s", pick(corpus.Actions), pick(corpus.Objects), pick(corpus.Places))
	first, last := pick(corpus.First), pick(corpus.Last)
	sender := map[string]any{"role": "sender", "type": "person", "name": first + " " + last,
		"email": strings.ToLower(first) + "." + strings.ToLower(strings.ReplaceAll(last, " ", "")) + "@example.org"}
	if r.IntN(4) == 0 {
		sender = map[string]any{"role": "sender", "type": "organization", "name": pick(corpus.Orgs)}
	}
	offices := []string{pick(corpus.Offices)}
	if o := pick(corpus.Offices); r.IntN(4) == 0 && o != offices[0] {
		offices = append(offices, o)
	}
	meta := map[string]any{"direction": "incoming", "channel": "web", "subject": subject,
		"correspondents": []map[string]any{sender}, "class": pick(storedClasses), "offices": offices}

	var t strings.Builder
	fmt.Fprintf(&t, "Spett.le Comune, Ufficio %s. Prot. interno n. %d/%d. Oggetto: %s. ", offices[0], i, 2021+r.IntN(6), subject)
	fmt.Fprintf(&t, "Il sottoscritto %s %s, nato a Roma il %d/%d/%d, in qualità di %s, ", first, last,
		1+r.IntN(28), 1+r.IntN(12), 1940+r.IntN(60),
		pick([]string{"richiedente", "legale rappresentante", "tecnico incaricato", "delegato", "proprietario"}))
	for limit := 1024 + r.IntN(1024); t.Len() < limit; {
		switch r.IntN(5) {
		case 0:
			fmt.Fprintf(&t, "con la presente %s %s %s, come previsto dal regolamento comunale n. %d del %d. ",
				strings.ToLower(pick(corpus.Actions)), pick(corpus.Objects), pick(corpus.Places), 1+r.IntN(90), 1995+r.IntN(30))
		case 1:
			fmt.Fprintf(&t, "Si allega la documentazione relativa a %s e a %s, già trasmessa a %s con nota del %d/%d/%d. ",
				pick(corpus.Objects), pick(corpus.Objects), pick(corpus.Orgs), 1+r.IntN(28), 1+r.IntN(12), 2020+r.IntN(6))
		case 2:
			fmt.Fprintf(&t, "Si fa presente che la pratica di %s %s risulta ancora in istruttoria presso l'ufficio %s dal %d. ",
				pick(corpus.Objects), pick(corpus.Places), pick(corpus.Offices), 2018+r.IntN(8))
		case 3:
			fmt.Fprintf(&t, "Il referente %s %s resta a disposizione per ogni chiarimento al numero 06 %07d. ",
				pick(corpus.First), pick(corpus.Last), r.IntN(10_000_000))
		default:
			fmt.Fprintf(&t, "Ai sensi della classificazione %s si chiede il parere di %s in merito a %s. ",
				pick(corpus.Classes), pick(corpus.Orgs), pick(corpus.Objects))
		}
	}
	t.WriteString("Distinti saluti.")
	return meta, apptest.PDF(pdfASCII.Replace(t.String()))
}

// storedClasses are the corpus's classes that the shipped titolario has: those of the first two
// levels.
var storedClasses = slices.DeleteFunc(slices.Clone(corpus.Classes), func(c string) bool { return strings.Count(c, ".") > 1 })

// pdfASCII writes the corpus's accented letters as typewriters did: samplepdf takes ASCII.
var pdfASCII = strings.NewReplacer("à", "a'", "è", "e'", "é", "e'", "ì", "i'", "ò", "o'", "ù", "u'")

// caughtUp waits until every follower has done its part for the n registrations: their texts
// extracted, River's text jobs completed, the log holding a leaf for every change event, and
// the search index counting them all.
func caughtUp(b *testing.B, s *apptest.Server, raw *sql.DB, token string, year int, n int64) {
	b.Helper()
	count := func(query string) int64 {
		var c int64
		if err := raw.QueryRow(query).Scan(&c); err != nil {
			b.Fatalf("%s: %v", query, err)
		}
		return c
	}
	waitStored(b, "texts done", func() (bool, string) {
		done := count(`SELECT count(*) FROM registration_texts WHERE status = 'done'`)
		return done >= n, fmt.Sprintf("%d of %d done, %d failed", done, n,
			count(`SELECT count(*) FROM registration_texts WHERE status = 'failed'`))
	})
	waitStored(b, "River's text jobs completed", func() (bool, string) {
		open := count(`SELECT count(*) FROM river_job WHERE queue = '` + jobs.QueueText + `' AND state <> 'completed'`)
		return open == 0, fmt.Sprintf("%d not completed", open)
	})
	waitStored(b, "a log leaf for every change event", func() (bool, string) { return logCaughtUp(b, s) })
	last := count(`SELECT max(position) FROM change_events`)
	waitStored(b, "the search index counting every registration", func() (bool, string) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/search?kind=registration&year=%d&limit=1&min_position=%d", s.URL, year, last), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusConflict {
			return false, "index behind position " + fmt.Sprint(last)
		}
		var got struct {
			Total      int64 `json:"total"`
			TotalExact bool  `json:"total_exact"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &got) != nil {
			b.Fatalf("search: %d %s", resp.StatusCode, body)
		}
		return got.Total == n && got.TotalExact, fmt.Sprintf("total %d (exact %v) of %d", got.Total, got.TotalExact, n)
	})
}

// logCaughtUp tells whether the sequencer has integrated every change event.
func logCaughtUp(b *testing.B, s *apptest.Server) (bool, string) {
	st, err := s.Main.DB.TLogState(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	pending, err := s.Main.DB.Changes(b.Context(), st.Cursor, 1)
	if err != nil {
		b.Fatal(err)
	}
	return len(pending) == 0, fmt.Sprintf("%d leaves, events pending", st.Size)
}

// indexSettled waits until the search index's size stays the same for 5 s: its segments are
// merged in the background after the projection has caught up.
func indexSettled(b *testing.B, s *apptest.Server) {
	b.Helper()
	last, still := int64(-1), 0
	waitStored(b, "the search index's size to settle", func() (bool, string) {
		size, _, _ := dirUsage(b, filepath.Join(s.DataDir, "search"))
		if size == last {
			still++
		} else {
			last, still = size, 0
		}
		return still >= 10, fmt.Sprintf("%d bytes", size)
	})
}

// waitStored polls cond every 500 ms for up to 30 minutes.
func waitStored(b *testing.B, what string, cond func() (bool, string)) {
	b.Helper()
	for deadline := time.Now().Add(30 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s: %s", what, state)
		}
	}
}

// stored is what a server holds at one moment.
type stored struct {
	tables            map[string]int64 // bytes by table, with its indexes (and TOAST on PostgreSQL)
	rows              map[string]int64 // rows by table
	db                int64            // the whole database
	blobs, blobsDisk  int64            // the blob store's apparent and allocated bytes
	blobFiles         int64
	journalBlobs      int64 // the daily journals' JSON and PDF, in the blob store
	index, indexDisk  int64 // the search index's
	leaves            uint64
	sqliteFree, pages int64 // SQLite: free pages and all pages
}

// measureStored measures the database by table, the blob store and the search index. SQLite's
// WAL is checkpointed into the file first, and PostgreSQL is vacuumed (as autovacuum would have
// by then), so that both count what stays.
func measureStored(b *testing.B, s *apptest.Server, raw *sql.DB) stored {
	b.Helper()
	st := stored{tables: map[string]int64{}, rows: map[string]int64{}}
	scan := func(query string, row func(*sql.Rows) error) {
		rows, err := raw.Query(query)
		if err != nil {
			b.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := row(rows); err != nil {
				b.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			b.Fatalf("%s: %v", query, err)
		}
	}
	if testdb.IsPostgres(s.DatabaseURL) {
		if _, err := raw.Exec(`VACUUM`); err != nil {
			b.Fatal(err)
		}
		scan(`SELECT n.nspname || '.' || c.relname, pg_total_relation_size(c.oid) FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
			func(r *sql.Rows) error {
				var name string
				var size int64
				err := r.Scan(&name, &size)
				st.tables[name] = size
				return err
			})
		if err := raw.QueryRow(`SELECT pg_database_size(current_database())`).Scan(&st.db); err != nil {
			b.Fatal(err)
		}
	} else {
		waitStored(b, "a complete WAL checkpoint", func() (bool, string) {
			var busy, log, done int
			if err := raw.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done); err != nil {
				b.Fatal(err)
			}
			return busy == 0, fmt.Sprintf("busy, %d of %d pages", done, log)
		})
		table := map[string]string{}
		scan(`SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')`, func(r *sql.Rows) error {
			var name, tbl string
			err := r.Scan(&name, &tbl)
			table[name] = tbl
			return err
		})
		for name, size := range sqliteDBStat(b, s.DatabaseURL) {
			st.tables[cmp.Or(table[name], name)] += size
		}
		var pageSize int64
		for q, v := range map[string]*int64{`PRAGMA page_count`: &st.pages, `PRAGMA page_size`: &pageSize, `PRAGMA freelist_count`: &st.sqliteFree} {
			if err := raw.QueryRow(q).Scan(v); err != nil {
				b.Fatal(err)
			}
		}
		st.db = st.pages * pageSize
		st.sqliteFree *= pageSize
	}
	for name := range st.tables {
		parts := strings.Split(name, ".") // schema.table on PostgreSQL
		for i, p := range parts {
			parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
		}
		var c int64
		if err := raw.QueryRow(`SELECT count(*) FROM ` + strings.Join(parts, ".")).Scan(&c); err != nil {
			b.Fatalf("count %s: %v", name, err)
		}
		st.rows[name] = c
	}
	st.blobs, st.blobsDisk, st.blobFiles = dirUsage(b, filepath.Join(s.DataDir, "blobs"))
	scan(`SELECT json_sha256, pdf_sha256 FROM journals`, func(r *sql.Rows) error {
		var digests [2]string
		if err := r.Scan(&digests[0], &digests[1]); err != nil {
			return err
		}
		for _, d := range digests {
			fi, err := os.Stat(filepath.Join(s.DataDir, "blobs", d[:2], d)) // storage/blob.FS's layout
			if err != nil {
				return err
			}
			st.journalBlobs += fi.Size()
		}
		return nil
	})
	st.index, st.indexDisk, _ = dirUsage(b, filepath.Join(s.DataDir, "search"))
	tl, err := s.Main.DB.TLogState(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	st.leaves = tl.Size
	return st
}

// sqliteDBStat returns the bytes of every table and index of the SQLite database at dbURL from
// its dbstat table. The pure-Go driver is built without it: the sqlite3 command reads it, when
// installed (with dbstat, as Debian's is); without it the result is nil and only the file's
// size is measured.
func sqliteDBStat(b *testing.B, dbURL string) map[string]int64 {
	b.Helper()
	cli, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Log("no sqlite3 command: the database is measured by its file alone, not by table")
		return nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "//")
	out, err := exec.Command(cli, "-readonly", "-separator", "\t", path,
		`SELECT name, sum(pgsize) FROM dbstat GROUP BY name`).Output()
	if err != nil {
		b.Fatalf("sqlite3 dbstat: %v", err)
	}
	sizes := map[string]int64{}
	for line := range strings.Lines(string(out)) {
		name, size, ok := strings.Cut(strings.TrimSpace(line), "\t")
		n, err := strconv.ParseInt(size, 10, 64)
		if !ok || err != nil {
			b.Fatalf("sqlite3 dbstat: line %q", line)
		}
		sizes[name] = n
	}
	return sizes
}

// dirUsage returns the apparent bytes of the regular files under dir, the bytes allocated to
// them and to the directories (st_blocks × 512), and the number of files.
func dirUsage(b *testing.B, dir string) (size, disk, files int64) {
	b.Helper()
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // a segment merged away while walking
			}
			return err
		}
		if !d.Type().IsRegular() && !d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if os.IsNotExist(err) {
			return nil
		} else if err != nil {
			return err
		}
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			disk += sys.Blocks * 512
		}
		if d.Type().IsRegular() {
			size += fi.Size()
			files++
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return size, disk, files
}

// reportStored reports the growth from before to after per registration: the totals as metrics,
// and, printed, the tables (bytes and rows), largest first, the blob store and the index.
func reportStored(b *testing.B, before, after stored, n, sent int64) {
	per := func(a, z int64) float64 { return float64(z-a) / float64(n) }
	type row struct {
		name       string
		size, rows float64
	}
	var rows []row
	var sum float64
	for name, size := range after.tables {
		if d, r := per(before.tables[name], size), per(before.rows[name], after.rows[name]); d != 0 || r != 0 {
			rows = append(rows, row{name, d, r})
			sum += d
		}
	}
	slices.SortFunc(rows, func(x, y row) int { return cmp.Or(cmp.Compare(y.size, x.size), strings.Compare(x.name, y.name)) })
	var out bytes.Buffer
	fmt.Fprintf(&out, "%d registrations; per registration by table (with its indexes): bytes, rows\n", n)
	for _, r := range rows {
		fmt.Fprintf(&out, "  %-36s %10.1f %8.3f\n", r.name, r.size, r.rows)
	}
	fmt.Fprintf(&out, "  %-36s %10.1f\n", "sum of tables", sum)
	fmt.Fprintf(&out, "  %-36s %10.1f (before %d B, after %d B)\n", "database", per(before.db, after.db), before.db, after.db)
	if after.pages > 0 {
		fmt.Fprintf(&out, "  %-36s %10.1f (free pages: %d B after)\n", "SQLite free pages", per(before.sqliteFree, after.sqliteFree), after.sqliteFree)
	}
	fmt.Fprintf(&out, "blob store per registration: %.1f B apparent, %.1f B on disk, %.3f files; documents sent: %.1f B mean\n",
		per(before.blobs, after.blobs), per(before.blobsDisk, after.blobsDisk), per(before.blobFiles, after.blobFiles), float64(sent)/float64(n))
	fmt.Fprintf(&out, "of which the daily journals' JSON and PDF: %.1f B; other than documents and journals: %.1f B\n",
		per(before.journalBlobs, after.journalBlobs),
		float64(after.blobs-before.blobs-sent-(after.journalBlobs-before.journalBlobs))/float64(n))
	fmt.Fprintf(&out, "search index per registration: %.1f B apparent, %.1f B on disk (after: %d B)\n",
		per(before.index, after.index), per(before.indexDisk, after.indexDisk), after.index)
	fmt.Fprintf(&out, "log leaves per registration: %.3f (%d → %d)", float64(after.leaves-before.leaves)/float64(n), before.leaves, after.leaves)
	// Printed rather than logged: the testing package keeps only the first 10 lines of a
	// benchmark's log.
	fmt.Printf("--- %s\n%s\n", b.Name(), out.Bytes())
	b.ReportMetric(per(before.db, after.db), "db-B/reg")
	b.ReportMetric(per(before.blobs, after.blobs), "blob-B/reg")
	b.ReportMetric(per(before.blobsDisk, after.blobsDisk), "blob-disk-B/reg")
	b.ReportMetric(per(before.index, after.index), "index-B/reg")
	b.ReportMetric(float64(sent)/float64(n), "doc-B")
}
