package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneJobRegistry keeps every River client of the process made by newJobClient, with the
// one registry of jobWorkers: River's leader, whichever client it is, rescues stuck jobs with
// its own registry and horizon, and discards a job whose kind it does not know — a client made
// with a registry of its own left a killed server's import discarded or waiting an hour
// (TestImportSurvivesKill on PostgreSQL).
func TestOneJobRegistry(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	count := map[string][]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []string{"NewJobClient(", "river.NewWorkers(", "river.Config{"} {
			for range strings.Count(string(src), call) {
				count[call] = append(count[call], name)
			}
		}
	}
	for call, want := range map[string]string{"NewJobClient(": "imports.go", "river.NewWorkers(": "imports.go", "river.Config{": "imports.go"} {
		if got := count[call]; len(got) != 1 || got[0] != want {
			t.Errorf("%s is called in %v: only newJobClient and jobWorkers (%s) may", call, got, want)
		}
	}
}
