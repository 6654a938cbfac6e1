// Package migrations holds the versioned SQL migrations of the storage package, embedded in the
// binary so that `sportello migrate` needs no files beside it.
//
// Each engine has its own directory (postgres/, sqlite/) with files named NNNN_name.sql. Both
// directories describe the same logical schema version by version: a change is added as a new
// file in both, never by editing an applied one. The storage package applies each file in one
// transaction and records it in schema_migrations.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Migration is one versioned SQL file.
type Migration struct {
	Version int
	Name    string // the file name without version and extension: "init"
	SQL     string
}

// For returns the migrations of engine ("postgres" or "sqlite") in version order. It fails on a
// misnamed file or a repeated version, so that a bad migration set never reaches a database.
func For(engine string) ([]Migration, error) {
	entries, err := fs.ReadDir(files, engine)
	if err != nil {
		return nil, fmt.Errorf("migrations for %q: %w", engine, err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".sql")
		if !ok || e.IsDir() {
			continue
		}
		num, name, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 || name == "" {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_name.sql", engine, e.Name())
		}
		if other, dup := seen[version]; dup {
			return nil, fmt.Errorf("migration %s/%s: version %d already used by %s", engine, e.Name(), version, other)
		}
		seen[version] = e.Name()
		body, err := fs.ReadFile(files, path.Join(engine, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migration %s/%s: %w", engine, e.Name(), err)
		}
		out = append(out, Migration{Version: version, Name: name, SQL: string(body)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("migrations for %q: none embedded", engine)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}
