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

	"github.com/sportello/sportello/domain"
)

// Problem is one thing Check found wrong: a file or blob missing, or whose bytes do not match
// the manifest.
type Problem struct {
	What   string // "file keys/seal/key.pem", "blob 3f…"
	Detail string
}

func (p Problem) String() string { return p.What + ": " + p.Detail }

// CheckFiles reads every file of the snapshot again and compares it with the manifest.
func (b *Backup) CheckFiles() []Problem {
	var out []Problem
	for _, f := range b.Manifest.Files {
		if p := checkFile(filepath.Join(b.Dir, filepath.FromSlash(f.Path)), f.SHA256, f.Size); p != "" {
			out = append(out, Problem{What: "file " + f.Path, Detail: p})
		}
	}
	return out
}

// CheckBlobs reads every blob of the manifest again and compares its digest (and size): from
// the backup when the blobs were copied, otherwise from store, the blob store they are kept in
// (an object store the backup only lists). With neither it checks nothing.
func (b *Backup) CheckBlobs(ctx context.Context, store domain.BlobStore, p Progress) ([]Problem, error) {
	var out []Problem
	p.Total(int64(len(b.Manifest.Blobs)))
	for _, bl := range b.Manifest.Blobs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var detail string
		var size int64
		switch {
		case b.Manifest.BlobsCopied:
			detail = checkFile(blobPath(b.BlobsDir, bl.SHA256), bl.SHA256, bl.Size)
			size = bl.Size
		case store != nil:
			detail, size = checkStored(ctx, store, bl.SHA256)
		default:
			return nil, errors.New("check blobs: the backup holds no blobs and no blob store was given")
		}
		if detail != "" {
			out = append(out, Problem{What: "blob " + bl.SHA256, Detail: detail})
		}
		p.Blob(bl.SHA256, size, false)
	}
	return out, nil
}

// checkFile says what is wrong with the file p, which should hash to digest and be size bytes
// long; "" when nothing is.
func checkFile(p, digest string, size int64) string {
	got, n, err := hashFile(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "missing"
	case err != nil:
		return "unreadable: " + err.Error()
	case got != digest:
		return "altered: its bytes hash to " + got
	case n != size:
		return fmt.Sprintf("altered: %d bytes, the manifest says %d", n, size)
	}
	return ""
}

// checkStored says what is wrong with the blob digest in store, and its size.
func checkStored(ctx context.Context, store domain.BlobStore, digest string) (string, int64) {
	r, err := store.Open(ctx, digest)
	if domain.IsCode(err, domain.ECNotFound) {
		return "missing from the blob store", 0
	}
	if err != nil {
		return "unreadable: " + err.Error(), 0
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "unreadable: " + err.Error(), n
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != digest {
		return "altered: its bytes hash to " + got, n
	}
	return "", n
}

// RestoreFiles copies every file of the snapshot into dataDir, at its path in the snapshot,
// but the SQLite database, which goes to dbFile; each private (0600). Every file is checked
// against the manifest before anything is written, and again as it is copied: a backup found
// altered restores nothing. No file written may exist already.
func (b *Backup) RestoreFiles(dataDir, dbFile string) error {
	if problems := b.CheckFiles(); len(problems) > 0 {
		return problemsError("restore: the backup is damaged", problems)
	}
	for _, f := range b.Manifest.Files {
		dst := filepath.Join(dataDir, filepath.FromSlash(f.Path))
		if f.Path == DatabaseFile {
			if dbFile == "" {
				return errors.New("restore: the backup holds a SQLite database and the configuration names none")
			}
			dst = dbFile
		}
		digest, size, err := copyHashed(dst, filepath.Join(b.Dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return fmt.Errorf("restore %s: %w", f.Path, err)
		}
		if digest != f.SHA256 || size != f.Size {
			return fmt.Errorf("restore %s: copied %d bytes hashing to %s, the manifest says %d and %s", f.Path, size, digest, f.Size, f.SHA256)
		}
	}
	return nil
}

// RestoreBlobs puts every blob of the backup into store and checks that the store computes the
// digest of the manifest for it. A backup that holds no blobs (BlobsCopied false) restores none:
// they are in an object store restored by its own means, which CheckBlobs can then check.
func (b *Backup) RestoreBlobs(ctx context.Context, store domain.BlobStore, p Progress) error {
	if !b.Manifest.BlobsCopied {
		return nil
	}
	p.Total(int64(len(b.Manifest.Blobs)))
	for _, bl := range b.Manifest.Blobs {
		if err := restoreBlob(ctx, store, blobPath(b.BlobsDir, bl.SHA256), bl); err != nil {
			return err
		}
		p.Blob(bl.SHA256, bl.Size, true)
	}
	return nil
}

func restoreBlob(ctx context.Context, store domain.BlobStore, path string, bl Blob) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("restore blob %s: %w", bl.SHA256, err)
	}
	defer f.Close()
	digest, size, err := store.Put(ctx, f)
	if err != nil {
		return fmt.Errorf("restore blob %s: %w", bl.SHA256, err)
	}
	if digest != bl.SHA256 || size != bl.Size {
		return fmt.Errorf("restore blob %s: the backup's copy is altered (%d bytes hashing to %s)", bl.SHA256, size, digest)
	}
	return nil
}

func problemsError(what string, problems []Problem) error {
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = p.String()
	}
	return fmt.Errorf("%s: %d problems:\n%s", what, len(problems), strings.Join(lines, "\n"))
}
