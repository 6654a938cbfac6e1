package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/tinydisk"
)

func TestFS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("registro di protocollo\n"), 1000)
	sum := sha256.Sum256(content)
	want := hex.EncodeToString(sum[:])

	t.Run("PutReturnsDigestAndSize", func(t *testing.T) {
		digest, size, err := s.Put(ctx, bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		if digest != want || size != int64(len(content)) {
			t.Fatalf("Put = %s, %d; want %s, %d", digest, size, want, len(content))
		}
	})
	t.Run("OpenReturnsExactBytes", func(t *testing.T) {
		rc, err := s.Open(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, _ := io.ReadAll(rc)
		if !bytes.Equal(got, content) {
			t.Fatal("content differs")
		}
	})
	t.Run("SameContentStoredOnce", func(t *testing.T) {
		if _, _, err := s.Put(ctx, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		if files := contentFiles(t, dir); len(files) != 1 {
			t.Fatalf("files stored: %v, want 1 (no temporary file left either)", files)
		}
	})
	t.Run("ExistsOnlyForStoredContent", func(t *testing.T) {
		if ok, err := s.Exists(ctx, want); !ok || err != nil {
			t.Fatalf("Exists(stored) = %v, %v", ok, err)
		}
		other := sha256.Sum256([]byte("other"))
		if ok, _ := s.Exists(ctx, hex.EncodeToString(other[:])); ok {
			t.Fatal("Exists(missing) = true")
		}
		if ok, _ := s.Exists(ctx, "../../etc/passwd"); ok {
			t.Fatal("Exists(path traversal) = true")
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		other := sha256.Sum256([]byte("other"))
		_, err := s.Open(ctx, hex.EncodeToString(other[:]))
		if !domain.IsCode(err, domain.ECNotFound) {
			t.Fatalf("Open(missing) = %v, want not_found", err)
		}
	})
	t.Run("FailedReadStoresNothing", func(t *testing.T) {
		boom := errors.New("connection reset")
		_, _, err := s.Put(ctx, io.MultiReader(bytes.NewReader([]byte("partial")), errReader{boom}))
		if !errors.Is(err, boom) {
			t.Fatalf("Put = %v, want %v", err, boom)
		}
		partial := sha256.Sum256([]byte("partial"))
		if ok, _ := s.Exists(ctx, hex.EncodeToString(partial[:])); ok {
			t.Fatal("a failed upload left content under its digest")
		}
		if files := contentFiles(t, dir); len(files) != 1 {
			t.Fatalf("files stored: %v, want only the content put before", files)
		}
	})
	t.Run("CancelledContextStops", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := s.Put(cctx, bytes.NewReader(content)); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put(cancelled) = %v", err)
		}
	})
}

// TestFSLargeContent checks the streaming path of content larger than Put reads into memory:
// exact bytes and digest, stored once, nothing left in tmp, and a read failure past the
// in-memory part stores nothing.
func TestFSLargeContent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("fascicolo "), inMemory/10+1000)
	sum := sha256.Sum256(content)
	for range 2 {
		digest, size, err := s.Put(ctx, bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		if digest != hex.EncodeToString(sum[:]) || size != int64(len(content)) {
			t.Fatalf("Put = %s, %d; want %x, %d", digest, size, sum, len(content))
		}
	}
	rc, err := s.Open(ctx, hex.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) {
		t.Fatal("content differs")
	}
	boom := errors.New("connection reset")
	if _, _, err := s.Put(ctx, io.MultiReader(bytes.NewReader(content), errReader{boom})); !errors.Is(err, boom) {
		t.Fatalf("Put(failing after %d bytes) = %v, want %v", len(content), err, boom)
	}
	if files := contentFiles(t, dir); len(files) != 1 {
		t.Fatalf("files stored: %v, want only the content", files)
	}
}

