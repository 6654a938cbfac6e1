package app_test

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing"
)

// journalDoc is the part of a journal's JSON the tests check.
type journalDoc struct {
	Register      string `json:"register"`
	Date          string `json:"date"`
	Count         int    `json:"count"`
	Timezone      string `json:"timezone"`
	Registrations []struct {
		Identifier   string `json:"identifier"`
		Number       int64  `json:"number"`
		RegisteredAt string `json:"registered_at"`
		Subject      string `json:"subject"`
		Status       string `json:"status"`
		Annulment    *struct {
			Authorization string `json:"authorization"`
		} `json:"annulment"`
	} `json:"registrations"`
}

// journalItem is one entry of GET /v1/registers/{code}/journals.
type journalItem struct {
	Date          string  `json:"date"`
	Registrations int     `json:"registrations"`
	JSONSHA256    string  `json:"json_sha256"`
	PDFSHA256     string  `json:"pdf_sha256"`
	LeafIndex     *uint64 `json:"leaf_index"`
}

// getAccept sends a GET with an Accept header and returns the body, failing unless want.
func getAccept(t testing.TB, s *apptest.Server, path, token, accept string, want int) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s = %d, want %d: %s", path, resp.StatusCode, want, body)
	}
	return body
}

// journalJSON fetches and decodes a journal's JSON form, returning the raw bytes too.
func journalJSON(t testing.TB, s *apptest.Server, token, date string) (journalDoc, []byte) {
	t.Helper()
	raw := getAccept(t, s, "/v1/registers/PG/journals/"+date, token, "application/json", http.StatusOK)
	var d journalDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("journal %s: %v", date, err)
	}
	return d, raw
}

// journalList lists the PG journals.
func journalList(t testing.TB, s *apptest.Server, token, query string) []journalItem {
	t.Helper()
	var out struct {
		Items []journalItem `json:"items"`
	}
	if err := json.Unmarshal(getAccept(t, s, "/v1/registers/PG/journals"+query, token, "", http.StatusOK), &out); err != nil {
		t.Fatal(err)
	}
	return out.Items
}

// annul annuls PG/year/number through HTTP as a records officer.
func annul(t testing.TB, s *apptest.Server, token string, r registration, authorization string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"reason": "Registrata per errore", "authorization": authorization})
	s.Do(t, "POST", fmt.Sprintf("/v1/registrations/PG/%d/%d/annulment", r.Year, r.Number), token,
		"application/json", bytes.NewReader(body), http.StatusOK, nil)
}

// sealRoots returns the sealing and built-in TSA certificates under <data>/keys, the trust
// anchors of a journal PDF's signature and time-stamp.
func sealRoots(t testing.TB, s *apptest.Server) *x509.CertPool {
	t.Helper()
	id, err := signing.LoadOrCreateSelfSigned(filepath.Join(s.DataDir, "keys", "seal"))
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := signing.LoadOrCreateBuiltinTSA(filepath.Join(s.DataDir, "keys", "tsa"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(id.Certificate)
	pool.AddCert(tsa.Certificate())
	return pool
}

// eventually retries check every 50 ms for up to 15 s.
func eventually(t testing.TB, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !check(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
