package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/storagetest"
)

// exportAudit saves GET /v1/audit/export to a file and returns its path and header.
func exportAudit(t *testing.T, s *apptest.Server, token string) (string, map[string]any) {
	t.Helper()
	raw := fetch(t, s, token, "/v1/audit/export", "")
	var hdr map[string]any
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	if err := json.Unmarshal(line, &hdr); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.ndjson")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, hdr
}

// runVerifyAudit runs `sportello verify --audit args…`.
func runVerifyAudit(env func(string) string, args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"verify", "--audit"}, args...), env, &out)
	return out.String(), err
}

// TestVerifyAudit is issue 17's must-show 3 on both engines: an export of an untouched chain
// verifies offline, its anchors against the transparency log's signed checkpoints; an audit row
// altered by a superuser with the guards disabled is found and named, in the export and in the
// database (--audit --data), and so is a deleted row.
func TestVerifyAudit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := apptest.Start(t, url, fastCheckpoints, apptest.WithConfig(func(c *app.Config) { c.AuditAnchor = true }))
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		officer := s.NewClient(t, "officer", []string{"records_officer"})
		for _, subject := range []string{"prima", "seconda", "terza"} {
			registered(t, s, op, subject)
		}
		var info struct {
			Signing struct {
				CertificatePEM string `json:"certificate_pem"`
			} `json:"signing"`
		}
		if err := json.Unmarshal(fetch(t, s, officer, "/v1/info", "application/json"), &info); err != nil {
			t.Fatal(err)
		}
		cert := filepath.Join(t.TempDir(), "seal.pem")
		if err := os.WriteFile(cert, []byte(info.Signing.CertificatePEM), 0o600); err != nil {
			t.Fatal(err)
		}
		// Wait until an anchor covers the three registrations' events.
		var export string
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			path, hdr := exportAudit(t, s, officer)
			anchors, _ := hdr["anchors"].([]any)
			if len(anchors) > 0 && anchors[len(anchors)-1].(map[string]any)["seq"].(float64) >= hdr["head"].(map[string]any)["seq"].(float64)-2 {
				export = path
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no anchor of the chain's head: %v", hdr)
			}
		}
		env := func(k string) string {
			return map[string]string{"SPORTELLO_DATA": t.TempDir(), "SPORTELLO_DATABASE_URL": url}[k]
		}

		t.Run("Untouched", func(t *testing.T) {
			out, err := runVerifyAudit(noEnv, "--certificate", cert, export)
			if err != nil || !strings.Contains(out, "ok   audit chain") || !strings.Contains(out, "ok   anchor of seq") {
				t.Fatalf("%v\n%s", err, out)
			}
			if out, err := runVerifyAudit(env, "--data"); err != nil {
				t.Fatalf("--data: %v\n%s", err, out)
			}
		})
		t.Run("ErrAlteredRowNamed", func(t *testing.T) {
			testdb.Tamper(t, url,
				[]string{`DROP TRIGGER audit_events_no_update`, `UPDATE audit_events SET actor = 'qualcun altro' WHERE seq = ?`},
				[]string{`ALTER TABLE audit_events DISABLE TRIGGER ALL`, `UPDATE audit_events SET actor = 'qualcun altro' WHERE seq = $1`}, 5)
			altered, _ := exportAudit(t, s, officer)
			out, err := runVerifyAudit(noEnv, "--certificate", cert, altered)
			if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "FAIL audit chain: audit event seq 5 (id ") || !strings.Contains(out, "altered") {
				t.Fatalf("%v\n%s", err, out)
			}
			out, err = runVerifyAudit(env, "--data")
			if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "audit event seq 5 (id ") || !strings.Contains(out, "altered") {
				t.Fatalf("--data: %v\n%s", err, out)
			}
		})
		t.Run("ErrDeletedRowNamed", func(t *testing.T) {
			testdb.Tamper(t, url, []string{`DROP TRIGGER audit_events_no_delete`, `DELETE FROM audit_events WHERE seq IN (3, 5)`},
				[]string{`DELETE FROM audit_events WHERE seq IN (3, 5)`})
			deleted, _ := exportAudit(t, s, officer)
			out, err := runVerifyAudit(noEnv, "--certificate", cert, deleted)
			if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "audit event seq 3 missing") {
				t.Fatalf("%v\n%s", err, out)
			}
			out, err = runVerifyAudit(env, "--data")
			if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "audit event seq 3 missing") {
				t.Fatalf("--data: %v\n%s", err, out)
			}
		})
		t.Run("ErrRewrittenChainFoundByAnchor", func(t *testing.T) {
			// A forger who rewrites an anchored event and recomputes every hash after it: the
			// chain holds together, but no longer reaches the hash the log holds.
			raw, err := os.ReadFile(export)
			if err != nil {
				t.Fatal(err)
			}
			out, err := runVerifyAudit(noEnv, forged(t, raw))
			if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "FAIL anchor of seq") {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	})
}

func noEnv(string) string { return "" }

