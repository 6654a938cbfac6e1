package storage_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// BenchmarkCreateRegistration registers from 50 goroutines at once into one register, the
// worst case for the counter row, each with an audit event and an idempotency record as the
// API writes them. It reports registrations per second.
//
//	go test ./storage -run '^$' -bench CreateRegistration -benchtime 5000x
func BenchmarkCreateRegistration(b *testing.B) {
	testdb.EachB(b, func(b *testing.B, url string) {
		f := newFixture(b, url)
		procs := runtime.GOMAXPROCS(0)
		b.SetParallelism((50 + procs - 1) / procs) // at least 50 concurrent callers
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
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
	})
}
