//go:build !unix

package storage

// noSpaceLeft cannot tell here: a full disk then shows as SQLite's I/O error.
func noSpaceLeft(string) bool { return false }
