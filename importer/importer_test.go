package importer

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const header = "file,attachments,direction,subject,sender_name,sender_tax_code,recipient_name,class,offices,received_on,sender_number,sender_date,register,channel,confidential\n"

func read(t *testing.T, manifest string) []Row {
	t.Helper()
	rows, err := ReadManifest(strings.NewReader(manifest))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestReadManifest(t *testing.T) {
	rows := read(t, "\xEF\xBB\xBF"+header+
		"a.pdf,b.pdf| c.pdf,,Domanda,Mario Rossi,RSSMRA80A01H501U,,VI.3,TEC|URP,2026-11-20,45,2026-11-19,,,true\n"+
		"\n"+
		"d.pdf,,outgoing,\"Risposta, con virgola\",,,Edilizia Rossi S.r.l.,,,,,,RP,pec,\n")
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	r := rows[0]
	if !r.OK() || r.Line != 2 {
		t.Fatalf("row 1: %+v", r)
	}
	m := r.Metadata
	if m.Register != "PG" || m.Direction != "incoming" || m.Channel != "paper" || !m.Confidential ||
		m.Class != "VI.3" || strings.Join(m.Offices, ",") != "TEC,URP" || m.ReceivedOn != "2026-11-20" ||
		m.SenderReference == nil || *m.SenderReference != (SenderReference{"45", "2026-11-19"}) {
		t.Errorf("metadata %+v", m)
	}
	if len(m.Correspondents) != 1 || m.Correspondents[0] != (Correspondent{"sender", "person", "Mario Rossi", "RSSMRA80A01H501U"}) {
		t.Errorf("correspondents %+v", m.Correspondents)
	}
	if strings.Join(r.Files(), ",") != "a.pdf,b.pdf,c.pdf" {
		t.Errorf("files %v", r.Files())
	}
	r = rows[1]
	if !r.OK() || r.Line != 4 || r.Metadata.Subject != "Risposta, con virgola" || r.Metadata.Register != "RP" ||
		r.Metadata.Channel != "pec" || r.Metadata.Correspondents[0].Role != "recipient" {
		t.Errorf("row 2: %+v", r)
	}
}

func TestReadManifestHeader(t *testing.T) {
	for manifest, want := range map[string]string{
		"":                                "empty",
		"file,subject,colour\n":           `unknown column "colour"`,
		"file,subject,subject\n":          `column "subject" is repeated`,
		"file,direction\n":                `no column "subject"`,
		"file,subject\n\"a.pdf,Domanda\n": "extraneous or missing",
	} {
		_, err := ReadManifest(strings.NewReader(manifest))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", manifest, err, want)
		}
	}
}

func TestRowProblems(t *testing.T) {
	for _, tc := range []struct{ row, want string }{
		{",,,Domanda,Mario Rossi,,,,,,,,,,", "file: the primary document is required"},
		{"a.pdf,,,,Mario Rossi,,,,,,,,,,", "subject: is empty"},
		{"a.pdf,,,Domanda,Mario Rossi,,,,,2026-02-30,,,,,", `received_on: "2026-02-30" is not a date`},
		{"a.pdf,,,Domanda,Mario Rossi,,,,,,,,,,si", `confidential: "si" is not true or false`},
		{"a.pdf,,sideways,Domanda,Mario Rossi,,,,,,,,,,", `direction: "sideways"`},
		{"a.pdf,,,Domanda,Mario Rossi,,,,,,,,,fax,", `channel: "fax"`},
		{"a.pdf,,,Domanda,Mario Rossi,,,6.3,,,,,,,", `class: "6.3"`},
		{"a.pdf,,,Domanda,,,,,,,,,,,", "sender_name: an incoming document needs its sender"},
		{"a.pdf,,,Domanda,Mario Rossi,RSSMRA,,,,,,,,,", "sender_tax_code"},
		{"a.pdf,,,Domanda,Mario Rossi,,,,,,,2026-01-01,,,", "sender_date: needs sender_number"},
		{"a.pdf,,,Domanda,Mario Rossi", "has 5 fields, the header 15"},
	} {
		rows := read(t, header+tc.row+"\n"+"ok.pdf,,,Buona,Mario Rossi,,,,,,,,,,\n")
		if len(rows) != 2 || !strings.Contains(strings.Join(rows[0].Problems, "; "), tc.want) {
			t.Errorf("%s: problems %q, want %q", tc.row, rows[0].Problems, tc.want)
		}
		if !rows[1].OK() {
			t.Errorf("%s: the next row has problems %q", tc.row, rows[1].Problems)
		}
	}
	if rows := read(t, header+"a.tif|b.tif,,,Domanda,Mario Rossi,,,,,,,,,,\n"); !rows[0].OK() || !rows[0].PageImages() {
		t.Errorf("page images: %+v (the server-side import binds them)", rows[0])
	}
}

// writeSource writes files into a new folder and returns it.
func writeSource(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSourceFolderChecksFiles(t *testing.T) {
	dir := writeSource(t, map[string]string{
		"manifest.csv": "file,attachments,subject,sender_name\n" +
			"doc/a.pdf,b.pdf,Uno,Mario Rossi\n" +
			"missing.pdf,,Due,Mario Rossi\n" +
			"../outside.pdf,,Tre,Mario Rossi\n" +
			"doc,,Quattro,Mario Rossi\n",
		"doc/a.pdf": "A", "b.pdf": "B",
	})
	os.WriteFile(filepath.Join(filepath.Dir(dir), "outside.pdf"), []byte("x"), 0o644)
	os.Symlink(filepath.Join(filepath.Dir(dir), "outside.pdf"), filepath.Join(dir, "link.pdf"))
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Rows()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"", "missing.pdf: no such file", "leaves the source", "doc: not a regular file"} {
		if got := strings.Join(rows[i].Problems, ";"); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("row %d: problems %q, want %q", rows[i].Line, got, want)
		}
	}
	if _, err := s.OpenFile("link.pdf"); err == nil {
		t.Error("a symlink out of the folder was opened")
	}
}

