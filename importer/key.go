package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"path"
)

// keyVersion is the first item of every key's hash: a change to what a key covers changes it.
const keyVersion = "sportello-import/1"

// KeyPrefix starts every Idempotency-Key the importer derives.
const KeyPrefix = "import-"

// A File is a file a row sends: its part (document, attachment), its name in the request (the
// base name of its path) and its path and SHA-256 in the source.
type File struct {
	Part, Filename, Path, SHA256 string
}

// Prepared is a row ready to send: its files with their digests, and its key.
type Prepared struct {
	Row   Row
	Files []File
	Key   string
}

// Prepare reads every file of a row once to digest it, and derives the row's key.
func (s *Source) Prepare(r Row) (Prepared, error) {
	out := Prepared{Row: r}
	for i, p := range r.Files() {
		part := "attachment"
		if i == 0 {
			part = "document"
		}
		sum, err := s.Digest(p)
		if err != nil {
			return out, err
		}
		out.Files = append(out.Files, File{Part: part, Filename: path.Base(p), Path: p, SHA256: sum})
	}
	out.Key = Key(r, out.Files)
	return out, nil
}

// Key is the Idempotency-Key of a row: a hash of its canonical content (the registration's
// metadata as JSON, its emergency entry) and of each file's part, name and SHA-256. The same
// row with the same files has the same key in any run, whatever the manifest's column order,
// spacing or line; a changed file is a new key. The line is left out: a row moved in the
// manifest is the same document. Items are length-prefixed, so no two rows frame alike.
func Key(r Row, files []File) string {
	h := sha256.New()
	add(h, keyVersion)
	meta, err := json.Marshal(r.Metadata) // struct fields marshal in a fixed order
	if err != nil {
		panic(err) // strings, bools and slices of them always marshal
	}
	add(h, string(meta))
	add(h, r.EmergencyNumber)
	add(h, r.EmergencyDate)
	for _, f := range files {
		add(h, f.Part)
		add(h, f.Filename)
		add(h, f.SHA256)
	}
	return KeyPrefix + hex.EncodeToString(h.Sum(nil))
}

func add(h hash.Hash, item string) { fmt.Fprintf(h, "%d:%s;", len(item), item) }
