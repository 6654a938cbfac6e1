package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
// media type and bytes.
type Entry struct {
	Path, Group, Format string
	Data                []byte
}

// Sealing seals a package's index: Seal returns a detached CMS signature of the index
// (signing.SealDetached with the sealing identity), TSA time-stamps the seal.
type Sealing struct {
	Seal func(ctx context.Context, data []byte) ([]byte, error)
	TSA  signing.Timestamper
}

// Built is a package zip with what the log and the database record of it.
type Built struct {
	Zip []byte
	// SHA256 is the digest of Zip, IndexSHA256 that of PIndex.xml: the index is the same for
	// the same content, the zip differs with every seal.
	SHA256, IndexSHA256 []byte
	Files               int
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

// Build writes the package of files described by ix (whose ID it sets to ContentID): PIndex.xml listing every file under its
// group (ix.Groups give the groups' labels; a group no file names is left out), the seal over
// it, the time-stamp over the seal, and every file, in a zip whose entries are sorted by path,
// deflated, and dated ZipTime. Paths must be safe (SafeName) and unique.
func Build(ctx context.Context, ix Index, files []Entry, s Sealing) (Built, error) {
	if s.Seal == nil || s.TSA == nil {
		return Built{}, fmt.Errorf("package: no seal or no time-stamping authority")
	}
	labels := map[string]IndexGroup{}
	for _, g := range ix.Groups {
		labels[g.ID] = IndexGroup{ID: g.ID, Label: g.Label, Description: g.Description}
	}
	groups := map[string]*IndexGroup{}
	seen := map[string]bool{IndexName: true, SealName: true, TimestampName: true}
	for _, f := range files {
		if !safePath.MatchString(f.Path) || seen[f.Path] {
			return Built{}, fmt.Errorf("package: path %q is unsafe or used twice", f.Path)
		}
		seen[f.Path] = true
		g := groups[f.Group]
		if g == nil {
			l := labels[f.Group]
			l.ID = f.Group
			g = &l
			groups[f.Group] = g
		}
		sum := sha256.Sum256(f.Data)
		g.Files = append(g.Files, IndexFile{Path: f.Path, SHA256: sum[:], Format: f.Format})
	}
	ix.Groups = ix.Groups[:0:0]
	for _, g := range groups {
		ix.Groups = append(ix.Groups, *g)
	}
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
	all := append([]Entry{{Path: IndexName, Data: index}, {Path: SealName, Data: seal}, {Path: TimestampName, Data: tsr}}, files...)
	z, err := WriteZip(all)
	if err != nil {
		return Built{}, fmt.Errorf("package: %w", err)
	}
	sum, indexSum := sha256.Sum256(z), sha256.Sum256(index)
	return Built{Zip: z, SHA256: sum[:], IndexSHA256: indexSum[:], Files: len(files)}, nil
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
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Path, Method: zip.Deflate, Modified: ZipTime})
		if err != nil {
			return nil, fmt.Errorf("zip %s: %w", e.Path, err)
		}
		if _, err := w.Write(e.Data); err != nil {
			return nil, fmt.Errorf("zip %s: %w", e.Path, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip: %w", err)
	}
	return b.Bytes(), nil
}
