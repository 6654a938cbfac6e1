package domain_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestRegisterImportRows: a batch numbers its new rows consecutively in order; a row refused by
// the checks fails alone, taking no number; a row whose key was used (by an earlier batch, or
// by the import tool's request through the API, whose hash differs) is answered with its
// registration; a key the database refuses (twice in one batch) sends the batch's rows one at
// a time, in order.
func TestRegisterImportRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := newService(t, url)
		importer := domain.Principal{ID: "imp", Name: "Scanner", Roles: []domain.Role{domain.RoleImporter}}
		row := func(subject string) domain.ImportRowRegistration {
			return domain.ImportRowRegistration{In: input(t, s, subject), Key: "import-" + strings.ReplaceAll(subject, " ", "-")}
		}
		bad := row("senza classe")
		bad.In.Class = "VI.99"
		rows := []domain.ImportRowRegistration{row("uno"), bad, row("due"), row("tre")}
		res, err := s.RegisterImportRows(ctx, importer, rows)
		if err != nil {
			t.Fatal(err)
		}
		if !domain.IsCode(res[1].Err, domain.ECValidation) || res[1].Registration != nil {
			t.Errorf("the row with an unknown class: %+v", res[1])
		}
		for i, want := range map[int]int64{0: 1, 2: 2, 3: 3} {
			if res[i].Err != nil || res[i].Registration.Number != want {
				t.Errorf("row %d: %+v, want number %d", i, res[i], want)
			}
		}
		// The tool registered "quattro" through the API, with another request hash.
		tool := row("quattro")
		if _, _, err := s.Register(ctx, importer, tool.In, domain.Idempotency{Key: tool.Key, Hash: "api-fingerprint"}); err != nil {
			t.Fatal(err)
		}
		res, err = s.RegisterImportRows(ctx, importer, []domain.ImportRowRegistration{rows[0], tool, row("cinque")})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Registration.Number != 1 || res[1].Registration.Number != 4 || res[2].Registration.Number != 5 {
			t.Errorf("numbers %d %d %d, want 1 (answered), 4 (the tool's), 5", res[0].Registration.Number,
				res[1].Registration.Number, res[2].Registration.Number)
		}
		// Two rows with one key in a batch: the database refuses the second record, and the
		// batch goes one row at a time: the first registered, the second answered.
		six := row("sei")
		res, err = s.RegisterImportRows(ctx, importer, []domain.ImportRowRegistration{six, six, row("sette")})
		if err != nil || res[0].Registration.Number != 6 || res[1].Registration.ID != res[0].Registration.ID ||
			res[2].Registration.Number != 7 {
			t.Errorf("one key twice: %+v, %v", res, err)
		}
		if _, err := s.RegisterImportRows(ctx, domain.Principal{ID: "adm", Roles: []domain.Role{domain.RoleAdmin}}, rows); !domain.IsCode(err, domain.ECForbidden) {
			t.Errorf("an admin's batch: %v", err)
		}
		var many []domain.ImportRowRegistration
		for i := range domain.MaxImportBatch + 1 {
			many = append(many, row(fmt.Sprint("riga ", i)))
		}
		if _, err := s.RegisterImportRows(ctx, importer, many); !domain.IsCode(err, domain.ECValidation) {
			t.Errorf("a batch of %d: %v", len(many), err)
		}
	})
}

// TestImportAccess: an import is seen and cancelled by its creator and admins only (not_found
// to others); cancelling an import that has ended is a conflict; only those who register may
// import.
func TestImportAccess(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := newService(t, url)
		importer := domain.Principal{ID: "imp", Roles: []domain.Role{domain.RoleImporter}}
		admin := domain.Principal{ID: "adm", Roles: []domain.Role{domain.RoleAdmin}}
		in := domain.NewImport{Filename: "a.zip", SHA256: strings.Repeat("ab", 32), Size: 10}
		if _, _, err := s.CreateImport(ctx, admin, in, domain.Idempotency{}); !domain.IsCode(err, domain.ECForbidden) {
			t.Errorf("an admin's import: %v", err)
		}
		im, _, err := s.CreateImport(ctx, importer, in, domain.Idempotency{Key: "k", Hash: "h"})
		if err != nil || im.State != domain.ImportQueued {
			t.Fatalf("%+v, %v", im, err)
		}
		again, replayed, err := s.CreateImport(ctx, importer, in, domain.Idempotency{Key: "k", Hash: "h"})
		if err != nil || !replayed || again.ID != im.ID {
			t.Errorf("retried: %+v %v %v", again, replayed, err)
		}
		if _, err := s.Import(ctx, operator, im.ID); !domain.IsCode(err, domain.ECNotFound) {
			t.Errorf("another principal reads: %v", err)
		}
		if _, err := s.CancelImport(ctx, operator, im.ID); !domain.IsCode(err, domain.ECNotFound) {
			t.Errorf("another principal cancels: %v", err)
		}
		if _, err := s.Import(ctx, admin, im.ID); err != nil {
			t.Errorf("the admin reads: %v", err)
		}
		if list, err := s.Imports(ctx, operator, 10); err != nil || len(list) != 0 {
			t.Errorf("the operator's imports: %v, %v", list, err)
		}
		if list, err := s.Imports(ctx, admin, 10); err != nil || len(list) != 1 {
			t.Errorf("the admin's imports: %v, %v", list, err)
		}
		c, err := s.CancelImport(ctx, importer, im.ID)
		if err != nil || c.State != domain.ImportCancelled {
			t.Fatalf("cancel: %+v, %v", c, err)
		}
		if _, err := s.CancelImport(ctx, admin, im.ID); !domain.IsCode(err, domain.ECConflict) {
			t.Errorf("cancel again: %v", err)
		}
	})
}
