package storage

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	sqlitedriver "github.com/ncruces/go-sqlite3/driver"
)

// TestStmtCache checks the SQLite statement cache: a statement closed by database/sql is
// handed out again instead of compiled anew; one still in use (rows open) never is, so the
// same query nested in its own loop reads right; and the cache stays bounded.
func TestStmtCache(t *testing.T) {
	connector, err := (&sqlitedriver.SQLite{}).OpenConnector("file:" + filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(stmtCacheConnector{connector})
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3)`); err != nil {
		t.Fatal(err) // a script without arguments goes to the driver whole
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var cc *cachingConn
	if err := conn.Raw(func(dc any) error { cc = dc.(*cachingConn); return nil }); err != nil {
		t.Fatal(err)
	}

	t.Run("ReusedOnceClosed", func(t *testing.T) {
		const q = `SELECT count(*) FROM t WHERE n > ?`
		var n int
		for range 3 {
			if err := conn.QueryRowContext(t.Context(), q, 1).Scan(&n); err != nil || n != 2 {
				t.Fatalf("count = %d, %v", n, err)
			}
		}
		s := cc.stmts[q]
		if s == nil || s.busy {
			t.Fatalf("statement after use: %+v", s)
		}
		again, err := cc.PrepareContext(t.Context(), q)
		if err != nil || again != s {
			t.Fatalf("prepared again %p (%v), want the cached %p", again, err, s)
		}
		again.Close()
	})
	t.Run("InUseNotShared", func(t *testing.T) {
		const q = `SELECT n FROM t WHERE n >= ? ORDER BY n`
		rows, err := conn.QueryContext(t.Context(), q, 1)
		if err != nil {
			t.Fatal(err)
		}
		var outer, inner []int
		for rows.Next() {
			var n int
			rows.Scan(&n)
			outer = append(outer, n)
			in, err := conn.QueryContext(t.Context(), q, n) // same query while its rows are open
			if err != nil {
				t.Fatal(err)
			}
			for in.Next() {
				var m int
				in.Scan(&m)
				inner = append(inner, m)
			}
			in.Close()
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if fmt.Sprint(outer) != "[1 2 3]" || fmt.Sprint(inner) != "[1 2 3 2 3 3]" {
			t.Fatalf("outer %v inner %v", outer, inner)
		}
	})
	t.Run("Bounded", func(t *testing.T) {
		for i := range stmtCacheSize + 50 {
			var n int
			if err := conn.QueryRowContext(t.Context(), fmt.Sprintf(`SELECT %d + ?`, i), 1).Scan(&n); err != nil || n != i+1 {
				t.Fatalf("query %d: %d, %v", i, n, err)
			}
		}
		if len(cc.stmts) > stmtCacheSize {
			t.Fatalf("%d statements cached, bound %d", len(cc.stmts), stmtCacheSize)
		}
	})
}
