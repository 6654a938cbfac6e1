//go:build linux

package storage

// TestScaleMeasure: the measurements of the scale benchmarks (scale_test.go) on a filled
// database. One command per size, for example:
//
//	SPORTELLO_SCALE_MEASURE=1 SPORTELLO_SCALE_DIR=/work/scale-data/pg100k \
//	SPORTELLO_SCALE_URL='postgres://postgres@127.0.0.1:5432/scale100k?sslmode=disable' \
//	go test ./storage -run TestScaleMeasure -count=1 -v -timeout 0
//
// It reports, in order: the sizes of the database, the blob store and the search index; the
// latency of a broad search over one year and over all years (with facets, and without them as
// the index's own ceiling); the memory of this process holding the database pool and the
// index; then, in alternating rounds, the registration throughput of the storage path (50
// concurrent callers, as BenchmarkCreateRegistration) on a new empty database, on the filled
// one, and on the filled one through two pools (two replicas, PostgreSQL only), and
// PostgreSQL's raw ceiling for the same statements: pgbench with 16 clients running the
// registration's counter update and inserts on a scratch database of the same schema.

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/search"
)

// scaleDirSize sums the sizes of the files under dir and counts them.
func scaleDirSize(dir string) (size int64, files int) {
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			size += info.Size()
			files++
		}
		return nil
	})
	return size, files
}

// scaleStatus returns a field of /proc/self/status in MiB (VmRSS, VmHWM), or -1.
func scaleStatus(field string) float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}

func scaleMemory(t *testing.T, when string) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("memory %s: live heap %.0f MiB, RSS %.0f MiB (peak %.0f MiB)", when,
		float64(m.HeapAlloc)/(1<<20), scaleStatus("VmRSS"), scaleStatus("VmHWM"))
}

// scaleCPU returns the CPU time this process has used: on a shared machine a query's CPU time
// depends much less on the neighbours than its wall time.
func scaleCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scalePercentiles returns the p50, p95 and p99 of lat in milliseconds.
func scalePercentiles(lat []time.Duration) (p50, p95, p99 float64) {
	slices.Sort(lat)
	ms := func(p float64) float64 { return float64(lat[int(math.Ceil(p*float64(len(lat))))-1]) / 1e6 }
	return ms(0.50), ms(0.95), ms(0.99)
}

// scaleSearch runs n queries of the search benchmark (search/bench_test.go's BenchmarkQuery)
// and logs their latency.
func scaleSearch(t *testing.T, x *search.Index, name string, from, to time.Time, facets []string, n int) {
	scaleSearchWords(t, x, name, scaleBroad, from, to, facets, n)
}

// scaleBroad are the benchmark's broad queries: two words that ≈ 8 % of the registrations hold.
var scaleBroad = []string{"richiesta certificato", "permesso costruire", "contributo economico",
	"accesso atti", "pubblicità stradale", "residenza rossi", "trasporto scolastico", "rimborso tari"}

// scaleNarrow returns n narrow queries: the number of one letter of the filler's pool
// ("Prot. interno K/…", scaleText), which a registration in scalePool holds, so ≈ N/20,000 match
// across all years.
func scaleNarrow(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(1000 + i*7919%(scalePool-1000))
	}
	return out
}

