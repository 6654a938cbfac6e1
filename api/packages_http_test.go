package api_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/segnaturacheck"
	"github.com/sportello/sportello/signing/tlog"
)

// waitPackage polls the package until it is no longer building and, when ready, logged.
func (c *client) waitPackage(token, id string) api.ArchivePackage {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var p api.ArchivePackage
		c.do("GET", "/v1/archive/packages/"+id, token, nil).decode(c.t, http.StatusOK, &p)
		if p.State == "failed" || p.State == "ready" && p.LeafIndex != nil {
			return p
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("package %s still %s", id, p.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func zipEntries(t *testing.T, z []byte) (map[string][]byte, []string) {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var names []string
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], names = b, append(names, f.Name)
	}
	return out, names
}

// TestArchivePackage builds the package of a dossier of packageSize registrations through the
// API and checks it as an outsider would: the index against the official schema with xmllint,
// every listed file's SHA-256, the seal with openssl cms, the time-stamp with openssl ts, every
// receipt's inclusion proof against the checkpoint and the checkpoint's signature; a second
// build of the same dossier differs only in the seal and the time-stamp; the package is a leaf
// of the log.
func TestArchivePackage(t *testing.T) {
	n := segnaturacheck.PackageSize(t)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		d := c.mustOpen(op, newDossierBody("Pratica edilizia"))
		var refs []string
		for i := range n {
			subject := fmt.Sprintf("Integrazione documentale n. %d", i+1)
			r := c.register(op, apptest.Incoming(subject), []apptest.Part{
				{Name: "document", Filename: fmt.Sprintf("domanda %d.pdf", i+1), Content: apptest.PDF(subject)},
				{Name: "attachment", Filename: "planimetria è.txt", Content: []byte("planimetria " + strconv.Itoa(i))}})
			var reg api.Registration
			r.decode(t, http.StatusCreated, &reg)
			ref := reg.Register + "/" + strconv.Itoa(reg.Year) + "/" + reg.NumberFormatted
			refs = append(refs, ref)
			c.json("POST", "/v1/dossiers/"+d.ID+"/items", op, map[string]string{"registration": ref}).expect(t, http.StatusOK)
		}

		build := func() (api.ArchivePackage, []byte) {
			var p api.ArchivePackage
			r := c.json("POST", "/v1/archive/packages", ro, map[string]any{"dossier": d.Identifier})
			r.decode(t, http.StatusAccepted, &p)
			if p.State != "building" || p.Kind != "aip" || r.Header.Get("Location") != "/v1/archive/packages/"+p.ID || p.Items != n {
				t.Fatalf("accepted %+v (Location %q)", p, r.Header.Get("Location"))
			}
			p = c.waitPackage(ro, p.ID)
			if p.State != "ready" {
				t.Fatalf("package %s: %s", p.State, p.Reason)
			}
			content := c.do("GET", "/v1/archive/packages/"+p.ID+"/content", ro, nil)
			content.expect(t, http.StatusOK)
			sum := sha256.Sum256(content.Body)
			if ct := content.Header.Get("Content-Type"); ct != "application/zip" || hex.EncodeToString(sum[:]) != *p.SHA256 ||
				int64(len(content.Body)) != *p.Size || p.BuiltAt == nil {
				t.Fatalf("content %s, %d bytes, package %+v", ct, len(content.Body), p)
			}
			return p, content.Body
		}
		p, z := build()
		// A range is answered 206 with those bytes only (read from the blob store as a range).
		part := c.do("GET", "/v1/archive/packages/"+p.ID+"/content", ro, nil, "Range", "bytes=10-99")
		part.expect(t, http.StatusPartialContent)
		if !bytes.Equal(part.Body, z[10:100]) || part.Header.Get("Content-Range") != fmt.Sprintf("bytes 10-99/%d", len(z)) {
			t.Fatalf("range 10-99: %d bytes, Content-Range %q", len(part.Body), part.Header.Get("Content-Range"))
		}
		files, names := zipEntries(t, z)
		if p.Files != len(files)-3 {
			t.Errorf("files %d, zip entries %d", p.Files, len(files))
		}
		index := files[archive.IndexName]
		if sum := sha256.Sum256(index); hex.EncodeToString(sum[:]) != *p.IndexSHA256 {
			t.Error("index_sha256")
		}

		t.Run("Layout", func(t *testing.T) {
			for i := 1; i < len(names); i++ {
				if names[i-1] >= names[i] {
					t.Fatalf("entries not sorted: %s, %s", names[i-1], names[i])
				}
			}
			first := "registrations/" + strings.ReplaceAll(refs[0], "/", "-") + "/"
			for _, f := range []string{"document/domanda_1.pdf", "attachments/01-planimetria_.txt", "metadata.xml", "registration.json", "receipt.json"} {
				if _, ok := files[first+f]; !ok {
					t.Errorf("no %s%s in %v", first, f, names[:12])
				}
			}
			if !bytes.Contains(files[first+"metadata.xml"], []byte("<DocumentoAmministrativoInformatico>")) {
				t.Error("metadata.xml is not the Allegato 5 metadata")
			}
		})

		t.Run("IndexSchema", func(t *testing.T) { segnaturacheck.Validate(t, "..", segnaturacheck.SincroSchema, index) })

		t.Run("IndexHashes", func(t *testing.T) {
			var doc struct {
				Groups []struct {
					Files []struct {
						Path string `xml:"Path"`
						Hash string `xml:"Hash"`
					} `xml:"File"`
				} `xml:"FileGroup"`
			}
			if err := xml.Unmarshal(index, &doc); err != nil {
				t.Fatal(err)
			}
			listed := map[string]bool{}
			for _, g := range doc.Groups {
				for _, f := range g.Files {
					sum := sha256.Sum256(files[f.Path])
					if f.Hash != base64.StdEncoding.EncodeToString(sum[:]) {
						t.Errorf("%s: hash %s", f.Path, f.Hash)
					}
					listed[f.Path] = true
				}
			}
			for name := range files {
				if !listed[name] && !strings.HasPrefix(name, archive.IndexName) {
					t.Errorf("%s is not in the index", name)
				}
			}
		})

		t.Run("SealAndTimestamp", func(t *testing.T) {
			if _, err := exec.LookPath("openssl"); err != nil {
				t.Skip("openssl is not installed")
			}
			dir := t.TempDir()
			for _, name := range []string{archive.IndexName, archive.SealName, archive.TimestampName} {
				if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if out, err := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-noverify",
				"-in", filepath.Join(dir, archive.SealName), "-content", filepath.Join(dir, archive.IndexName), "-out", os.DevNull).CombinedOutput(); err != nil {
				t.Fatalf("openssl cms -verify: %v\n%s", err, out)
			}
			out, err := exec.Command("openssl", "ts", "-reply", "-in", filepath.Join(dir, archive.TimestampName), "-text").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Status: Granted") {
				t.Fatalf("openssl ts -reply: %v\n%s", err, out)
			}
		})

		t.Run("Proofs", func(t *testing.T) {
			p7, err := pkcs7.Parse(files[archive.SealName])
			if err != nil || len(p7.Certificates) == 0 {
				t.Fatalf("seal: %v", err)
			}
			var cps []archive.Checkpoint
			receipts := 0
			for name, data := range files {
				if strings.HasPrefix(name, "checkpoints/") && strings.HasSuffix(name, ".json") {
					var cp archive.Checkpoint
					if err := json.Unmarshal(data, &cp); err != nil {
						t.Fatal(err)
					}
					cps = append(cps, cp)
				}
			}
			if len(cps) != 1 {
				t.Fatalf("%d checkpoints", len(cps))
			}
			cp := tlog.Checkpoint{Origin: cps[0].Origin, Size: cps[0].Size, Root: cps[0].Root, Time: cps[0].Time,
				Signature: cps[0].Signature, KeyFingerprint: cps[0].KeyFingerprint}
			if err := tlog.VerifyCheckpoint(cp, p7.Certificates[0].PublicKey); err != nil {
				t.Fatalf("checkpoint: %v", err)
			}
			if !bytes.Equal(files[fmt.Sprintf("checkpoints/%d.note", cp.Size)], cp.Note()) {
				t.Error("checkpoint note")
			}
			for name, data := range files {
				if !strings.HasSuffix(name, "receipt.json") {
					continue
				}
				var r archive.Receipt
				if err := json.Unmarshal(data, &r); err != nil {
					t.Fatal(err)
				}
				if r.CheckpointSize != cp.Size {
					t.Errorf("%s: checkpoint %d", name, r.CheckpointSize)
				}
				if err := tlog.VerifyInclusion(r.Leaf, r.LeafIndex, cp.Size, r.InclusionProof, cp.Root); err != nil {
					t.Errorf("%s: %v", name, err)
				}
				receipts++
			}
			if receipts < n {
				t.Errorf("%d receipts for %d registrations", receipts, n)
			}
		})

		t.Run("Deterministic", func(t *testing.T) {
			q, z2 := build()
			if q.ID == p.ID || *q.LeafIndex == *p.LeafIndex {
				t.Errorf("second build %s, leaf %d; first %s, leaf %d", q.ID, *q.LeafIndex, p.ID, *p.LeafIndex)
			}
			if *q.IndexSHA256 != *p.IndexSHA256 {
				t.Errorf("index_sha256 %s, then %s", *p.IndexSHA256, *q.IndexSHA256)
			}
			again, names2 := zipEntries(t, z2)
			if strings.Join(names, "\n") != strings.Join(names2, "\n") {
				t.Fatalf("the entries differ:\n%v\n%v", names, names2)
			}
			for name, data := range files {
				if name != archive.SealName && name != archive.TimestampName && !bytes.Equal(data, again[name]) {
					t.Errorf("%s differs between two builds of the same content", name)
				}
			}
		})

		t.Run("LeafInLog", func(t *testing.T) {
			leaf, err := tlog.PackageLeaf(&domain.ArchivePackage{ID: p.ID, Kind: p.Kind, State: p.State, Files: p.Files,
				Size: *p.Size, SHA256: *p.SHA256, IndexSHA256: *p.IndexSHA256})
			if err != nil {
				t.Fatal(err)
			}
			var cp api.Checkpoint
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				c.do("GET", "/v1/log/checkpoint", ro, nil).decode(t, http.StatusOK, &cp)
				if cp.Size > *p.LeafIndex {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no checkpoint covers leaf %d", *p.LeafIndex)
				}
			}
			var proof api.Proof
			c.do("GET", fmt.Sprintf("/v1/log/proofs/inclusion?index=%d&size=%d", *p.LeafIndex, cp.Size), ro, nil).decode(t, http.StatusOK, &proof)
			if err := tlog.VerifyInclusion(leaf, *p.LeafIndex, cp.Size, proof.Hashes, cp.RootHash); err != nil {
				t.Fatalf("the package's leaf is not in the log: %v", err)
			}
		})
	})
}

