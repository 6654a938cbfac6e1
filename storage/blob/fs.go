// Package blob keeps file content addressed by its SHA-256, implementing domain.BlobStore.
package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/sportello/sportello/domain"
)

// FS stores each content once under dir/ab/<sha256>, ab being the digest's first byte. A Put
// is durable when it returns: the bytes go to a temporary file that is fsynced, renamed into
// place, and the directory fsynced, so a crash leaves either the whole content under its digest
// or nothing (a stray temporary file at most, which Put never reads).
//
// The 256 shard directories are made when the store is created, and a content's temporary file
// is made in its own shard directory: a Put then creates no directory, and its rename stays
// within one directory, so concurrent Puts seldom wait on the same directory lock and never on
// the file system's lock for renames across directories. Stores created before this layout,
// under dir/ab/cd/<sha256>, keep it (levels 2).
type FS struct {
	dir    string
	levels int
}

var (
	_ domain.BlobStore  = (*FS)(nil)
	_ domain.BlobRanger = (*FS)(nil)
)

// layoutFile marks a store with one level of shard directories.
const (
	layoutFile = "LAYOUT"
	layoutOne  = "sha256 ab/<digest>\n"
)

// NewFS opens (creating if needed) a blob store rooted at dir.
func NewFS(dir string) (*FS, error) {
	s, err := openFS(dir)
	if err != nil {
		return nil, fmt.Errorf("blob store %s: %w", dir, err)
	}
	return s, nil
}

func openFS(dir string) (*FS, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, err
	}
	layout, err := os.ReadFile(filepath.Join(dir, layoutFile))
	switch {
	case err == nil && string(layout) != layoutOne:
		return nil, fmt.Errorf("unknown layout %q in %s", layout, layoutFile)
	case errors.Is(err, fs.ErrNotExist):
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		if len(entries) > 1 { // more than tmp: content stored before the layout file existed
			return &FS{dir: dir, levels: 2}, nil
		}
		if err := writeFileSync(dir, layoutFile, []byte(layoutOne)); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	// Making the shard directories after the layout file, and at every start, finishes a
	// creation that a crash interrupted.
	made := false
	for b := range 256 {
		err := os.Mkdir(filepath.Join(dir, fmt.Sprintf("%02x", b)), 0o750)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		made = made || err == nil
	}
	if made {
		if err := syncDir(dir); err != nil {
			return nil, err
		}
	}
	return &FS{dir: dir, levels: 1}, nil
}

// writeFileSync writes name in dir durably: temporary file, fsync, rename, fsync of dir.
func writeFileSync(dir, name string, data []byte) error {
	tmp, _, err := writeTemp(dir, bytes.NewReader(data))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func (s *FS) path(digest string) (string, error) {
	if len(digest) != sha256.Size*2 {
		return "", domain.Errorf(domain.ECNotFound, "content %q not found", digest)
	}
	if _, err := hex.DecodeString(digest); err != nil {
		return "", domain.Errorf(domain.ECNotFound, "content %q not found", digest)
	}
	if s.levels == 2 {
		return filepath.Join(s.dir, digest[:2], digest[2:4], digest), nil
	}
	return filepath.Join(s.dir, digest[:2], digest), nil
}

// inMemory is the size up to which Put reads content into memory before touching the disk: its
// digest is then known first, so content that is already stored costs no write at all, and new
// content goes to the disk in one write, in its own shard directory. Larger content streams
// through a temporary file under tmp.
const inMemory = 1 << 20

// heads keeps the buffers Put reads content into, so that each upload does not grow a new one
// from nothing (a 10 KiB document cost 33 KiB of allocations).
var heads = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Put stores r's bytes and returns their digest and size. Returns insufficient_storage when
// the file system is full.
func (s *FS) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	digest, size, err := s.put(ctx, r)
	return digest, size, full(err)
}

