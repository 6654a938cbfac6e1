package api_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// plantedBadRows are the rows of importZip that must fail, by index, with a word of their
// reason: a missing file, a class the scheme lacks, an empty subject.
var plantedBadRows = map[int]string{3: "no such file", 7: "VI.99", 9: "subject: is empty"}

// importZip builds an archive of n rows, each its own PDF "Documento NNNN" (one in three with
// a shared attachment), with plantedBadRows among them.
func importZip(t testing.TB, n int) []byte { return importZipOf(t, n, "Documento") }

// importZipOf is importZip with subjects "<subject> NNNN".
func importZipOf(t testing.TB, n int, prefix string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	var m strings.Builder
	m.WriteString("file,attachments,subject,sender_name,sender_tax_code,class,received_on\n")
	for i := range n {
		name := fmt.Sprintf("doc-%04d.pdf", i)
		subject, class, att := fmt.Sprintf("%s %04d", prefix, i), "VI.3", ""
		switch plantedBadRows[i] {
		case "subject: is empty":
			subject = ""
		case "VI.99":
			class = "VI.99"
		}
		if plantedBadRows[i] != "no such file" {
			f, _ := w.Create(name)
			f.Write(apptest.PDF(subject + name))
		}
		if i%3 == 0 {
			att = "allegato.pdf"
		}
		fmt.Fprintf(&m, "%s,%s,%s,Mario Rossi,RSSMRA80A01H501U,%s,2026-11-20\n", name, att, subject, class)
	}
	f, _ := w.Create("allegato.pdf")
	f.Write(apptest.PDF("allegato comune"))
	f, _ = w.Create("manifest.csv")
	f.Write([]byte(m.String()))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// accessImportZip is an archive whose one row fails (no subject): importing it registers
// nothing.
func accessImportZip(t testing.TB) []byte {
	return zipWith(t, "file,subject,sender_name\na.pdf,,Mario Rossi\n")
}

// importBody is a POST /v1/imports body carrying archive as its file part.
func importBody(archive []byte) (contentType string, body []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	p, _ := w.CreateFormFile("file", "scansioni.zip")
	p.Write(archive)
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// upload posts archive to /v1/imports.
func (c *client) upload(token string, archive []byte, headers ...string) *response {
	c.t.Helper()
	ct, body := importBody(archive)
	return c.do("POST", "/v1/imports", token, bytes.NewReader(body), append([]string{"Content-Type", ct}, headers...)...)
}

// waitImport polls an import until done(im) or a minute passes.
func (c *client) waitImport(token, id string, done func(api.Import) bool) api.Import {
	c.t.Helper()
	var im api.Import
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		c.do("GET", "/v1/imports/"+id, token, nil).decode(c.t, http.StatusOK, &im)
		if done(im) {
			return im
		}
	}
	c.t.Fatalf("import %s never got there: %+v", id, im)
	return im
}

func finished(im api.Import) bool {
	return im.State == "done" || im.State == "failed" || im.State == "cancelled"
}

// shortChunks makes import jobs hand back to the queue every few rows' time.
func shortChunks(m *app.Main) { m.ImportChunk = 300 * time.Millisecond }

// checkImportedPG checks that PG holds exactly the valid rows of an n-row importZip, once
// each, numbered 1… without gaps in manifest order.
func checkImportedPG(t *testing.T, c *client, token string, n int) {
	t.Helper()
	var list api.RegistrationList
	c.do("GET", "/v1/registrations?register=PG&limit=500", token, nil).decode(t, http.StatusOK, &list)
	var want []string
	for i := range n {
		if _, bad := plantedBadRows[i]; !bad {
			want = append(want, fmt.Sprintf("Documento %04d", i))
		}
	}
	slices.SortFunc(list.Items, func(a, b api.Registration) int { return int(a.Number - b.Number) })
	if len(list.Items) != len(want) {
		t.Fatalf("%d registrations, want %d", len(list.Items), len(want))
	}
	for i, r := range list.Items {
		if r.Number != int64(i+1) || r.Subject != want[i] {
			t.Fatalf("registration %d: number %d subject %q, want %d %q", i, r.Number, r.Subject, i+1, want[i])
		}
	}
}

// TestImportServerSide: an archive uploaded to POST /v1/imports is 202, and its job registers
// every valid row once, in manifest order and without gaps, and lists exactly the planted bad
// rows as failures with their reasons; the same upload with the same Idempotency-Key is the
// same import; a second, bigger import cancelled while it runs stops, its registered rows
// staying; another importer cannot see or cancel it; a cancelled import cannot be cancelled.
func TestImportServerSide(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		imp := s.NewClient(t, "scanner", []string{"importer"})
		other := s.NewClient(t, "other scanner", []string{"importer"})
		const n = 40
		archive := importZip(t, n)
		r := c.upload(imp, archive, "Idempotency-Key", "lotto-1")
		var im api.Import
		r.decode(t, http.StatusAccepted, &im)
		if im.ID == "" || (im.State != "queued" && im.State != "running") || r.Header.Get("Location") != "/v1/imports/"+im.ID {
			t.Fatalf("202 %+v, Location %q", im, r.Header.Get("Location"))
		}
		var again api.Import
		r = c.upload(imp, archive, "Idempotency-Key", "lotto-1")
		r.decode(t, http.StatusAccepted, &again)
		if again.ID != im.ID || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("the retried upload made import %s, want %s", again.ID, im.ID)
		}
		c.do("GET", "/v1/imports/"+im.ID, other, nil).problem(t, http.StatusNotFound, "not_found")

		im = c.waitImport(imp, im.ID, finished)
		if im.State != "done" || im.RowsTotal == nil || *im.RowsTotal != n || im.RowsDone != n-3 || im.RowsFailed != 3 ||
			im.RowsPending != 0 || im.StartedAt == nil || im.FinishedAt == nil || im.Rate <= 0 {
			t.Fatalf("finished import %+v", im)
		}
		var failedRows []int
		for _, f := range im.Failures {
			failedRows = append(failedRows, f.Row)
			if want := plantedBadRows[f.Row-2]; !strings.Contains(f.Reason, want) {
				t.Errorf("row %d failed for %q, want %q", f.Row, f.Reason, want)
			}
		}
		if !slices.Equal(failedRows, []int{5, 9, 11}) {
			t.Errorf("failed rows %v, want 5, 9, 11", failedRows)
		}
		checkImportedPG(t, c, s.AdminToken, n)
		metrics := string(c.do("GET", "/metrics", "", nil).Body)
		for _, want := range []string{fmt.Sprintf(`sportello_import_rows_total{outcome="done"} %d`, n-3),
			`sportello_import_rows_total{outcome="failed"} 3`} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		c.do("POST", "/v1/imports/"+im.ID+"/cancel", imp, nil).problem(t, http.StatusConflict, "conflict")

		// A bigger import, cancelled while it runs.
		var big api.Import
		c.upload(imp, importZipOf(t, 400, "Lotto B")).decode(t, http.StatusAccepted, &big)
		c.waitImport(imp, big.ID, func(im api.Import) bool { return im.RowsDone > 0 || finished(im) })
		c.do("POST", "/v1/imports/"+big.ID+"/cancel", other, nil).problem(t, http.StatusNotFound, "not_found")
		var cancelled api.Import
		c.do("POST", "/v1/imports/"+big.ID+"/cancel", imp, nil).decode(t, http.StatusOK, &cancelled)
		if cancelled.State != "cancelled" || cancelled.RowsPending == 0 || cancelled.FinishedAt == nil {
			t.Fatalf("cancelled import %+v", cancelled)
		}
		time.Sleep(2 * time.Second) // the job stops after the row in progress, and records the rows it registered
		var after api.Import
		c.do("GET", "/v1/imports/"+big.ID, imp, nil).decode(t, http.StatusOK, &after)
		if after.State != "cancelled" || after.RowsDone+after.RowsFailed >= 400 {
			t.Errorf("after the cancel %+v (at the cancel %d rows done)", after, cancelled.RowsDone)
		}
		// Every registration made is reported: the first import's, and the rows the second
		// registered before it stopped.
		var regs api.RegistrationList
		c.do("GET", "/v1/registrations?register=PG&limit=500", s.AdminToken, nil).decode(t, http.StatusOK, &regs)
		if len(regs.Items) != n-3+after.RowsDone {
			t.Errorf("%d registrations, want %d + %d", len(regs.Items), n-3, after.RowsDone)
		}
		c.do("POST", "/v1/imports/"+big.ID+"/cancel", imp, nil).problem(t, http.StatusConflict, "conflict")
		var list api.ImportList
		c.do("GET", "/v1/imports", imp, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 2 || list.Items[0].ID != big.ID {
			t.Errorf("imports of the importer %+v", list.Items)
		}
		c.do("GET", "/v1/imports", other, nil).decode(t, http.StatusOK, &list)
		if len(list.Items) != 0 {
			t.Errorf("imports of another importer %+v", list.Items)
		}
		if entries, _ := os.ReadDir(filepath.Join(s.DataDir, app.ImportsDir)); len(entries) != 0 {
			t.Errorf("working files left: %v", entries)
		}
	}, shortChunks)
}

