package domain_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// disposable returns a service with a class VI.3.9 kept one year and a closed dossier in it
// holding an unregistered document, and moves the service's clock two years on: the dossier is
// due for disposal today.
func disposable(t *testing.T, url string) (*domain.Service, *domain.Dossier, *domain.Document) {
	t.Helper()
	ctx := context.Background()
	s := newService(t, url)
	one := 1
	if _, _, err := s.CreateClasses(ctx, admin, []domain.Class{{Code: "VI.3.9", Parent: "VI.3", Title: "Atti minori",
		RetentionYears: &one, ValidFrom: "2010-01-01"}}, domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	digest, size, err := s.StoreContent(ctx, operator, bytes.NewReader([]byte("bozza interna")))
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := s.CreateDocument(ctx, operator, domain.NewDocument{Subject: "Bozza", Class: "VI.3.9", Offices: []string{"TEC"},
		File: &domain.File{Filename: "bozza.txt", MediaType: "text/plain", Size: size, SHA256: digest}}, domain.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := s.CreateDossier(ctx, operator, domain.NewDossier{Class: "VI.3.9", Subject: "Pratica", Type: domain.DossierProcedimento, Office: "TEC"}, domain.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FileInDossier(ctx, operator, d.ID, domain.DossierItemRequest{Document: doc.ID}, domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CloseDossier(ctx, operator, d.ID, domain.DossierClosing{Reason: "Concluso"}, domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	later := time.Now().AddDate(2, 0, 0)
	s.Now = func() time.Time { return later }
	return s, d, doc
}

// holdingStore places a hold through the real store just before the disposal's transaction:
// a hold placed after the disposal was planned and checked.
type holdingStore struct {
	domain.Store
	hold domain.Hold
}

func (h holdingStore) CreateDisposal(ctx context.Context, d *domain.Disposal, t domain.DisposalTargets, w domain.Write) error {
	if err := h.Store.CreateHold(ctx, h.hold, domain.Write{}); err != nil {
		return err
	}
	return h.Store.CreateDisposal(ctx, d, t, w)
}

// TestDisposalRechecksHoldsInItsTransaction: a hold placed between the disposal's checks and
// its transaction stops the disposal, for a hold on the dossier and on the class alike.
func TestDisposalRechecksHoldsInItsTransaction(t *testing.T) {
	for _, c := range []struct {
		name string
		hold func(d *domain.Dossier) domain.Hold
	}{
		{"DossierHold", func(d *domain.Dossier) domain.Hold { return domain.Hold{Dossier: d.ID} }},
		{"ClassHold", func(*domain.Dossier) domain.Hold { return domain.Hold{Class: "VI"} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, url string) {
				ctx := context.Background()
				s, d, doc := disposable(t, url)
				h := c.hold(d)
				h.ID, h.Reason, h.CreatedAt, h.CreatedBy = domain.NewID(), "Contenzioso", s.Now(), officer.ID
				s.Store = holdingStore{Store: s.Store, hold: h}
				_, _, err := s.Dispose(ctx, officer, domain.NewDisposal{Authorization: "Soprintendenza 1/2026", Items: []string{d.Identifier}}, domain.Idempotency{})
				if !domain.IsCode(err, domain.ECConflict) {
					t.Fatalf("Dispose under a hold placed meanwhile = %v, want conflict", err)
				}
				after, err := s.Dossier(ctx, officer, d.ID)
				if err != nil || after.Status != domain.DossierClosed {
					t.Fatalf("dossier %v after a refused disposal, %v", after.Status, err)
				}
				if _, rc, err := s.OpenDocument(ctx, officer, doc.ID); err != nil {
					t.Fatalf("document content after a refused disposal: %v", err)
				} else {
					rc.Close()
				}
			})
		})
	}
}

// deleteFailingBlobs is a blob store whose deletions fail: the process dies, or the disk does,
// right after the disposal committed.
type deleteFailingBlobs struct{ domain.BlobStore }

func (deleteFailingBlobs) Delete(context.Context, string) error { return errDisk }

// TestFinishDisposals: content a committed disposal failed to destroy stays pending in the
// database, and the sweep destroys it later; a document disposed with its dossier is gone.
func TestFinishDisposals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s, d, doc := disposable(t, url)
		healthy := s.Blobs
		s.Blobs = deleteFailingBlobs{healthy}
		rec, _, err := s.Dispose(ctx, officer, domain.NewDisposal{Authorization: "Soprintendenza 1/2026", Items: []string{d.Identifier}}, domain.Idempotency{})
		if !errors.Is(err, errDisk) || rec == nil {
			t.Fatalf("Dispose with failing deletions = %v, %v; want the record and the error", rec, err)
		}
		if len(rec.Items) != 2 || rec.Items[1].Kind != domain.ItemDocument || rec.Items[1].Files[0].SHA256 != doc.File.SHA256 {
			t.Fatalf("disposal items %+v", rec.Items)
		}
		if ok, _ := healthy.Exists(ctx, doc.File.SHA256); !ok {
			t.Fatal("content gone although its deletion failed")
		}
		pending, err := s.Store.PendingContent(ctx)
		if err != nil || len(pending) != 1 || pending[0] != doc.File.SHA256 {
			t.Fatalf("pending %v, %v", pending, err)
		}
		if _, _, err := s.OpenDocument(ctx, officer, doc.ID); !domain.IsCode(err, domain.ECGone) {
			t.Fatalf("content of a disposed document: %v, want gone", err)
		}

		s.Blobs = healthy
		n, err := s.FinishDisposals(ctx)
		if err != nil || n != 1 {
			t.Fatalf("FinishDisposals = %d, %v", n, err)
		}
		if ok, _ := healthy.Exists(ctx, doc.File.SHA256); ok {
			t.Fatal("the sweep left the disposed content on disk")
		}
		if pending, err := s.Store.PendingContent(ctx); err != nil || len(pending) != 0 {
			t.Fatalf("pending after the sweep %v, %v", pending, err)
		}
	})
}
