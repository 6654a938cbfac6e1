package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/archive"
	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/verify"
)

// smallPackage builds a one-registration package sealed with a fresh identity and built-in
// TSA (no log proofs: its proof checks fail, the rest passes).
func smallPackage(t *testing.T) []byte {
	dir := t.TempDir()
	id, err := signing.LoadOrCreateSelfSigned(filepath.Join(dir, "seal"))
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := signing.LoadOrCreateBuiltinTSA(filepath.Join(dir, "tsa"))
	if err != nil {
		t.Fatal(err)
	}
	files := []archive.Entry{
		{Path: "registrations/PG-2026-0000001/document/a.pdf", Group: "PG-2026-0000001", Format: "application/pdf", Data: []byte("%PDF-1.7 a")},
	}
	built, err := archive.Build(context.Background(), archive.Index{Label: "Pacchetto", Producer: "Comune", Signer: "Sportello",
		TimeReference: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}, files, archive.Sealing{
		Seal: func(_ context.Context, data []byte) ([]byte, error) { return signing.SealDetached(id, data) }, TSA: tsa})
	if err != nil {
		t.Fatal(err)
	}
	return built.Zip
}

// checks maps each check's English name to it.
func checks(rep verify.Report) map[string]verify.Check {
	out := map[string]verify.Check{}
	for _, c := range rep.Checks {
		out[c.Name] = c
	}
	return out
}

// TestFileSchema: a package's index is checked against the schema only by the Schema the host
// gives; without one the report says so in a note, in English and Italian, and passes nothing
// in its name; a Schema's failure is a failed check.
func TestFileSchema(t *testing.T) {
	z := smallPackage(t)
	t.Run("NotChecked", func(t *testing.T) {
		rep := verify.File(z, verify.Options{SchemaNote: "not checked here", SchemaNoteIT: "non verificato qui"})
		if _, ok := checks(rep)["index schema"]; ok {
			t.Errorf("an index schema check without a Schema: %+v", rep.Checks)
		}
		var found bool
		for _, n := range rep.Notes {
			found = found || (n.ID == verify.NoteSchemaNotChecked && n.Text == "not checked here" && n.IT == "non verificato qui")
		}
		if !found {
			t.Errorf("no schema note in %+v", rep.Notes)
		}
	})
	t.Run("ErrSchema", func(t *testing.T) {
		var got []byte
		rep := verify.File(z, verify.Options{Schema: func(index []byte) (string, error) {
			got = index
			return "", errors.New("element X not expected")
		}})
		c, ok := checks(rep)["index schema"]
		if !ok || c.OK || c.Error != "element X not expected" || !strings.Contains(string(got), "PIndex") || rep.OK {
			t.Errorf("schema check %+v (ok %t), index %.40q, report ok %t", c, ok, got, rep.OK)
		}
		if !strings.Contains(strings.Join(rep.Failed, ";"), "index schema") {
			t.Errorf("failed %q", rep.Failed)
		}
	})
	t.Run("Schema", func(t *testing.T) {
		rep := verify.File(z, verify.Options{Schema: func([]byte) (string, error) { return "x.xsd", nil }})
		if c := checks(rep)["index schema"]; !c.OK || c.Detail != "x.xsd" || c.NameIT != "schema dell'indice" {
			t.Errorf("schema check %+v", c)
		}
	})
}

// TestFileNamesEveryCheckInItalian: every check of a package, a receipt-shaped JSON and
// unreadable bytes has its Italian name, and a check about a file names it in both languages;
// the report is JSON with empty lists, never null, for the page's script.
func TestFileNamesEveryCheckInItalian(t *testing.T) {
	for name, raw := range map[string][]byte{
		"package": smallPackage(t),
		"receipt": []byte(`{"registration":{"subject":"x"},"leaf_index":0}`),
		"garbage": []byte("neither"),
		"pdf":     []byte("%PDF-1.7\n%%EOF\n"),
	} {
		rep := verify.File(raw, verify.Options{})
		if len(rep.Checks) == 0 || rep.OK {
			t.Errorf("%s: %+v", name, rep)
		}
		for _, c := range rep.Checks {
			if c.NameIT == "" || (c.NameIT == c.Name && c.Name != "checkpoint" && !strings.HasPrefix(c.Name, "file ")) {
				t.Errorf("%s: check %q has Italian name %q", name, c.Name, c.NameIT)
			}
			if path, ok := strings.CutPrefix(c.Name, "file "); ok && c.Name != "file format" && c.NameIT != "file "+path {
				t.Errorf("%s: %q in Italian is %q", name, c.Name, c.NameIT)
			}
		}
	}
	js, err := json.Marshal(verify.File([]byte("neither"), verify.Options{}))
	if err != nil || strings.Contains(string(js), ":null") {
		t.Errorf("report JSON %s (%v)", js, err)
	}
}

// TestFileFingerprint: a required fingerprint is checked (colons and letter case aside); a
// wrong one fails naming the certificate; none required is noted as self-asserted.
func TestFileFingerprint(t *testing.T) {
	z := smallPackage(t)
	rep := verify.File(z, verify.Options{})
	var fp string
	for _, n := range rep.Notes {
		if n.ID == verify.NoteSelfAsserted && strings.HasPrefix(n.Text, "sealing fingerprint ") {
			fp = strings.Fields(n.Text)[2]
		}
	}
	if len(fp) != 64 {
		t.Fatalf("no self-asserted sealing fingerprint in %+v", rep.Notes)
	}
	var colons []string
	for i := 0; i < len(fp); i += 2 {
		colons = append(colons, strings.ToUpper(fp[i:i+2]))
	}
	if c := checks(verify.File(z, verify.Options{Fingerprint: strings.Join(colons, ":")}))["sealing fingerprint"]; !c.OK {
		t.Errorf("the right fingerprint, with colons: %+v", c)
	}
	c := checks(verify.File(z, verify.Options{Fingerprint: strings.Repeat("ab", 32)}))["sealing fingerprint"]
	if c.OK || !strings.Contains(c.Error, fp) {
		t.Errorf("a wrong fingerprint: %+v", c)
	}
}
