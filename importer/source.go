// Package importer reads a bulk import: a folder or a .zip holding manifest.csv and the files
// it names (docs/import.md). It turns each manifest row into the metadata of a registration
// (the JSON of POST /v1/registrations) and the files to send, checks each row on its own, and
// derives each row's Idempotency-Key from its content and the digests of its files, so that an
// import run twice registers nothing twice. The `sportello import` tool and the server-side
// imports both read sources through it.
package importer

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// ManifestName is the name of the manifest inside a source.
const ManifestName = "manifest.csv"

// A Source is a folder or a zip archive holding a manifest and the files it names. Every path
// is resolved inside the source: nothing outside it can be read.
type Source struct {
	fsys   fs.FS
	closer io.Closer
}

// Open opens a source: a folder, or a file whose name ends in .zip. A folder is read through
// os.Root, so that no path, symlinks included, leads outside it; a zip must pass CheckZip.
func Open(name string) (*Source, error) {
	if strings.EqualFold(path.Ext(name), ".zip") {
		zr, err := zip.OpenReader(name)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		s, err := FromZip(&zr.Reader)
		if err != nil {
			zr.Close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s.closer = zr
		return s, nil
	}
	root, err := os.OpenRoot(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return &Source{fsys: root.FS(), closer: root}, nil
}

// FromZip makes a source of an open archive after CheckZipLimits with DefaultLimits.
func FromZip(zr *zip.Reader) (*Source, error) { return FromZipLimits(zr, DefaultLimits) }

// FromZipLimits makes a source of an open archive after CheckZipLimits with l. The manifest is
// at the top of the archive, or in its only top-level folder (a zipped folder); paths in it are
// relative to it.
func FromZipLimits(zr *zip.Reader, l Limits) (*Source, error) {
	if err := CheckZipLimits(zr, l); err != nil {
		return nil, err
	}
	s := &Source{fsys: zr}
	if _, err := fs.Stat(zr, ManifestName); err == nil {
		return s, nil
	}
	top, err := fs.ReadDir(zr, ".")
	if err == nil && len(top) == 1 && top[0].IsDir() {
		if _, err := fs.Stat(zr, top[0].Name()+"/"+ManifestName); err == nil {
			sub, _ := fs.Sub(zr, top[0].Name())
			return &Source{fsys: sub}, nil
		}
	}
	return nil, fmt.Errorf("the archive holds no %s at its top or in its only folder", ManifestName)
}

// CheckZip refuses an archive with an entry that could resolve outside it or that cannot be
// read safely: an absolute path, a `..` element, a backslash (a Windows separator, which other
// tools resolve), a symbolic link, or an encrypted entry. The error names the entry.
func CheckZip(zr *zip.Reader) error {
	for _, f := range zr.File {
		if err := checkEntry(f); err != nil {
			return fmt.Errorf("zip entry %q: %w", f.Name, err)
		}
	}
	return nil
}

func checkEntry(f *zip.File) error {
	name := f.Name
	switch {
	case strings.ContainsRune(name, '\\'):
		return errors.New("contains a backslash")
	case strings.HasPrefix(name, "/") || (len(name) > 1 && name[1] == ':'):
		return errors.New("is an absolute path")
	case f.Mode()&fs.ModeSymlink != 0:
		return errors.New("is a symbolic link")
	case f.Flags&0x1 != 0:
		return errors.New("is encrypted")
	}
	for _, el := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if el == ".." {
			return errors.New("leaves the archive (`..`)")
		}
	}
	return nil
}

// Close releases the source.
func (s *Source) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}

// OpenFile opens a file named by the manifest (a path relative to it, with `/` separators).
func (s *Source) OpenFile(name string) (fs.File, error) {
	p, err := cleanPath(name)
	if err != nil {
		return nil, err
	}
	return s.fsys.Open(p)
}

// cleanPath checks a path of the manifest and returns it in the form fs.FS takes.
func cleanPath(name string) (string, error) {
	if strings.ContainsRune(name, '\\') || path.IsAbs(name) {
		return "", fmt.Errorf("%q: paths are relative to the manifest, with / separators", name)
	}
	p := path.Clean(name)
	if !fs.ValidPath(p) || p == "." {
		return "", fmt.Errorf("%q: the path leaves the source", name)
	}
	return p, nil
}

// checkFile reports why the file named cannot be imported: it does not exist, or is not a
// regular file.
func (s *Source) checkFile(name string) error {
	p, err := cleanPath(name)
	if err != nil {
		return err
	}
	st, err := fs.Stat(s.fsys, p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file", name)
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s: not a regular file", name)
	}
	return nil
}

// Digest returns the SHA-256 (hex) of the file named, reading it once, streamed.
func (s *Source) Digest(name string) (string, error) {
	f, err := s.OpenFile(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Rows reads the whole manifest into memory and checks every row, as EachRow does. For small
// manifests and tests: imports go through EachRow or InRegisterOrder, a row at a time.
func (s *Source) Rows() ([]Row, error) {
	var rows []Row
	err := s.EachRow(func(_ int, r Row) error {
		rows = append(rows, r)
		return nil
	})
	return rows, err
}
