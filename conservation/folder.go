package conservation

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/sportello/sportello/domain"
)

// SealName is the seal of a package's index inside the zip (docs/package-format.md), which a
// folder destination also writes beside the zip.
const SealName = "PIndex.xml.p7s"

// Folder writes each package as <id>.zip with its index's seal as <id>.p7s into a directory.
// Each file is written under a temporary name, synced, and renamed, and the directory synced:
// a reader of the folder sees a whole file or none, and the zip only after its seal. A second
// delivery of the same package writes the same files again.
type Folder struct{ Dir string }

// NewFolder returns the folder destination of dir, which must exist.
func NewFolder(dir string) (*Folder, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("conservation folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("conservation folder %s is not a directory", dir)
	}
	return &Folder{Dir: dir}, nil
}

func (f *Folder) String() string { return (&url.URL{Scheme: "file", Path: f.Dir}).String() }

// Deliver copies the zip, checking its digest on the way, extracts the seal, and renames both
// into place. Every error is temporary: a folder does not refuse.
func (f *Folder) Deliver(ctx context.Context, p domain.Parcel) (err error) {
	zipTmp, err := os.CreateTemp(f.Dir, "."+p.ID+".zip.tmp-*")
	if err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	defer func() {
		zipTmp.Close()
		if err != nil {
			os.Remove(zipTmp.Name())
		}
	}()
	rc, err := p.Open(ctx)
	if err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(zipTmp, h), rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != p.SHA256 {
		return fmt.Errorf("deliver %s: the stored zip's SHA-256 is %s, not %s", p.ID, got, p.SHA256)
	}
	if err := zipTmp.Sync(); err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	seal, err := readSeal(zipTmp, p.Size)
	if err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	sealPath := filepath.Join(f.Dir, p.ID+".p7s")
	if err := writeAtomic(f.Dir, sealPath, seal); err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	if err := os.Rename(zipTmp.Name(), filepath.Join(f.Dir, p.ID+".zip")); err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	if err := syncDir(f.Dir); err != nil {
		return fmt.Errorf("deliver %s: %w", p.ID, err)
	}
	return nil
}

// readSeal returns the index's seal from the zip.
func readSeal(r io.ReaderAt, size int64) ([]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("read the package: %w", err)
	}
	sf, err := zr.Open(SealName)
	if err != nil {
		return nil, fmt.Errorf("the package has no %s: %w", SealName, err)
	}
	defer sf.Close()
	return io.ReadAll(io.LimitReader(sf, 1<<20))
}

// writeAtomic writes data to path through a synced temporary file in dir.
func writeAtomic(dir, path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
