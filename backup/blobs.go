package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sportello/sportello/domain"
)

// CopyBlobs records every blob cat references and, when copy is set, copies each one from
// store into the backup's blob directory, unless a blob of that digest is there already and
// right: of the size the previous snapshot recorded for it, or else whose bytes hash to it.
// A blob is written to a temporary file, its digest checked, synced and renamed into place;
// a blob whose stored bytes no longer match its digest is not copied, and fails the backup
// (the store must be repaired first: `sportello verify --data` names it).
func (w *Writer) CopyBlobs(ctx context.Context, cat Catalog, store domain.BlobStore, copy bool, p Progress) error {
	total, err := cat.CountFixityDigests(ctx)
	if err != nil {
		return err
	}
	p.Total(total)
	blobs := filepath.Join(w.dest, BlobsDir)
	var bad []string
	after := ""
	for {
		digests, err := cat.FixityDigests(ctx, after, 1000)
		if err != nil {
			return err
		}
		if len(digests) == 0 {
			break
		}
		for _, d := range digests {
			if !isDigest(d) {
				return fmt.Errorf("backup: the database references %q, not a SHA-256", d)
			}
		}
		if !copy {
			for _, d := range digests {
				w.manifest.Blobs = append(w.manifest.Blobs, Blob{SHA256: d})
				p.Blob(d, 0, false)
			}
		} else {
			results := w.copyBlobs(ctx, blobs, digests, store, p)
			for i, r := range results {
				if errors.Is(r.err, errDigestMismatch) || domain.IsCode(r.err, domain.ECNotFound) {
					bad = append(bad, fmt.Sprintf("%s: %v", digests[i], r.err))
					continue
				}
				if r.err != nil {
					return r.err
				}
				w.manifest.Blobs = append(w.manifest.Blobs, Blob{SHA256: digests[i], Size: r.size})
			}
		}
		after = digests[len(digests)-1]
	}
	if len(bad) > 0 {
		return fmt.Errorf("backup: %d blobs of the store are missing or altered, not copied (run `sportello verify --data`):\n%s",
			len(bad), strings.Join(bad, "\n"))
	}
	w.manifest.BlobsCopied = copy
	if copy {
		return syncShards(blobs)
	}
	return nil
}

var errDigestMismatch = errors.New("the stored bytes do not match the digest")

// CopyWorkers is how many blobs a backup copies at once: each copy ends with an fsync, and
// several in flight keep the disk (or an object store's connections) busy.
const CopyWorkers = 8

// copied is the outcome of one blob's copy.
type copied struct {
	size int64
	err  error
}

// copyBlobs copies the digests with CopyWorkers at once, reporting each to p (one at a time),
// and returns their outcomes in the digests' order.
func (w *Writer) copyBlobs(ctx context.Context, blobs string, digests []string, store domain.BlobStore, p Progress) []copied {
	results := make([]copied, len(digests))
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range CopyWorkers {
		wg.Go(func() {
			for i := range next {
				size, fresh, err := w.copyBlob(ctx, blobs, digests[i], store)
				results[i] = copied{size: size, err: err}
				if err == nil {
					mu.Lock()
					p.Blob(digests[i], size, fresh)
					mu.Unlock()
				}
			}
		})
	}
	for i := range digests {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// copyBlob copies one blob unless the backup holds it already; it returns its size and whether
// it was copied.
func (w *Writer) copyBlob(ctx context.Context, blobs, digest string, store domain.BlobStore) (int64, bool, error) {
	dst := blobPath(blobs, digest)
	if fi, err := os.Stat(dst); err == nil && fi.Mode().IsRegular() {
		if size, ok := w.previous[digest]; ok && size == fi.Size() {
			return size, false, nil
		}
		if got, size, err := hashFile(dst); err == nil && got == digest {
			return size, false, nil
		}
	}
	r, err := store.Open(ctx, digest)
	if err != nil {
		return 0, false, fmt.Errorf("open blob %s: %w", digest, err)
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Join(blobs, "tmp"), digest[:8]+"-*")
	if err != nil {
		return 0, false, err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; a leftover otherwise
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, false, fmt.Errorf("copy blob %s: %w", digest, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != digest {
		return 0, false, fmt.Errorf("%w: read %s", errDigestMismatch, got)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return 0, false, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return 0, false, fmt.Errorf("copy blob %s: %w", digest, err)
	}
	return size, true, nil
}