// TestArchivePackageRequests: bad requests are 422 naming the field, only records officers and
// admins ask, the Idempotency-Key replays, and a package that cannot be built fails with its
// reason and has no content.
func TestArchivePackageRequests(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		reg := c.mustRegister(op, "Domanda")
		ref := reg.Register + "/" + strconv.Itoa(reg.Year) + "/" + reg.NumberFormatted
		empty := c.mustOpen(op, newDossierBody("Vuoto"))
		for _, tc := range []struct {
			body  any
			field string
			word  string
		}{
			{map[string]any{}, "dossier", "exactly one"},
			{map[string]any{"dossier": empty.ID, "registrations": []string{ref}}, "dossier", "exactly one"},
			{map[string]any{"dossier": "2026-VI.3-999999"}, "dossier", "unknown"},
			{map[string]any{"dossier": empty.ID}, "dossier", "no registration"},
			{map[string]any{"registrations": []string{"PG/2026/999999"}}, "registrations[0]", "unknown"},
			{map[string]any{"registrations": []string{ref, ref}}, "registrations[1]", "twice"},
			{map[string]any{"registrations": []string{"42"}}, "registrations[0]", "reference"},
			{map[string]any{"journals": map[string]string{"register": "XX", "from": "2026-01-01", "to": "2026-01-02"}}, "journals.register", "unknown"},
			{map[string]any{"journals": map[string]string{"register": "PG", "from": "2026-01-02", "to": "2026-01-01"}}, "journals.to", "after"},
		} {
			namesField(t, c.json("POST", "/v1/archive/packages", ro, tc.body).problem(t, http.StatusUnprocessableEntity, "validation_failed"), tc.field, tc.word)
		}
		c.json("POST", "/v1/archive/packages", op, map[string]any{"registrations": []string{ref}}).problem(t, http.StatusForbidden, "forbidden")

		var first, again api.ArchivePackage
		body := map[string]any{"kind": "dip", "journals": map[string]string{"register": "PG", "from": "2020-01-01", "to": "2020-01-31"}}
		c.json("POST", "/v1/archive/packages", ro, body, "Idempotency-Key", "pkg-1").decode(t, http.StatusAccepted, &first)
		r := c.json("POST", "/v1/archive/packages", ro, body, "Idempotency-Key", "pkg-1")
		r.decode(t, http.StatusAccepted, &again)
		if again.ID != first.ID || r.Header.Get("Idempotent-Replayed") != "true" || first.Kind != "dip" {
			t.Fatalf("replay %+v of %+v", again, first)
		}
		p := c.waitPackage(ro, first.ID)
		if p.State != "failed" || !strings.Contains(p.Reason, "no journal") || p.SHA256 != nil || p.BuiltAt == nil {
			t.Fatalf("package %+v", p)
		}
		c.do("GET", "/v1/archive/packages/"+p.ID+"/content", ro, nil).problem(t, http.StatusConflict, "conflict")
		c.do("GET", "/v1/archive/packages/"+p.ID, op, nil).problem(t, http.StatusForbidden, "forbidden")
	})
}

