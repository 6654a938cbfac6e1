package app_test

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
)

// TestConcurrentNumbering is N2 through HTTP: 500 registrations from 50 concurrent clients take
// exactly the next 500 numbers.
func TestConcurrentNumbering(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		first := register(t, s, op, "", "prima")
		if first.Number != 1 || first.NumberFormatted != "0000001" {
			t.Fatalf("first registration: %d %q, want 1 \"0000001\"", first.Number, first.NumberFormatted)
		}
		const clients, each = 50, 10
		var (
			mu      sync.Mutex
			numbers []int64
			wg      sync.WaitGroup
			failed  atomic.Int32
		)
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					r, err := post(s, op, "", fmt.Sprintf("client %d request %d", c, i))
					if err != nil {
						failed.Add(1)
						t.Error(err)
						return
					}
					mu.Lock()
					numbers = append(numbers, r.Number)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if failed.Load() > 0 {
			t.FailNow()
		}
		sort.Slice(numbers, func(i, j int) bool { return numbers[i] < numbers[j] })
		if len(numbers) != clients*each {
			t.Fatalf("%d registrations, want %d", len(numbers), clients*each)
		}
		for i, n := range numbers {
			if n != int64(i+2) {
				t.Fatalf("numbers[%d] = %d, want %d: a duplicate or a gap", i, n, i+2)
			}
		}
	})
}

// TestYearRollover is N3: the numbering year is the calendar year in Rome, whatever UTC says.
func TestYearRollover(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Time{})
	set := clock.Set
	set(time.Date(2026, 12, 31, 23, 30, 0, 0, rome))
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		set(time.Date(2026, 12, 31, 23, 30, 0, 0, rome))
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		old := register(t, s, op, "", "ultima del 2026")
		if old.Year != 2026 || old.Date != "2026-12-31" || old.Number != 1 {
			t.Fatalf("23:30 on 31 Dec Rome: year %d date %s number %d", old.Year, old.Date, old.Number)
		}
		second := register(t, s, op, "", "penultima")
		if second.Number != 2 {
			t.Fatalf("second 2026 number %d", second.Number)
		}
		newYear := time.Date(2027, 1, 1, 0, 30, 0, 0, rome)
		if newYear.UTC().Year() != 2026 {
			t.Fatal("test premise: 00:30 Rome on 1 Jan is still 2026 in UTC")
		}
		set(newYear)
		r := register(t, s, op, "", "prima del 2027")
		if r.Year != 2027 || r.Date != "2027-01-01" || r.Number != 1 || r.NumberFormatted != "0000001" {
			t.Fatalf("00:30 on 1 Jan Rome: year %d date %s number %d", r.Year, r.Date, r.Number)
		}
		if r.RegisteredAt != "2026-12-31T23:30:00Z" {
			t.Fatalf("registered_at %s, want the UTC instant 2026-12-31T23:30:00Z", r.RegisteredAt)
		}
	}, apptest.WithClock(clock.Now))
}

// TestConcurrentIdempotentRetries: the same Idempotency-Key sent by 10 clients at once yields one
// registration and takes one number.
func TestConcurrentIdempotentRetries(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		var wg sync.WaitGroup
		ids := make([]string, 10)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := post(s, op, "retry-key-1", "stessa istanza")
				if err != nil {
					t.Error(err)
				}
				ids[i] = r.ID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("different registrations for one key: %v", ids)
			}
		}
		if next := register(t, s, op, "", "dopo"); next.Number != 2 {
			t.Fatalf("next number %d, want 2: a retry took a number", next.Number)
		}
	})
}
