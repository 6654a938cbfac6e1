package domain_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestClassRetention, on both engines: records officers set a class's retention (years,
// permanent, not set) by merge patch and by a retention schedule in CSV, each change recorded
// in the class's history with old, new and reason; a class whose retention is not set is never
// due for disposal and is on the worklist of classes without retention; the shipped titolario
// starts not set.
func TestClassRetention(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s, d, _ := disposable(t, url) // VI.3.9 kept one year; its dossier is due today
		ctx := t.Context()
		due := func() bool {
			t.Helper()
			items, err := s.DueForDisposal(ctx, officer, "")
			if err != nil {
				t.Fatal(err)
			}
			return slices.ContainsFunc(items, func(it domain.DueItem) bool { return it.ID == d.ID })
		}
		unset := func() []string {
			t.Helper()
			cs, err := s.ClassesWithoutRetention(ctx, officer)
			if err != nil {
				t.Fatal(err)
			}
			codes := make([]string, len(cs))
			for i, c := range cs {
				codes[i] = c.Code
			}
			return codes
		}
		if !due() {
			t.Fatal("the dossier of VI.3.9 is not due to begin with")
		}
		if got := unset(); len(got) != 139 || got[0] != "I" || slices.Contains(got, "VI.3.9") {
			t.Fatalf("classes without retention: %d, first %v: want the 139 shipped, not VI.3.9", len(got), got[:1])
		}

		t.Run("UnsetIsNeverDue", func(t *testing.T) {
			c, err := s.PatchClassRetention(ctx, officer, "VI.3.9", domain.RetentionPatch{SetYears: true}, "Revisione del piano")
			if err != nil || c.RetentionSet() {
				t.Fatalf("patch to not set: %+v, %v", c, err)
			}
			if due() || !slices.Contains(unset(), "VI.3.9") {
				t.Error("a class without retention is due, or not on the worklist")
			}
		})
		t.Run("Permanent", func(t *testing.T) {
			c, err := s.PatchClassRetention(ctx, admin, "VI.3.9", domain.RetentionPatch{SetPermanent: true, Permanent: true}, "")
			if err != nil || !c.RetentionPermanent || c.RetentionYears != nil {
				t.Fatalf("patch to permanent: %+v, %v", c, err)
			}
			if due() || slices.Contains(unset(), "VI.3.9") {
				t.Error("a permanent class is due, or on the worklist")
			}
		})
		t.Run("Years", func(t *testing.T) {
			one := 1
			c, err := s.PatchClassRetention(ctx, officer, "VI.3.9", domain.RetentionPatch{SetYears: true, Years: &one}, "Delibera 7")
			if err != nil || c.RetentionPermanent || c.RetentionYears == nil || *c.RetentionYears != 1 {
				t.Fatalf("patch to one year: %+v, %v", c, err)
			}
			if !due() {
				t.Error("the dossier is not due again")
			}
		})
		t.Run("NoChangeNoHistory", func(t *testing.T) {
			one := 1
			if _, err := s.PatchClassRetention(ctx, officer, "VI.3.9", domain.RetentionPatch{SetYears: true, Years: &one}, ""); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("History", func(t *testing.T) {
			events, err := s.ClassHistory(ctx, officer, "VI.3.9")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range events {
				if e.Action == "class.retention_changed" {
					got = append(got, e.Field+" "+string(e.Old)+"→"+string(e.New)+" "+e.Detail+" by "+e.Actor)
				}
			}
			want := []string{`retention "1"→"" Revisione del piano by ro`, `retention ""→"permanent"  by adm`, `retention "permanent"→"1" Delibera 7 by ro`}
			if !slices.Equal(got, want) {
				t.Errorf("history\n%q\nwant\n%q", got, want)
			}
			if _, err := s.ClassHistory(ctx, operator, "VI.3.9"); !domain.IsCode(err, domain.ECForbidden) {
				t.Errorf("an operator reads the history: %v", err)
			}
			if _, err := s.ClassHistory(ctx, officer, "XIV.99"); !domain.IsCode(err, domain.ECNotFound) {
				t.Errorf("history of an unknown class: %v", err)
			}
		})
		t.Run("Schedule", func(t *testing.T) {
			changes, lines, err := domain.ParseRetentionCSV(strings.NewReader("retention_years,code\n10,VI.3\npermanente,I.1\n,VI.3.9\n"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.SetClassRetentions(ctx, officer, changes, lines, "Piano di conservazione 2026")
			if err != nil || len(out) != 3 {
				t.Fatalf("schedule: %+v, %v", out, err)
			}
			if due() || !slices.Contains(unset(), "VI.3.9") || slices.Contains(unset(), "VI.3") || slices.Contains(unset(), "I.1") {
				t.Error("the schedule was not applied")
			}
			c, _ := s.Class(ctx, officer, "I.1")
			if !c.Class.RetentionPermanent {
				t.Errorf("I.1 %+v", c.Class)
			}
		})
		for name, tc := range map[string]struct {
			p           domain.Principal
			code        string
			patch       domain.RetentionPatch
			reason      string
			errCode     domain.ErrorCode
			field       string
			csv, csvErr string
		}{
			"ErrOperator":       {p: operator, code: "VI.3", patch: domain.RetentionPatch{SetPermanent: true, Permanent: true}, errCode: domain.ECForbidden},
			"ErrUnknownClass":   {p: officer, code: "XIV.99", patch: domain.RetentionPatch{SetPermanent: true, Permanent: true}, errCode: domain.ECNotFound},
			"ErrNothing":        {p: officer, code: "VI.3", errCode: domain.ECValidation, field: "body"},
			"ErrZeroYears":      {p: officer, code: "VI.3", patch: domain.RetentionPatch{SetYears: true, Years: new(0)}, errCode: domain.ECValidation, field: "retention_years"},
			"ErrThousandYears":  {p: officer, code: "VI.3", patch: domain.RetentionPatch{SetYears: true, Years: new(1000)}, errCode: domain.ECValidation, field: "retention_years"},
			"ErrBoth":           {p: officer, code: "VI.3", patch: domain.RetentionPatch{SetYears: true, Years: new(5), SetPermanent: true, Permanent: true}, errCode: domain.ECValidation, field: "retention_permanent"},
			"ErrLongReason":     {p: officer, code: "VI.3", patch: domain.RetentionPatch{SetPermanent: true}, reason: strings.Repeat("x", 501), errCode: domain.ECValidation, field: "reason"},
			"ErrCSVUnknownCode": {csv: "code,retention_years\nVI.3,5\nXIV.99,5\n", errCode: domain.ECValidation, field: "line 3: code"},
			"ErrCSVBadValue":    {csv: "code,retention_years\nVI.3,sempre\n", csvErr: "line 2: retention_years"},
			"ErrCSVTooLong":     {csv: "code,retention_years\nVI.3,1000\n", errCode: domain.ECValidation, field: "line 2: retention_years"},
			"ErrCSVTwice":       {csv: "code,retention_years\nVI.3,5\nVI.3,6\n", csvErr: "line 3: code"},
			"ErrCSVNoCode":      {csv: "retention_years\n5\n", csvErr: "line 1: code"},
		} {
			t.Run(name, func(t *testing.T) {
				if tc.csv != "" {
					changes, lines, err := domain.ParseRetentionCSV(strings.NewReader(tc.csv))
					if tc.csvErr != "" {
						wantField(t, err, domain.ECValidation, tc.csvErr)
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					_, err = s.SetClassRetentions(ctx, officer, changes, lines, "")
					wantField(t, err, tc.errCode, tc.field)
					if c, _ := s.Class(ctx, officer, "VI.3"); c.Class.RetentionYears == nil || *c.Class.RetentionYears != 10 {
						t.Errorf("VI.3 changed by a refused schedule: %+v", c.Class)
					}
					return
				}
				_, err := s.PatchClassRetention(ctx, tc.p, tc.code, tc.patch, tc.reason)
				if tc.field == "" {
					if !domain.IsCode(err, tc.errCode) {
						t.Errorf("error %v, want %s", err, tc.errCode)
					}
					return
				}
				wantField(t, err, tc.errCode, tc.field)
			})
		}
	})
}

// TestParseClassesCSVRetention: the retention_years column of a scheme in CSV reads a number of
// years, "permanent" (or "permanente") or empty for not set.
func TestParseClassesCSVRetention(t *testing.T) {
	cs, _, err := domain.ParseClassesCSV(strings.NewReader("code,level,parent,title,retention_years\nXV,1,,A,10\nXVI,1,,B,Permanent\nXVII,1,,C,\n"), "2026-01-01")
	if err != nil {
		t.Fatal(err)
	}
	if cs[0].RetentionYears == nil || *cs[0].RetentionYears != 10 || cs[0].RetentionPermanent ||
		cs[1].RetentionYears != nil || !cs[1].RetentionPermanent || cs[2].RetentionSet() {
		t.Errorf("classes %+v", cs)
	}
	_, _, err = domain.ParseClassesCSV(strings.NewReader("code,level,parent,title,retention_years\nXV,1,,A,per sempre\n"), "2026-01-01")
	wantField(t, err, domain.ECValidation, "line 2: retention_years")
}