// scaleSearchWords measures n searches, one for each of words in turn, with the benchmark's
// direction filter and visibility: latency percentiles, CPU time, hits and how many answers
// were exact (search.Result.TotalExact).
func scaleSearchWords(t *testing.T, x *search.Index, name string, words []string, from, to time.Time, facets []string, n int) {
	vis := domain.Visibility{Public: true, Offices: []string{"TEC"}, CreatedBy: "op1"}
	lat := make([]time.Duration, 0, n)
	var first time.Duration
	var total uint64
	exact := 0
	var cpu time.Duration
	for i := range n + 1 {
		if i == 1 {
			cpu = scaleCPU()
		}
		q := search.Query{Q: words[i%len(words)], Direction: "incoming", From: from, To: to, Facets: facets, Visibility: vis}
		start := time.Now()
		res, err := x.Search(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = time.Since(start)
			continue
		}
		lat = append(lat, time.Since(start))
		total += res.Total
		if res.TotalExact {
			exact++
		}
	}
	cpu = scaleCPU() - cpu
	p50, p95, p99 := scalePercentiles(lat)
	t.Logf("search %-26s %d queries: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, CPU %.1f ms a query (first %.0f ms; %d hits counted a query on average, %d of %d exact)",
		name, n, p50, p95, p99, float64(cpu)/1e6/float64(n), float64(first)/1e6, total/uint64(n), exact, n)
}

