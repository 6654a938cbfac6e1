// Package storagetest opens migrated storage.DBs for tests, on the fresh databases that
// internal/testdb creates. It is separate from testdb so that testdb imports no Sportello
// package; storage's own tests are in package storage_test, which may import this one.
package storagetest

import (
	"context"
	"testing"

	"github.com/sportello/sportello/storage"
)

// Open opens the database at url, migrates it and closes it when tb ends.
func Open(tb testing.TB, url string) *storage.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, url, storage.Options{})
	if err != nil {
		tb.Fatalf("storagetest: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("storagetest: close: %v", err)
		}
	})
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("storagetest: %v", err)
	}
	return db
}
