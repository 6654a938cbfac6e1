package storage_test

import (
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// TestAssignments: assignment rows are written in the registration's transaction, listed by
// office and state with counts, paged by seq, and guarded by the database: never deleted, their
// facts never changed, their state only forwards.
func TestAssignments(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		ctx := t.Context()
		r := f.register(t, newRegistration())
		at := testNow
		a := domain.Assignment{ID: "a1", RegistrationID: r.ID, Kind: domain.AssignCompetenza, Office: "TEC",
			State: domain.AssignmentPending, CreatedBy: "op", CreatedAt: at}
		b := domain.Assignment{ID: "a2", RegistrationID: r.ID, Kind: domain.AssignConoscenza, Office: "RAG",
			State: domain.AssignmentInformed, CreatedBy: "op", CreatedAt: at}
		if _, err := f.db.UpdateRegistration(ctx, r.ID, func(*domain.Registration) (domain.Write, error) {
			return domain.Write{Assignments: &domain.AssignmentWrite{Insert: []domain.Assignment{a, b}}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		got, err := f.db.Assignments(ctx, r.ID)
		if err != nil || len(got) != 2 || got[0].ID != "a1" || got[0].Registration != r.Identifier || got[1].State != "informed" {
			t.Fatalf("assignments %+v, %v", got, err)
		}
		if _, err := f.db.Assignment(ctx, "nope"); !domain.IsCode(err, domain.ECNotFound) {
			t.Fatalf("missing assignment: %v", err)
		}
		list, err := f.db.AssignmentWorklist(ctx, domain.AssignmentFilter{Offices: []string{"", "TEC"}, State: "pending", Limit: 10})
		if err != nil || len(list.Items) != 1 || list.Items[0].ID != "a1" || list.Counts["pending"] != 1 || list.More {
			t.Fatalf("TEC's pending worklist %+v, %v", list, err)
		}
		list, err = f.db.AssignmentWorklist(ctx, domain.AssignmentFilter{Limit: 1})
		if err != nil || len(list.Items) != 1 || !list.More {
			t.Fatalf("first page %+v, %v", list, err)
		}
		list, err = f.db.AssignmentWorklist(ctx, domain.AssignmentFilter{Limit: 1, After: list.Items[0].Seq})
		if err != nil || len(list.Items) != 1 || list.Items[0].ID != "a2" || list.More {
			t.Fatalf("second page %+v, %v", list, err)
		}

		t.Run("ErrDelete", func(t *testing.T) {
			wantRefused(t, f.exec(`DELETE FROM assignments WHERE id = 'a1'`), "delete refused")
		})
		t.Run("ErrImmutable", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE assignments SET office = 'URP' WHERE id = 'a1'`), "immutable column")
		})
		t.Run("ErrInformedChanges", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE assignments SET state = 'accepted' WHERE id = 'a2'`), "state may only go")
		})
		t.Run("AcceptedThenNotRejected", func(t *testing.T) {
			if err := f.exec(`UPDATE assignments SET state = 'accepted', decided_by = 'clerk' WHERE id = 'a1'`); err != nil {
				t.Fatal(err)
			}
			wantRefused(t, f.exec(`UPDATE assignments SET state = 'rejected' WHERE id = 'a1'`), "state may only go")
			if err := f.exec(`UPDATE assignments SET state = 'superseded' WHERE id = 'a1'`); err != nil {
				t.Fatal(err)
			}
		})
	})
}
