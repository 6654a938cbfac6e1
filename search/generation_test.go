package search

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGenerations(t *testing.T) {
	dir := t.TempDir()
	// An index laid out before generations: a shard and the cursor directly in dir.
	if err := os.Mkdir(filepath.Join(dir, "2026"+shardSuffix), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, cursorFile), []byte(`{"Position":7}`), 0o640); err != nil {
		t.Fatal(err)
	}
	first, err := CurrentGeneration(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"2026" + shardSuffix, cursorFile} {
		if _, err := os.Stat(filepath.Join(first, name)); err != nil {
			t.Errorf("legacy %s not adopted by the first generation: %v", name, err)
		}
	}
	if again, err := CurrentGeneration(dir); err != nil || again != first {
		t.Fatalf("current generation %q (%v), want %q", again, err, first)
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
