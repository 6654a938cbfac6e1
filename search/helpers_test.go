package search

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
)

var (
	seeAll    = domain.Visibility{All: true}
	operatorT = domain.Visibility{Public: true, Offices: []string{"TEC"}, CreatedBy: "op9"}
)

// fixtures reads testdata/documents.json.
func fixtures(t testing.TB) []Document {
	t.Helper()
	raw, err := os.ReadFile("testdata/documents.json")
	if err != nil {
		t.Fatal(err)
	}
	var docs []Document
	if err := json.Unmarshal(raw, &docs); err != nil {
		t.Fatal(err)
	}
	return docs
}

// openEmpty opens an empty index in a temp dir, closed when the test ends.
func openEmpty(t *testing.T) *Index {
	t.Helper()
	x, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

// openFixtures opens an index in a temp dir holding the fixtures.
func openFixtures(t *testing.T) *Index {
	t.Helper()
	x := openEmpty(t)
	if err := x.Put(context.Background(), fixtures(t)...); err != nil {
		t.Fatal(err)
	}
	return x
}

func search(t *testing.T, x *Index, q Query) Result {
	t.Helper()
	res, err := x.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return res
}

// ids returns the ids of the hits, sorted unless the order matters.
func ids(res Result, sorted bool) []string {
	out := []string{}
	for _, h := range res.Items {
		out = append(out, h.ID)
	}
	if sorted {
		slices.Sort(out)
	}
	return out
}

// expect checks that q (seeing everything unless it says otherwise) finds exactly want.
func expect(t *testing.T, x *Index, q Query, want ...string) Result {
	t.Helper()
	if q.Visibility.Offices == nil && !q.Visibility.Public && q.Visibility.CreatedBy == "" {
		q.Visibility.All = true
	}
	res := search(t, x, q)
	slices.Sort(want)
	if want == nil {
		want = []string{}
	}
	if got := ids(res, true); !slices.Equal(got, want) {
		t.Errorf("query %q: got %v, want %v", q.Q, got, want)
	}
	if res.Total != uint64(len(want)) {
		t.Errorf("query %q: total %d, want %d", q.Q, res.Total, len(want))
	}
	return res
}

func wantCode(t *testing.T, err error, code domain.ErrorCode) {
	t.Helper()
	var e *domain.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func itoa(n int) string { return strconv.Itoa(n) }
