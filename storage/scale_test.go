package storage

// The scale benchmarks of issue 18 (docs/benchmarks.md, "Scale (issue 18)"): TestScaleFill
// brings a database to N registrations with text far faster than the API would, and
// TestScaleMeasure (scale_measure_test.go) measures registration, search, sizes and memory on
// it. Both are skipped unless SPORTELLO_SCALE_N (fill) or SPORTELLO_SCALE_MEASURE (measure) is
// set; they live in the tests so that nothing of them is linked into the server.
//
//	SPORTELLO_SCALE_N=100000 SPORTELLO_SCALE_DIR=/work/scale-data/pg100k \
//	SPORTELLO_SCALE_URL='postgres://postgres@127.0.0.1:5432/scale100k?sslmode=disable' \
//	go test ./storage -run TestScaleFill -count=1 -v -timeout 0
//
// The filler writes through the registration path's own statements (insertGroup, as group
// commit does, in groups of scaleGroup instead of maxGroup): the registration rows numbered by
// the counter, their content references, offices, change-feed events, chained audit events and
// idempotency records, with every guard trigger on. Beside each group it stores the
// registrations' extracted texts as done, which the text worker would do one by one. The
// documents are content-addressed blobs from a pool of distinct short texts (many
// registrations share one), written once each to a file store in SPORTELLO_SCALE_DIR/blobs. The
// search index in SPORTELLO_SCALE_DIR/index is built by the real projection following the
// change feed while the database fills. Log leaves are not written: the log sequencer of a
// server started on the database would append them.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/corpus"
	"github.com/sportello/sportello/search"
	"github.com/sportello/sportello/storage/blob"
)

// scaleGroup is how many registrations of one register and year the filler writes in one
// transaction (SPORTELLO_SCALE_GROUP, 200 by default).
func scaleGroup() int {
	if n, err := strconv.Atoi(os.Getenv("SPORTELLO_SCALE_GROUP")); err == nil && n > 0 {
		return n
	}
	return 200
}

// scaleYears are the years the filled registrations are spread over, evenly.
var scaleYears = []int{2021, 2022, 2023, 2024, 2025, 2026}

// scalePool bounds the distinct document texts (and blobs) of a fill.
const scalePool = 20_000

var (
	scaleAOO       = domain.AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune di Roma"}
	scaleOffices   = corpus.Offices
	scaleActions   = corpus.Actions
	scaleObjects   = corpus.Objects
	scalePlaces    = corpus.Places
	scaleFirst     = corpus.First
	scaleLast      = corpus.Last
	scaleOrgs      = corpus.Orgs
	scaleClasses   = corpus.Classes
	scaleChannels  = []domain.Channel{domain.ChannelWeb, domain.ChannelPEC, domain.ChannelEmail, domain.ChannelWeb, domain.ChannelPEC}
	scaleDirection = []domain.Direction{domain.Incoming, domain.Incoming, domain.Incoming, domain.Outgoing, domain.Internal}
)

// scaleEnv is a scale run's configuration, from the environment.
type scaleEnv struct {
	n   int    // SPORTELLO_SCALE_N: registrations to reach
	dir string // SPORTELLO_SCALE_DIR: blobs/, index/ and, on SQLite, the database
	url string // SPORTELLO_SCALE_URL: the database; sqlite:DIR/sportello.db by default
}

func scaleConfig(t *testing.T, need string) scaleEnv {
	t.Helper()
	if os.Getenv(need) == "" {
		t.Skipf("%s is not set (docs/benchmarks.md, Scale)", need)
	}
	var e scaleEnv
	if s := os.Getenv("SPORTELLO_SCALE_N"); s != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
		if err != nil || n < 1 {
			t.Fatalf("SPORTELLO_SCALE_N=%q: want a positive number", s)
		}
		e.n = n
	}
	if e.dir = os.Getenv("SPORTELLO_SCALE_DIR"); e.dir == "" {
		t.Fatal("SPORTELLO_SCALE_DIR is not set")
	}
	if err := os.MkdirAll(e.dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if e.url = os.Getenv("SPORTELLO_SCALE_URL"); e.url == "" {
		e.url = "sqlite:" + filepath.Join(e.dir, "sportello.db")
	}
	return e
}