// zipOf builds an archive of entries (name → content; a mode with fs.ModeSymlink for a link).
func zipOf(t *testing.T, entries ...zipEntry) *zip.Reader {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(e.content))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return zr
}

type zipEntry struct {
	name, content string
	mode          fs.FileMode
}

const zipManifest = "file,subject,sender_name\na.pdf,Uno,Mario Rossi\n"

func TestZipPathChecks(t *testing.T) {
	for _, tc := range []struct {
		bad  zipEntry
		want string
	}{
		{zipEntry{name: "../evil.pdf"}, "leaves the archive"},
		{zipEntry{name: "doc/../../evil.pdf"}, "leaves the archive"},
		{zipEntry{name: "/etc/evil.pdf"}, "absolute path"},
		{zipEntry{name: "C:/evil.pdf"}, "absolute path"},
		{zipEntry{name: `doc\..\evil.pdf`}, "backslash"},
		{zipEntry{name: "link.pdf", content: "/etc/passwd", mode: fs.ModeSymlink | 0o777}, "symbolic link"},
	} {
		zr := zipOf(t, zipEntry{name: "manifest.csv", content: zipManifest}, zipEntry{name: "a.pdf", content: "A"}, tc.bad)
		_, err := FromZip(zr)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), strconv.Quote(tc.bad.name)) {
			t.Errorf("%s: error %v, want %q naming the entry", tc.bad.name, err, tc.want)
		}
	}
	zr := zipOf(t, zipEntry{name: "manifest.csv", content: zipManifest}, zipEntry{name: "a.pdf", content: "A"})
	zr.File[1].Flags |= 0x1
	if _, err := FromZip(zr); err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("encrypted entry: %v", err)
	}
}

func TestZipSource(t *testing.T) {
	for _, prefix := range []string{"", "scansioni/"} {
		zr := zipOf(t, zipEntry{name: prefix + "manifest.csv", content: zipManifest + "b.pdf,Due,Mario Rossi\n"},
			zipEntry{name: prefix + "a.pdf", content: "A"})
		s, err := FromZip(zr)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.Rows()
		if err != nil {
			t.Fatal(err)
		}
		if !rows[0].OK() || strings.Join(rows[1].Problems, "") != "b.pdf: no such file" {
			t.Errorf("%q: rows %+v", prefix, rows)
		}
		p, err := s.Prepare(rows[0])
		if err != nil || p.Files[0].SHA256 != "559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd" {
			t.Errorf("%q: prepared %+v, %v", prefix, p, err)
		}
	}
	if _, err := FromZip(zipOf(t, zipEntry{name: "a/manifest.csv"}, zipEntry{name: "b/x"})); err == nil {
		t.Error("an archive without a manifest at its top or in its only folder was taken")
	}
}

func TestKey(t *testing.T) {
	dir := writeSource(t, map[string]string{"a.pdf": "A", "b.pdf": "B"})
	key := func(manifest string) string {
		t.Helper()
		os.WriteFile(filepath.Join(dir, ManifestName), []byte(manifest), 0o644)
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rows, err := s.Rows()
		if err != nil || !rows[len(rows)-1].OK() {
			t.Fatalf("%v %+v", err, rows)
		}
		p, err := s.Prepare(rows[len(rows)-1])
		if err != nil {
			t.Fatal(err)
		}
		return p.Key
	}
	base := key("file,attachments,subject,sender_name\na.pdf,b.pdf,Domanda,Mario Rossi\n")
	if !strings.HasPrefix(base, KeyPrefix) || len(base) > 255 {
		t.Fatalf("key %q", base)
	}
	// The same row: other column order, spacing, defaults spelt out, another line.
	for _, same := range []string{
		"subject,sender_name,file,attachments\nDomanda, Mario Rossi ,a.pdf,b.pdf\n",
		"file,attachments,subject,sender_name,register,direction,channel\nb.pdf,,Altro,Mario Rossi,,,\na.pdf,b.pdf,Domanda,Mario Rossi,PG,incoming,paper\n",
	} {
		if k := key(same); k != base {
			t.Errorf("%q: key %s, want %s", same, k, base)
		}
	}
	for _, other := range []string{
		"file,attachments,subject,sender_name\na.pdf,b.pdf,Domanda.,Mario Rossi\n",
		"file,attachments,subject,sender_name\nb.pdf,a.pdf,Domanda,Mario Rossi\n",
		"file,subject,sender_name\na.pdf,Domanda,Mario Rossi\n",
	} {
		if k := key(other); k == base {
			t.Errorf("%q: same key as the base row", other)
		}
	}
	os.WriteFile(filepath.Join(dir, "b.pdf"), []byte("B, scanned again"), 0o644)
	if k := key("file,attachments,subject,sender_name\na.pdf,b.pdf,Domanda,Mario Rossi\n"); k == base {
		t.Error("a changed file kept the key")
	}
}
