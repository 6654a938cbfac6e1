package domain

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// BlobRanger is a BlobStore that reads part of a content without reading what comes before it:
// the S3 store asks the server for that byte range only, the file store seeks.
type BlobRanger interface {
	// OpenRange returns length bytes of the content from offset, or all from offset when
	// length is negative; a range past the end reads nothing. Returns ECNotFound.
	OpenRange(ctx context.Context, sha256 string, offset, length int64) (io.ReadCloser, error)
}

// OpenBlobRange reads part of a content from b: by its OpenRange when it has one, else by
// reading and discarding what comes before offset.
func OpenBlobRange(ctx context.Context, b BlobStore, sha256 string, offset, length int64) (io.ReadCloser, error) {
	if r, ok := b.(BlobRanger); ok {
		return r.OpenRange(ctx, sha256, offset, length)
	}
	rc, err := b.Open(ctx, sha256)
	if err != nil {
		return nil, err
	}
	if _, err := io.CopyN(io.Discard, rc, offset); err != nil && !errors.Is(err, io.EOF) {
		rc.Close()
		return nil, fmt.Errorf("skip to %d of %s: %w", offset, sha256, err)
	}
	if length < 0 {
		return rc, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, length), rc}, nil
}

// BlobReadSeeker reads a content of a known size as an io.ReadSeeker (what http.ServeContent
// needs to answer Range requests) by opening, at each read after a seek, the range from the
// new position to the end: a download of bytes 1 000 000–1 000 099 of a stored content
// transfers those 100 bytes from the store, not the megabyte before them.
type BlobReadSeeker struct {
	ctx    context.Context
	blobs  BlobStore
	digest string
	size   int64
	pos    int64
	rc     io.ReadCloser
}

// NewBlobReadSeeker reads the content digest, of size bytes, from blobs. Close it.
func NewBlobReadSeeker(ctx context.Context, blobs BlobStore, digest string, size int64) *BlobReadSeeker {
	return &BlobReadSeeker{ctx: ctx, blobs: blobs, digest: digest, size: size}
}

func (b *BlobReadSeeker) Read(p []byte) (int, error) {
	if b.pos >= b.size {
		return 0, io.EOF
	}
	if b.rc == nil {
		rc, err := OpenBlobRange(b.ctx, b.blobs, b.digest, b.pos, -1)
		if err != nil {
			return 0, err
		}
		b.rc = rc
	}
	n, err := b.rc.Read(p)
	b.pos += int64(n)
	if errors.Is(err, io.EOF) && b.pos < b.size {
		err = fmt.Errorf("content %s ended at %d of %d bytes: %w", b.digest, b.pos, b.size, io.ErrUnexpectedEOF)
	}
	return n, err
}

// Seek moves the position; the next Read opens the range from there.
func (b *BlobReadSeeker) Seek(offset int64, whence int) (int64, error) {
	pos := offset
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		pos += b.pos
	case io.SeekEnd:
		pos += b.size
	default:
		return 0, fmt.Errorf("seek %s: bad whence %d", b.digest, whence)
	}
	if pos < 0 {
		return 0, fmt.Errorf("seek %s: negative position %d", b.digest, pos)
	}
	if pos != b.pos {
		b.Close()
		b.pos = pos
	}
	return pos, nil
}

// Close releases the range being read, if any.
func (b *BlobReadSeeker) Close() error {
	if b.rc == nil {
		return nil
	}
	err := b.rc.Close()
	b.rc = nil
	return err
}
