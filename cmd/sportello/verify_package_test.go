package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/segnaturacheck"
	"github.com/sportello/sportello/internal/testdb"
)

// packageFromServer builds, through a real server's API, the package of a dossier of n
// registrations and returns the zip and the sealing certificate's fingerprint.
func packageFromServer(t *testing.T, n int) ([]byte, string) {
	s := apptest.Start(t, testdb.SQLiteURL(t), fastCheckpoints)
	s.NewOffice(t, "TEC", "Ufficio tecnico")
	op := s.NewClient(t, "operator", []string{"protocol_operator"})
	ro := s.NewClient(t, "records", []string{"records_officer"})
	var d struct{ ID string }
	body := `{"class":"VI.3","subject":"Pratica","type":"affare","office":"TEC"}`
	s.Do(t, "POST", "/v1/dossiers", op, "application/json", strings.NewReader(body), http.StatusCreated, &d)
	for i := range n {
		path, _ := registered(t, s, op, "Istanza "+strconv.Itoa(i+1))
		ref := strings.TrimPrefix(path, "/v1/registrations/")
		s.Do(t, "POST", "/v1/dossiers/"+d.ID+"/items", op, "application/json", strings.NewReader(`{"registration":"`+ref+`"}`), http.StatusOK, nil)
	}
	var p struct {
		ID, State, Reason string
		LeafIndex         *uint64 `json:"leaf_index"`
	}
	s.Do(t, "POST", "/v1/archive/packages", ro, "application/json", strings.NewReader(`{"dossier":"`+d.ID+`"}`), http.StatusAccepted, &p)
	for deadline := time.Now().Add(60 * time.Second); p.State != "ready"; time.Sleep(50 * time.Millisecond) {
		s.Do(t, "GET", "/v1/archive/packages/"+p.ID, ro, "", nil, http.StatusOK, &p)
		if p.State == "failed" || time.Now().After(deadline) {
			t.Fatalf("package %s %s", p.State, p.Reason)
		}
	}
	var info struct {
		Signing struct{ Fingerprint string } `json:"signing"`
	}
	s.Do(t, "GET", "/v1/info", op, "", nil, http.StatusOK, &info)
	return fetch(t, s, ro, "/v1/archive/packages/"+p.ID+"/content", ""), info.Signing.Fingerprint
}

