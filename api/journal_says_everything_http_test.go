package api_test

import (
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing"
)

// TestJournalAndReceiptSayEverything (issue 16 must-show 4), on both engines: the journal of a
// day lists each registration's sender reference, attachments with their digests, class and
// offices (as they were when the day ended, not after a later reclassification) and an
// annulment with the authorising act as given, in its JSON and in its PDF's text
// (pdftotext); the receipt PDF of an annulled registration shows the annulment on the page
// and its seal still verifies (signing.VerifyPDF and pdfsig).
func TestJournalAndReceiptSayEverything(t *testing.T) {
	for _, tool := range []string{"pdftotext", "pdfsig"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed (poppler-utils)")
		}
	}
	rome, _ := time.LoadLocation("Europe/Rome")
	clock := apptest.NewClock(time.Time{})
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(time.Date(2026, 11, 27, 10, 0, 0, 0, rome))
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		ro := s.NewClient(t, "officer", []string{"records_officer"})
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
		txt := []byte("Relazione tecnica.\n")
		meta := apptest.Incoming("Richiesta di permesso di costruire")
		meta["class"], meta["offices"] = "VI.3", []string{"TEC"}
		meta["sender_reference"] = map[string]string{"number": "77/2026", "date": "2026-11-26"}
		var full api.Registration
		c.register(op, meta, []apptest.Part{
			{Name: "document", Filename: "domanda.pdf", Content: apptest.PDF("Domanda")},
			{Name: "attachment", Filename: "pianta.png", Content: png},
			{Name: "attachment", Filename: "relazione.txt", Content: txt},
		}).decode(t, http.StatusCreated, &full)
		annulled := c.mustRegister(op, "Registrazione doppia")
		const act = "Determina del responsabile n. 12 del 2026-11-02"
		c.json("POST", refPath(annulled)+"/annulment", ro, map[string]string{"reason": "Registrazione duplicata", "authorization": act}).
			expect(t, http.StatusOK)

		// After midnight the first is reclassified: the journal of the 27th keeps VI.3.
		clock.Set(time.Date(2026, 11, 28, 0, 1, 0, 0, rome))
		c.json("PATCH", refPath(full), op, map[string]any{"class": "VI.1"}).expect(t, http.StatusOK)
		if _, err := s.Main.ProduceJournals(t.Context()); err != nil {
			t.Fatal(err)
		}
		const path = "/v1/registers/PG/journals/2026-11-27"

		t.Run("JournalJSON", func(t *testing.T) {
			var doc struct {
				V             int `json:"v"`
				Registrations []struct {
					Identifier      string               `json:"identifier"`
					SenderReference *api.SenderReference `json:"sender_reference"`
					Attachments     []struct{ Filename, SHA256 string }
					Class           string   `json:"class"`
					Offices         []string `json:"offices"`
					Annulment       *struct{ Authorization, Reason string }
				} `json:"registrations"`
			}
			c.do("GET", path, ro, nil, "Accept", "application/json").decode(t, http.StatusOK, &doc)
			if doc.V != 5 || len(doc.Registrations) != 2 {
				t.Fatalf("journal version %d, %d registrations", doc.V, len(doc.Registrations))
			}
			r := doc.Registrations[0]
			if r.Identifier != full.Identifier || r.SenderReference == nil || *r.SenderReference != (api.SenderReference{Number: "77/2026", Date: "2026-11-26"}) ||
				len(r.Attachments) != 2 || r.Attachments[0].SHA256 != hexSHA(png) || r.Attachments[1].SHA256 != hexSHA(txt) ||
				r.Attachments[1].Filename != "relazione.txt" || r.Class != "VI.3" || len(r.Offices) != 1 || r.Offices[0] != "TEC" || r.Annulment != nil {
				t.Errorf("journal entry %+v", r)
			}
			a := doc.Registrations[1]
			if a.SenderReference != nil || len(a.Attachments) != 0 || a.Class != "" || a.Annulment == nil ||
				a.Annulment.Authorization != act || a.Annulment.Reason != "Registrazione duplicata" {
				t.Errorf("annulled entry %+v", a)
			}
		})
		t.Run("JournalPDF", func(t *testing.T) {
			text := pdfToText(t, c.do("GET", path, ro, nil, "Accept", "application/pdf").Body)
			for _, want := range []string{"Protocollo del mittente: n. 77/2026 del 26/11/2026", "Classificazione: VI.3",
				"Uffici: TEC", "Allegati: 2", hexSHA(png), hexSHA(txt), "relazione.txt",
				"provvedimento di autorizzazione: " + act + "; motivo: Registrazione duplicata"} {
				if !strings.Contains(text, want) {
					t.Errorf("journal PDF text lacks %q:\n%s", want, text)
				}
			}
			if strings.Contains(text, "Classificazione: VI.1") {
				t.Error("the journal shows the class given after the day ended")
			}
		})
		t.Run("AnnulledReceipt", func(t *testing.T) {
			roots := x509.NewCertPool()
			roots.AddCert(readCert(t, filepath.Join(s.DataDir, "keys", "seal", "sealing.crt")))
			roots.AddCert(readCert(t, filepath.Join(s.DataDir, "keys", "tsa", "tsa.crt")))
			pdf := c.do("GET", refPath(annulled)+"/receipt", op, nil, "Accept", "application/pdf")
			pdf.expect(t, http.StatusOK)
			text := pdfToText(t, pdf.Body)
			for _, want := range []string{"REGISTRAZIONE ANNULLATA", "Annullata il 27/11/2026", "Motivo", "Registrazione duplicata",
				"Provvedimento autorizzativo", act} {
				if !strings.Contains(text, want) {
					t.Errorf("annulled receipt's text lacks %q:\n%s", want, text)
				}
			}
			if rep, err := signing.VerifyPDF(pdf.Body, roots); err != nil || !rep.TimestampValid {
				t.Fatalf("annulled receipt's seal: %+v, %v", rep, err)
			}
			if out := pdfsig(t, pdf.Body); !strings.Contains(out, "Signature is Valid") {
				t.Errorf("pdfsig on the annulled receipt:\n%s", out)
			}
			var rc api.Receipt
			c.do("GET", refPath(annulled)+"/receipt", op, nil, "Accept", "application/json").decode(t, http.StatusOK, &rc)
			if a := rc.Registration.Annulment; a == nil || a.Authorization != act || rc.Registration.Status != "annulled" {
				t.Errorf("JSON receipt annulment %+v", a)
			}
			if text := pdfToText(t, c.do("GET", refPath(full)+"/receipt", op, nil, "Accept", "application/pdf").Body); strings.Contains(text, "ANNULLATA") {
				t.Error("an active registration's receipt says it is annulled")
			}
		})
	}, apptest.WithClock(clock.Now), fastCheckpoints, func(m *app.Main) { m.JournalEvery = time.Hour })
}

// pdfToText returns the text pdftotext reads from pdf, its lines joined by single spaces.
func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return regexp.MustCompile(`\s+`).ReplaceAllString(string(out), " ")
}

// pdfsig returns what poppler's pdfsig says of pdf's signatures.
func pdfsig(t *testing.T, pdf []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "signed.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("pdfsig", f).CombinedOutput() // exits non-zero on an untrusted certificate
	return string(out)
}
