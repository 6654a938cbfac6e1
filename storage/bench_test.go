package storage_test

import (
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkCreateRegistration registers from 50 goroutines at once into one register, the
// worst case for the counter row, each with an audit event and an idempotency record as the
// API writes them. It reports registrations per second and the CPU time a registration cost:
// this process's (go-cpu-µs/reg) and, on PostgreSQL on this machine, that of the server
// processes serving the benchmark's database (pg-cpu-µs/reg, read from /proc). On a machine
// shared with other work the rate varies with the load; the CPU time much less.
//
//	go test ./storage -run '^$' -bench CreateRegistration -benchtime 5000x
//
// scripts/bench-audit.sh runs it alternately on two builds (docs/benchmarks.md).
func BenchmarkCreateRegistration(b *testing.B) {
	testdb.EachB(b, func(b *testing.B, url string) {
		f := newFixture(b, url)
		procs := runtime.GOMAXPROCS(0)
		b.SetParallelism((50 + procs - 1) / procs) // at least 50 concurrent callers
		// One registration first, untimed: it creates the register's counter row, after which
		// concurrent registrations are written in group commits (groupcommit.go) — the steady
		// state. Until a counter row is known each registration is written alone, and on
		// PostgreSQL holds the audit chain's head from its first statement to its commit.
		warm := newRegistration()
		if err := f.db.CreateRegistration(b.Context(), warm, created(warm)); err != nil {
			b.Fatal(err)
		}
		g0 := f.db.GroupStats()
		var pg0 map[int]time.Duration
		if f.postgres() {
			pg0 = backendCPU(f.raw)
		}
		go0 := processCPU()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				r := newRegistration()
				w := created(r)
				w.Idempotency = &domain.IdempotencyRecord{PrincipalID: "bench", Key: fmt.Sprintf("%s-%d", r.ID, i),
					RequestHash: "h", Kind: domain.KindRegistration, ResourceID: r.ID, CreatedAt: testNow}
				if err := f.db.CreateRegistration(b.Context(), r, w); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
		if g := f.db.GroupStats(); g.Groups > g0.Groups {
			b.ReportMetric(float64(g.Registrations-g0.Registrations)/float64(g.Groups-g0.Groups), "regs/group")
		}
		b.ReportMetric(float64((processCPU()-go0).Microseconds())/float64(b.N), "go-cpu-µs/reg")
		if pg0 != nil {
			var used time.Duration
			for pid, t := range backendCPU(f.raw) {
				used += t - pg0[pid] // a backend started during the run counts from 0
			}
			if used > 0 {
				b.ReportMetric(float64(used.Microseconds())/float64(b.N), "pg-cpu-µs/reg")
			}
		}
	})
}

// processCPU returns the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU returns the CPU time used so far by each PostgreSQL backend connected to db's
// database, read from /proc/PID/stat: nothing when the server runs elsewhere. A backend whose
// connection closes before the second reading is not counted: the benchmark's pool keeps its
// connections.
func backendCPU(db *sql.DB) map[int]time.Duration {
	out := map[int]time.Duration{}
	rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// After "pid (comm) ", utime and stime are the 12th and 13th fields, in clock ticks
		// (100 a second on Linux).
		_, rest, ok := strings.Cut(string(stat), ") ")
		fields := strings.Fields(rest)
		if !ok || len(fields) < 13 {
			continue
		}
		utime, err1 := strconv.ParseInt(fields[11], 10, 64)
		stime, err2 := strconv.ParseInt(fields[12], 10, 64)
		if err1 == nil && err2 == nil {
			out[pid] = time.Duration(utime+stime) * 10 * time.Millisecond
		}
	}
	return out
}
