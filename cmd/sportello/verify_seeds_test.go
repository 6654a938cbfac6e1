package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

var writeFuzzSeeds = flag.Bool("write-fuzz-seeds", false,
	"write the seed corpora of the fuzz targets of sportello verify's parsers from a real server")

// writeSeed writes data as a seed of a fuzz target taking one []byte, in the corpus format of
// `go test -fuzz` (testdata/fuzz/NAME/FILE under the package directory pkg).
func writeSeed(t *testing.T, pkg, target, name string, data []byte) {
	t.Helper()
	dir := filepath.Join(pkg, "testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWriteFuzzSeeds regenerates, with -write-fuzz-seeds, the seed corpora of the fuzz
// targets of what `sportello verify` parses — receipt PDF and JSON, checkpoint JSON, the PDF's
// embedded receipt, RFC 3161 tokens, registration JSON — from what a real server answers, and
// the sealing certificate FuzzVerifyCheckpoint verifies with.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeFuzzSeeds {
		t.Skip("run with -write-fuzz-seeds to regenerate the seed corpora")
	}
	s := apptest.Start(t, testdb.SQLiteURL(t), fastCheckpoints)
	op := s.NewClient(t, "operator", []string{"protocol_operator"})
	officer := s.NewClient(t, "officer", []string{"records_officer"})
	path, _ := registered(t, s, op, "Domanda di contributo — città di Forlì")
	annulled, _ := registered(t, s, op, "Registrata per errore")
	fetch(t, s, op, annulled+"/receipt", "application/json")
	s.Do(t, "POST", annulled+"/annulment", officer, "application/json",
		jsonBody(t, map[string]string{"reason": "Doppia registrazione", "authorization": "Determina n. 12"}), 200, nil)

	pdf := fetch(t, s, op, path+"/receipt", "")
	rc := fetch(t, s, op, path+"/receipt", "application/json")
	cp := fetch(t, s, op, "/v1/log/checkpoint", "application/json")
	var receipt struct {
		Registration json.RawMessage `json:"registration"`
		Checkpoint   struct {
			TimestampToken string `json:"timestamp_token"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal(rc, &receipt); err != nil {
		t.Fatal(err)
	}
	token, err := base64.StdEncoding.DecodeString(receipt.Checkpoint.TimestampToken)
	if err != nil || len(token) == 0 {
		t.Fatalf("timestamp token %q: %v", receipt.Checkpoint.TimestampToken, err)
	}
	crt, err := os.ReadFile(filepath.Join(s.DataDir, "keys", "seal", "sealing.crt"))
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := os.ReadFile(filepath.Join(s.DataDir, "keys", "tsa", "tsa.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "sealing.crt"), crt, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("../../signing/testdata", "receipt-roots.pem"), append(crt, tsa...), 0o644); err != nil {
		t.Fatal(err)
	}
	writeSeed(t, ".", "FuzzVerifyReceipt", "receipt-pdf", pdf)
	writeSeed(t, ".", "FuzzVerifyReceipt", "receipt-json", rc)
	writeSeed(t, ".", "FuzzVerifyCheckpoint", "checkpoint-json", cp)
	writeSeed(t, "../../signing", "FuzzReceiptJSON", "receipt-pdf", pdf)
	writeSeed(t, "../../signing", "FuzzVerifyPDF", "receipt-pdf", pdf)
	writeSeed(t, "../../signing", "FuzzTimestampToken", "checkpoint-token", token)
	writeSeed(t, "../../signing/tlog", "FuzzLeafFromJSON", "registration", receipt.Registration)
	writeSeed(t, "../../signing/tlog", "FuzzLeafFromJSON", "annulled-registration",
		fetch(t, s, op, annulled, "application/json"))
	fmt.Println("fuzz seeds written")
}

func jsonBody(t *testing.T, v any) *bytes.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}
