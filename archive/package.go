package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sportello/sportello/signing"
)

// The three files that describe and seal a package, at its root (docs/package-format.md).
const (
	// IndexName is the UNI SInCRO index.
	IndexName = "PIndex.xml"
	// SealName is the detached CAdES seal over IndexName.
	SealName = "PIndex.xml.p7s"
	// TimestampName is the RFC 3161 time-stamp reply over the SHA-256 of SealName.
	TimestampName = "PIndex.xml.tsr"
)

// ZipTime is the modification time of every entry of a package zip: fixed, so that the same
// content gives the same bytes. It is the MS-DOS epoch, the earliest a zip can state.
var ZipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Entry is one file of a package: its path inside the zip, the index group it belongs to, its
// media type, and its bytes: Data, or, for a file too large to hold in memory, Open, which is
// called once, while the file is copied into the zip. SHA256, when set, is the hex digest the
// bytes must have (a stored blob's address): a file whose bytes differ fails the build with
// ErrDigestMismatch.
type Entry struct {
	Path, Group, Format string
	Data                []byte
	Open                func(ctx context.Context) (io.ReadCloser, error)
	SHA256              string
}

// ErrDigestMismatch reports an entry whose bytes are not those of its SHA256.
var ErrDigestMismatch = errors.New("integrity violation: the bytes do not match their digest")

func (e *Entry) reader(ctx context.Context) (io.ReadCloser, error) {
	if e.Open != nil {
		return e.Open(ctx)
	}
	return io.NopCloser(bytes.NewReader(e.Data)), nil
}

// Sealing seals a package's index: Seal returns a detached CMS signature of the index
// (signing.SealDetached with the sealing identity), TSA time-stamps the seal.
type Sealing struct {
	Seal func(ctx context.Context, data []byte) ([]byte, error)
	TSA  signing.Timestamper
}

// Built is a package zip with what the log and the database record of it.
type Built struct {
	// Zip is the package, from Build only: BuildTo writes it to its destination.
	Zip []byte
	// SHA256 is the digest of the zip, IndexSHA256 that of PIndex.xml: the index is the same
	// for the same content, the zip differs with every seal.
	SHA256, IndexSHA256 []byte
	// Size is the zip's length in bytes; Bytes the sum of the files' lengths.
	Size, Bytes int64
	Files       int
}