// contentFiles returns the files under dir but the layout file, temporary ones included.
func contentFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != filepath.Join(dir, layoutFile) {
			files = append(files, strings.TrimPrefix(p, dir))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestFSLayout checks where content goes: under ab/<digest> in a new store, whose 256 shard
// directories exist from the start (and again after a crash during its creation), and under
// ab/cd/<digest> in a store created with that older layout, whose content stays readable.
func TestFSLayout(t *testing.T) {
	ctx := context.Background()
	put := func(t *testing.T, s *FS, content string) string {
		t.Helper()
		digest, _, err := s.Put(ctx, strings.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		return digest
	}
	t.Run("New", func(t *testing.T) {
		dir := t.TempDir()
		s, err := NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 256+2 { // shards, tmp, LAYOUT
			t.Fatalf("%d entries in a new store, want 258", len(entries))
		}
		d := put(t, s, "atto")
		if files := contentFiles(t, dir); len(files) != 1 || files[0] != "/"+d[:2]+"/"+d {
			t.Fatalf("files %v, want /%s/%s", files, d[:2], d)
		}
		// A crash after the layout file, before every shard directory was made.
		if err := os.Remove(filepath.Join(dir, "ff")); err != nil {
			t.Fatal(err)
		}
		if s, err = NewFS(dir); err != nil || s.levels != 1 {
			t.Fatalf("reopen: levels %v, %v", s, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "ff")); err != nil {
			t.Fatalf("shard ff not made again: %v", err)
		}
	})
	t.Run("TwoLevels", func(t *testing.T) {
		dir := t.TempDir()
		old := []byte("protocollato nel 2025")
		sum := sha256.Sum256(old)
		d := hex.EncodeToString(sum[:])
		if err := os.MkdirAll(filepath.Join(dir, d[:2], d[2:4]), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d[:2], d[2:4], d), old, 0o640); err != nil {
			t.Fatal(err)
		}
		s, err := NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := s.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, old) {
			t.Fatal("old content differs")
		}
		n := put(t, s, "protocollato nel 2026")
		if _, err := os.Stat(filepath.Join(dir, n[:2], n[2:4], n)); err != nil {
			t.Fatalf("new content not in the old layout: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, layoutFile)); err == nil {
			t.Fatal("a layout file was written into a store of the older layout")
		}
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestFSDelete checks that disposal can destroy content, and that deleting content already
// gone (a retried disposal) is not an error.
func TestFSDelete(t *testing.T) {
	ctx := context.Background()
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	digest, _, err := s.Put(ctx, bytes.NewReader([]byte("da scartare")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, digest); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, digest); ok || err != nil {
		t.Fatalf("Exists after Delete = %v, %v; want false", ok, err)
	}
	if _, err := s.Open(ctx, digest); !domain.IsCode(err, domain.ECNotFound) {
		t.Fatalf("Open after Delete: %v, want not_found", err)
	}
	if err := s.Delete(ctx, digest); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
}

// TestFSConcurrentPuts stores many different contents at once, small and large, each twice (the
// second Put finds it stored), and reads each back: Put reuses its in-memory buffers between
// calls, and no content may take another's bytes.
func TestFSConcurrentPuts(t *testing.T) {
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	contents := make([][]byte, 40)
	for i := range contents {
		size := 1000 + 997*i
		if i%10 == 9 {
			size = inMemory + 1000*i // streamed through a temporary file
		}
		contents[i] = bytes.Repeat([]byte{byte('a' + i%26), byte(i)}, size/2)
	}
	digests := make([][2]string, len(contents))
	var wg sync.WaitGroup
	for round := range 2 {
		for i, c := range contents {
			wg.Go(func() {
				d, _, err := s.Put(t.Context(), bytes.NewReader(c))
				if err != nil {
					t.Error(err)
				}
				digests[i][round] = d
			})
		}
		wg.Wait()
	}
	for i, c := range contents {
		sum := sha256.Sum256(c)
		if want := hex.EncodeToString(sum[:]); digests[i] != [2]string{want, want} {
			t.Fatalf("content %d: digests %v, want %s", i, digests[i], want)
		}
		rc, err := s.Open(t.Context(), digests[i][0])
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, c) {
			t.Fatalf("content %d read back: %d bytes, %v; want its %d bytes", i, len(got), err, len(c))
		}
	}
}

// TestPutOnFullDisk: a full file system is insufficient_storage, not an internal error, and
// the store works again once space is freed.
func TestPutOnFullDisk(t *testing.T) {
	ctx := context.Background()
	dir := tinydisk.Mount(t, "2m")
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	free := tinydisk.Fill(t, dir)
	for _, size := range []int{10, inMemory + 10} {
		_, _, err := s.Put(ctx, bytes.NewReader(bytes.Repeat([]byte("x"), size)))
		if !domain.IsCode(err, domain.ECInsufficientStorage) {
			t.Fatalf("Put of %d bytes on a full disk: %v, want insufficient_storage", size, err)
		}
	}
	if files := contentFiles(t, dir); len(files) != 1 || files[0] != "/filler" {
		t.Fatalf("files left by failed Puts: %v", files)
	}
	free()
	if _, _, err := s.Put(ctx, strings.NewReader("spazio liberato")); err != nil {
		t.Fatalf("Put after freeing space: %v", err)
	}
}
