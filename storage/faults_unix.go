//go:build unix

package storage

import "syscall"

// minFree is the space below which a file system counts as full: less than a few of SQLite's
// WAL frames.
const minFree = 1 << 20

// noSpaceLeft reports whether the file system holding dir has (practically) no space left for
// an unprivileged writer.
func noSpaceLeft(dir string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return false
	}
	return uint64(st.Bavail)*uint64(st.Bsize) < minFree
}