// scaleCreateDatabase creates the PostgreSQL database of dbURL if it does not exist.
func scaleCreateDatabase(t *testing.T, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin := *u
	admin.Path = "/postgres"
	raw, err := sql.Open("pgx", admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var one int
	switch err := raw.QueryRow(`SELECT 1 FROM pg_database WHERE datname = $1`, name).Scan(&one); {
	case err == sql.ErrNoRows:
		if _, err := raw.Exec(`CREATE DATABASE "` + name + `"`); err != nil {
			t.Fatalf("create database %s: %v", name, err)
		}
	case err != nil:
		t.Fatal(err)
	}
}

// scaleDropDatabase drops a PostgreSQL database made by a measurement.
func scaleDropDatabase(t *testing.T, dbURL string) {
	u, _ := url.Parse(dbURL)
	name := strings.TrimPrefix(u.Path, "/")
	admin := *u
	admin.Path = "/postgres"
	raw, err := sql.Open("pgx", admin.String())
	if err != nil {
		t.Error(err)
		return
	}
	defer raw.Close()
	if _, err := raw.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
		t.Errorf("drop database %s: %v", name, err)
	}
}

// scaleOpen opens, migrates and bootstraps the database at dbURL, with the offices the
// generated registrations name.
func scaleOpen(t *testing.T, dbURL string, conns int) *DB {
	t.Helper()
	ctx := context.Background()
	if strings.HasPrefix(dbURL, "postgres") {
		scaleCreateDatabase(t, dbURL)
	}
	db, err := Open(ctx, dbURL, Options{MaxOpenConns: conns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	// SPORTELLO_SCALE_SQLITE_CACHE_MIB gives SQLite's write connection a page cache of that
	// many MiB (the server keeps SQLite's default of 2 MiB): to measure what a larger one does.
	if n, err := strconv.Atoi(os.Getenv("SPORTELLO_SCALE_SQLITE_CACHE_MIB")); err == nil && n > 0 {
		scaleSQLiteCache(t, db, n)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	aoo := scaleAOO
	aoo.CreatedAt = time.Date(2020, 12, 1, 8, 0, 0, 0, time.UTC)
	if _, err := db.Bootstrap(ctx, aoo, domain.Register{Code: "PG", Name: "Protocollo generale", CreatedAt: aoo.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	have, err := db.Offices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, o := range have {
		known[o.Code] = true
	}
	for _, code := range scaleOffices {
		if !known[code] {
			if err := db.CreateOffice(ctx, domain.Office{Code: code, Name: "Ufficio " + code, CreatedAt: aoo.CreatedAt}, domain.Write{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return db
}

// scaleSQLiteCache sets the page cache of db's write connection to mib MiB on SQLite (a
// connection's WebAssembly memory is at most 256 MiB: 1 GiB fails with "out of memory").
func scaleSQLiteCache(t *testing.T, db *DB, mib int) {
	if db.engine != SQLite {
		return
	}
	if err := db.w.Exec(fmt.Sprintf(`PRAGMA cache_size = %d`, -mib*1024)).Error; err != nil {
		t.Fatal(err)
	}
}

// scaleText returns the k-th text of the pool: a short letter, distinct for every k.
func scaleText(k int) string {
	r := rand.New(rand.NewPCG(uint64(k), 7))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	var b strings.Builder
	fmt.Fprintf(&b, "Prot. interno %d/%d. Oggetto: %s %s %s.\n", k, 2021+r.IntN(6), pick(scaleActions),
		pick(scaleObjects), pick(scalePlaces))
	fmt.Fprintf(&b, "Il sottoscritto %s %s, in qualità di %s, con la presente %s %s %s, ",
		pick(scaleFirst), pick(scaleLast), []string{"richiedente", "legale rappresentante", "tecnico incaricato", "delegato"}[r.IntN(4)],
		strings.ToLower(pick(scaleActions)), pick(scaleObjects), pick(scalePlaces))
	fmt.Fprintf(&b, "come previsto dalla normativa vigente e dal regolamento comunale n. %d del %d. ", r.IntN(90)+1, 1995+r.IntN(30))
	fmt.Fprintf(&b, "Si allega la documentazione relativa a %s e a %s. Per informazioni rivolgersi a %s. Distinti saluti.\n",
		pick(scaleObjects), pick(scaleObjects), pick(scaleOrgs))
	return b.String()
}

func scaleDigest(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// scaleRegistration returns the registration of seed i in year, registered at at, with the
// pool's text k as its document, and its write as the API makes it.
func scaleRegistration(i uint64, year int, at time.Time, k int, digest string, size int) (*domain.Registration, domain.Write) {
	r := rand.New(rand.NewPCG(i, 42))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	subject := fmt.Sprintf("%s %s %s %d", pick(scaleActions), pick(scaleObjects), pick(scalePlaces), r.IntN(200)+1)
	first, last := pick(scaleFirst), pick(scaleLast)
	offices := []string{pick(scaleOffices)}
	if r.IntN(4) == 0 {
		if o := pick(scaleOffices); o != offices[0] {
			offices = append(offices, o)
		}
	}
	rome, _ := time.LoadLocation("Europe/Rome")
	reg := &domain.Registration{
		ID: domain.NewID(), Register: "PG", Year: year, RegisteredAt: at, Date: at.In(rome).Format(time.DateOnly),
		Direction: scaleDirection[r.IntN(len(scaleDirection))], Channel: scaleChannels[r.IntN(len(scaleChannels))],
		Subject: subject,
		Correspondents: []domain.Correspondent{
			{Role: domain.RoleSender, Type: domain.TypePerson, Name: first + " " + last,
				Email: strings.ToLower(first) + "." + strings.ToLower(strings.ReplaceAll(last, " ", "")) + "@example.org"},
			{Role: domain.RoleRecipient, Type: domain.TypeOrganization, Name: pick(scaleOrgs)},
		},
		Document: domain.File{Filename: fmt.Sprintf("documento-%d.txt", k), MediaType: "text/plain", Size: int64(size), SHA256: digest},
		Class:    pick(scaleClasses), Offices: offices, Dossiers: []string{}, Status: domain.StatusActive,
		Confidential: r.IntN(50) == 0, CreatedBy: fmt.Sprintf("op%d", r.IntN(20)),
	}
	w := domain.Write{
		Audit: []domain.AuditEvent{{At: at, Actor: reg.CreatedBy, ActorName: "Operatore " + reg.CreatedBy,
			Action: "registration.created", EntityKind: domain.KindRegistration, EntityID: reg.ID,
			RequestID: fmt.Sprintf("req-%d", i), ClientAddress: "10.0.0.1"}},
		Idempotency: &domain.IdempotencyRecord{PrincipalID: reg.CreatedBy, Key: reg.ID, RequestHash: digest[:32],
			Kind: domain.KindRegistration, ResourceID: reg.ID, CreatedAt: at},
	}
	return reg, w
}

// scalePoolBlobs writes the pool's first n texts to the blob store (a text already there is
// kept: the store is content-addressed) and returns their digests and sizes.
func scalePoolBlobs(t *testing.T, dir string, n int) ([]string, []int) {
	t.Helper()
	store, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	digests, sizes := make([]string, n), make([]int, n)
	start := time.Now()
	// Eight writers, so that the fsyncs of one overlap the others'.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for k := w; k < n; k += 8 {
				text := scaleText(k)
				digests[k], sizes[k] = scaleDigest(text), len(text)
				if ok, err := store.Exists(t.Context(), digests[k]); err != nil {
					errs <- err
					return
				} else if ok {
					continue
				}
				if _, _, err := store.Put(t.Context(), bytes.NewReader([]byte(text))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	t.Logf("blob pool: %d texts ready in %s", n, time.Since(start).Round(time.Millisecond))
	return digests, sizes
}

// scaleWriteGroup stores rs (one register and year, numbered next, in order) with the rows
// the registration path writes for each — a change-feed event, content references, offices,
// chained audit events, an idempotency record — and their texts as the text worker would, as
// done. The rows of each table are inserted by one multi-row statement: group commit's
// statement per registration and table costs PostgreSQL time more than linear in the group.
// The registrations are numbered and inserted by group commit's own statement
// (numberAndInsertAll), which on PostgreSQL commits.
func (db *DB) scaleWriteGroup(ctx context.Context, rs []*domain.Registration, ws []domain.Write, texts []string) error {
	encs := make([]encoded, len(rs))
	for i, r := range rs {
		enc, err := prepare(r)
		if err != nil {
			return err
		}
		encs[i] = enc
	}
	t0 := time.Now()
	defer func() { scaleTrace("group of %d: %s", len(rs), time.Since(t0)) }()
	return db.write(ctx, func(tx *gorm.DB) error {
		aoo, err := db.loadAOO(tx)
		if err != nil {
			return err
		}
		// The change events, in the registrations' order; each one's position goes to its
		// registration, as changeStmt's does.
		at := db.ts(db.now())
		var events, refs, offices, idem [][]any
		byID := make(map[string]*domain.Registration, len(rs))
		var audit []domain.AuditEvent
		for i, r := range rs {
			byID[r.ID] = r
			events = append(events, []any{at, changeCreated, domain.KindRegistration, r.ID})
			for _, d := range digests(r) {
				refs = append(refs, []any{d, domain.KindRegistration, r.ID})
			}
			for o, code := range r.Offices {
				offices = append(offices, []any{r.ID, code, o})
			}
			audit = append(audit, ws[i].Audit...)
			if rec := ws[i].Idempotency; rec != nil {
				idem = append(idem, []any{rec.PrincipalID, rec.Key, rec.RequestHash, rec.Kind, rec.ResourceID, db.ts(rec.CreatedAt)})
			}
		}
		ins := insertBatches("change_events", []string{"at", "kind", "entity_kind", "entity_id"}, events, len(events))[0]
		rows, err := tx.Raw(ins.sql+` RETURNING entity_id, position`, ins.args...).Rows()
		if err != nil {
			return fmt.Errorf("change events: %w", err)
		}
		for rows.Next() {
			var id string
			var pos int64
			if err := rows.Scan(&id, &pos); err != nil {
				rows.Close()
				return err
			}
			byID[id].Position = pos
		}
		if err := rows.Close(); err != nil {
			return err
		}
		scaleTrace("events %s", time.Since(t0))
		stmts := insertBatches("content_refs", []string{"sha256", "owner_kind", "owner_id"}, refs, 2000)
		stmts = append(stmts, insertBatches("registration_offices", []string{"registration_id", "office_code", "ordinal"}, offices, 2000)...)
		stmts = append(stmts, insertBatches("idempotency_keys", []string{"principal_id", "key", "request_hash",
			"resource_kind", "resource_id", "created_at"}, idem, 1000)...)
		if err := db.runAll(tx, nil, stmts...); err != nil {
			return err
		}
		scaleTrace("rows %s", time.Since(t0))
		// The audit chain's head is locked from here to the commit, as by runAllChainLast and
		// the numbering statement: concurrent writers take turns only for this part.
		if err := db.runAll(tx, nil, stmt{audit: audit}); err != nil {
			return err
		}
		scaleTrace("audit %s", time.Since(t0))
		if err := db.numberAndInsertAll(tx, aoo, rs, encs, nil); err != nil {
			return err
		}
		scaleTrace("numbered %s", time.Since(t0))
		// On PostgreSQL the registrations are committed: the texts follow in the transaction
		// numberAndInsertAll left open, as the text worker's would.
		now := db.ts(db.now())
		texts := func() [][]any {
			out := make([][]any, len(rs))
			for i, r := range rs {
				out[i] = []any{r.ID, domain.TextDone, texts[i], now}
			}
			return out
		}()
		return db.runAll(tx, nil, insertBatches("registration_texts",
			[]string{"registration_id", "status", "text", "updated_at"}, texts, 1000)...)
	})
}

// TestScaleFill brings the database of SPORTELLO_SCALE_URL to SPORTELLO_SCALE_N registrations
// (resuming where a previous run stopped) and its search index to the same.
func TestScaleFill(t *testing.T) {
	e := scaleConfig(t, "SPORTELLO_SCALE_N")
	ctx := t.Context()
	db := scaleOpen(t, e.url, 8)
	if os.Getenv("SPORTELLO_SCALE_SQLITE_CACHE_MIB") == "" {
		// The fill's own setting, not the server's: a 128 MiB page cache on the one write
		// connection keeps more of the indexes' pages between groups.
		scaleSQLiteCache(t, db, 128)
	}
	pool := min(e.n, scalePool)
	digests, sizes := scalePoolBlobs(t, filepath.Join(e.dir, "blobs"), pool)

	// Each year gets an even share; the registrations of a year are spread over it in the
	// order of their numbers.
	per := (e.n + len(scaleYears) - 1) / len(scaleYears)
	// SPORTELLO_SCALE_SPREAD (N by default) spreads the dates for that many registrations, so
	// that a fill continued to a larger N keeps the dates in the order of the numbers.
	spread := e.n
	if n, err := strconv.Atoi(os.Getenv("SPORTELLO_SCALE_SPREAD")); err == nil && n >= e.n {
		spread = n
	}
	step := 364 * 24 * time.Hour / time.Duration((spread+len(scaleYears)-1)/len(scaleYears))
	have := map[int]int64{}
	rows, err := db.read(ctx).Raw(`SELECT year, last_number FROM register_counters WHERE register_code = 'PG'`).Rows()
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var y int
		var n int64
		if err := rows.Scan(&y, &n); err != nil {
			t.Fatal(err)
		}
		have[y] = n
	}
	rows.Close()
	var total atomic.Int64
	for _, y := range scaleYears {
		total.Add(have[y])
	}
	t.Logf("fill %s to %d registrations: %d there", Redacted(e.url), e.n, total.Load())
	at := func(y int, number int64) time.Time {
		return time.Date(y, 1, 1, 7, 0, 0, 0, time.UTC).Add(time.Duration(number-1) * step)
	}
	seed := uint64(time.Now().UnixNano())
	// The first registration of a year creates its counter row, alone, as the API's does.
	for _, y := range scaleYears {
		if have[y] > 0 {
			continue
		}
		k := int(seed % uint64(pool))
		r, w := scaleRegistration(seed, y, at(y, 1), k, digests[k], sizes[k])
		if err := db.CreateRegistration(ctx, r, w); err != nil {
			t.Fatal(err)
		}
		if err := db.scaleWriteTextsAlone(ctx, r.ID, scaleText(k)); err != nil {
			t.Fatal(err)
		}
		have[y] = 1
		total.Add(1)
		seed++
	}

	// The index follows the change feed while the database fills, in the projection's batches;
	// with SPORTELLO_SCALE_INDEX=later it is left for a later run (one with N already reached
	// only indexes), so that the two do not share the machine's cores.
	later := os.Getenv("SPORTELLO_SCALE_INDEX") == "later"
	x, err := search.Open(filepath.Join(e.dir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rome, _ := time.LoadLocation("Europe/Rome")
	p, err := search.NewProjection(x, db, db, rome, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	// SPORTELLO_SCALE_INDEX_BATCH sets the projection's batch: the fill's writers interleave
	// the years, so a batch's documents are spread over as many shards as years.
	if n, err := strconv.Atoi(os.Getenv("SPORTELLO_SCALE_INDEX_BATCH")); err == nil && n > 0 {
		p.Batch = n
	}
	filling := make(chan struct{})
	var indexed atomic.Int64
	var indexErr error
	var wg sync.WaitGroup
	start := time.Now()
	// Progress of the index, which CatchUp reports only when the feed is exhausted.
	progress := make(chan struct{})
	defer close(progress)
	go func() {
		if later {
			return
		}
		at, from := start, p.Cursor().Position
		for {
			select {
			case <-progress:
				return
			case <-time.After(30 * time.Second):
			}
			pos := p.Cursor().Position
			fmt.Fprintf(os.Stderr, "%s index at position %d (%.0f events/s)\n", time.Now().UTC().Format(time.TimeOnly),
				pos, float64(pos-from)/time.Since(at).Seconds())
			at, from = time.Now(), pos
		}
	}()
	wg.Go(func() {
		if later {
			return
		}
		done := false
		for {
			n, err := p.CatchUp(ctx)
			if err != nil {
				indexErr = err
				return
			}
			indexed.Add(int64(n))
			if n == 0 {
				if done {
					// The feed may hold back events of transactions that committed late:
					// wait until the index has every registration.
					if c, err := x.Count(); err != nil || c >= uint64(total.Load()) {
						return
					}
					time.Sleep(200 * time.Millisecond)
					continue
				}
				select {
				case <-filling:
					done = true
				case <-time.After(time.Second):
				}
			}
		}
	})

	before := total.Load()
	group := scaleGroup()
	var fillErr error
	var mu sync.Mutex
	var fw sync.WaitGroup
	// Several writers, each on its own years: they take turns only for the audit chain's head
	// and the commit (scaleWriteGroup).
	writers := 3
	if n, err := strconv.Atoi(os.Getenv("SPORTELLO_SCALE_WRITERS")); err == nil && n > 0 {
		writers = n
	}
	for w := range writers {
		fw.Go(func() {
			for {
				progressed := false
				for yi, y := range scaleYears {
					if yi%writers != w {
						continue
					}
					mu.Lock()
					next := have[y]
					mu.Unlock()
					if next >= int64(per) || total.Load() >= int64(e.n) {
						continue
					}
					size := int(min(int64(group), int64(per)-next, int64(e.n)-total.Load()))
					rs := make([]*domain.Registration, size)
					ws := make([]domain.Write, size)
					texts := make([]string, size)
					for j := range size {
						s := seed + uint64(y)<<40 + uint64(next) + uint64(j)
						k := int(s % uint64(pool))
						rs[j], ws[j] = scaleRegistration(s, y, at(y, next+int64(j)+1), k, digests[k], sizes[k])
						texts[j] = scaleText(k)
					}
					if err := db.scaleWriteGroup(ctx, rs, ws, texts); err != nil {
						mu.Lock()
						fillErr = err
						mu.Unlock()
						return
					}
					mu.Lock()
					have[y] = next + int64(size)
					mu.Unlock()
					if sum := total.Add(int64(size)); sum/100_000 != (sum-int64(size))/100_000 {
						el := time.Since(start).Seconds()
						fmt.Fprintf(os.Stderr, "%s filled %d (%.0f/s), indexed %d\n", time.Now().UTC().Format(time.TimeOnly),
							sum, float64(sum-before)/el, indexed.Load())
					}
					progressed = true
				}
				if !progressed {
					return
				}
			}
		})
	}
	fw.Wait()
	close(filling)
	if fillErr != nil {
		t.Fatal(fillErr)
	}
	fillTime := time.Since(start)
	t.Logf("filled %d registrations in %s: %.0f/s", total.Load()-before, fillTime.Round(time.Second),
		float64(total.Load()-before)/fillTime.Seconds())
	wg.Wait()
	if indexErr != nil {
		t.Fatal(indexErr)
	}
	if later {
		return
	}
	n, err := x.Count()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("index: %d documents, caught up %s after the start", n, time.Since(start).Round(time.Second))
	if n < uint64(total.Load()) {
		t.Errorf("index holds %d documents, the database %d registrations", n, total.Load())
	}
}

// scaleWriteTextsAlone stores one registration's text as done.
func (db *DB) scaleWriteTextsAlone(ctx context.Context, id, text string) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		return db.runAll(tx, nil, insertBatches("registration_texts",
			[]string{"registration_id", "status", "text", "updated_at"}, [][]any{{id, domain.TextDone, text, db.ts(db.now())}}, 1)...)
	})
}

func scaleTrace(f string, args ...any) {
	if os.Getenv("SPORTELLO_SCALE_TRACE") != "" {
		fmt.Fprintf(os.Stderr, f+"\n", args...)
	}
}
