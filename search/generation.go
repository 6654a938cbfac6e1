package search

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// An index directory holds generations of the index, each a complete index (its month shards
// and its projection cursor) in a directory of its own, and a pointer file naming the one in
// use. `sportello reindex` builds a new generation from the database beside the one a running
// server answers from, then publishes it by replacing the pointer file (rename is atomic); the
// server notices, catches the new generation up, swaps it in and removes the old one. bleve
// allows one writer per index: the generation being built belongs to the reindex, the
// published one to the server.
const (
	currentFile = "CURRENT"
	genPrefix   = "gen-"
	// layoutFile, in a generation, names the layout its shards follow (shardLayout). A
	// generation without it is of the layout before month shards.
	layoutFile = "LAYOUT"
)

// CurrentGeneration returns the directory of the generation in use under dir, creating dir and
// a first, empty generation when there is none. A generation of another layout (year shards)
// cannot be read: an empty generation is published in its place, and replaced says so. The
// projection fills an empty generation from the start of the change feed, as it does an index
// deleted with its cursor; the caller removes the old one (RemoveOlderGenerations). So does an
// index laid out before generations (shards and cursor directly in dir, year shards too),
// whose shards and cursor are removed.
func CurrentGeneration(dir string) (gen string, replaced bool, err error) {
	name, err := readCurrent(dir)
	switch {
	case err == nil:
		gen = filepath.Join(dir, name)
		layout, err := os.ReadFile(filepath.Join(gen, layoutFile))
		if err == nil && strings.TrimSpace(string(layout)) == shardLayout {
			return gen, false, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", false, fmt.Errorf("search index generation %s: %w", gen, err)
		}
		replaced = true
	case !errors.Is(err, os.ErrNotExist):
		return "", false, err
	default:
		if replaced, err = removeLegacy(dir); err != nil {
			return "", false, err
		}
	}
	gen, err = NewGeneration(dir)
	if err != nil {
		return "", false, err
	}
	if err := PublishGeneration(dir, gen); err != nil {
		return "", false, err
	}
	return gen, replaced, nil
}

// readCurrent returns the name of the current generation, or an error wrapping os.ErrNotExist.
func readCurrent(dir string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, currentFile))
	if err != nil {
		return "", fmt.Errorf("search index generation: %w", err)
	}
	name := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(name, genPrefix) || filepath.Base(name) != name {
		return "", fmt.Errorf("search index generation: %s names %q, not a generation", currentFile, name)
	}
	return name, nil
}

// removeLegacy removes the shards and cursor of an index laid out before generations, which
// has year shards, and reports whether there were any.
func removeLegacy(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("search index %s: %w", dir, err)
	}
	found := false
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), shardSuffix) || e.Name() == cursorFile {
			found = true
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return found, fmt.Errorf("search index %s: remove an index of the layout before generations: %w", dir, err)
			}
		}
	}
	return found, nil
}

// NewGeneration creates an empty generation directory under dir, of this layout, and returns
// its path. Names sort by creation time, so that a server can tell generations older than the
// current one (left over, safe to remove) from a newer one being built.
func NewGeneration(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("search index %s: %w", dir, err)
	}
	for {
		gen := filepath.Join(dir, genPrefix+time.Now().UTC().Format("20060102T150405.000000000"))
		err := os.Mkdir(gen, 0o750)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(gen, layoutFile), []byte(shardLayout+"\n"), 0o640)
		}
		if err != nil {
			return "", fmt.Errorf("search index %s: new generation: %w", dir, err)
		}
		return gen, nil
	}
}

// PublishGeneration makes gen the current generation of dir: the pointer file is written
// beside it and renamed over the old one, and the directory is synced, so a crash leaves
// either the old or the new generation current, never neither.
func PublishGeneration(dir, gen string) error {
	if st, err := os.Stat(gen); err != nil || !st.IsDir() || filepath.Dir(gen) != filepath.Clean(dir) {
		return fmt.Errorf("publish search generation %s: not a generation directory of %s (%v)", gen, dir, err)
	}
	tmp := filepath.Join(dir, currentFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("publish search generation: %w", err)
	}
	_, err = f.WriteString(filepath.Base(gen) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, currentFile))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("publish search generation: %w", err)
	}
	return nil
}

// PublishedGeneration returns the directory of the generation the pointer file names now.
func PublishedGeneration(dir string) (string, error) {
	name, err := readCurrent(dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}

// RemoveOlderGenerations removes the generations of dir older than current: left over by a
// crash between a swap and the removal, or by a reindex that failed. Newer ones may be a
// reindex in progress, and are left alone.
func RemoveOlderGenerations(dir, current string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("search index %s: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), genPrefix) && e.Name() < filepath.Base(current) {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
