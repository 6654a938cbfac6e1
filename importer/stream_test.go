package importer

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestInRegisterOrder: the entries of the emergency register come first, by outage, number,
// date and manifest order, across several blocks of emergencyBlock; then the other rows in
// manifest order; rows keep does not take are left out, and every row comes once with its
// index. CountRows counts the rows, blank lines not.
func TestInRegisterOrder(t *testing.T) {
	dir := t.TempDir()
	var m strings.Builder
	m.WriteString("file,subject,sender_name,emergency_number,emergency_date,outage\n")
	const entries = 2*emergencyBlock + 300
	type entry struct {
		outage string
		number int
	}
	var want []entry
	perm := rand.Perm(entries)
	n := 0
	for i, p := range perm {
		outage := []string{"b", "a"}[p%2]
		fmt.Fprintf(&m, "e%d.pdf,Voce,Mario Rossi,%d,2026-11-30,%s\n", p, p+1, outage)
		want = append(want, entry{outage, p + 1})
		n++
		if i%7 == 0 {
			fmt.Fprintf(&m, "o%d.pdf,Ordinaria %d,Mario Rossi,,,\n", n, n)
			n++
		}
		if i%500 == 0 {
			m.WriteString("  \n") // a blank line: no row, no index
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), []byte(m.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if count, err := src.CountRows(); err != nil || count != n {
		t.Fatalf("CountRows %d, %v; want %d", count, err, n)
	}
	slices.SortFunc(want, func(a, b entry) int {
		if a.outage != b.outage {
			return strings.Compare(a.outage, b.outage)
		}
		return a.number - b.number
	})
	all, err := src.Rows()
	if err != nil {
		t.Fatal(err)
	}
	skip := 1 // an ordinary row (the second) keep does not take
	var got []entry
	var ordinary, seen []int
	err = src.InRegisterOrder(func(i int) bool { return i != skip }, func(i int, r Row) error {
		if r.Line != all[i].Line {
			t.Fatalf("row %d has line %d, want %d", i, r.Line, all[i].Line)
		}
		seen = append(seen, i)
		if e := r.Metadata.Emergency; e != nil {
			if len(ordinary) > 0 {
				t.Fatalf("emergency entry %d after an ordinary row", e.Number)
			}
			got = append(got, entry{e.Outage, int(e.Number)})
		} else {
			ordinary = append(ordinary, i)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%d emergency entries, want %d; the first difference at %d: %v", len(got), len(want), i, got[i:min(i+3, len(got))])
	}
	if !slices.IsSorted(ordinary) {
		t.Fatal("ordinary rows out of manifest order")
	}
	slices.Sort(seen)
	if len(seen) != n-1 || slices.Contains(seen, skip) || len(slices.Compact(seen)) != n-1 {
		t.Fatalf("%d rows handed over, want each of %d once but row %d", len(seen), n, skip)
	}
}
