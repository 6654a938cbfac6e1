package storage

import (
	"testing"
	"time"

	"github.com/sportello/sportello/internal/testdb"
	"github.com/sportello/sportello/storage/migrations"
)

// TestMigration38KeepsWebhookRows: SQLite's version 38 rebuilds webhook_events and
// webhook_deliveries (a NOT NULL cannot be dropped in place; PostgreSQL alters the column) with
// foreign keys enforced: an installation with events and deliveries upgrades with every row
// kept, every reference intact, and the new rule (a case or a registration, exactly one).
func TestMigration38KeepsWebhookRows(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, testdb.URL(t, testdb.SQLite), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ms, err := migrations.For(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	var v38 migrations.Migration
	for _, m := range ms {
		if m.Version == 38 {
			v38 = m
			break
		}
		if _, err := db.apply(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// Rows of version 37, written without the foreign keys so that a case needs no catalogue.
	for _, q := range []string{
		`PRAGMA foreign_keys = OFF`,
		`INSERT INTO clients (id, name, roles, offices, created_at) VALUES ('p', 'Portale', '["portal"]', '[]', '2026-01-01T00:00:00Z')`,
		`INSERT INTO webhooks (client_id, url, secret, created_at) VALUES ('p', 'https://portal.example/hook', 's', '2026-01-01T00:00:00Z')`,
		`INSERT INTO cases (id, procedure_code, portal_id, applicant, status, form, office, registration_id, dossier_id,
			submitted_at, silence_is_consent, due_date, position)
			VALUES ('c1', 'scia', 'p', 'X', 'submitted', '{}', 'TEC', 'r1', 'd1', '2026-01-01T00:00:00Z', 0, '2026-02-01', 1)`,
		`INSERT INTO webhook_events (id, client_id, case_id, kind, payload, created_at, next_attempt_at)
			VALUES ('e1', 'p', 'c1', 'case.submitted', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
			       ('e2', 'p', 'c1', 'case.message', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO webhook_deliveries (event_id, client_id, attempt, attempted_at, status_code, error, delivered)
			VALUES ('e1', 'p', 1, '2026-01-01T00:00:01Z', 503, 'endpoint answered 503', 0)`,
		`PRAGMA foreign_keys = ON`,
	} {
		if err := db.w.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.apply(ctx, v38); err != nil {
		t.Fatalf("version 38 on a database with webhook rows: %v", err)
	}
	var events, deliveries, broken int
	if err := db.w.Raw(`SELECT (SELECT count(*) FROM webhook_events), (SELECT count(*) FROM webhook_deliveries),
		(SELECT count(*) FROM pragma_foreign_key_check('webhook_deliveries')) + (SELECT count(*) FROM pragma_foreign_key_check('webhook_events'))`).
		Row().Scan(&events, &deliveries, &broken); err != nil {
		t.Fatal(err)
	}
	if events != 2 || deliveries != 1 || broken != 0 {
		t.Fatalf("after version 38: %d events, %d deliveries, %d broken references", events, deliveries, broken)
	}
	due, err := db.DueWebhookEvents(ctx, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 10)
	if err != nil || len(due) != 1 || due[0].ID != "e1" || due[0].CaseID != "c1" {
		t.Fatalf("due after version 38: %+v, %v", due, err)
	}
	if err := db.w.Exec(`INSERT INTO webhook_events (id, client_id, kind, payload, created_at, next_attempt_at)
		VALUES ('e3', 'p', 'assignment.created', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`).Error; err == nil {
		t.Fatal("an event of neither a case nor a registration was accepted")
	}
	if err := db.w.Exec(`INSERT INTO webhook_deliveries (event_id, client_id, attempt, attempted_at, status_code, error, delivered)
		VALUES ('nope', 'p', 1, '2026-01-01T00:00:01Z', 503, 'x', 0)`).Error; err == nil {
		t.Fatal("a delivery of no event was accepted: the reference to webhook_events is lost")
	}
}
