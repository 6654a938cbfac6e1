package search_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/search"
	"github.com/sportello/sportello/storage"
	"github.com/sportello/sportello/storage/storagetest"
)

// seed stores n registrations straight through storage.
func seed(t *testing.T, db *storage.DB, n int, subject string) []string {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Bootstrap(ctx, domain.AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune", CreatedAt: time.Now()},
		domain.Register{Code: "PG", Name: "Protocollo generale", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range n {
		r := &domain.Registration{ID: domain.NewID(), Register: "PG", Year: 2026, RegisteredAt: time.Now(), Date: "2026-11-28",
			Direction: domain.Incoming, Channel: domain.ChannelWeb, Subject: fmt.Sprintf("%s %d", subject, i),
			Correspondents: []domain.Correspondent{{Role: domain.RoleSender, Type: domain.TypePerson, Name: "Anna Verdi"}},
			Document:       domain.File{Filename: "a.pdf", MediaType: "application/pdf", Size: 1, SHA256: strings.Repeat("ab", 32)},
			Attachments:    []domain.File{}, Offices: []string{}, Dossiers: []string{}, Status: domain.StatusActive, CreatedBy: "op"}
		if err := db.CreateRegistration(ctx, r, domain.Write{}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// indexedIDs lists every registration id the index holds, as a records officer sees them.
func indexedIDs(t *testing.T, x *search.Index) []string {
	t.Helper()
	var ids []string
	q := search.Query{Visibility: domain.Visibility{All: true}, Limit: search.MaxLimit, Sort: search.SortDate}
	for {
		res, err := x.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Items {
			ids = append(ids, h.ID)
		}
		if res.NextCursor == "" {
			slices.Sort(ids)
			return ids
		}
		q.Cursor = res.NextCursor
	}
}

// catchUp steps p until the feed has nothing more (bounded: PostgreSQL's feed may hold back
// while other transactions on the server are open).
func catchUp(t *testing.T, p *search.Projection, want int, x *search.Index) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := p.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c, _ := x.Count(); n == 0 && int(c) >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("projection did not catch up")
		}
		if n == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestProjectionConvergesAfterCrash: the index is a projection of the database. A process that
// dies after indexing a batch but before saving its cursor, or that loses its index altogether,
// ends with exactly the database's registrations, none twice.
func TestProjectionConvergesAfterCrash(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := storagetest.Open(t, url)
		want := seed(t, db, 1200, "pratica edilizia")
		slices.Sort(want)
		dir := t.TempDir()

		x, err := search.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		p, err := search.NewProjection(x, db, db, time.UTC, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.Batch = 500                          // so that the 1,200 registrations take several steps
		if _, err := p.Step(ctx); err != nil { // one batch indexed and its cursor saved
			t.Fatal(err)
		}
		// The crash: the next batch reaches the index but not the cursor file.
		events, err := db.Changes(ctx, p.Cursor(), 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			r, err := db.RegistrationByID(ctx, e.EntityID)
			if err != nil {
				t.Fatal(err)
			}
			if err := x.Put(ctx, search.FromRegistration(r)); err != nil {
				t.Fatal(err)
			}
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}

		x, err = search.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		p, err = search.NewProjection(x, db, db, time.UTC, nil)
		if err != nil {
			t.Fatal(err)
		}
		catchUp(t, p, len(want), x)
		if got := indexedIDs(t, x); !slices.Equal(got, want) {
			t.Fatalf("index holds %d registrations, the database %d", len(got), len(want))
		}

		t.Run("RebuildsFromScratch", func(t *testing.T) {
			fresh, err := search.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			p, err := search.NewProjection(fresh, db, db, time.UTC, nil)
			if err != nil {
				t.Fatal(err)
			}
			catchUp(t, p, len(want), fresh)
			if got := indexedIDs(t, fresh); !slices.Equal(got, want) {
				t.Fatalf("rebuilt index holds %d registrations, the database %d", len(got), len(want))
			}
		})
	})
}

func TestProjectionWaitFor(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		db := storagetest.Open(t, url)
		seed(t, db, 3, "istanza")
		x, err := search.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		p, err := search.NewProjection(x, db, db, time.UTC, nil)
		if err != nil {
			t.Fatal(err)
		}
		target, err := db.FeedCursorOf(context.Background(), 3)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("ErrDeadlineBeforeIndexing", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := p.WaitFor(ctx, target); err == nil {
				t.Fatal("WaitFor returned before anything was indexed")
			}
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go p.Run(ctx, 10*time.Millisecond)
		wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
		defer wcancel()
		if err := p.WaitFor(wctx, target); err != nil {
			t.Fatal(err)
		}
		if p.Cursor().Before(target) {
			t.Fatalf("WaitFor returned at %+v, before %+v", p.Cursor(), target)
		}
	})
}

// failingSource fails the registrations' load from its failAt-th call on.
type failingSource struct {
	*storage.DB
	calls, failAt int
}

func (s *failingSource) RegistrationsByID(ctx context.Context, ids []string) (map[string]*domain.Registration, error) {
	if s.calls++; s.calls >= s.failAt {
		return nil, fmt.Errorf("load %d registrations: database gone", len(ids))
	}
	return s.DB.RegistrationsByID(ctx, ids)
}

// TestProjectionCatchUp: CatchUp loads the next batch while it indexes one. It reads the whole
// feed, every registration once; when a load fails it stops with the error, the cursor at the
// last batch indexed and every document before it in the index, and the next CatchUp goes on
// from there.
func TestProjectionCatchUp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := storagetest.Open(t, url)
		want := seed(t, db, 1000, "contributo economico")
		slices.Sort(want)
		x, err := search.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		src := &failingSource{DB: db, failAt: 3}
		p, err := search.NewProjection(x, db, src, time.UTC, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.Batch = 200
		// PostgreSQL's feed may hold back while other transactions on the server are open, so a
		// CatchUp may end early without error: go on until the load fails.
		read := 0
		deadline := time.Now().Add(time.Minute)
		for {
			n, err := p.CatchUp(ctx)
			read += n
			if err != nil {
				if !strings.Contains(err.Error(), "database gone") {
					t.Fatal(err)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the load never failed")
			}
		}
		if c, _ := x.Count(); read == 0 || int(c) != read {
			t.Fatalf("CatchUp stopped after %d events with %d documents indexed", read, c)
		}
		events, err := db.Changes(ctx, domain.FeedCursor{}, read)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := p.Cursor(), events[len(events)-1].Cursor(); got != want {
			t.Fatalf("cursor %+v after the failure, want the last indexed batch's %+v", got, want)
		}

		src.failAt = 1 << 30
		deadline = time.Now().Add(time.Minute)
		for c, _ := x.Count(); int(c) < len(want); c, _ = x.Count() {
			if _, err := p.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatal("projection did not catch up")
			}
		}
		if got := indexedIDs(t, x); !slices.Equal(got, want) {
			t.Fatalf("index holds %d registrations, the database %d", len(got), len(want))
		}
	})
}
