package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/backup"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// runBackup runs `sportello backup|restore args…` with the data directory and database given
// to it in the environment (either may be empty).
func runCmd(dataDir, url string, args ...string) (string, error) {
	env := func(k string) string {
		return map[string]string{"SPORTELLO_DATA": dataDir, "SPORTELLO_DATABASE_URL": url}[k]
	}
	var out bytes.Buffer
	err := run(context.Background(), args, env, &out)
	return out.String(), err
}

// acked is a registration the server acknowledged (201): its answer, and the digests of what
// was sent.
type acked struct {
	path              string
	answer            map[string]any
	document, attachm string
}

// loadClient registers documents through HTTP until stop is closed, recording each
// acknowledged registration; an error is recorded and ends it.
type loadClient struct {
	s     *apptest.Server
	token string
	mu    sync.Mutex
	acked []acked
	errs  []error
}

func (l *loadClient) run(worker int, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		subject := fmt.Sprintf("carico %d-%d", worker, i)
		doc, att := apptest.PDF(subject), apptest.PDF(subject+" allegato")
		ct, body := apptest.Multipart(apptest.Incoming(subject), apptest.Part{Name: "document", Filename: "a.pdf", Content: doc},
			apptest.Part{Name: "attachment", Filename: "b.pdf", Content: att})
		a, err := l.post(ct, body)
		if err != nil {
			l.mu.Lock()
			l.errs = append(l.errs, err)
			l.mu.Unlock()
			return
		}
		a.document, a.attachm = digest(doc), digest(att)
		l.mu.Lock()
		l.acked = append(l.acked, a)
		l.mu.Unlock()
	}
}

func (l *loadClient) post(ct string, body io.Reader) (acked, error) {
	req, err := http.NewRequest("POST", l.s.URL+"/v1/registrations", body)
	if err != nil {
		return acked{}, err
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", ct)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return acked{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return acked{}, fmt.Errorf("POST /v1/registrations = %d: %s", resp.StatusCode, raw)
	}
	var a acked
	if err := json.Unmarshal(raw, &a.answer); err != nil {
		return a, err
	}
	a.path = "/v1/registrations/" + a.answer["register"].(string) + "/" + jsonNumber(a.answer["year"]) + "/" + a.answer["number_formatted"].(string)
	return a, nil
}

func (l *loadClient) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

func digest(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// registrationFields are the fields of a registration a restored instance must answer as the
// server acknowledged them; position, text status and the like move with later events.
var registrationFields = []string{"id", "register", "year", "number", "number_formatted", "identifier", "registered_at",
	"date", "direction", "channel", "subject", "correspondents", "document", "attachments", "class", "offices",
	"confidential", "status", "created_by"}

// TestBackupDuringLoadRestores is must-show 3 of issue 18 on SQLite: four clients register
// through HTTP while `sportello backup` runs; the backup is restored into an empty directory;
// `sportello verify --data` passes on it; a server started on it answers every registration
// acknowledged before the backup began with the same metadata, and the same bytes for its
// document and attachment. A second backup into the same directory, after more registrations,
// copies only the blobs the first lacks.
func TestBackupDuringLoadRestores(t *testing.T) {
	url := testdb.SQLiteURL(t)
	s := apptest.Start(t, url, fastCheckpoints)
	load := &loadClient{s: s, token: s.NewClient(t, "operator", []string{"protocol_operator"})}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { load.run(w, stop) })
	}
	stopLoad := func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
		if len(load.errs) > 0 {
			t.Fatal(load.errs)
		}
	}
	defer stopLoad()
	waitFor(t, func() bool { return load.count() >= 20 || len(load.errs) > 0 })

	load.mu.Lock()
	before := append([]acked(nil), load.acked...)
	load.mu.Unlock()
	dest := t.TempDir()
	began := time.Now()
	out, err := runCmd(s.DataDir, url, "backup", dest)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	took := time.Since(began)
	during := load.count() - len(before)
	waitFor(t, func() bool { return load.count() >= len(before)+during+5 || len(load.errs) > 0 })
	second, err := runCmd(s.DataDir, url, "backup", dest)
	stopLoad()
	if err != nil {
		t.Fatalf("second backup: %v\n%s", err, second)
	}
	t.Logf("%d registrations before the backup, %d during it (%s), %d in all\n%s", len(before), during, took, load.count(), out)

	t.Run("SecondBackupCopiesOnlyNewBlobs", func(t *testing.T) {
		snaps, err := os.ReadDir(filepath.Join(dest, backup.SnapshotsDir))
		if err != nil || len(snaps) != 2 {
			t.Fatalf("snapshots %v: %v", snaps, err)
		}
		first := readManifest(t, filepath.Join(dest, backup.SnapshotsDir, snaps[0].Name()))
		latest := readManifest(t, filepath.Join(dest, backup.SnapshotsDir, snaps[1].Name()))
		had := map[string]bool{}
		for _, b := range first.Blobs {
			had[b.SHA256] = true
		}
		added := 0
		for _, b := range latest.Blobs {
			if !had[b.SHA256] {
				added++
			}
		}
		if want := fmt.Sprintf("blobs referenced (%d copied,", added); added == 0 || !strings.Contains(second, want) {
			t.Fatalf("the second backup references %d blobs, %d new; want %q in\n%s", len(latest.Blobs), added, want, second)
		}
		if latest.Registrations <= first.Registrations || latest.Registrations < int64(len(before)) {
			t.Fatalf("registrations: first %d, second %d, %d acknowledged before the first", first.Registrations, latest.Registrations, len(before))
		}
	})

	// The first backup: restored from its snapshot's directory.
	snaps, _ := os.ReadDir(filepath.Join(dest, backup.SnapshotsDir))
	restored := filepath.Join(t.TempDir(), "restored")
	if out, err := runCmd("", "", "restore", filepath.Join(dest, backup.SnapshotsDir, snaps[0].Name()), restored); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	restoredURL := "sqlite:" + filepath.Join(restored, "sportello.db")
	if out, err := runVerifyData(restored, restoredURL); err != nil || !strings.Contains(out, "ok   every stored blob matches its digest") {
		t.Fatalf("verify --data on the restored instance: %v\n%s", err, out)
	}
	r := apptest.StartIn(t, restored, restoredURL)
	for _, a := range before {
		var got map[string]any
		r.Do(t, "GET", a.path, load.token, "", nil, http.StatusOK, &got)
		for _, f := range registrationFields {
			if !reflect.DeepEqual(got[f], a.answer[f]) {
				t.Errorf("%s %s: restored %v, acknowledged %v", a.path, f, got[f], a.answer[f])
			}
		}
		if d := digest(fetch(t, r, load.token, a.path+"/document", "")); d != a.document {
			t.Errorf("%s document: restored bytes hash to %s, sent %s", a.path, d, a.document)
		}
		if d := digest(fetch(t, r, load.token, a.path+"/attachments/0", "")); d != a.attachm {
			t.Errorf("%s attachment: restored bytes hash to %s, sent %s", a.path, d, a.attachm)
		}
	}
}

func readManifest(t *testing.T, dir string) backup.Manifest {
	t.Helper()
	b, err := backup.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b.Manifest
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
