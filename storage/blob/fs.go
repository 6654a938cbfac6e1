// Package blob keeps file content addressed by its SHA-256, implementing domain.BlobStore.
package blob

import (
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

// Put stores r's bytes and returns their digest and size.
func (s *FS) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	dst, _ := s.path(digest)
	if _, err := os.Stat(dst); err == nil {
		return digest, size, nil
	}
	if err := s.mkdirAll(filepath.Dir(dst)); err != nil {
		return "", 0, fmt.Errorf("put blob %s: %w", digest, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("put blob %s: %w", digest, err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return "", 0, fmt.Errorf("put blob %s: %w", digest, err)
	}
	return digest, size, nil
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