func (s *FS) put(ctx context.Context, r io.Reader) (string, int64, error) {
	r = ctxReader{ctx, r}
	head := heads.Get().(*bytes.Buffer)
	defer func() {
		if head.Cap() <= 2*inMemory {
			head.Reset()
			heads.Put(head)
		}
	}()
	n, err := io.CopyN(head, r, inMemory+1)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	if n <= inMemory {
		sum := sha256.Sum256(head.Bytes())
		digest := hex.EncodeToString(sum[:])
		dst, _ := s.path(digest)
		if fileExists(dst) {
			return digest, n, nil
		}
		if err := s.mkdirAll(filepath.Dir(dst)); err != nil {
			return "", 0, fmt.Errorf("put blob %s: %w", digest, err)
		}
		tmp, _, err := writeTemp(filepath.Dir(dst), head) // one write: bytes.Buffer is an io.WriterTo
		if err != nil {
			return "", 0, fmt.Errorf("put blob: %w", err)
		}
		return digest, n, s.place(tmp, digest)
	}
	h := sha256.New()
	tmp, size, err := writeTemp(filepath.Join(s.dir, "tmp"), io.TeeReader(io.MultiReader(head, r), h))
	if err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	dst, _ := s.path(digest)
	if fileExists(dst) {
		os.Remove(tmp)
		return digest, size, nil
	}
	if err := s.mkdirAll(filepath.Dir(dst)); err != nil {
		os.Remove(tmp)
		return "", 0, fmt.Errorf("put blob %s: %w", digest, err)
	}
	return digest, size, s.place(tmp, digest)
}

// writeTemp copies r into a new, fsynced temporary file in dir and returns its name, which
// starts with a dot (never a digest), and the number of bytes written.
func writeTemp(dir string, r io.Reader) (string, int64, error) {
	tmp, err := os.CreateTemp(dir, ".put-*")
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", 0, err
	}
	return tmp.Name(), n, nil
}

// place renames the temporary file tmp to digest's path and syncs the directory; it removes
// tmp if that fails.
func (s *FS) place(tmp, digest string) error {
	dst, _ := s.path(digest)
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put blob %s: %w", digest, err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("put blob %s: %w", digest, err)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// mkdirAll makes sure dir, a shard directory, exists: it always does in a store of one level.
// In the older layout it creates the shard directories, syncing each parent whose entries
// changed so that the new directory survives a crash.
func (s *FS) mkdirAll(dir string) error {
	if s.levels == 1 {
		return nil
	}
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != s.dir {
		if err := s.mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open returns the content with this digest, unless ctx is done already (as the S3 store).
func (s *FS) Open(ctx context.Context, digest string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open blob %s: %w", digest, err)
	}
	p, err := s.path(digest)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, domain.Errorf(domain.ECNotFound, "content %s not found", digest)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", digest, err)
	}
	return f, nil
}

// OpenRange returns length bytes of the content from offset, or all from offset when length
// is negative; a range past the end reads nothing.
func (s *FS) OpenRange(ctx context.Context, digest string, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, domain.Errorf(domain.ECValidation, "negative offset %d", offset)
	}
	rc, err := s.Open(ctx, digest)
	if err != nil {
		return nil, err
	}
	f := rc.(*os.File)
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("open blob %s at %d: %w", digest, offset, err)
	}
	if length < 0 {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, length), f}, nil
}

// Delete removes the content with this digest, for disposal (scarto). Deleting content that
// is not stored is not an error: a disposal retried after a crash deletes what is left.
func (s *FS) Delete(_ context.Context, digest string) error {
	p, err := s.path(digest)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", digest, err)
	}
	return syncDir(filepath.Dir(p))
}

// Exists reports whether content with this digest is stored.
func (s *FS) Exists(_ context.Context, digest string) (bool, error) {
	p, err := s.path(digest)
	if err != nil {
		return false, nil
	}
	_, err = os.Stat(p)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("stat blob %s: %w", digest, err)
	}
}

// ctxReader stops a copy when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Ping reports whether the store's directory is there and writable, by creating and removing
// an empty file in its tmp directory, for the readiness check (/readyz). It writes no bytes: a
// full disk is reported by the write that fails (insufficient_storage), not here.
func (s *FS) Ping(context.Context) error {
	f, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "ping-*")
	if err != nil {
		return fmt.Errorf("blob store %s: %w", s.dir, err)
	}
	name := f.Name()
	err = f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("blob store %s: %w", s.dir, err)
	}
	return nil
}