// rezip returns z with edit applied to its entries (nil data removes one).
func rezip(t *testing.T, z []byte, edit func(files map[string][]byte)) []byte {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	edit(files)
	var entries []archive.Entry
	for name, data := range files {
		if data != nil {
			entries = append(entries, archive.Entry{Path: name, Data: data})
		}
	}
	out, err := archive.WriteZip(entries)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flip changes one byte in the middle of data.
func flip(data []byte) []byte {
	out := bytes.Clone(data)
	out[len(out)/2] ^= 0x01
	return out
}

// TestVerifyPackage: a package built by a real server verifies offline (index against the
// schema, seal, time-stamp, every digest, every proof and the checkpoint), and a flipped byte
// in a file, in the index or in a proof, or a removed file, fails naming exactly what is wrong,
// with exit status 1, as text and as JSON.
func TestVerifyPackage(t *testing.T) {
	n := segnaturacheck.PackageSize(t)
	z, fp := packageFromServer(t, n)
	dir := t.TempDir()
	args := []string{"--fingerprint", fp}
	if _, err := os.Stat(filepath.Join("../..", segnaturacheck.SincroSchema)); err == nil {
		args = append(args, "--schema", filepath.Join("../..", segnaturacheck.SincroSchema))
	}
	out, err := verifyRun(append(args, writeFile(t, dir, "package.zip", z))...)
	if err != nil || !strings.Contains(out, "all checks passed") {
		t.Fatalf("genuine package: %v\n%s", err, out)
	}
	for _, want := range []string{"ok   seal PIndex.xml.p7s", "ok   time-stamp PIndex.xml.tsr", "ok   files (", "ok   proofs (" + strconv.Itoa(n) + " leaves", "ok   checkpoint signature",
		"ok   dossier dossier/metadata.xml (IndiceDocumenti lists the " + strconv.Itoa(n) + " registrations"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if len(args) > 2 && !strings.Contains(out, "ok   index schema") {
		t.Errorf("the index was not validated:\n%s", out)
	}

	var document, receipt, receiptPDF string
	r, _ := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	for _, f := range r.File {
		if document == "" && strings.Contains(f.Name, "/document/") {
			document = f.Name
		}
		if receipt == "" && strings.HasSuffix(f.Name, "/receipt.json") {
			receipt = f.Name
		}
		if receiptPDF == "" && strings.HasSuffix(f.Name, "/receipt.pdf") {
			receiptPDF = f.Name
		}
	}
	if receiptPDF == "" {
		t.Fatal("the package holds no receipt PDF")
	}
	meta := archive.DossierMetadataPath
	for _, tc := range []struct {
		name string
		edit func(files map[string][]byte)
		want []string
	}{
		{"FlippedFile", func(f map[string][]byte) { f[document] = flip(f[document]) },
			[]string{"FAIL file " + document + ": SHA-256", "FAIL proof " + strings.TrimSuffix(document, "document/a.pdf") + "receipt.json"}},
		{"FlippedIndex", func(f map[string][]byte) {
			f[archive.IndexName] = bytes.Replace(f[archive.IndexName], []byte("Pacchetto di archiviazione"), []byte("Pacchetto di archiviazionE"), 1)
		}, []string{"FAIL seal PIndex.xml.p7s"}},
		{"FlippedProof", func(f map[string][]byte) {
			var m map[string]any
			_ = json.Unmarshal(f[receipt], &m)
			m["leaf_index"] = m["leaf_index"].(float64) + 1
			f[receipt], _ = json.MarshalIndent(m, "", "  ")
		}, []string{"FAIL file " + receipt + ": SHA-256", "FAIL proof " + receipt}},
		{"RemovedFile", func(f map[string][]byte) { f[document] = nil },
			[]string{"FAIL file " + document + ": listed in the index but missing"}},
		{"AddedFile", func(f map[string][]byte) { f["extra.txt"] = []byte("x") },
			[]string{"FAIL file extra.txt: in the package but not in the index"}},
		{"FlippedReceiptPDF", func(f map[string][]byte) { f[receiptPDF] = flip(f[receiptPDF]) },
			[]string{"FAIL file " + receiptPDF + ": SHA-256"}},
		{"SwappedReceiptPDF", func(f map[string][]byte) {
			for name, data := range f {
				if strings.HasSuffix(name, "/receipt.pdf") && name != receiptPDF {
					f[receiptPDF] = data
					break
				}
			}
		}, []string{"FAIL file " + receiptPDF + ": SHA-256", "FAIL proof " + strings.TrimSuffix(receiptPDF, ".pdf") + ".json: " + receiptPDF + ": embeds another leaf"}},
		{"RemovedReceiptPDF", func(f map[string][]byte) { f[receiptPDF] = nil },
			[]string{"FAIL file " + receiptPDF + ": listed in the index but missing"}},
		{"FlippedDossierMetadata", func(f map[string][]byte) {
			i := bytes.Index(f[meta], []byte("<IndiceDocumenti>"))
			f[meta] = append(bytes.Clone(f[meta][:i]), bytes.Replace(f[meta][i:], []byte("<Identificativo>"), []byte("<Identificativo>X"), 1)...)
		}, []string{"FAIL file " + meta + ": SHA-256", "FAIL dossier " + meta + ": "}},
		{"RemovedDossierMetadata", func(f map[string][]byte) { f[meta] = nil },
			[]string{"FAIL file " + meta + ": listed in the index but missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := writeFile(t, t.TempDir(), "package.zip", rezip(t, z, tc.edit))
			out, err := verifyRun(append(args, bad)...)
			if !errors.Is(err, errVerifyFailed) {
				t.Fatalf("err %v\n%s", err, out)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in\n%s", want, out)
				}
			}
			if strings.Count(out, "FAIL") > len(tc.want)+1 {
				t.Errorf("more failures than what is wrong:\n%s", out)
			}
			out, err = verifyRun(append(append([]string{"--json"}, args...), bad)...)
			var rep verifyReport
			if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil || !errors.Is(err, errVerifyFailed) || rep.OK || len(rep.Failed) == 0 {
				t.Fatalf("--json: %v, %v\n%s", jerr, err, out)
			}
		})
	}
}

// TestVerifyPackageDisposed: a dossier whose registrations were disposed of (scarto) still
// packages: each registration's metadata, registration.json, proofs and a disposal.json naming
// the disposal, its authorising act and time and every destroyed file's digest, without the
// content; it verifies offline, and a disposal record that lies about a digest fails.
func TestVerifyPackageDisposed(t *testing.T) {
	now := apptest.NewClock(time.Time{})
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		now.SetDay("2026-03-02")
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ro := s.NewClient(t, "records", []string{"records_officer"})
		s.Do(t, "POST", "/v1/classes", s.AdminToken, "application/json",
			strings.NewReader(`[{"code":"VI.3.7","parent":"VI.3","title":"Pratiche minori","retention_years":10}]`), http.StatusCreated, nil)
		var d struct{ ID, Identifier string }
		s.Do(t, "POST", "/v1/dossiers", op, "application/json",
			strings.NewReader(`{"class":"VI.3.7","subject":"Pratica","type":"affare","office":"TEC"}`), http.StatusCreated, &d)
		for i := range 2 {
			meta := apptest.Incoming("Istanza " + strconv.Itoa(i+1))
			meta["class"] = "VI.3.7"
			ct, body := apptest.Multipart(meta, apptest.Part{Name: "document", Filename: "a.pdf", Content: apptest.PDF("doc " + strconv.Itoa(i))},
				apptest.Part{Name: "attachment", Filename: "b.txt", Content: []byte("allegato " + strconv.Itoa(i))})
			var reg map[string]any
			s.Do(t, "POST", "/v1/registrations", op, ct, body, http.StatusCreated, &reg)
			ref := reg["register"].(string) + "/" + jsonNumber(reg["year"]) + "/" + reg["number_formatted"].(string)
			s.Do(t, "POST", "/v1/dossiers/"+d.ID+"/items", op, "application/json", strings.NewReader(`{"registration":"`+ref+`"}`), http.StatusOK, nil)
		}
		s.Do(t, "POST", "/v1/dossiers/"+d.ID+"/close", op, "application/json", strings.NewReader(`{"reason":"Concluso"}`), http.StatusOK, nil)
		now.SetDay("2037-01-10")
		s.Do(t, "POST", "/v1/disposals", ro, "application/json",
			strings.NewReader(`{"authorization":"Soprintendenza archivistica, prot. 1234/2037","items":["`+d.Identifier+`"]}`), http.StatusCreated, nil)

		var p struct{ ID, State, Reason string }
		s.Do(t, "POST", "/v1/archive/packages", ro, "application/json", strings.NewReader(`{"dossier":"`+d.ID+`"}`), http.StatusAccepted, &p)
		for deadline := time.Now().Add(60 * time.Second); p.State != "ready"; time.Sleep(50 * time.Millisecond) {
			s.Do(t, "GET", "/v1/archive/packages/"+p.ID, ro, "", nil, http.StatusOK, &p)
			if p.State == "failed" || time.Now().After(deadline) {
				t.Fatalf("package %s %s", p.State, p.Reason)
			}
		}
		var info struct {
			Signing struct{ Fingerprint string } `json:"signing"`
		}
		s.Do(t, "GET", "/v1/info", op, "", nil, http.StatusOK, &info)
		z := fetch(t, s, ro, "/v1/archive/packages/"+p.ID+"/content", "")
		args := []string{"--fingerprint", info.Signing.Fingerprint}

		var disposal string
		zr, _ := zip.NewReader(bytes.NewReader(z), int64(len(z)))
		for _, f := range zr.File {
			if strings.Contains(f.Name, "/document/") || strings.Contains(f.Name, "/attachments/") {
				t.Errorf("the package holds %s, content that was disposed of", f.Name)
			}
			if disposal == "" && strings.HasSuffix(f.Name, "/disposal.json") {
				disposal = f.Name
			}
		}
		if disposal == "" {
			t.Fatal("no disposal.json in the package")
		}
		out, err := verifyRun(append(args, writeFile(t, t.TempDir(), "package.zip", z))...)
		if err != nil || !strings.Contains(out, "all checks passed") || !strings.Contains(out, "ok   proofs (2 leaves") ||
			strings.Count(out, "sealing certificate") > 1 {
			t.Fatalf("package of a disposed dossier: %v\n%s", err, out)
		}
		var rec archive.DisposalRecord
		rezip(t, z, func(f map[string][]byte) {
			if err := json.Unmarshal(f[disposal], &rec); err != nil {
				t.Fatal(err)
			}
		})
		if rec.Authorization != "Soprintendenza archivistica, prot. 1234/2037" || len(rec.Item.Files) != 2 || rec.Item.Kind != "registration" {
			t.Errorf("disposal record %+v", rec)
		}
		bad := rezip(t, z, func(f map[string][]byte) {
			f[disposal] = bytes.Replace(f[disposal], []byte(rec.Item.Files[1].SHA256), []byte(strings.Repeat("0", 64)), 1)
		})
		out, err = verifyRun(append(args, writeFile(t, t.TempDir(), "bad.zip", bad))...)
		if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "FAIL proof "+strings.TrimSuffix(disposal, "disposal.json")+"receipt.json: "+disposal+": destroyed file 2") {
			t.Fatalf("a lying disposal record: %v\n%s", err, out)
		}
	}, fastCheckpoints, apptest.WithClock(now.Now))
}

