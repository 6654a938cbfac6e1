package testdb_test

import (
	"os"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/testdb"
)

func TestEach(t *testing.T) {
	var ran []string
	var urls []string
	t.Run("Engines", func(t *testing.T) {
		testdb.Each(t, func(t *testing.T, url string) {
			ran = append(ran, strings.TrimPrefix(t.Name(), "TestEach/Engines/"))
			urls = append(urls, url)
			var one int
			if err := testdb.RawDB(t, url).QueryRow(`SELECT 1`).Scan(&one); err != nil || one != 1 {
				t.Errorf("query %s: %v", url, err)
			}
		})
	})
	if strings.Join(ran, ",") != strings.Join(testdb.Names(), ",") {
		t.Errorf("ran %v, want %v", ran, testdb.Names())
	}
	if !strings.HasPrefix(urls[0], "sqlite:") || testdb.IsPostgres(urls[0]) {
		t.Errorf("sqlite URL %q", urls[0])
	}
}

func TestPostgresDatabaseDropped(t *testing.T) {
	if os.Getenv(testdb.EnvPostgres) == "" {
		t.Skipf("%s is not set", testdb.EnvPostgres)
	}
	var url string
	t.Run("Fresh", func(t *testing.T) {
		url = testdb.PostgresURL(t)
		if !testdb.IsPostgres(url) || !strings.Contains(url, "/sportello_t_") {
			t.Errorf("url %q", url)
		}
		var tables int
		if err := testdb.RawDB(t, url).QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
			t.Errorf("%d tables, %v", tables, err)
		}
	})
	name := url[strings.LastIndex(url, "/")+1:]
	name, _, _ = strings.Cut(name, "?")
	var n int
	if err := testdb.RawDB(t, os.Getenv(testdb.EnvPostgres)).QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil || n != 0 {
		t.Errorf("database %s still exists (%d), %v", name, n, err)
	}
}