// safePath is what a package path may be: "/"-separated names of letters, digits, ".", "_"
// and "-", none starting with a dot. Such paths need no escaping in the zip or the index and
// cannot leave the folder a package is extracted into.
var safePath = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$`)

var unsafeRun = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SafeName turns a file name into one path element a package may hold: every run of other
// characters than letters, digits, ".", "_" and "-" becomes "_", and a leading dot or an empty
// result is prefixed with "file".
func SafeName(name string) string {
	s := unsafeRun.ReplaceAllString(name, "_")
	if s == "" || strings.HasPrefix(s, ".") {
		s = "file" + s
	}
	return s
}

// Build is BuildTo into memory, with the intermediate zip in the default temporary folder: for
// small packages and tests.
func Build(ctx context.Context, ix Index, files []Entry, s Sealing) (Built, error) {
	var b bytes.Buffer
	built, err := BuildTo(ctx, ix, files, s, &b, "")
	if err != nil {
		return Built{}, err
	}
	built.Zip = b.Bytes()
	return built, nil
}

// BuildTo writes to dst the package of files described by ix (whose ID it sets to ContentID):
// PIndex.xml listing every file under its group (ix.Groups give the groups' labels; a group no
// file names is left out), the seal over it, the time-stamp over the seal, and every file, in a
// zip whose entries are sorted by path, deflated, and dated ZipTime. Paths must be safe
// (SafeName) and unique.
//
// Memory stays flat in the package's size: the files are streamed, in path order, into a
// temporary zip in dir ("" for the system's) while their SHA-256 are computed; then the index
// is written, sealed and time-stamped, and the final zip is PIndex.xml* followed by the
// temporary zip's entries copied raw (not recompressed). The temporary file is removed.
func BuildTo(ctx context.Context, ix Index, files []Entry, s Sealing, dst io.Writer, dir string) (Built, error) {
	if s.Seal == nil || s.TSA == nil {
		return Built{}, fmt.Errorf("package: no seal or no time-stamping authority")
	}
	sorted := make([]*Entry, len(files))
	for i := range files {
		sorted[i] = &files[i]
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	seen := map[string]bool{IndexName: true, SealName: true, TimestampName: true}
	for _, f := range sorted {
		if !safePath.MatchString(f.Path) || seen[f.Path] {
			return Built{}, fmt.Errorf("package: path %q is unsafe or used twice", f.Path)
		}
		seen[f.Path] = true
	}
	tmp, err := os.CreateTemp(dir, "sportello-package-*.zip")
	if err != nil {
		return Built{}, fmt.Errorf("package: %w", err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()
	sums, total, err := writeFiles(ctx, tmp, sorted)
	if err != nil {
		return Built{}, err
	}
	ix.Groups = groupFiles(ix.Groups, sorted, sums)
	ix.ID = ContentID(ix.Groups)
	index, err := IndexXML(ix)
	if err != nil {
		return Built{}, err
	}
	seal, err := s.Seal(ctx, index)
	if err != nil {
		return Built{}, fmt.Errorf("package: seal the index: %w", err)
	}
	sealSum := sha256.Sum256(seal)
	token, err := s.TSA.Timestamp(ctx, sealSum[:], crypto.SHA256)
	if err != nil {
		return Built{}, fmt.Errorf("package: time-stamp the seal: %w", err)
	}
	tsr, err := signing.TimestampReply(token)
	if err != nil {
		return Built{}, fmt.Errorf("package: %w", err)
	}
	size, err := tmp.Seek(0, io.SeekEnd)
	if err != nil {
		return Built{}, fmt.Errorf("package: %w", err)
	}
	zr, err := zip.NewReader(tmp, size)
	if err != nil {
		return Built{}, fmt.Errorf("package: reread the files: %w", err)
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(dst, h)}
	zw := zip.NewWriter(cw)
	// PIndex.xml* sort before every other path ("P" before the lower-case folders), but merge
	// anyway so that the order is by path whatever the folders are called.
	head := []Entry{{Path: IndexName, Data: index}, {Path: SealName, Data: seal}, {Path: TimestampName, Data: tsr}}
	for _, f := range zr.File {
		for len(head) > 0 && head[0].Path < f.Name {
			if _, err := writeEntry(zw, head[0].Path, bytes.NewReader(head[0].Data), nil); err != nil {
				return Built{}, err
			}
			head = head[1:]
		}
		if err := zw.Copy(f); err != nil {
			return Built{}, fmt.Errorf("package: copy %s: %w", f.Name, err)
		}
	}
	for _, e := range head {
		if _, err := writeEntry(zw, e.Path, bytes.NewReader(e.Data), nil); err != nil {
			return Built{}, err
		}
	}
	if err := zw.Close(); err != nil {
		return Built{}, fmt.Errorf("package: zip: %w", err)
	}
	indexSum := sha256.Sum256(index)
	return Built{SHA256: h.Sum(nil), IndexSHA256: indexSum[:], Size: cw.n, Bytes: total, Files: len(files)}, nil
}

// writeFiles streams every file, in the given order, into a zip written to w, and returns each
// one's SHA-256 and the files' total length.
func writeFiles(ctx context.Context, w io.Writer, files []*Entry) ([][]byte, int64, error) {
	zw := zip.NewWriter(w)
	sums := make([][]byte, len(files))
	var total int64
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		rc, err := f.reader(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("package: %s: %w", f.Path, err)
		}
		h := sha256.New()
		n, err := writeEntry(zw, f.Path, rc, h)
		_ = rc.Close()
		if err != nil {
			return nil, 0, err
		}
		sums[i] = h.Sum(nil)
		if f.SHA256 != "" && hex.EncodeToString(sums[i]) != f.SHA256 {
			return nil, 0, fmt.Errorf("package: %s: %w %s", f.Path, ErrDigestMismatch, f.SHA256)
		}
		total += n
	}
	if err := zw.Close(); err != nil {
		return nil, 0, fmt.Errorf("package: zip: %w", err)
	}
	return sums, total, nil
}

// writeEntry adds one deflated entry dated ZipTime with r's bytes, also written to h when not
// nil, and returns their length.
func writeEntry(zw *zip.Writer, name string, r io.Reader, h io.Writer) (int64, error) {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: ZipTime})
	if err != nil {
		return 0, fmt.Errorf("zip %s: %w", name, err)
	}
	if h != nil {
		w = io.MultiWriter(w, h)
	}
	n, err := io.Copy(w, r)
	if err != nil {
		return n, fmt.Errorf("zip %s: %w", name, err)
	}
	return n, nil
}

// groupFiles lists every file, with its digest, under its group, labelled as labels say.
func groupFiles(labels []IndexGroup, files []*Entry, sums [][]byte) []IndexGroup {
	byID := map[string]IndexGroup{}
	for _, g := range labels {
		byID[g.ID] = IndexGroup{ID: g.ID, Label: g.Label, Description: g.Description}
	}
	groups := map[string]*IndexGroup{}
	var order []string
	for i, f := range files {
		g := groups[f.Group]
		if g == nil {
			l := byID[f.Group]
			l.ID = f.Group
			g = &l
			groups[f.Group] = g
			order = append(order, f.Group)
		}
		g.Files = append(g.Files, IndexFile{Path: f.Path, SHA256: sums[i], Format: f.Format})
	}
	out := make([]IndexGroup, 0, len(order))
	for _, id := range order {
		out = append(out, *groups[id])
	}
	return out
}

// countWriter counts what it writes.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ContentID identifies a package's content, as its index's SelfDescription/ID and PVolume/ID
// (scheme "sha256"): the hex SHA-256 of the lines "<hex SHA-256 of the file>  <path>\n" of every
// file the index lists, sorted by path — what `sha256sum` prints for them, sorted. Two builds of
// the same content have the same ID; the package's own id (the request's) is in the log's leaf.
func ContentID(groups []IndexGroup) string {
	var lines []string
	for _, g := range groups {
		for _, f := range g.Files {
			lines = append(lines, hex.EncodeToString(f.SHA256)+"  "+f.Path+"\n")
		}
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i][66:] < lines[j][66:] })
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WriteZip writes entries into a zip sorted by path (byte order), each deflated with Go's
// default level and dated ZipTime, with no comment and no extra metadata beyond what
// archive/zip writes for a date: the same entries give the same bytes.
func WriteZip(entries []Entry) ([]byte, error) {
	sorted := append([]Entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range sorted {
		if _, err := writeEntry(zw, e.Path, bytes.NewReader(e.Data), nil); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	return b.Bytes(), nil
}
