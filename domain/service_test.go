package domain_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/blob"
	"github.com/sportello/sportello/storage/storagetest"
)

var (
	operator = domain.Principal{ID: "op", Name: "Operatore", Roles: []domain.Role{domain.RoleProtocolOperator}}
	officer  = domain.Principal{ID: "ro", Name: "Responsabile", Roles: []domain.Role{domain.RoleRecordsOfficer}}
	clerkTEC = domain.Principal{ID: "cl", Name: "Impiegato", Roles: []domain.Role{domain.RoleClerk}, Offices: []string{"TEC"}}
)

// failingBlobs is a blob store that has lost its disk.
type failingBlobs struct{ domain.BlobStore }

var errDisk = errors.New("disk gone")

func (failingBlobs) Exists(context.Context, string) (bool, error) { return false, errDisk }

// newService returns a service on a fresh database of the engine and a temporary blob store.
func newService(t testing.TB, url string) *domain.Service {
	t.Helper()
	db := storagetest.Open(t, url)
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rome, _ := time.LoadLocation("Europe/Rome")
	s := domain.NewService(db, blobs, rome)
	if _, err := s.Bootstrap(context.Background(), domain.AOO{IPACode: "c_h501", Code: "A1B2C3D", Name: "Comune"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := s.CreateOffice(ctx, domain.Principal{ID: "adm", Roles: []domain.Role{domain.RoleAdmin}}, domain.Office{Code: "TEC", Name: "Ufficio tecnico"}, domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	return s
}

func input(t testing.TB, s *domain.Service, subject string) domain.NewRegistration {
	t.Helper()
	digest, size, err := s.StoreContent(context.Background(), operator, bytes.NewReader([]byte(subject)))
	if err != nil {
		t.Fatal(err)
	}
	return domain.NewRegistration{
		Direction: domain.Incoming, Subject: subject,
		Correspondents: []domain.Correspondent{{Role: domain.RoleSender, Type: domain.TypePerson, Name: "Anna Bianchi"}},
		Document:       &domain.File{Filename: "doc.txt", MediaType: "text/plain", Size: size, SHA256: digest},
	}
}

func TestRegisterFailureConsumesNoNumber(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := newService(t, url)
		in := input(t, s, "prima")
		healthy := s.Blobs
		s.Blobs = failingBlobs{healthy}
		if _, _, err := s.Register(ctx, operator, in, domain.Idempotency{}); !errors.Is(err, errDisk) {
			t.Fatalf("Register with a failing blob store = %v", err)
		}
		missing := input(t, s, "seconda")
		missing.Document.SHA256 = "0000000000000000000000000000000000000000000000000000000000000000"
		s.Blobs = healthy
		if _, _, err := s.Register(ctx, operator, missing, domain.Idempotency{}); !domain.IsCode(err, domain.ECValidation) {
			t.Fatalf("Register with content not stored = %v, want validation_failed", err)
		}
		page, err := s.Registrations(ctx, officer, domain.RegistrationFilter{})
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("after failures: %d rows, %v", len(page.Items), err)
		}
		r, _, err := s.Register(ctx, operator, in, domain.Idempotency{})
		if err != nil || r.Number != 1 {
			t.Fatalf("next registration: number %v, %v; want 1", r, err)
		}
	})
}

// TestStoreContentNeedsUploadingRole: those who register documents, directly or as clerks
// through their cases' messages and final acts, may upload; an admin may not.
func TestStoreContentNeedsUploadingRole(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := newService(t, url)
		admin := domain.Principal{ID: "admin", Name: "admin", Roles: []domain.Role{domain.RoleAdmin}}
		if _, _, err := s.StoreContent(context.Background(), admin, bytes.NewReader([]byte("x"))); !domain.IsCode(err, domain.ECForbidden) {
			t.Fatalf("admin uploading: %v, want forbidden", err)
		}
		if _, _, err := s.StoreContent(context.Background(), clerkTEC, bytes.NewReader([]byte("x"))); err != nil {
			t.Fatalf("clerk uploading: %v", err)
		}
	})
}

func TestRegisterUnknownRegisterAndOffice(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := newService(t, url)
		in := input(t, s, "x")
		in.Register = "NOPE"
		if _, _, err := s.Register(ctx, operator, in, domain.Idempotency{}); !domain.IsCode(err, domain.ECValidation) {
			t.Fatalf("unknown register: %v, want validation_failed", err)
		}
		in = input(t, s, "x")
		in.Offices = []string{"TEC", "GHOST"}
		if _, _, err := s.Register(ctx, operator, in, domain.Idempotency{}); !domain.IsCode(err, domain.ECValidation) {
			t.Fatalf("unknown office: %v, want validation_failed", err)
		}
	})
}

