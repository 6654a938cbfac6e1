package storage

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/sportello/sportello/domain"
)

// maxUnlogged bounds how many unlogged facts one call returns: far more than the sequencer ever
// leaves pending, enough to name what an audit must report.
const maxUnlogged = 1000

// UnloggedFacts lists the registrations without a "registration" leaf in the transparency log
// and the annulled registrations without an "annulment" leaf (the leaf kinds of
// signing/tlog), oldest first, at most 1,000. With recent > 0 only the last recent
// registrations are looked at for a missing registration leaf; every annulled one is (they are
// few, and an old registration may be annulled today). One statement, so that on both engines
// the leaves and the rows are read at the same moment.
func (db *DB) UnloggedFacts(ctx context.Context, recent int) ([]domain.UnloggedFact, error) {
	window := int64(math.MaxInt64 / 2)
	if recent > 0 {
		window = int64(recent)
	}
	rows, err := db.read(ctx).Raw(`
SELECT kind, id, identifier, register_code, year, number, at FROM (
    SELECT 'registration' AS kind, r.id, r.identifier, r.register_code, r.year, r.number, r.registered_at AS at
    FROM registrations r
    WHERE r.seq > (SELECT coalesce(max(seq), 0) FROM registrations) - ?
      AND NOT EXISTS (SELECT 1 FROM tlog_leaves l WHERE l.kind = 'registration' AND l.entity_id = r.id)
    UNION ALL
    SELECT 'annulment' AS kind, r.id, r.identifier, r.register_code, r.year, r.number, r.annulled_at AS at
    FROM registrations r
    WHERE r.status = 'annulled'
      AND NOT EXISTS (SELECT 1 FROM tlog_leaves l WHERE l.kind = 'annulment' AND l.entity_id = r.id)
) facts
ORDER BY at, identifier, kind
LIMIT ?`, window, maxUnlogged).Rows()
	if err != nil {
		return nil, fmt.Errorf("unlogged facts: %w", err)
	}
	defer rows.Close()
	var out []domain.UnloggedFact
	for rows.Next() {
		var f domain.UnloggedFact
		if err := rows.Scan(&f.Kind, &f.EntityID, &f.Identifier, &f.Register, &f.Year, &f.Number, timeCol{T: &f.At}); err != nil {
			return nil, fmt.Errorf("unlogged facts: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("unlogged facts: %w", err)
	}
	return out, nil
}

// SQLiteFile returns the database file a sqlite: URL names, and false for a PostgreSQL URL.
// Open creates a missing file; a command that must find an existing installation and create
// nothing (`sportello verify --data`) looks for the file first.
func SQLiteFile(url string) (string, bool, error) {
	if !strings.HasPrefix(url, "sqlite:") {
		return "", false, nil
	}
	path, err := sqlitePath(url)
	return path, err == nil, err
}
