package search

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// An index directory holds generations of the index, each a complete index (its year shards
// and its projection cursor) in a directory of its own, and a pointer file naming the one in
// use. `sportello reindex` builds a new generation from the database beside the one a running
// server answers from, then publishes it by replacing the pointer file (rename is atomic); the
// server notices, catches the new generation up, swaps it in and removes the old one. bleve
// allows one writer per index: the generation being built belongs to the reindex, the
// published one to the server.
const (
	currentFile = "CURRENT"
	genPrefix   = "gen-"
)

// CurrentGeneration returns the directory of the generation in use under dir, creating dir and
// a first, empty generation when there is none. An index of the layout before generations
// (shards and cursor directly in dir) becomes the first generation, as it is.
func CurrentGeneration(dir string) (string, error) {
	name, err := readCurrent(dir)
	if err == nil {
		return filepath.Join(dir, name), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	gen, err := NewGeneration(dir)
	if err != nil {
		return "", err
	}
	if err := adoptLegacy(dir, gen); err != nil {
		return "", err
	}
	if err := PublishGeneration(dir, gen); err != nil {
		return "", err
	}
	return gen, nil
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

// adoptLegacy moves the shards and cursor of an index laid out before generations into gen.
func adoptLegacy(dir, gen string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("search index %s: %w", dir, err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), shardSuffix) || e.Name() == cursorFile {
			if err := os.Rename(filepath.Join(dir, e.Name()), filepath.Join(gen, e.Name())); err != nil {
				return fmt.Errorf("search index %s: move into a generation: %w", dir, err)
			}
		}
	}
	return nil
}

// NewGeneration creates an empty generation directory under dir and returns its path. Names
// sort by creation time, so that a server can tell generations older than the current one
// (left over, safe to remove) from a newer one being built.
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
