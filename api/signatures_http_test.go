package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/signing/p7m/p7mtest"
)

// withAnchors configures ca as the server's only trust anchor (SPORTELLO_TRUST_ANCHORS).
func withAnchors(t *testing.T, ca *p7mtest.CA) apptest.Option {
	path := filepath.Join(t.TempDir(), "anchors.pem")
	if err := os.WriteFile(path, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return apptest.WithConfig(func(c *app.Config) {
		c.TrustAnchors = path
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

// A document signed with CAdES (.p7m) is kept byte for byte, its signer is reported with the
// check of the signature (and so are a PAdES signature in a PDF and a XAdES one in an XML file), and the text of the PDF inside is found by search. A signer is
// trusted only when its authority is a configured anchor, unknown (null) without anchors, and
// a tampered envelope is reported not valid, with the reason.
func TestSignedDocumentP7M(t *testing.T) {
	ca := p7mtest.NewCA(t, "Test Qualified CA")
	other := p7mtest.NewCA(t, "Other CA")
	pdf := apptest.PDF("Contratto di fornitura di ornitorinchi")
	signed := ca.Sign(t, "Mario Rossi", pdf)
	nested := ca.Sign(t, "Anna Bianchi", ca.Sign(t, "Mario Rossi", apptest.PDF("Allegato tecnico")))
	tampered := bytes.Replace(ca.Sign(t, "Luca Verdi", apptest.PDF("Offerta economica")),
		[]byte("economica"), []byte("economico"), 1)
	byOther := other.Sign(t, "Carla Neri", apptest.PDF("Dichiarazione sostitutiva"))
	xmlSealer, err := signing.LoadOrCreateSelfSigned(filepath.Join(t.TempDir(), "aoo"))
	if err != nil {
		t.Fatal(err)
	}
	sealedXML, err := signing.SealSegnatura(t.Context(), domain.Segnatura{IPACode: "c_h501", AOOCode: "A1B2C3D",
		Register: "PG", Number: "0000042", RegisteredAt: time.Now(), Subject: "Segnatura firmata",
		Sender:     domain.SegnaturaParty{Kind: domain.PartyAdministration, Name: "Comune di Roma", IPACode: "c_h501", AOOCode: "A1B2C3D"},
		Recipients: []domain.SegnaturaParty{{Kind: domain.PartyPerson, GivenName: "Mario", Surname: "Rossi"}},
		Document:   domain.SegnaturaFile{Filename: "contratto.pdf", MediaType: "application/pdf", SHA256: make([]byte, 32)}},
		xmlSealer, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		opts    []apptest.Option
		trusted *bool // of the valid signatures by ca
	}{
		"WithoutAnchors": {nil, nil},
		"WithAnchor":     {[]apptest.Option{withAnchors(t, ca)}, ptr(true)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			apptest.Each(t, func(t *testing.T, s *apptest.Server) {
				c := newClient(t, s)
				op := s.NewClient(t, "operator", []string{"protocol_operator"})
				// A PDF sealed with PAdES: a receipt of this server's.
				receipt := c.do("GET", refPath(c.mustRegister(op, "Precedente"))+"/receipt", op, nil)
				receipt.expect(t, http.StatusOK)
				var reg api.Registration
				c.register(op, apptest.Incoming("Contratto firmato"), []apptest.Part{
					{Name: "document", Filename: "contratto.pdf.p7m", Content: signed},
					{Name: "attachment", Filename: "allegato.pdf.p7m.p7m", Content: nested},
					{Name: "attachment", Filename: "offerta.pdf.p7m", Content: tampered},
					{Name: "attachment", Filename: "dichiarazione.pdf.p7m", Content: byOther},
					{Name: "attachment", Filename: "ricevuta.pdf", Content: receipt.Body},
					{Name: "attachment", Filename: "Segnatura.xml", Content: sealedXML},
				}).decode(t, http.StatusCreated, &reg)
				if reg.Document.MediaType != "application/pkcs7-mime" {
					t.Errorf("media type %q, want application/pkcs7-mime", reg.Document.MediaType)
				}

				got := c.do("GET", refPath(reg)+"/document", op, nil)
				sum := sha256.Sum256(got.Body)
				if got.Status != http.StatusOK || !bytes.Equal(got.Body, signed) || hex.EncodeToString(sum[:]) != reg.Document.SHA256 {
					t.Fatalf("download: status %d, %d bytes, want the %d bytes uploaded with sha256 %s",
						got.Status, len(got.Body), len(signed), reg.Document.SHA256)
				}

				done := waitText(t, c, op, reg, "done")
				raw := c.do("GET", refPath(reg), op, nil)
				if raw.Status != http.StatusOK {
					t.Fatalf("GET registration: %d", raw.Status)
				}
				json.Unmarshal(raw.Body, &done)
				mustSignatures(t, "document", done.Document.Signatures, tc.trusted, sig{"cades", "Mario Rossi", true})
				mustSignatures(t, "nested", done.Attachments[0].Signatures, tc.trusted,
					sig{"cades", "Anna Bianchi", true}, sig{"cades", "Mario Rossi", true})
				mustSignatures(t, "tampered", done.Attachments[1].Signatures, tc.trusted, sig{"cades", "Luca Verdi", false})
				if r := done.Attachments[1].Signatures[0].Reason; !strings.Contains(r, "does not hold") {
					t.Errorf("tampered: reason %q", r)
				}
				var untrusted *bool
				if tc.trusted != nil {
					untrusted = ptr(false)
				}
				mustSignatures(t, "other CA", done.Attachments[2].Signatures, untrusted, sig{"cades", "Carla Neri", true})
				seal := readCert(t, filepath.Join(s.DataDir, "keys", "seal", "sealing.crt"))
				mustSignatures(t, "receipt", done.Attachments[3].Signatures, untrusted, sig{"pades", seal.Subject.CommonName, true})
				mustSignatures(t, "xml", done.Attachments[4].Signatures, untrusted, sig{"xades", xmlSealer.Certificate.Subject.CommonName, true})
				// null, not absent: the contract makes trusted required.
				if tc.trusted == nil && !bytes.Contains(raw.Body, []byte(`"trusted":null`)) {
					t.Errorf("without anchors trusted is not null: %s", raw.Body)
				}

				res := searchFor(t, c, op, done.Position, url.Values{"q": {"ornitorinchi"}})
				if res.Total != 1 || res.Items[0].ID != reg.ID {
					t.Errorf("search for the signed PDF's word: %+v", res)
				}
			}, tc.opts...)
		})
	}
}

type sig struct {
	format, signer string
	valid          bool
}

// mustSignatures checks a file's signatures against want, in order; trusted is what a valid
// signature's trusted must be (a signature that does not hold is never trusted).
func mustSignatures(t *testing.T, file string, got []api.Signature, trusted *bool, want ...sig) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: signatures %+v, want %d", file, got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Format != w.format || g.Signer != w.signer || g.Valid != w.valid || g.SigningTime == nil {
			t.Errorf("%s: signature %d is %+v, want %s by %s with a signing time, valid %v", file, i, g, w.format, w.signer, w.valid)
		}
		wantTrusted := trusted
		if !w.valid && trusted != nil {
			wantTrusted = ptr(false)
		}
		if (g.Trusted == nil) != (wantTrusted == nil) || g.Trusted != nil && *g.Trusted != *wantTrusted {
			t.Errorf("%s: signature %d trusted %v, want %v", file, i, fmtBool(g.Trusted), fmtBool(wantTrusted))
		}
	}
}

func ptr[T any](v T) *T { return &v }

func fmtBool(b *bool) string {
	if b == nil {
		return "null"
	}
	if *b {
		return "true"
	}
	return "false"
}