// forged rewrites the actor of the export's event seq 2 and recomputes every hash after it, and
// the header's head: a chain that holds together, written to a file whose path it returns.
func forged(t *testing.T, raw []byte) string {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	var hdr api.AuditExportHeader
	if err := json.Unmarshal(lines[0], &hdr); err != nil {
		t.Fatal(err)
	}
	prev := ""
	out := [][]byte{nil}
	for _, l := range lines[1:] {
		var e api.AuditEvent
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatal(err)
		}
		if e.Seq == 2 {
			e.Actor = "falsario"
		}
		if e.Seq >= 2 {
			e.PrevHash = prev
			e.Hash = domain.AuditChainHash(fromAPIAuditEvent(e))
		}
		prev = e.Hash
		hdr.Head.Hash = e.Hash
		b, _ := json.Marshal(e)
		out = append(out, b)
	}
	out[0], _ = json.Marshal(hdr)
	path := filepath.Join(t.TempDir(), "forged.ndjson")
	if err := os.WriteFile(path, append(bytes.Join(out, []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitAnchor waits until an anchor in the export covers the chain's head as it is now, and
// returns that anchor's seq.
func waitAnchor(t *testing.T, s *apptest.Server, token string) int64 {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, hdr := exportAudit(t, s, token)
		anchors, _ := hdr["anchors"].([]any)
		head := int64(hdr["head"].(map[string]any)["seq"].(float64))
		if len(anchors) > 0 {
			if seq := int64(anchors[len(anchors)-1].(map[string]any)["seq"].(float64)); seq >= head {
				return seq
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no anchor of the chain's head: %v", hdr)
		}
	}
}

// TestVerifyAuditDataAnchor: `sportello verify --audit --data` checks the anchors in the
// database's transparency log as the export's check does, so that a chain a superuser
// rewrote in the database with the guards disabled, recomputing every hash after the event
// altered and the head row, is caught by its anchor, which names the first event after the last
// anchor that still holds. Both engines.
func TestVerifyAuditDataAnchor(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := apptest.Start(t, url, fastCheckpoints, apptest.WithConfig(func(c *app.Config) { c.AuditAnchor = true }))
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		officer := s.NewClient(t, "officer", []string{"records_officer"})
		registered(t, s, op, "prima")
		good := waitAnchor(t, s, officer)
		registered(t, s, op, "seconda")
		registered(t, s, op, "terza")
		last := waitAnchor(t, s, officer)
		if last <= good {
			t.Fatalf("anchors at seq %d then %d", good, last)
		}
		if err := s.Main.Close(); err != nil { // nothing writes while the chain is forged
			t.Fatal(err)
		}
		env := func(k string) string {
			return map[string]string{"SPORTELLO_DATA": t.TempDir(), "SPORTELLO_DATABASE_URL": url}[k]
		}
		out, err := runVerifyAudit(env, "--data")
		if err != nil || !strings.Contains(out, fmt.Sprintf("ok   anchor of seq %d", good)) ||
			!strings.Contains(out, fmt.Sprintf("ok   anchor of seq %d", last)) {
			t.Fatalf("untouched: %v\n%s", err, out)
		}

		// The forger alters the event after the first anchor and recomputes every hash after it.
		db := storagetest.Open(t, url)
		page, err := db.AuditTrail(context.Background(), domain.AuditFilter{Limit: domain.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		var stmts []string
		var args [][]any
		prev, forgedID := "", int64(0)
		for _, e := range page.Items {
			if e.Seq == good+1 {
				e.Actor, forgedID = "falsario", e.ID
			}
			if e.Seq > good {
				e.PrevHash = prev
				e.Hash = domain.AuditChainHash(e)
				stmts = append(stmts, `UPDATE audit_events SET actor = $1, prev_hash = $2, hash = $3 WHERE seq = $4`)
				args = append(args, []any{e.Actor, e.PrevHash, e.Hash, e.Seq})
			}
			prev = e.Hash
		}
		if page.NextCursor != "" || forgedID == 0 {
			t.Fatalf("%d events, more: %q, seq %d found: %v", len(page.Items), page.NextCursor, good+1, forgedID != 0)
		}
		raw := testdb.RawDB(t, url)
		guards := []string{`DROP TRIGGER audit_events_no_update`}
		if testdb.IsPostgres(url) {
			guards = []string{`ALTER TABLE audit_events DISABLE TRIGGER ALL`, `ALTER TABLE audit_chain DISABLE TRIGGER ALL`}
		}
		for _, q := range guards {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for i, q := range append(stmts, `UPDATE audit_chain SET hash = $1`) {
			a := []any{prev}
			if i < len(args) {
				a = args[i]
			}
			if _, err := raw.Exec(q, a...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}

		out, err = runVerifyAudit(env, "--data")
		for _, want := range []string{
			"ok   audit chain",
			fmt.Sprintf("ok   anchor of seq %d", good),
			fmt.Sprintf("FAIL anchor of seq %d", last),
			fmt.Sprintf("FAIL audit anchoring: audit event seq %d (id %d) is the first that may have been altered", good+1, forgedID),
			fmt.Sprintf("the last anchor that holds is seq %d", good),
		} {
			if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, want) {
				t.Fatalf("forged: want %q: %v\n%s", want, err, out)
			}
		}
	})
}
