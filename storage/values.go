package storage

import (
	"encoding/json"
	"fmt"
	"time"
)

// sqliteTime is how SQLite stores timestamps: fixed width, so text order is time order, and
// microseconds, like PostgreSQL's timestamptz, so a value reads back the same on both engines.
const sqliteTime = "2006-01-02T15:04:05.000000Z07:00"

// utcMicro is t as the database keeps it: in UTC, to the microsecond. Storage normalises the
// times it is given with it, so that what a write returns equals what a later read returns.
func utcMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ts is the value bound for a timestamp column.
func (db *DB) ts(t time.Time) any {
	t = utcMicro(t)
	if db.engine == SQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// tsOrNil is ts for a nullable timestamp.
func (db *DB) tsOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return db.ts(*t)
}

// timeCol scans a timestamp column of either engine into a UTC time.Time; NULL leaves the zero
// time and, if Valid is set, false in it.
type timeCol struct {
	T     *time.Time
	Valid *bool
}

func (c timeCol) Scan(src any) error {
	var t time.Time
	switch v := src.(type) {
	case nil:
		if c.Valid != nil {
			*c.Valid = false
		}
		*c.T = time.Time{}
		return nil
	case time.Time:
		t = v
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	default:
		return fmt.Errorf("scan timestamp: unexpected %T", src)
	}
	*c.T = t.UTC()
	if c.Valid != nil {
		*c.Valid = true
	}
	return nil
}

func (c timeCol) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("scan timestamp %q: %w", s, err)
	}
	*c.T = t.UTC()
	if c.Valid != nil {
		*c.Valid = true
	}
	return nil
}

// jsonText encodes v as the text of a JSON column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// rawOrNil binds raw JSON bytes as text, or NULL when there are none. (Binding a
// json.RawMessage directly would make gorm expand it as a list of bytes.)
func rawOrNil(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// orEmpty returns s, or an empty non-nil slice: lists are stored as [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