// zipOf builds an archive: a manifest, then the entries given, written raw with the sizes
// their headers declare (data in Extra).
func zipOf(t testing.TB, entries ...*zip.FileHeader) []byte {
	return zipWith(t, "file,subject,sender_name\na.pdf,Uno,Mario Rossi\n", entries...)
}

// zipWith is zipOf with another manifest.
func zipWith(t testing.TB, manifest string, entries ...*zip.FileHeader) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("manifest.csv")
	f.Write([]byte(manifest))
	f, _ = w.Create("a.pdf")
	f.Write(apptest.PDF("uno"))
	for _, h := range entries {
		data := h.Extra
		h.Extra = nil
		var err error
		if h.CompressedSize64 > 0 || h.UncompressedSize64 > 0 || h.Flags != 0 {
			f, err = w.CreateRaw(h)
		} else {
			f, err = w.CreateHeader(h)
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zeros deflated: n zero bytes compressed.
func zerosDeflated(t testing.TB, n int64) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	buf := make([]byte, 1<<20)
	for ; n > 0; n -= int64(len(buf)) {
		w.Write(buf[:min(n, int64(len(buf)))])
	}
	w.Close()
	return b.Bytes()
}

// tree lists the files under dir (relative), or nothing when it does not exist.
func tree(t testing.TB, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// TestImportRefusesUnsafeZips: archives with an entry leaving the archive, an absolute path,
// a symbolic link, an encrypted entry, 100,000 entries, an entry declaring 10 GB, a real
// zip bomb (a ratio past the limit), no manifest, or a bad manifest header are refused in the
// request, 422 naming the entry or the limit; nothing is kept (no blob, no file under the
// imports directory) and the server stays ready. A header that lies (declaring less than its
// data expands to) passes the checks, and its row fails in the job: nothing past the declared
// size is read.
func TestImportRefusesUnsafeZips(t *testing.T) {
	s := apptest.Start(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite"))
	c := newClient(t, s)
	imp := s.NewClient(t, "scanner", []string{"importer"})
	blobs, imports := filepath.Join(s.DataDir, "blobs"), filepath.Join(s.DataDir, app.ImportsDir)
	blobsBefore := tree(t, blobs)
	z := zerosDeflated(t, 100<<20) // 100 MiB of zeros: about 100 KB
	many := make([]*zip.FileHeader, 100_000)
	for i := range many {
		many[i] = &zip.FileHeader{Name: fmt.Sprintf("e/%06d", i), Method: zip.Store}
	}
	symlink := &zip.FileHeader{Name: "link.pdf", Extra: []byte("/etc/passwd")}
	symlink.SetMode(fs.ModeSymlink | 0o777)
	raw := func(name string, data []byte, size uint64) *zip.FileHeader {
		return &zip.FileHeader{Name: name, Method: zip.Deflate, CompressedSize64: uint64(len(data)),
			UncompressedSize64: size, CRC32: crc32.ChecksumIEEE(nil), Extra: data}
	}
	encrypted := raw("secret.pdf", []byte("xxxxxxxxxxxx"), 12)
	encrypted.Method, encrypted.Flags = zip.Store, 0x1
	noManifest := func() []byte {
		var b bytes.Buffer
		w := zip.NewWriter(&b)
		f, _ := w.Create("a.pdf")
		f.Write([]byte("x"))
		w.Close()
		return b.Bytes()
	}()
	for _, tc := range []struct {
		name    string
		archive []byte
		want    string
	}{
		{"dotdot", zipOf(t, &zip.FileHeader{Name: "../evil.pdf"}), `"../evil.pdf": leaves the archive`},
		{"absolute", zipOf(t, &zip.FileHeader{Name: "/etc/evil.pdf"}), `"/etc/evil.pdf": is an absolute path`},
		{"symlink", zipOf(t, symlink), `"link.pdf": is a symbolic link`},
		{"encrypted", zipOf(t, encrypted), `"secret.pdf": is encrypted`},
		{"entries", zipOf(t, many...), "100002 entries, more than the 50000 allowed"},
		{"declared10GB", zipOf(t, raw("big.pdf", z, 10<<30)), `zip entry "big.pdf"`},
		{"ratio", zipOf(t, raw("bomb.pdf", z, 100<<20)), `"bomb.pdf": compressed`},
		{"notzip", []byte("PK not really"), "is not a zip archive"},
		{"nomanifest", noManifest, "no manifest.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := c.upload(imp, tc.archive).problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "file", tc.want)
		})
	}
	t.Run("BadHeader", func(t *testing.T) {
		var b bytes.Buffer
		w := zip.NewWriter(&b)
		f, _ := w.Create("manifest.csv")
		f.Write([]byte("file,subject,colour\na.pdf,Uno,blu\n"))
		w.Close()
		p := c.upload(imp, b.Bytes()).problem(t, http.StatusUnprocessableEntity, "validation_failed")
		namesField(t, p, "file", `unknown column "colour"`)
	})
	if after := tree(t, blobs); !slices.Equal(after, blobsBefore) {
		t.Errorf("refused archives left blobs: %d before, %d after", len(blobsBefore), len(after))
	}
	if left := tree(t, imports); len(left) != 0 {
		t.Errorf("refused archives left files: %v", left)
	}
	c.do("GET", "/readyz", "", nil).expect(t, http.StatusOK)

	t.Run("LyingHeader", func(t *testing.T) {
		archive := zipWith(t, "file,subject,sender_name\nliar.pdf,Bugiardo,Mario Rossi\n", raw("liar.pdf", zerosDeflated(t, 64<<20), 1000))
		var im api.Import
		c.upload(imp, archive).decode(t, http.StatusAccepted, &im)
		im = c.waitImport(imp, im.ID, finished)
		if im.State != "done" || im.RowsFailed != 1 || len(im.Failures) != 1 || !strings.Contains(im.Failures[0].Reason, "liar.pdf") {
			t.Fatalf("import %+v", im)
		}
		if left := tree(t, imports); len(left) != 0 {
			t.Errorf("working files left: %v", left)
		}
	})
	c.do("GET", "/readyz", "", nil).expect(t, http.StatusOK)
}

// TestImportTooLarge: an archive past SPORTELLO_IMPORT_MAX_BYTES is 413, and nothing is kept.
func TestImportTooLarge(t *testing.T) {
	s := apptest.Start(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite"),
		apptest.WithConfig(func(c *app.Config) { c.ImportMaxBytes = 64 << 10 }))
	c := newClient(t, s)
	imp := s.NewClient(t, "scanner", []string{"importer"})
	big := importZip(t, 200)
	if len(big) <= 64<<10 {
		t.Fatalf("the archive is only %d bytes", len(big))
	}
	c.upload(imp, big).problem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
	if left := tree(t, filepath.Join(s.DataDir, app.ImportsDir)); len(left) != 0 {
		t.Errorf("left: %v", left)
	}
}

// TestImportScans: a row of two page images and a row of one three-page TIFF are each bound
// into one PDF with a text layer, registered as the primary document and as an image copy of
// paper, with the images as the first attachments (then the row's own); a word only in the
// images is found by search.
func TestImportScans(t *testing.T) {
	needTools(t, "tesseract", "pdfunite", "pdfinfo")
	png, err := os.ReadFile(ocrFixture)
	if err != nil {
		t.Fatal(err)
	}
	tif, err := os.ReadFile("../testdata/scan_three_pages.tif")
	if err != nil {
		t.Fatal(err)
	}
	s := apptest.Start(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite"))
	c := newClient(t, s)
	imp := s.NewClient(t, "scanner", []string{"importer"})
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, data := range map[string][]byte{"verbale.png": png, "pagina-2.png": png, "fascicolo.tif": tif, "nota.pdf": apptest.PDF("nota")} {
		f, _ := w.Create(name)
		f.Write(data)
	}
	f, _ := w.Create("manifest.csv")
	f.Write([]byte("file,attachments,subject,sender_name\n" +
		"verbale.png|pagina-2.png,nota.pdf,Verbale di sopralluogo,Istituto comprensivo\n" +
		"fascicolo.tif,,Pratica scansionata,Mario Rossi\n"))
	w.Close()
	var im api.Import
	c.upload(imp, b.Bytes()).decode(t, http.StatusAccepted, &im)
	im = c.waitImport(imp, im.ID, finished)
	if im.State != "done" || im.RowsDone != 2 || im.RowsFailed != 0 {
		t.Fatalf("import %+v", im)
	}
	var list api.RegistrationList
	c.do("GET", "/v1/registrations?register=PG", imp, nil).decode(t, http.StatusOK, &list)
	slices.SortFunc(list.Items, func(a, b api.Registration) int { return int(a.Number - b.Number) })
	if len(list.Items) != 2 {
		t.Fatalf("registrations %+v", list.Items)
	}
	names := func(fs []api.File) (out []string) {
		for _, f := range fs {
			out = append(out, f.Filename)
		}
		return out
	}
	for i, want := range []struct {
		doc         string
		attachments []string
	}{{"verbale.pdf", []string{"verbale.png", "pagina-2.png", "nota.pdf"}}, {"fascicolo.pdf", []string{"fascicolo.tif"}}} {
		r := list.Items[i]
		if r.Document.Filename != want.doc || r.Document.MediaType != "application/pdf" || !slices.Equal(names(r.Attachments), want.attachments) ||
			r.ImageCopy == nil {
			t.Errorf("registration %d: document %+v, attachments %v; want %s and %v", r.Number, r.Document, names(r.Attachments), want.doc, want.attachments)
		}
	}
	done := waitText(t, c, imp, list.Items[0], "done")
	res := searchFor(t, c, imp, done.Position, url.Values{"q": {ocrWord}})
	if res.Total != 1 || res.Items[0].ID != list.Items[0].ID {
		t.Fatalf("search %q: %+v", ocrWord, res)
	}
	// The three-page TIFF: its bytes are kept as they came, and a word only on its last page
	// finds its PDF, so every page was bound and read.
	if sum := sha256.Sum256(tif); list.Items[1].Attachments[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("the TIFF attached is not the one received: %+v", list.Items[1].Attachments[0])
	}
	scanned := waitText(t, c, imp, list.Items[1], "done")
	res = searchFor(t, c, imp, scanned.Position, url.Values{"q": {"pertinenziale"}})
	if res.Total != 1 || res.Items[0].ID != list.Items[1].ID {
		t.Fatalf("search for a word of the TIFF's third page: %+v", res)
	}
}

// TestImportEmergencyAndImageCopy: rows of the emergency register are registered first, in
// emergency-number order whatever their place in the manifest, each keeping its emergency
// number and date; a row with attested_by keeps its image copy.
func TestImportEmergencyAndImageCopy(t *testing.T) {
	s := apptest.Start(t, "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite"))
	c := newClient(t, s)
	imp := s.NewClient(t, "scanner", []string{"importer"})
	rome, _ := time.LoadLocation("Europe/Rome")
	y := time.Now().In(rome).AddDate(0, 0, -1)
	start := time.Date(y.Year(), y.Month(), y.Day(), 8, 0, 0, 0, rome)
	var o api.Outage
	c.json("POST", "/v1/registers/PG/emergencies", s.AdminToken, map[string]any{"cause": "Guasto", "start": start,
		"end": start.Add(4 * time.Hour), "authorization": "Autorizzazione n. 1"}).decode(t, http.StatusCreated, &o)
	day := start.Format(time.DateOnly)
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, name := range []string{"a.pdf", "e2.pdf", "e1.pdf", "copia.pdf"} {
		f, _ := w.Create(name)
		f.Write(apptest.PDF(name))
	}
	f, _ := w.Create("manifest.csv")
	f.Write([]byte("file,subject,sender_name,emergency_number,emergency_date,attested_by,attested_on\n" +
		"a.pdf,Ordinaria,Mario Rossi,,,,\n" +
		"e2.pdf,Emergenza due,Mario Rossi,2," + day + ",,\n" +
		"e1.pdf,Emergenza uno,Mario Rossi,1," + day + ",,\n" +
		"copia.pdf,Copia,Mario Rossi,,,Anna Verdi," + day + "\n"))
	w.Close()
	var im api.Import
	c.upload(imp, b.Bytes()).decode(t, http.StatusAccepted, &im)
	if im = c.waitImport(imp, im.ID, finished); im.State != "done" || im.RowsDone != 4 {
		t.Fatalf("import %+v", im)
	}
	var list api.RegistrationList
	c.do("GET", "/v1/registrations?register=PG", imp, nil).decode(t, http.StatusOK, &list)
	slices.SortFunc(list.Items, func(a, b api.Registration) int { return int(a.Number - b.Number) })
	var subjects []string
	for _, r := range list.Items {
		subjects = append(subjects, r.Subject)
	}
	if !slices.Equal(subjects, []string{"Emergenza uno", "Emergenza due", "Ordinaria", "Copia"}) {
		t.Fatalf("registered in the order %v", subjects)
	}
	if e := list.Items[0].Emergency; e == nil || e.Number != 1 || e.Date != day || e.Register != o.ID {
		t.Errorf("emergency entry %+v", e)
	}
	if ic := list.Items[3].ImageCopy; ic == nil || ic.AttestedBy != "Anna Verdi" || ic.AttestedOn != day {
		t.Errorf("image copy %+v", ic)
	}
}
