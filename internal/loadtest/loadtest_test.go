package loadtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sportello/sportello/storage/blob/s3test"
)

// TestScenarios runs every scenario of the suite shortly (20 s of load each, the fault 6 s in,
// lasting 6 s) and requires its verification to pass: every acknowledged registration present
// and byte-exact, numbers gapless, `sportello verify --data` clean, each replica's index
// complete, and the fault met by the clients. The full runs, and their figures, are
// cmd/sportello-load's (docs/benchmarks.md#load-and-fault-suite-issue-18).
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("the load and fault suite starts PostgreSQL and two servers: about 5 minutes; not with -short")
	}
	if _, err := pgTool("initdb"); err != nil {
		t.Skipf("no PostgreSQL server binaries to run a private cluster: %v", err)
	}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("runuser"); err != nil {
			t.Skip("running as root, PostgreSQL must run as the user postgres, through runuser, which is missing")
		}
	}
	bin, err := buildBinary(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, scenario := range Scenarios {
		t.Run(scenario, func(t *testing.T) {
			switch scenario {
			case "disk-full":
				if os.Geteuid() != 0 {
					t.Skip("a full disk needs a tmpfs, which only root may mount")
				}
			case "s3-down":
				if !versitygwPresent() {
					t.Skip("no versitygw binary (SPORTELLO_VERSITYGW, PATH or $GOPATH/bin/versitygw-v1.8.0): .ci/run builds it")
				}
			}
			res, err := Run(context.Background(), Options{Scenario: scenario, Duration: 20 * time.Second, Clients: 8,
				FaultAt: 6 * time.Second, FaultFor: 6 * time.Second, Binary: bin, Work: t.TempDir(), Log: testWriter{t}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Acks == 0 {
				t.Fatal("no registration was acknowledged")
			}
			for _, c := range res.Checks {
				if !c.OK {
					t.Errorf("FAIL %s: %s", c.Name, c.Detail)
				}
			}
			if t.Failed() {
				t.Log(res.Markdown())
			}
		})
	}
}

// versitygwPresent says whether s3test.Binary would find versitygw without building it.
func versitygwPresent() bool {
	if os.Getenv("SPORTELLO_VERSITYGW") != "" {
		return true
	}
	if _, err := exec.LookPath("versitygw"); err == nil {
		return true
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(string(trimNewline(out)), "bin", "versitygw-v1.8.0", "versitygw"))
	if err == nil {
		_, err = s3test.Binary()
	}
	return err == nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// testWriter sends the run's progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(trimNewline(p)))
	return len(p), nil
}
