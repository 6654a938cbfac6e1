package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

var fastCheckpoints = apptest.WithConfig(func(cfg *app.Config) { cfg.CheckpointEvery = 20 * time.Millisecond })

// fetch GETs path from s with token and Accept, and returns the body.
func fetch(t *testing.T, s *apptest.Server, token, path, accept string) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s (%v)", path, resp.StatusCode, b.Bytes(), err)
	}
	return b.Bytes()
}

// registered registers one document and returns the path of its registration.
func registered(t *testing.T, s *apptest.Server, token, subject string) (path, identifier string) {
	t.Helper()
	ct, body := apptest.Multipart(apptest.Incoming(subject), apptest.Part{Name: "document", Filename: "a.pdf", Content: apptest.PDF(subject)},
		apptest.Part{Name: "attachment", Filename: "b.pdf", Content: apptest.PDF(subject + " allegato")})
	var raw map[string]any
	s.Do(t, "POST", "/v1/registrations", token, ct, body, http.StatusCreated, &raw)
	return "/v1/registrations/" + raw["register"].(string) + "/" + jsonNumber(raw["year"]) + "/" + raw["number_formatted"].(string),
		raw["identifier"].(string)
}

func jsonNumber(v any) string { b, _ := json.Marshal(v); return string(b) }

// verifyRun runs `sportello verify args…` and returns its output and error.
func verifyRun(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"verify"}, args...), func(string) string { return "" }, &out)
	return out.String(), err
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// editJSON decodes a receipt, lets edit change it and encodes it again.
func editJSON(t *testing.T, raw []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyFiles, on the command line: what a real server answered —
// receipt PDF, receipt JSON, checkpoint — verifies offline with exit status 0, and any tampering
// or a wrong fingerprint exits 1 naming the failed check.
func TestVerifyFiles(t *testing.T) {
	s := apptest.Start(t, testdb.SQLiteURL(t), fastCheckpoints)
	op := s.NewClient(t, "operator", []string{"protocol_operator"})
	path, _ := registered(t, s, op, "Domanda di contributo — città di Forlì")
	registered(t, s, op, "seconda")
	last, _ := registered(t, s, op, "terza")
	fetch(t, s, op, last+"/receipt", "application/json") // a checkpoint of 3: the proof of leaf 0 has hashes
	dir := t.TempDir()
	pdf := writeFile(t, dir, "receipt.pdf", fetch(t, s, op, path+"/receipt", ""))
	rcRaw := fetch(t, s, op, path+"/receipt", "application/json")
	rc := writeFile(t, dir, "receipt.json", rcRaw)
	cp := writeFile(t, dir, "checkpoint.json", fetch(t, s, op, "/v1/log/checkpoint", "application/json"))
	// The certificates as the server publishes them, not read from its data directory: what a
	// verifier elsewhere has.
	var info struct {
		Signing struct {
			Fingerprint       string
			CertificatePEM    string `json:"certificate_pem"`
			TSACertificatePEM string `json:"tsa_certificate_pem"`
		} `json:"signing"`
	}
	s.Do(t, "GET", "/v1/info", op, "", nil, http.StatusOK, &info)
	fp := info.Signing.Fingerprint
	sealCrt := writeFile(t, dir, "sealing.pem", []byte(info.Signing.CertificatePEM))
	tsaCrt := writeFile(t, dir, "tsa.pem", []byte(info.Signing.TSACertificatePEM))

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"ReceiptPDF", []string{pdf}},
		{"ReceiptPDFPinned", []string{"--fingerprint", fp, pdf}},
		{"ReceiptJSON", []string{rc, "--fingerprint", fp}},
		{"Checkpoint", []string{"--certificate", sealCrt, "--fingerprint", fp, cp}},
		{"CheckpointBothCertificates", []string{"--certificate", sealCrt, "--tsa-certificate", tsaCrt, cp}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := verifyRun(tc.args...)
			if err != nil || strings.Contains(out, "FAIL") || !strings.Contains(out, "all checks passed") {
				t.Fatalf("verify %v: %v\n%s", tc.args, err, out)
			}
			t.Log("\n" + out)
		})
	}
	t.Run("UnpinnedSaysSelfAsserted", func(t *testing.T) {
		out, _ := verifyRun(rc)
		if !strings.Contains(out, "sealing fingerprint "+fp+" is self-asserted") {
			t.Fatalf("output does not report the fingerprint as self-asserted:\n%s", out)
		}
	})

	other := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, failed string
		file         []byte
		args         []string
	}{
		{"ErrSubjectChanged", "FAIL leaf recomputed from the registration", editJSON(t, rcRaw, func(m map[string]any) {
			m["registration"].(map[string]any)["subject"] = "altro oggetto"
		}), nil},
		{"ErrProofHashChanged", "FAIL inclusion proof", editJSON(t, rcRaw, func(m map[string]any) {
			proof := m["inclusion_proof"].([]any)
			h, _ := base64.StdEncoding.DecodeString(proof[0].(string))
			h[0] ^= 1
			proof[0] = base64.StdEncoding.EncodeToString(h)
		}), nil},
		{"ErrCheckpointSizeChanged", "FAIL checkpoint signature", editJSON(t, rcRaw, func(m map[string]any) {
			c := m["checkpoint"].(map[string]any)
			c["size"] = c["size"].(float64) + 1
			c["note"] = strings.Replace(c["note"].(string), "\n"+jsonNumber(c["size"].(float64)-1)+"\n", "\n"+jsonNumber(c["size"])+"\n", 1)
		}), nil},
		{"ErrWrongFingerprint", "FAIL sealing fingerprint", rcRaw, []string{"--fingerprint", other}},
		{"ErrWrongTSAFingerprint", "FAIL TSA fingerprint", rcRaw, []string{"--tsa-fingerprint", other}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := writeFile(t, t.TempDir(), "receipt.json", tc.file)
			out, err := verifyRun(append(tc.args, f)...)
			if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, tc.failed) {
				t.Fatalf("verify: %v, want %q in\n%s", err, tc.failed, out)
			}
		})
	}
	t.Run("ErrTamperedPDF", func(t *testing.T) {
		raw, _ := os.ReadFile(pdf)
		raw = append(raw, "\n% appended\n"...)
		out, err := verifyRun(writeFile(t, t.TempDir(), "receipt.pdf", raw))
		if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "FAIL PDF seal") {
			t.Fatalf("verify: %v\n%s", err, out)
		}
	})
	t.Run("ErrCheckpointWithoutCertificate", func(t *testing.T) {
		if out, err := verifyRun(cp); !errors.Is(err, errVerifyFailed) {
			t.Fatalf("verify: %v\n%s", err, out)
		}
	})
}
