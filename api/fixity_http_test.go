package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// TestGetFixity: records officers and administrators read the fixity runs and the blobs found
// wrong, by digest and by the registration that references them; a restored blob's failure
// leaves the open list and shows, resolved, with resolved=true; a bad query names its field.
func TestGetFixity(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		reg := c.mustRegister(op, "Fissità")
		ref := reg.Register + "/" + strconv.Itoa(reg.Year) + "/" + reg.NumberFormatted
		digest := reg.Document.SHA256
		file := filepath.Join(s.DataDir, "blobs", digest[:2], digest)
		original, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		run, err := s.Main.RunFixity(context.Background(), domain.FixityOptions{StartedBy: domain.FixityByVerify})
		if err != nil || run == nil {
			t.Fatalf("run: %+v, %v", run, err)
		}

		var rep api.FixityReport
		c.do("GET", "/v1/archive/fixity", ro, nil).decode(t, http.StatusOK, &rep)
		if len(rep.Runs) != 1 || rep.Runs[0].ID != run.ID || rep.Runs[0].State != "done" || rep.Runs[0].FinishedAt == nil ||
			rep.Runs[0].Failures != 1 || rep.Runs[0].Blobs != run.Blobs || rep.Open != 1 || len(rep.Failures) != 1 {
			t.Fatalf("report %+v, want run %s done with one failure, open", rep, run.ID)
		}
		f := rep.Failures[0]
		want := api.FixityReference{Kind: "registration", Identifier: ref, Role: "document"}
		if f.SHA256 != digest || f.Problem != "missing" || len(f.References) != 1 || f.References[0] != want || f.ResolvedAt != nil || f.LastRun != run.ID {
			t.Fatalf("failure %+v, want %s missing, referenced by %+v", f, digest, want)
		}
		c.do("GET", "/v1/archive/fixity", s.AdminToken, nil).expect(t, http.StatusOK)
		c.do("GET", "/v1/archive/fixity", op, nil).problem(t, http.StatusForbidden, "forbidden")
		namesField(t, c.do("GET", "/v1/archive/fixity?resolved=maybe", ro, nil).problem(t, 422, "validation_failed"), "resolved", "true or false")
		namesField(t, c.do("GET", "/v1/archive/fixity?open=true", ro, nil).problem(t, 422, "validation_failed"), "open", "")

		if err := os.WriteFile(file, original, 0o600); err != nil {
			t.Fatal(err)
		}
		again, err := s.Main.RunFixity(context.Background(), domain.FixityOptions{StartedBy: domain.FixityByVerify})
		if err != nil || again == nil || again.Failures != 0 {
			t.Fatalf("run after the restore: %+v, %v", again, err)
		}
		c.do("GET", "/v1/archive/fixity", ro, nil).decode(t, http.StatusOK, &rep)
		if rep.Open != 0 || len(rep.Failures) != 0 || len(rep.Runs) != 2 || rep.Runs[0].ID != again.ID {
			t.Fatalf("after the restore: %+v, want no open failure, two runs", rep)
		}
		c.do("GET", "/v1/archive/fixity?resolved=true", ro, nil).decode(t, http.StatusOK, &rep)
		if len(rep.Failures) != 1 || rep.Failures[0].ResolvedAt == nil || rep.Failures[0].ResolvedRun != again.ID {
			t.Fatalf("resolved failures %+v, want %s resolved by %s", rep.Failures, digest, again.ID)
		}
	}, apptest.WithConfig(func(c *app.Config) { c.FixityEvery = 0 }))
}
