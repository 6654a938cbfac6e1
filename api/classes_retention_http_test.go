package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestClassRetention, on both engines through HTTP (issue 16 point 7): a records officer sets a
// class's retention with a JSON merge patch (years, permanent, not set) or a retention schedule
// in CSV; each change is in the class's history with old, new and reason; a class created
// without retention is not set, so what it holds is never due, and it is on the due list's
// classes_without_retention worklist until its retention is set; bad input is 422 naming the
// member or the line.
func TestClassRetention(t *testing.T) {
	now := apptest.NewClock(time.Time{})
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		now.SetDay("2026-03-02")
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		ro := s.NewClient(t, "ro", []string{"records_officer"})
		var created api.ClassList
		c.json("POST", "/v1/classes", s.AdminToken, []map[string]any{
			{"code": "VI.3.7", "parent": "VI.3", "title": "Pratiche edilizie minori"},
			{"code": "VI.3.8", "parent": "VI.3", "title": "Pratiche storiche", "retention_permanent": true},
		}).decode(t, http.StatusCreated, &created)
		if n := created.Items; len(n) != 2 || n[0].RetentionYears != nil || n[0].RetentionPermanent || !n[1].RetentionPermanent {
			t.Fatalf("created %+v: want VI.3.7 not set, VI.3.8 permanent", n)
		}
		meta := apptest.Incoming("Domanda non fascicolata")
		meta["class"] = "VI.3.7"
		var unfiled api.Registration
		c.register(op, meta, []apptest.Part{{Name: "document", Filename: "u.pdf", Content: apptest.PDF("sola")}}).decode(t, http.StatusCreated, &unfiled)
		now.SetDay("2040-01-10")

		due := func() api.DueList {
			t.Helper()
			var d api.DueList
			c.do("GET", "/v1/disposal/due", ro, nil).decode(t, http.StatusOK, &d)
			return d
		}
		unset := func(d api.DueList) []string {
			var codes []string
			for _, cl := range d.ClassesWithoutRetention {
				codes = append(codes, cl.Code)
			}
			return codes
		}
		d := due()
		if len(d.Items) != 0 || !slices.Contains(unset(d), "VI.3.7") || slices.Contains(unset(d), "VI.3.8") || len(d.ClassesWithoutRetention) != 140 {
			t.Fatalf("due %+v, %d classes without retention: want nothing due, VI.3.7 and the 139 shipped classes on the worklist",
				d.Items, len(d.ClassesWithoutRetention))
		}
		t.Run("PatchYears", func(t *testing.T) {
			var cl api.Class
			c.json("PATCH", "/v1/classes/VI.3.7", ro, map[string]any{"retention_years": 10, "reason": "Delibera 7/2040"},
				"Content-Type", "application/merge-patch+json").decode(t, http.StatusOK, &cl)
			if cl.RetentionYears == nil || *cl.RetentionYears != 10 || cl.RetentionPermanent {
				t.Fatalf("patched %+v", cl)
			}
			d := due()
			if len(d.Items) != 1 || d.Items[0].Reference != refOf(unfiled) || d.Items[0].RetentionYears != 10 || slices.Contains(unset(d), "VI.3.7") {
				t.Errorf("due after the patch %+v, worklist %v", d.Items, unset(d))
			}
		})
		t.Run("PatchPermanentThenUnset", func(t *testing.T) {
			var cl api.Class
			c.json("PATCH", "/v1/classes/VI.3.7", s.AdminToken, map[string]any{"retention_permanent": true}).decode(t, http.StatusOK, &cl)
			if cl.RetentionYears != nil || !cl.RetentionPermanent {
				t.Fatalf("permanent %+v", cl)
			}
			c.json("PATCH", "/v1/classes/VI.3.7", ro, map[string]any{"retention_permanent": false}).decode(t, http.StatusOK, &cl)
			if cl.RetentionYears != nil || cl.RetentionPermanent {
				t.Fatalf("not set %+v", cl)
			}
			if d := due(); len(d.Items) != 0 || !slices.Contains(unset(d), "VI.3.7") {
				t.Errorf("due %+v, worklist %v", d.Items, unset(d))
			}
		})
		t.Run("Schedule", func(t *testing.T) {
			var list api.ClassList
			c.do("POST", "/v1/classes/retention?reason=Piano+di+conservazione+2040", ro,
				strings.NewReader("code,retention_years\nVI.3.7,5\nVI.3.8,permanent\nI.1,permanente\n"), "Content-Type", "text/csv").
				decode(t, http.StatusOK, &list)
			if len(list.Items) != 2 || list.Items[0].Code != "VI.3.7" || *list.Items[0].RetentionYears != 5 || list.Items[1].Code != "I.1" {
				t.Fatalf("changed %+v: want VI.3.7 and I.1 (VI.3.8 was permanent already)", list.Items)
			}
			if d := due(); len(d.Items) != 1 || slices.Contains(unset(d), "I.1") || slices.Contains(unset(d), "VI.3.7") {
				t.Errorf("due %+v, %d without retention", d.Items, len(d.ClassesWithoutRetention))
			}
		})
		t.Run("CreatedByCSV", func(t *testing.T) {
			var list api.ClassList
			c.do("POST", "/v1/classes", s.AdminToken, strings.NewReader("code,parent,level,title,retention_years\n"+
				"VI.3.20,VI.3,3,Anni,12\nVI.3.21,VI.3,3,Sempre,permanent\nVI.3.22,VI.3,3,Da decidere,\n"), "Content-Type", "text/csv").
				decode(t, http.StatusCreated, &list)
			got := map[string]string{}
			for _, cl := range list.Items {
				switch {
				case cl.RetentionYears != nil:
					got[cl.Code] = "years"
				case cl.RetentionPermanent:
					got[cl.Code] = "permanent"
				default:
					got[cl.Code] = "not set"
				}
			}
			if got["VI.3.20"] != "years" || got["VI.3.21"] != "permanent" || got["VI.3.22"] != "not set" {
				t.Errorf("created by CSV: %v", got)
			}
			if d := due(); !slices.Contains(unset(d), "VI.3.22") || slices.Contains(unset(d), "VI.3.21") {
				t.Errorf("worklist %v", unset(d))
			}
			p := c.do("POST", "/v1/classes", s.AdminToken, strings.NewReader("code,parent,level,title,retention_years\nVI.3.23,VI.3,3,X,sempre\n"),
				"Content-Type", "text/csv").problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "line 2: retention_years", "permanent")
		})
		t.Run("History", func(t *testing.T) {
			var h api.History
			c.do("GET", "/v1/classes/VI.3.7/history", ro, nil).decode(t, http.StatusOK, &h)
			var got []string
			for _, e := range h.Items {
				if e.Action == "class.retention_changed" {
					got = append(got, e.Field+" "+jsonText(t, e.Old)+"→"+jsonText(t, e.New)+" "+e.Detail)
				}
			}
			want := []string{`retention ""→"10" Delibera 7/2040`, `retention "10"→"permanent" `, `retention "permanent"→"" `,
				`retention ""→"5" Piano di conservazione 2040`}
			if len(h.Items) == 0 || h.Items[0].Action != "class.created" {
				t.Errorf("history does not begin with the creation: %+v", h.Items)
			}
			if !slices.Equal(got, want) {
				t.Errorf("history\n%q\nwant\n%q", got, want)
			}
			c.do("GET", "/v1/classes/XIV.99/history", ro, nil).problem(t, http.StatusNotFound, "not_found")
		})
		for name, tc := range map[string]struct {
			body, field, word string
		}{
			"ErrZero":     {`{"retention_years": 0}`, "retention_years", "between 1 and 999"},
			"ErrTooMany":  {`{"retention_years": 1000}`, "retention_years", "between 1 and 999"},
			"ErrBoth":     {`{"retention_years": 5, "retention_permanent": true}`, "retention_permanent", "one or the other"},
			"ErrEmpty":    {`{}`, "body", "nothing to change"},
			"ErrUnknown":  {`{"retention": 5}`, "retention", "unknown"},
			"ErrNullPerm": {`{"retention_permanent": null}`, "retention_permanent", "true or false"},
			"ErrString":   {`{"retention_years": "dieci"}`, "retention_years", ""},
		} {
			t.Run(name, func(t *testing.T) {
				p := c.json("PATCH", "/v1/classes/VI.3.7", ro, tc.body).problem(t, http.StatusUnprocessableEntity, "validation_failed")
				namesField(t, p, tc.field, tc.word)
			})
		}
		t.Run("ErrUnknownClass", func(t *testing.T) {
			c.json("PATCH", "/v1/classes/XIV.99", ro, map[string]any{"retention_years": 5}).problem(t, http.StatusNotFound, "not_found")
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			c.json("PATCH", "/v1/classes/VI.3.7", op, map[string]any{"retention_years": 5}).problem(t, http.StatusForbidden, "forbidden")
		})
		t.Run("ErrScheduleAllOrNothing", func(t *testing.T) {
			p := c.do("POST", "/v1/classes/retention", ro, strings.NewReader("code,retention_years\nVI.3.7,7\nXIV.99,5\n"),
				"Content-Type", "text/csv").problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "line 3: code", "unknown class")
			p = c.do("POST", "/v1/classes/retention", ro, strings.NewReader("code,retention_years\nVI.3.7,sempre\n"),
				"Content-Type", "text/csv").problem(t, http.StatusUnprocessableEntity, "validation_failed")
			namesField(t, p, "line 2: retention_years", "permanent")
			var cl api.ClassDetail
			c.do("GET", "/v1/classes/VI.3.7", ro, nil).decode(t, http.StatusOK, &cl)
			if cl.Class.RetentionYears == nil || *cl.Class.RetentionYears != 5 {
				t.Errorf("VI.3.7 after refused schedules: %+v", cl.Class)
			}
			c.do("POST", "/v1/classes/retention", ro, strings.NewReader(`{}`), "Content-Type", "application/json").
				problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
		})
	}, apptest.WithClock(now.Now))
}

// jsonText is a history value as its JSON text, "" when absent.
func jsonText(t *testing.T, v any) string {
	t.Helper()
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