// scaleRegister registers n registrations from 50 goroutines spread over dbs (one pool each,
// as replicas are), in register PG of this year, and returns registrations per second.
func scaleRegister(t *testing.T, dbs []*DB, n int) float64 {
	const callers = 50
	now := time.Now()
	seed := uint64(now.UnixNano())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	start := time.Now()
	for g := range callers {
		db := dbs[g%len(dbs)]
		wg.Go(func() {
			for i := g; i < n; i += callers {
				s := seed + uint64(i)
				k := int(s % 1000)
				text := scaleText(k)
				r, w := scaleRegistration(s, now.Year(), time.Now(), k, scaleDigest(text), len(text))
				if err := db.CreateRegistration(context.Background(), r, w); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	return float64(n) / time.Since(start).Seconds()
}

// scaleLiteral writes v as an SQL literal for the pgbench script.
func scaleLiteral(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case time.Time:
		return "'" + v.Format(time.RFC3339Nano) + "'"
	case []byte:
		return "'" + strings.ReplaceAll(string(v), "'", "''") + "'"
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	default:
		return "'" + strings.ReplaceAll(fmt.Sprint(v), "'", "''") + "'"
	}
}

// scalePgbenchScript returns a pgbench script doing the statements of k registrations as the
// storage path sends them on PostgreSQL (insertRegistration and numberAndInsert for one,
// insertGroup and numberAndInsertAll for a group): the change events, content references,
// offices and idempotency records with the audit chain's head locked, then the counter's
// update with the audit events, the move of the chain's head and the registration rows, sent
// with the commit in one round trip (pgbench's \;). Only the audit hash is not SHA-256 of the
// event (md5 in SQL).
func (db *DB) scalePgbenchScript(aoo domain.AOO, year, k int) string {
	text := scaleText(1)
	r, w := scaleRegistration(1, year, time.Now(), 1, scaleDigest(text), len(text))
	enc, _ := prepare(r)
	id := `('pgb-' || :client_id || '-' || :r || '-' || g)`
	number := fmt.Sprintf("(counter.last_number - %d + g)", k)
	prefix := strings.TrimSuffix(domain.Identifier(aoo, r.Register, year, 0), domain.FormatNumber(0))
	var cols []string
	for _, c := range registrationTable {
		var v string
		switch c.name {
		case "id":
			v = id
		case colNumber:
			v = number
		case colIdentifier:
			v = scaleLiteral(prefix) + ` || lpad(` + number + `::text, 7, '0')`
		default:
			v = scaleLiteral(c.value(db, r, enc))
			if c.cast != "" {
				v += "::" + c.cast
			}
		}
		cols = append(cols, v)
	}
	e := w.Audit[0]
	gs := fmt.Sprintf("generate_series(1, %d) AS g", k)
	return fmt.Sprintf(`\set r random(1, 1000000000000)
BEGIN;
WITH s0 AS (INSERT INTO change_events (at, kind, entity_kind, entity_id) SELECT now(), 'registration.created', 'registration', %[1]s FROM %[9]s RETURNING position), s1 AS (INSERT INTO content_refs (sha256, owner_kind, owner_id) SELECT %[2]s, 'registration', %[1]s FROM %[9]s), s2 AS (INSERT INTO registration_offices (registration_id, office_code, ordinal) SELECT %[1]s, 'TEC', 0 FROM %[9]s), s3 AS (INSERT INTO idempotency_keys (principal_id, key, request_hash, resource_kind, resource_id, created_at) SELECT 'pgbench', %[1]s, 'h', 'registration', %[1]s, now() FROM %[9]s), s4 AS (SELECT seq, hash FROM audit_chain WHERE id = 1 FOR UPDATE OF audit_chain) SELECT count(*) FROM s0 CROSS JOIN s4;
WITH counter AS (UPDATE register_counters SET last_number = last_number + %[10]d WHERE register_code = 'PG' AND year = %[3]d RETURNING last_number), a AS (INSERT INTO audit_events (at, actor, actor_name, action, entity_kind, entity_id, field, old_value, new_value, detail, actor_person, request_id, client_address, seq, prev_hash, hash) SELECT now(), %[4]s, %[5]s, 'registration.created', 'registration', %[1]s, '', NULL, NULL, '', '', %[6]s, '10.0.0.1', seq + g, hash, md5(hash || g) FROM audit_chain, %[9]s WHERE id = 1), c AS (UPDATE audit_chain SET seq = seq + %[10]d, hash = md5(hash) WHERE id = 1) %[7]s SELECT %[8]s FROM counter, %[9]s \;
COMMIT;
`, id, scaleLiteral(r.Document.SHA256), year, scaleLiteral(e.Actor), scaleLiteral(e.ActorName), scaleLiteral(e.RequestID),
		registrationInsert, strings.Join(cols, ", "), gs, k)
}

var pgbenchTPS = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// scalePgbench runs script with 16 clients for d on dbURL and returns its transactions per second.
func scalePgbench(t *testing.T, dbURL, script string, d time.Duration) float64 {
	path := filepath.Join(t.TempDir(), "registration.sql")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pgbench", "-n", "-c", "16", "-j", "2", "-T", strconv.Itoa(int(d.Seconds())),
		"-f", path, dbURL).CombinedOutput()
	m := pgbenchTPS.FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("pgbench: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "number of failed transactions: ") && !strings.Contains(string(out), "number of failed transactions: 0 ") {
		t.Fatalf("pgbench: transactions failed\n%s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return tps
}

func scaleMedian(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// scaleSibling returns the URL of another database beside the one of dbURL, named name.
func scaleSibling(dbURL, name string) string {
	i := strings.LastIndex(dbURL, "/")
	rest := dbURL[i+1:]
	query := ""
	if j := strings.Index(rest, "?"); j >= 0 {
		query = rest[j:]
	}
	return dbURL[:i+1] + name + query
}

func TestScaleMeasure(t *testing.T) {
	e := scaleConfig(t, "SPORTELLO_SCALE_MEASURE")
	ctx := t.Context()
	pg := strings.HasPrefix(e.url, "postgres")
	if out, err := exec.Command("uptime").Output(); err == nil {
		t.Logf("start: %s", strings.TrimSpace(string(out)))
	}
	db := scaleOpen(t, e.url, 8)

	// Sizes.
	var regs, events, audit int64
	for q, dest := range map[string]*int64{`SELECT count(*) FROM registrations`: &regs,
		`SELECT count(*) FROM change_events`: &events, `SELECT count(*) FROM audit_events`: &audit} {
		if err := db.read(ctx).Raw(q).Row().Scan(dest); err != nil {
			t.Fatal(err)
		}
	}
	var dbBytes int64
	if pg {
		if err := db.read(ctx).Raw(`SELECT pg_database_size(current_database())`).Row().Scan(&dbBytes); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := db.w.WithContext(ctx).Exec(`PRAGMA wal_checkpoint(TRUNCATE)`).Error; err != nil {
			t.Log(err)
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if info, err := os.Stat(db.path + suffix); err == nil {
				dbBytes += info.Size()
			}
		}
	}
	blobBytes, blobFiles := scaleDirSize(filepath.Join(e.dir, "blobs"))
	indexBytes, _ := scaleDirSize(filepath.Join(e.dir, "index"))
	perM := func(b int64) float64 { return float64(b) / float64(regs) * 1e6 / (1 << 30) }
	t.Logf("registrations %d (change events %d, audit events %d)", regs, events, audit)
	t.Logf("database %.2f GiB (%.2f GiB per million); blobs %.3f GiB in %d files (a pool shared by all); index %.2f GiB (%.2f GiB per million)",
		float64(dbBytes)/(1<<30), perM(dbBytes), float64(blobBytes)/(1<<30), blobFiles, float64(indexBytes)/(1<<30), perM(indexBytes))

	// Search, unless SPORTELLO_SCALE_NO_SEARCH is set (the index is built after the
	// registration rounds, say).
	if os.Getenv("SPORTELLO_SCALE_NO_SEARCH") == "" {
		scaleMeasureSearch(t, e)
	}
	if os.Getenv("SPORTELLO_SCALE_NO_REGISTER") != "" {
		return
	}
	scaleMeasureRegister(t, e, db, pg)
}

// scaleMeasureSearch measures the index of e: size in documents, latency of the benchmark's
// query over one year and over all years, with and without facets, and memory.
func scaleMeasureSearch(t *testing.T, e scaleEnv) {
	scaleMemory(t, "before opening the index")
	opened := time.Now()
	x, err := search.Open(filepath.Join(e.dir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	docs, _ := x.Count()
	t.Logf("index: %d documents, opened in %s", docs, time.Since(opened).Round(time.Millisecond))
	n := 200
	if s, err := strconv.Atoi(os.Getenv("SPORTELLO_SCALE_QUERIES")); err == nil && s > 0 {
		n = s
	}
	year := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	facets := []string{"register", "class", "office"}
	// Alternated, twice: the second round is what a warm replica answers.
	for round := range 2 {
		scaleSearch(t, x, fmt.Sprintf("one year, facets (%d)", round+1), year, year.AddDate(0, 12, -1), facets, n)
		scaleSearch(t, x, fmt.Sprintf("one year, bare (%d)", round+1), year, year.AddDate(0, 12, -1), nil, n)
		scaleSearch(t, x, fmt.Sprintf("all years, facets (%d)", round+1), time.Time{}, time.Time{}, facets, n)
		scaleSearch(t, x, fmt.Sprintf("all years, bare (%d)", round+1), time.Time{}, time.Time{}, nil, n)
		scaleSearchWords(t, x, fmt.Sprintf("all years, narrow (%d)", round+1), scaleNarrow(n), time.Time{}, time.Time{}, facets, n)
	}
	scaleMemory(t, "with the database pool and the index open, after the searches")
}

// scaleMeasureRegister measures registration throughput on db, the filled database of e, against
// a new empty one, alternating, with PostgreSQL's ceiling (pg) in the same rounds.
func scaleMeasureRegister(t *testing.T, e scaleEnv, db *DB, pg bool) {
	ctx := t.Context()
	regsPerRun := 3000
	if s, err := strconv.Atoi(os.Getenv("SPORTELLO_SCALE_REGS")); err == nil && s > 0 {
		regsPerRun = s
	}
	rounds := 3
	if s, err := strconv.Atoi(os.Getenv("SPORTELLO_SCALE_ROUNDS")); err == nil && s > 0 {
		rounds = s
	}
	var emptyURL, ceilingURL string
	if pg {
		suffix := strconv.Itoa(os.Getpid())
		emptyURL = scaleSibling(e.url, "scale_empty_"+suffix)
		ceilingURL = scaleSibling(e.url, "scale_ceiling_"+suffix)
		t.Cleanup(func() { scaleDropDatabase(t, emptyURL); scaleDropDatabase(t, ceilingURL) })
	} else {
		emptyURL = "sqlite:" + filepath.Join(e.dir, fmt.Sprintf("empty-%d.db", os.Getpid()))
		t.Cleanup(func() {
			for _, s := range []string{"", "-wal", "-shm"} {
				_ = os.Remove(strings.TrimPrefix(emptyURL, "sqlite:") + s)
			}
		})
	}
	empty := scaleOpen(t, emptyURL, 8)
	var replica2 *DB
	var script, groupScript string
	if pg {
		replica2 = scaleOpen(t, e.url, 8)
		ceiling := scaleOpen(t, ceilingURL, 2)
		scaleRegister(t, []*DB{ceiling}, 1) // creates the counter row the script moves
		aoo, err := ceiling.AOO(ctx)
		if err != nil {
			t.Fatal(err)
		}
		script = ceiling.scalePgbenchScript(aoo, time.Now().Year(), 1)
		groupScript = ceiling.scalePgbenchScript(aoo, time.Now().Year(), maxGroup)
	}
	scaleRegister(t, []*DB{empty}, 100) // the counter row, as on the filled database
	if pg {
		t.Logf("pgbench scripts:\n%s\n%s", script, groupScript)
	}
	var rEmpty, rOne, rTwo, rCeil, rGroup []float64
	for round := range rounds {
		load := ""
		if out, err := exec.Command("cat", "/proc/loadavg").Output(); err == nil {
			load = strings.Join(strings.Fields(string(out))[:3], " ")
		}
		rEmpty = append(rEmpty, scaleRegister(t, []*DB{empty}, regsPerRun))
		rOne = append(rOne, scaleRegister(t, []*DB{db}, regsPerRun))
		line := fmt.Sprintf("round %d (load %s): empty database %.0f/s, filled %.0f/s (%.0f %%)", round+1, load,
			rEmpty[round], rOne[round], 100*rOne[round]/rEmpty[round])
		if pg {
			rTwo = append(rTwo, scaleRegister(t, []*DB{db, replica2}, regsPerRun))
			rCeil = append(rCeil, scalePgbench(t, ceilingURL, script, 10*time.Second))
			rGroup = append(rGroup, maxGroup*scalePgbench(t, ceilingURL, groupScript, 10*time.Second))
			line += fmt.Sprintf(", filled through 2 pools %.0f/s; pgbench ceiling %.0f registrations/s one a transaction, %.0f/s in groups of %d: filled/ceiling %.0f %% and %.0f %%, 2 pools/ceiling %.0f %% and %.0f %%",
				rTwo[round], rCeil[round], rGroup[round], maxGroup, 100*rOne[round]/rCeil[round], 100*rOne[round]/rGroup[round],
				100*rTwo[round]/rCeil[round], 100*rTwo[round]/rGroup[round])
		}
		t.Log(line)
	}
	line := fmt.Sprintf("median of %d rounds of %d registrations: empty %.0f/s, filled %.0f/s (%.0f %% of empty)",
		rounds, regsPerRun, scaleMedian(rEmpty), scaleMedian(rOne), 100*scaleMedian(rOne)/scaleMedian(rEmpty))
	if pg {
		c1, cg := scaleMedian(rCeil), scaleMedian(rGroup)
		line += fmt.Sprintf(", 2 pools %.0f/s; pgbench ceiling %.0f/s one a transaction, %.0f/s in groups of %d; filled/ceiling %.0f %% and %.0f %%, empty/ceiling %.0f %% and %.0f %%, 2 pools/ceiling %.0f %% and %.0f %%",
			scaleMedian(rTwo), c1, cg, maxGroup, 100*scaleMedian(rOne)/c1, 100*scaleMedian(rOne)/cg,
			100*scaleMedian(rEmpty)/c1, 100*scaleMedian(rEmpty)/cg, 100*scaleMedian(rTwo)/c1, 100*scaleMedian(rTwo)/cg)
	}
	t.Log(line)
	scaleMemory(t, "at the end (two pools and the index open)")
}
