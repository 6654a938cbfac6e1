package storage

import (
	"testing"

	"github.com/sportello/sportello/internal/testdb"
)

// TestPoolWithoutJIT: the PostgreSQL pool's connections run with JIT off (withoutJIT), unless the
// URL chooses otherwise, and a key=value connection string gets the same.
func TestPoolWithoutJIT(t *testing.T) {
	url := testdb.URL(t, testdb.Postgres)
	for _, c := range []struct{ url, want string }{
		{url, "off"},
		{url + "&jit=on", "on"},
	} {
		db, err := Open(t.Context(), c.url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		if err := db.read(t.Context()).Raw(`SHOW jit`).Row().Scan(&jit); err != nil {
			t.Fatal(err)
		}
		_ = db.Close()
		if jit != c.want {
			t.Errorf("%s: jit is %q, want %q", Redacted(c.url), jit, c.want)
		}
	}
	if got := withoutJIT("host=127.0.0.1 user=postgres dbname=test"); got != "host=127.0.0.1 user=postgres dbname=test jit=off" {
		t.Errorf("key=value string became %q", got)
	}
}
