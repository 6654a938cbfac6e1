package search

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestGenerations(t *testing.T) {
	dir := t.TempDir()
	// An index laid out before generations: a year shard and the cursor directly in dir. Its
	// shards are of the year layout: they are removed, and a first, empty generation is
	// rebuilt from the start of the feed.
	if err := os.Mkdir(filepath.Join(dir, "2026"+shardSuffix), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, cursorFile), []byte(`{"Position":7}`), 0o640); err != nil {
		t.Fatal(err)
	}
	first, replaced, err := CurrentGeneration(dir)
	if err != nil || !replaced {
		t.Fatalf("current generation of a legacy index: %q, replaced %v (%v)", first, replaced, err)
	}
	for _, name := range []string{"2026" + shardSuffix, cursorFile} {
		for _, in := range []string{dir, first} {
			if _, err := os.Stat(filepath.Join(in, name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("legacy %s in %s: %v", name, in, err)
			}
		}
	}
	if again, replaced, err := CurrentGeneration(dir); err != nil || again != first || replaced {
		t.Fatalf("current generation %q, replaced %v (%v), want %q", again, replaced, err, first)
	}

	second, err := NewGeneration(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := PublishedGeneration(dir); got != first {
		t.Fatalf("a generation being built is published: %q", got)
	}
	if err := PublishGeneration(dir, filepath.Join(t.TempDir(), "gen-x")); err == nil {
		t.Fatal("published a directory outside the index")
	}
	if err := PublishGeneration(dir, second); err != nil {
		t.Fatal(err)
	}
	if got, _ := PublishedGeneration(dir); got != second {
		t.Fatalf("published %q, want %q", got, second)
	}
	third, err := NewGeneration(dir) // a reindex in progress
	if err != nil {
		t.Fatal(err)
	}
	if err := RemoveOlderGenerations(dir, second); err != nil {
		t.Fatal(err)
	}
	for gen, want := range map[string]bool{first: false, second: true, third: true} {
		if _, err := os.Stat(gen); (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", filepath.Base(gen), err == nil, want)
		}
	}
}

// TestGenerationOfOlderLayout: a current generation of the year layout (no layout file) is
// replaced by a new, empty one, published in its place, which RemoveOlderGenerations then
// removes; a new generation is of this layout and stays current.
func TestGenerationOfOlderLayout(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, genPrefix+"20250101T000000.000000000")
	if err := os.MkdirAll(filepath.Join(old, "2026"+shardSuffix), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, cursorFile), []byte(`{"Position":7}`), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := PublishGeneration(dir, old); err != nil {
		t.Fatal(err)
	}
	gen, replaced, err := CurrentGeneration(dir)
	if err != nil || !replaced || gen == old {
		t.Fatalf("current generation %q, replaced %v (%v); want a new one replacing %q", gen, replaced, err, old)
	}
	if published, _ := PublishedGeneration(dir); published != gen {
		t.Fatalf("published %q, want %q", published, gen)
	}
	if _, err := os.Stat(filepath.Join(gen, cursorFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the new generation has a cursor: %v", err)
	}
	if err := RemoveOlderGenerations(dir, gen); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the generation of the older layout is still there: %v", err)
	}
	x, err := Open(gen)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if again, replaced, err := CurrentGeneration(dir); err != nil || again != gen || replaced {
		t.Fatalf("current generation %q, replaced %v (%v), want %q kept", again, replaced, err, gen)
	}
}