// TestPackageBound: a dossier package over SPORTELLO_PACKAGE_MAX_ITEMS is refused with 422
// naming the bound.
func TestPackageBound(t *testing.T) {
	s := apptest.Start(t, testdb.SQLiteURL(t), fastCheckpoints, apptest.WithConfig(func(c *app.Config) { c.PackageMaxItems = 1 }))
	s.NewOffice(t, "TEC", "Ufficio tecnico")
	op := s.NewClient(t, "operator", []string{"protocol_operator"})
	ro := s.NewClient(t, "records", []string{"records_officer"})
	var d struct{ ID string }
	s.Do(t, "POST", "/v1/dossiers", op, "application/json", strings.NewReader(`{"class":"VI.3","subject":"Pratica","type":"affare","office":"TEC"}`), http.StatusCreated, &d)
	for i := range 2 {
		path, _ := registered(t, s, op, "Istanza "+strconv.Itoa(i+1))
		s.Do(t, "POST", "/v1/dossiers/"+d.ID+"/items", op, "application/json",
			strings.NewReader(`{"registration":"`+strings.TrimPrefix(path, "/v1/registrations/")+`"}`), http.StatusOK, nil)
	}
	var p map[string]any
	s.Do(t, "POST", "/v1/archive/packages", ro, "application/json", strings.NewReader(`{"dossier":"`+d.ID+`"}`), http.StatusUnprocessableEntity, &p)
	if js, _ := json.Marshal(p); p["code"] != "validation_failed" || !strings.Contains(string(js), "SPORTELLO_PACKAGE_MAX_ITEMS") {
		t.Fatalf("a package over the bound: %s", js)
	}
}
