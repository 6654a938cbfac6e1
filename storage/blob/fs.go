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

	"github.com/sportello/sportello/domain"
)

// FS stores each content once under dir/ab/cd/<sha256>. A Put is durable when it returns: the
// bytes go to a temporary file that is fsynced, renamed into place, and the directory fsynced,
// so a crash leaves either the whole content under its digest or nothing (a stray temporary
// file at most, which Put never reads).
type FS struct {
	dir string
}

var _ domain.BlobStore = (*FS)(nil)

// NewFS opens (creating if needed) a blob store rooted at dir.
func NewFS(dir string) (*FS, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("blob store %s: %w", dir, err)
	}
	return &FS{dir: dir}, nil
}

func (s *FS) path(digest string) (string, error) {
	if len(digest) != sha256.Size*2 {
		return "", domain.Errorf(domain.ECNotFound, "content %q not found", digest)
	}
	if _, err := hex.DecodeString(digest); err != nil {
		return "", domain.Errorf(domain.ECNotFound, "content %q not found", digest)
	}
	return filepath.Join(s.dir, digest[:2], digest[2:4], digest), nil
}

// inMemory is the size up to which Put reads content into memory before touching the disk: its
// digest is then known first, so content that is already stored costs no write at all, and new
// content goes to the disk in one write. Larger content streams through a temporary file.
const inMemory = 1 << 20

// Put stores r's bytes and returns their digest and size.
func (s *FS) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	r = ctxReader{ctx, r}
	var head bytes.Buffer
	n, err := io.CopyN(&head, r, inMemory+1)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	if n <= inMemory {
		sum := sha256.Sum256(head.Bytes())
		digest := hex.EncodeToString(sum[:])
		dst, _ := s.path(digest)
		if _, err := os.Stat(dst); err == nil {
			return digest, n, nil
		}
		tmp, err := s.writeTemp(&head) // one write: bytes.Buffer is an io.WriterTo
		if err != nil {
			return "", 0, err
		}
		defer os.Remove(tmp) // a no-op once renamed
		return digest, n, s.place(tmp, digest)
	}
	h := sha256.New()
	tmp, err := s.writeTemp(io.TeeReader(io.MultiReader(&head, r), h))
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp)
	info, err := os.Stat(tmp)
	if err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if dst, _ := s.path(digest); fileExists(dst) {
		return digest, info.Size(), nil
	}
	return digest, info.Size(), s.place(tmp, digest)
}

// writeTemp copies r into a new, fsynced temporary file and returns its name.
func (s *FS) writeTemp(r io.Reader) (string, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return "", fmt.Errorf("put blob: %w", err)
	}
	_, err = io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("put blob: %w", err)
	}
	return tmp.Name(), nil
}

// place renames the temporary file tmp to digest's path and syncs the directory.
func (s *FS) place(tmp, digest string) error {
	dst, _ := s.path(digest)
	if err := s.mkdirAll(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("put blob %s: %w", digest, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
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

// mkdirAll creates the shard directories, syncing each parent whose entries changed so that
// the new directory survives a crash.
func (s *FS) mkdirAll(dir string) error {
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

// Open returns the content with this digest.
func (s *FS) Open(_ context.Context, digest string) (io.ReadCloser, error) {
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