func TestIdempotency(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := newService(t, url)
		in := input(t, s, "istanza")
		key := domain.Idempotency{Key: "k1", Hash: "h1"}
		first, replayed, err := s.Register(ctx, operator, in, key)
		if err != nil || replayed {
			t.Fatalf("first: %v, replayed %v", err, replayed)
		}
		again, replayed, err := s.Register(ctx, operator, in, key)
		if err != nil || !replayed || again.ID != first.ID || again.Number != first.Number {
			t.Fatalf("replay: %v, replayed %v, same %v", err, replayed, again != nil && again.ID == first.ID)
		}
		_, _, err = s.Register(ctx, operator, in, domain.Idempotency{Key: "k1", Hash: "other"})
		if !domain.IsCode(err, domain.ECIdempotencyMismatch) {
			t.Fatalf("same key, other request: %v", err)
		}
		// Keys belong to a principal: another principal's k1 is a new request.
		other := domain.Principal{ID: "op2", Roles: operator.Roles}
		r, replayed, err := s.Register(ctx, other, in, key)
		if err != nil || replayed || r.Number != 2 {
			t.Fatalf("other principal's key: %v, replayed %v", err, replayed)
		}
	})
}

func TestAnnul(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := newService(t, url)
		r, _, err := s.Register(ctx, operator, input(t, s, "da annullare"), domain.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		ok := domain.AnnulmentRequest{Reason: "errore materiale", Authorization: "Determina n. 12 del 2026-11-28"}
		t.Run("ErrForbiddenForOperator", func(t *testing.T) {
			if _, _, err := s.Annul(ctx, operator, r.Ref(), ok, domain.Idempotency{}); !domain.IsCode(err, domain.ECForbidden) {
				t.Fatalf("%v", err)
			}
		})
		t.Run("ErrAuthorizationRequired", func(t *testing.T) {
			if _, _, err := s.Annul(ctx, officer, r.Ref(), domain.AnnulmentRequest{Reason: "x"}, domain.Idempotency{}); !domain.IsCode(err, domain.ECValidation) {
				t.Fatalf("%v", err)
			}
		})
		t.Run("AnnulledStaysReadable", func(t *testing.T) {
			a, _, err := s.Annul(ctx, officer, r.Ref(), ok, domain.Idempotency{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Registration(ctx, operator, r.Ref())
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != domain.StatusAnnulled || got.Annulment == nil || got.Annulment.By != officer.ID ||
				got.Annulment.Authorization != ok.Authorization || got.Subject != r.Subject || got.Document != r.Document {
				t.Fatalf("annulled registration reads back as %+v (annul returned %+v)", got, a.Annulment)
			}
		})
		t.Run("ErrConflictTwice", func(t *testing.T) {
			if _, _, err := s.Annul(ctx, officer, r.Ref(), ok, domain.Idempotency{}); !domain.IsCode(err, domain.ECConflict) {
				t.Fatalf("%v", err)
			}
		})
		t.Run("NumberNeverReused", func(t *testing.T) {
			next, _, err := s.Register(ctx, operator, input(t, s, "successiva"), domain.Idempotency{})
			if err != nil || next.Number != r.Number+1 {
				t.Fatalf("next number %v, %v", next, err)
			}
		})
		t.Run("HistoryRecordsIt", func(t *testing.T) {
			h, err := s.History(ctx, officer, r.Ref())
			if err != nil {
				t.Fatal(err)
			}
			last := h[len(h)-1]
			if len(h) != 2 || h[0].Action != "registration.created" || last.Action != "registration.annulled" || last.Actor != officer.ID {
				t.Fatalf("history %+v", h)
			}
		})
	})
}

func TestUpdateRegistration(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := newService(t, url)
		r, _, err := s.Register(ctx, operator, input(t, s, "assegnazione"), domain.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		class, offices := "VI.3", []string{"TEC"}
		if _, err := s.UpdateRegistration(ctx, clerkTEC, r.Ref(), domain.RegistrationPatch{Class: &class}); !domain.IsCode(err, domain.ECForbidden) {
			t.Fatalf("clerk changing class: %v", err)
		}
		got, err := s.UpdateRegistration(ctx, operator, r.Ref(), domain.RegistrationPatch{Class: &class, Offices: &offices})
		if err != nil || got.Class != class || len(got.Offices) != 1 {
			t.Fatalf("update: %+v, %v", got, err)
		}
		// Now assigned to TEC, the clerk of TEC sees it.
		if _, err := s.Registration(ctx, clerkTEC, r.Ref()); err != nil {
			t.Fatalf("clerk of the assigned office: %v", err)
		}
		h, err := s.History(ctx, operator, r.Ref())
		if err != nil {
			t.Fatal(err)
		}
		var fields []string
		for _, e := range h[1:] {
			if e.Actor != operator.ID || e.At.IsZero() {
				t.Fatalf("change without who/when: %+v", e)
			}
			fields = append(fields, e.Field+":"+string(e.Old)+"→"+string(e.New))
		}
		want := []string{`class:""→"VI.3"`, `offices:[]→["TEC"]`}
		if len(fields) != 2 || fields[0] != want[0] || fields[1] != want[1] {
			t.Fatalf("history %v, want %v", fields, want)
		}
	})
}
