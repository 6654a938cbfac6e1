package api_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/openapigen"
)

// TestOpenAPIUpToDate regenerates openapi.yaml in memory from the annotations and
// fails when the committed files differ: the contract must always be the handlers' own.
func TestOpenAPIUpToDate(t *testing.T) {
	out, err := openapigen.Generate("..")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range out {
		got, err := os.ReadFile(filepath.Join("..", path))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale (%v): run `%s` and commit the result", path, err, openapigen.Command)
		}
	}
}

// TestOpenAPIValid checks that the committed contract is a valid OpenAPI 3 document.
func TestOpenAPIValid(t *testing.T) {
	if _, err := apptest.Contract(); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
}