// TestArchivePackageJournals: a package of registrations holds the daily journal of their day
// once produced, and a package of a range of journals holds them with their proofs; a journal's
// leaf commits to the JSON and PDF in the package.
func TestArchivePackageJournals(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Date(2026, 11, 27, 10, 0, 0, 0, rome))
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(time.Date(2026, 11, 27, 10, 0, 0, 0, rome))
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ro := s.NewClient(t, "officer", []string{"records_officer"})
		reg := c.mustRegister(op, "Istanza del 27")
		ref := reg.Register + "/" + strconv.Itoa(reg.Year) + "/" + reg.NumberFormatted
		clock.Set(time.Date(2026, 11, 28, 0, 1, 0, 0, rome))
		if n, err := s.Main.ProduceJournals(t.Context()); err != nil || n != 1 {
			t.Fatalf("ProduceJournals = %d, %v", n, err)
		}
		for _, body := range []map[string]any{
			{"registrations": []string{ref}},
			{"journals": map[string]string{"register": "PG", "from": "2026-11-01", "to": "2026-11-30"}},
		} {
			var p api.ArchivePackage
			c.json("POST", "/v1/archive/packages", ro, body).decode(t, http.StatusAccepted, &p)
			p = c.waitPackage(ro, p.ID)
			if p.State != "ready" {
				t.Fatalf("%v: %s %s", body, p.State, p.Reason)
			}
			content := c.do("GET", "/v1/archive/packages/"+p.ID+"/content", ro, nil)
			content.expect(t, http.StatusOK)
			files, _ := zipEntries(t, content.Body)
			var r archive.Receipt
			if err := json.Unmarshal(files["journals/PG-2026-11-27.receipt.json"], &r); err != nil {
				t.Fatalf("%v: no journal receipt: %v", body, err)
			}
			var leaf struct {
				JSON string `json:"json_sha256"`
				PDF  string `json:"pdf_sha256"`
			}
			_ = json.Unmarshal(r.Leaf, &leaf)
			js, pdf := sha256.Sum256(files["journals/PG-2026-11-27.json"]), sha256.Sum256(files["journals/PG-2026-11-27.pdf"])
			if leaf.JSON != hex.EncodeToString(js[:]) || leaf.PDF != hex.EncodeToString(pdf[:]) || r.Kind != "journal" {
				t.Errorf("%v: the journal's leaf %s does not commit to its files", body, r.Leaf)
			}
			_, withReg := files["registrations/"+strings.ReplaceAll(ref, "/", "-")+"/receipt.json"]
			if withReg != (body["registrations"] != nil) {
				t.Errorf("%v: registration in the package: %v", body, withReg)
			}
		}
	}, apptest.WithClock(clock.Now), func(m *app.Main) { m.JournalEvery = time.Hour })
}
