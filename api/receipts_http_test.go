package api_test

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing"
)

// fastCheckpoints makes receipts answer without waiting a full checkpoint interval.
var fastCheckpoints = apptest.WithConfig(func(cfg *app.Config) { cfg.CheckpointEvery = 20 * time.Millisecond })

// TestReceiptPDF, through HTTP: the receipt PDF is sealed as PAdES
// B-T with SubFilter ETSI.CAdES.detached, embeds the JSON receipt, and any change to its
// bytes — one byte anywhere, or bytes appended — makes verification fail.
func TestReceiptPDF(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		seal := readCert(t, filepath.Join(s.DataDir, "keys", "seal", "sealing.crt"))
		tsa := readCert(t, filepath.Join(s.DataDir, "keys", "tsa", "tsa.crt"))
		roots := x509.NewCertPool()
		roots.AddCert(seal)
		roots.AddCert(tsa)
		reg := c.mustRegister(op, "Richiesta di agibilità — perché è urgente")

		resp := c.do("GET", refPath(reg)+"/receipt", op, nil)
		resp.expect(t, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
			t.Fatalf("Content-Type %q, want application/pdf", ct)
		}
		pdf := resp.Body
		if !bytes.Contains(pdf, []byte("/SubFilter /ETSI.CAdES.detached")) {
			t.Fatal("signature dictionary lacks /SubFilter /ETSI.CAdES.detached")
		}
		rep, err := signing.VerifyPDF(pdf, roots)
		if err != nil {
			t.Fatalf("VerifyPDF: %v", err)
		}
		if !rep.Signer.Equal(seal) || !rep.TimestampPresent || !rep.TimestampValid || rep.SubFilter != "ETSI.CAdES.detached" {
			t.Fatalf("report %+v: want the sealing certificate and a valid time-stamp", rep)
		}

		t.Run("EmbedsTheJSONReceipt", func(t *testing.T) {
			raw, err := signing.ReceiptJSON(pdf)
			if err != nil {
				t.Fatal(err)
			}
			var rc api.Receipt
			if err := json.Unmarshal(raw, &rc); err != nil {
				t.Fatal(err)
			}
			if rc.Registration.Identifier != reg.Identifier || !bytes.Equal(rc.SealingCertificate, seal.Raw) || !bytes.Equal(rc.TSACertificate, tsa.Raw) {
				t.Fatalf("embedded receipt of %s with certificates %t/%t", rc.Registration.Identifier,
					bytes.Equal(rc.SealingCertificate, seal.Raw), bytes.Equal(rc.TSACertificate, tsa.Raw))
			}
			verifyReceipt(t, rc, seal, tsa)
		})

		t.Run("ErrAnyChangedByteFails", func(t *testing.T) {
			for _, pos := range []int{0, 9, len(pdf) / 4, len(pdf) / 2, 3 * len(pdf) / 4, len(pdf) - 40, len(pdf) - 1} {
				bad := bytes.Clone(pdf)
				bad[pos] ^= 0x01
				if _, err := signing.VerifyPDF(bad, roots); err == nil {
					t.Errorf("byte %d of %d changed, and the receipt still verifies", pos, len(pdf))
				}
			}
		})

		t.Run("ErrAppendedBytesFail", func(t *testing.T) {
			for _, tail := range []string{" ", "\n%%EOF\n", "1 0 obj\n<< >>\nendobj\n"} {
				if _, err := signing.VerifyPDF(append(bytes.Clone(pdf), tail...), roots); err == nil {
					t.Errorf("%q appended, and the receipt still verifies", tail)
				}
			}
		})
	}, fastCheckpoints)
}

// TestReceiptNegotiation: the PDF by default and on request, the JSON on request, and 406 for
// anything else.
func TestReceiptNegotiation(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		path := refPath(c.mustRegister(op, "negoziazione")) + "/receipt"
		for _, tc := range []struct{ name, accept, want string }{
			{"NoAcceptIsPDF", "", "application/pdf"},
			{"AnyIsPDF", "*/*", "application/pdf"},
			{"PDF", "application/pdf", "application/pdf"},
			{"JSON", "application/json", "application/json"},
			{"PreferredJSON", "application/pdf;q=0.5, application/json", "application/json"},
			{"ApplicationWildcardIsPDF", "text/html, application/*;q=0.8", "application/pdf"},
			{"PDFRefused", "application/pdf;q=0, */*", "application/json"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var headers []string
				if tc.accept != "" {
					headers = []string{"Accept", tc.accept}
				}
				r := c.do("GET", path, op, nil, headers...)
				r.expect(t, http.StatusOK)
				if ct := r.Header.Get("Content-Type"); ct != tc.want {
					t.Fatalf("Content-Type %q, want %q", ct, tc.want)
				}
			})
		}
		t.Run("ErrNotAcceptable", func(t *testing.T) {
			c.do("GET", path, op, nil, "Accept", "text/html").problem(t, http.StatusNotAcceptable, "not_acceptable")
			c.do("GET", path, op, nil, "Accept", "application/xml, application/pdf;q=0, application/json;q=0").problem(t, http.StatusNotAcceptable, "not_acceptable")
		})
	}, fastCheckpoints)
}

// BenchmarkReceiptPDFHTTP measures one sealed receipt as a client gets it: the database reads,
// render, PAdES B-T seal with the built-in TSA, and the HTTP round trip around them.
func BenchmarkReceiptPDFHTTP(b *testing.B) {
	s := apptest.Start(b, "sqlite:"+filepath.Join(b.TempDir(), "sportello.db"), fastCheckpoints)
	op := s.NewClient(b, "operator", []string{"protocol_operator"})
	ct, body := apptest.Multipart(apptest.Incoming("benchmark"), apptest.Part{Name: "document", Filename: "a.pdf", Content: apptest.PDF("x")})
	var reg api.Registration
	s.Do(b, "POST", "/v1/registrations", op, ct, body, http.StatusCreated, &reg)
	path := refPath(reg) + "/receipt"
	s.Do(b, "GET", path, op, "", nil, http.StatusOK, nil) // wait for the first checkpoint
	for b.Loop() {
		s.Do(b, "GET", path, op, "", nil, http.StatusOK, nil)
	}
}
