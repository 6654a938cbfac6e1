package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/testdb"
)

// TestREADME pastes the README's shell blocks, in order, into one bash against a `sportello
// serve` started as its first block says, from a directory holding only the sample documents:
// the walk-through works on a fresh installation with what the repository ships. The blocks
// that start the server and run the tests are the ones not pasted; the server's address and
// `go run ./cmd/sportello` are swapped for the test's.
func TestREADME(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's commands need %s", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(examples, filepath.Join(dir, "examples")); err != nil {
		t.Fatal(err)
	}
	p := start(t, filepath.Join(dir, "data"), testdb.SQLiteURL(t))

	var script strings.Builder
	script.WriteString("set -e -o pipefail\n")
	pasted := 0
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		block := m[1]
		if regexp.MustCompile(`(?m)^go (run \./cmd/sportello|test \./\.\.\.)\s*(#.*)?$`).MatchString(block) {
			continue // starts the server or runs the tests
		}
		block = strings.ReplaceAll(block, "http://localhost:8080", p.url)
		block = strings.ReplaceAll(block, "go run ./cmd/sportello", binary)
		script.WriteString(block)
		pasted++
	}
	if pasted < 10 {
		t.Fatalf("only %d blocks to paste: the README's walk-through is not where this test looks", pasted)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's blocks stopped: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"Idempotent-Replayed: true", // the retry took no new number
		`"code": "immutable_field"`, // the subject stayed as registered
		`"status": "approved"`,      // the case went through to its final act
		`"revoked"`,                 // the operator's old key
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	// The registration made from the stored draft took the draft's class.
	if !regexp.MustCompile(`"identifier": "demo-DEMOAOO-PG-\d{4}-0000002",\s*"class": "VI\.3"`).MatchString(text) {
		t.Error("the registration of the draft lacks the draft's class VI.3")
	}
	if n := strings.Count(text, "all checks passed"); n != 2 {
		t.Errorf("%d verifications passed, want the receipt's and the checkpoint's", n)
	}
	if t.Failed() || testing.Verbose() {
		t.Log("\n" + text)
	}
}
