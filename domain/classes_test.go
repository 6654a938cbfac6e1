package domain_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

var admin = domain.Principal{ID: "adm", Name: "Admin", Roles: []domain.Role{domain.RoleAdmin}}

func TestShippedTitolario(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := newService(t, url)
		ctx := t.Context()
		count := func() (titoli, classi int) {
			cs, err := s.Classes(ctx, operator, domain.ClassFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				switch c.Level {
				case 1:
					titoli++
				case 2:
					classi++
				}
			}
			return titoli, classi
		}
		if titoli, classi := count(); titoli != 14 || classi != 125 {
			t.Errorf("%d titoli and %d classi, want 14 and 125", titoli, classi)
		}
		t.Run("BootstrapAgainLoadsNothing", func(t *testing.T) {
			if _, err := s.Bootstrap(ctx, domain.AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune"}); err != nil {
				t.Fatal(err)
			}
			if titoli, classi := count(); titoli != 14 || classi != 125 {
				t.Errorf("%d titoli and %d classi after a second bootstrap", titoli, classi)
			}
		})
		t.Run("Audited", func(t *testing.T) {
			if events, err := s.Store.Audit(ctx, domain.KindClass, "VI.3"); err != nil || len(events) != 1 || events[0].Actor != "system" {
				t.Errorf("audit %+v, %v", events, err)
			}
		})
	})
}

func TestCreateClassesRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := newService(t, url)
		ctx := t.Context()
		create := func(cs ...domain.Class) error {
			_, _, err := s.CreateClasses(ctx, admin, cs, domain.Idempotency{})
			return err
		}
		t.Run("ErrForbidden", func(t *testing.T) {
			if _, _, err := s.CreateClasses(ctx, operator, []domain.Class{{Code: "XV", Title: "x"}}, domain.Idempotency{}); !domain.IsCode(err, domain.ECForbidden) {
				t.Errorf("operator: %v", err)
			}
		})
		t.Run("ErrChildOutlivesParent", func(t *testing.T) {
			err := create(
				domain.Class{Code: "XV", Title: "Temporaneo", ValidFrom: "2027-01-01", ValidTo: "2027-12-31"},
				domain.Class{Code: "XV.1", Parent: "XV", Title: "Figlio", ValidFrom: "2027-01-01"},
			)
			wantField(t, err, domain.ECValidation, "[1].valid_from")
			err = create(domain.Class{Code: "VI.3.1", Parent: "VI.3", Title: "Prima dello schema", ValidFrom: "2000-01-01"})
			wantField(t, err, domain.ECValidation, "[0].valid_from")
		})
		t.Run("ErrShape", func(t *testing.T) {
			wantField(t, create(domain.Class{Code: "VI.3.1.1", Parent: "VI.3.1", Title: "x"}), domain.ECValidation, "[0].level")
			wantField(t, create(domain.Class{Code: "VI.3.1", Parent: "VI", Title: "x"}), domain.ECValidation, "[0].parent")
			zero := 0
			wantField(t, create(domain.Class{Code: "VI.3.1", Parent: "VI.3", Title: "x", RetentionYears: &zero}), domain.ECValidation, "[0].retention_years")
		})
		t.Run("DefaultsToToday", func(t *testing.T) {
			s.Now = func() time.Time { return time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC) } // 1 January in Rome
			cs, _, err := s.CreateClasses(ctx, admin, []domain.Class{{Code: "VI.3.1", Parent: "VI.3", Title: "Oggi"}}, domain.Idempotency{})
			if err != nil || cs[0].ValidFrom != "2027-01-01" || cs[0].Level != 3 {
				t.Errorf("%+v, %v", cs, err)
			}
		})
	})
}

func TestRegisterClassChecked(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := newService(t, url)
		ctx := t.Context()
		s.Now = func() time.Time { return time.Date(2026, 12, 31, 22, 30, 0, 0, time.UTC) } // 23:30 in Rome
		if _, _, err := s.CloseClass(ctx, admin, "VI.3", domain.ClassClosing{From: "2027-01-01", Reason: "riordino"}, domain.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		in := input(t, s, "Ultimo giorno")
		in.Class = "VI.3"
		r, _, err := s.Register(ctx, operator, in, domain.Idempotency{})
		if err != nil || r.Date != "2026-12-31" {
			t.Fatalf("on the last valid day: %+v, %v", r, err)
		}
		s.Now = func() time.Time { return time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC) } // 00:30 on 1 January in Rome
		in = input(t, s, "Primo giorno")
		in.Class = "VI.3"
		_, _, err = s.Register(ctx, operator, in, domain.Idempotency{})
		wantField(t, err, domain.ECValidation, "class")
		if events, _ := s.Store.Audit(ctx, domain.KindClass, "VI.3"); len(events) != 2 || events[1].Detail != "riordino" {
			t.Errorf("audit %+v", events)
		}
	})
}

func wantField(t *testing.T, err error, code domain.ErrorCode, field string) {
	t.Helper()
	var e *domain.Error
	if !domain.IsCode(err, code) || !errors.As(err, &e) || len(e.Fields) == 0 || e.Fields[0].Field != field {
		t.Errorf("error %v: want %s naming %s", err, code, field)
	}
}

// BenchmarkClassTree lists a scheme of about 2,000 classes (the shipped 139 plus 15 sottoclassi
// under each classe) through the service and nests it as GET /v1/classes does.
//
//	go test ./domain -run '^$' -bench ClassTree
func BenchmarkClassTree(b *testing.B) {
	testdb.EachB(b, func(b *testing.B, url string) {
		s := newService(b, url)
		ctx := context.Background()
		classi, err := s.Classes(ctx, operator, domain.ClassFilter{})
		if err != nil {
			b.Fatal(err)
		}
		var more []domain.Class
		for _, c := range classi {
			if c.Level != 2 {
				continue
			}
			for i := 1; i <= 15; i++ {
				more = append(more, domain.Class{Code: fmt.Sprintf("%s.%d", c.Code, i), Parent: c.Code, Title: "Sottoclasse", ValidFrom: "2026-01-01"})
			}
		}
		if _, _, err := s.CreateClasses(ctx, admin, more, domain.Idempotency{}); err != nil {
			b.Fatal(err)
		}
		n := 0
		b.ResetTimer()
		for b.Loop() {
			cs, err := s.Classes(ctx, operator, domain.ClassFilter{})
			if err != nil {
				b.Fatal(err)
			}
			n = len(cs)
			_ = domain.ClassTree(cs)
		}
		b.ReportMetric(float64(n), "classes")
	})
}
