package storage_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/testdb"
)

// mutableColumns are the registration columns the database lets change (M1, M3).
var mutableColumns = []string{"class", "dossiers", "position", "status", "annulled_at", "annulled_by",
	"annulled_by_name", "annulment_reason", "annulment_authorization",
	// Set once, from null, by a disposal (TestDisposalGuards).
	"disposal_id", "disposed_at",
	// Changed by a records officer with a reason in the history (ChangeConfidentiality).
	"confidential"}

// immutableUpdates changes each immutable column of registration row 1, as SQL valid on both
// engines. TestGuards checks that it covers every column the table has.
var immutableUpdates = map[string]string{
	"seq":              "seq = seq + 100",
	"id":               "id = id || 'x'",
	"register_code":    "register_code = 'DEL'",
	"year":             "year = year + 1",
	"number":           "number = number + 1",
	"identifier":       "identifier = identifier || 'x'",
	"registered_at":    "registered_at = ?",
	"reg_date":         "reg_date = '2026-11-29'",
	"received_on":      "received_on = reg_date", // a date the column's check accepts: the guard refuses it
	"emergency_outage": "emergency_outage = 'another-outage'",
	"emergency_number": "emergency_number = 7",
	"emergency_date":   "emergency_date = reg_date",
	"image_copy":       `image_copy = '{"attested_by":"Mario Rossi"}'`,
	"direction":        "direction = 'outgoing'",
	"channel":          "channel = 'pec'",
	"subject":          "subject = 'Altro oggetto'",
	"correspondents":   `correspondents = '[{"role":"sender","type":"person","name":"Luigi Bianchi"}]'`,
	"sender_reference": `sender_reference = '{"number":"1","date":"2026-01-01"}'`,
	"in_reply_to":      "in_reply_to = identifier",
	"document":         "document = document || ' '",
	"attachments":      "attachments = '[]'",
	"created_by":       "created_by = 'someone-else'",
}

// TestGuards checks what the database itself refuses, through a raw connection that bypasses
// the storage package (M1, M3, N2).
func TestGuards(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		if err := f.exec(`INSERT INTO registers (code, name, created_at) VALUES ('DEL', 'Delibere', ?)`, tsArg(f)); err != nil {
			t.Fatal(err)
		}
		r := f.register(t, newRegistration())
		f.register(t, newRegistration())
		where := " WHERE id = '" + r.ID + "'"

		t.Run("EveryColumnCovered", func(t *testing.T) {
			for _, c := range columns(t, f, "registrations") {
				if _, ok := immutableUpdates[c]; !ok && !slices.Contains(mutableColumns, c) {
					t.Errorf("column %s is neither tested as immutable nor listed as mutable", c)
				}
			}
		})
		for col, set := range immutableUpdates {
			t.Run("ErrImmutable_"+col, func(t *testing.T) {
				var args []any
				if strings.Contains(set, "?") {
					args = append(args, tsArg(f))
				}
				err := f.exec("UPDATE registrations SET "+set+where, args...)
				wantRefused(t, err, "immutable column "+col)
			})
		}
		t.Run("ConfidentialChangeAllowed", func(t *testing.T) {
			if err := f.exec(`UPDATE registrations SET confidential = NOT confidential` + where); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("ClassChangeAllowed", func(t *testing.T) {
			if err := f.exec(`UPDATE registrations SET class = 'VII.1', dossiers = '["d1"]', position = position + 1` + where); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("ErrPositionBack", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE registrations SET position = position - 1`+where), "position cannot go back")
		})
		t.Run("ErrDeleteRegistration", func(t *testing.T) {
			wantRefused(t, f.exec(`DELETE FROM registrations`+where), "delete refused")
		})
		t.Run("ErrAnnulmentWhileActive", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE registrations SET annulled_by = 'x'`+where), "annulment cannot change")
		})
		annul := `UPDATE registrations SET status = 'annulled', annulled_at = ?, annulled_by = 'ro',
			annulled_by_name = 'Records officer', annulment_reason = 'errore', annulment_authorization = 'Decreto 1/2026'` + where
		t.Run("AnnulAllowed", func(t *testing.T) {
			if err := f.exec(annul, tsArg(f)); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("ErrAnnulTwice", func(t *testing.T) {
			again := strings.Replace(annul, "'errore'", "'di nuovo'", 1)
			wantRefused(t, f.exec(again, tsArg(f)), "an annulment cannot change")
		})
		t.Run("ErrChangeAnnulment", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE registrations SET annulment_reason = 'altro'`+where), "annulment cannot change")
		})
		t.Run("ErrAnnulledToActive", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE registrations SET status = 'active', annulled_at = NULL, annulled_by = NULL,
				annulled_by_name = NULL, annulment_reason = NULL, annulment_authorization = NULL`+where), "an annulment cannot change")
		})
		t.Run("ErrUpdateAuditEvent", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE audit_events SET actor = 'someone-else'`), "update refused")
		})
		t.Run("ErrDeleteAuditEvent", func(t *testing.T) {
			wantRefused(t, f.exec(`DELETE FROM audit_events`), "delete refused")
		})
		counter := ` WHERE register_code = 'PG' AND year = 2026`
		t.Run("ErrCounterDecrement", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE register_counters SET last_number = last_number - 1`+counter), "last_number may only go")
		})
		t.Run("ErrCounterSkip", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE register_counters SET last_number = last_number + 2`+counter), "last_number may only go")
		})
		t.Run("ErrCounterDelete", func(t *testing.T) {
			wantRefused(t, f.exec(`DELETE FROM register_counters`+counter), "delete refused")
		})
		// The counter moves only past numbers that registrations hold (checked at commit on
		// PostgreSQL): one step without a registration is a gap.
		t.Run("ErrCounterAheadOfRegistrations", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE register_counters SET last_number = last_number + 1`+counter),
				"the numbers registrations took")
		})
		t.Run("ErrNewCounterAheadOfRegistrations", func(t *testing.T) {
			wantRefused(t, f.exec(`INSERT INTO register_counters (register_code, year, last_number) VALUES ('DEL', 2026, 1)`),
				"the numbers registrations took")
		})
		t.Run("ErrAOOCodeChange", func(t *testing.T) {
			wantRefused(t, f.exec(`UPDATE aoos SET ipa_code = 'c_x000'`), "immutable column ipa_code")
		})
		t.Run("ErrSecondAOO", func(t *testing.T) {
			wantRefused(t, f.exec(`INSERT INTO aoos (code, ipa_code, name, created_at) VALUES ('B1B2C3D', 'c_x000', 'Altro', ?)`, tsArg(f)), "an AOO already exists")
		})
		if f.postgres() {
			for _, table := range []string{"registrations", "audit_events", "register_counters"} {
				t.Run("ErrTruncate_"+table, func(t *testing.T) {
					wantRefused(t, f.exec(`TRUNCATE `+table+` CASCADE`), "truncate refused")
				})
			}
			return
		}
		t.Run("ErrReplaceRegistration", func(t *testing.T) {
			wantRefused(t, f.exec(`INSERT OR REPLACE INTO registrations SELECT * FROM registrations`+where), "would replace an existing registration")
		})
		t.Run("ErrReplaceAuditEvent", func(t *testing.T) {
			wantRefused(t, f.exec(`INSERT OR REPLACE INTO audit_events SELECT * FROM audit_events`), "append-only")
		})
		t.Run("ErrReplaceCounter", func(t *testing.T) {
			wantRefused(t, f.exec(`INSERT OR REPLACE INTO register_counters VALUES ('PG', 2026, 1)`), "the counter exists")
		})
	})
}

func wantRefused(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatal("the database accepted it")
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("refused with %q, want a message containing %q", err, msg)
	}
}

// tsArg is a timestamp value for raw SQL on f's engine.
func tsArg(f *fixture) any {
	if f.postgres() {
		return testNow.Add(1e9)
	}
	return "2026-11-28T20:01:03.000000Z"
}

// columns lists the columns of table.
func columns(t *testing.T, f *fixture, table string) []string {
	t.Helper()
	q := `SELECT name FROM pragma_table_info('` + table + `')`
	if f.postgres() {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '` + table + `'`
	}
	rows, err := f.raw.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if len(cols) < 20 {
		t.Fatalf("table %s has only the columns %v", table, cols)
	}
	return cols
}

// TestReceivedOnColumn: received_on is stored and read back on both engines, and the database
// itself refuses one after the protocol date.
func TestReceivedOnColumn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		r := f.register(t, newRegistration(func(r *domain.Registration) { r.ReceivedOn = "2026-11-25" }))
		got, err := f.db.RegistrationByID(t.Context(), r.ID)
		if err != nil || got.ReceivedOn != "2026-11-25" {
			t.Fatalf("read back received_on %q (%v)", got.ReceivedOn, err)
		}
		late := newRegistration(func(r *domain.Registration) { r.ReceivedOn = "2026-11-29" }) // after 2026-11-28
		if err := f.db.CreateRegistration(t.Context(), late, created(late)); err == nil {
			t.Fatal("a received_on after the protocol date was stored")
		}
	})
}

// TestImageCopyColumn: an image copy and its attestation are stored and read back on both
// engines, a registration that is none reads back without one, and the database itself refuses
// to make a registration an image copy, or to change or drop its attestation, afterwards.
func TestImageCopyColumn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		f := newFixture(t, url)
		attested := &domain.ImageCopy{AttestedBy: "Mario Rossi", AttestedOn: "2026-11-27"}
		r := f.register(t, newRegistration(func(r *domain.Registration) { r.ImageCopy = attested }))
		bare := f.register(t, newRegistration(func(r *domain.Registration) { r.ImageCopy = &domain.ImageCopy{} }))
		none := f.register(t, newRegistration())
		for _, c := range []struct {
			id   string
			want *domain.ImageCopy
		}{{r.ID, attested}, {bare.ID, &domain.ImageCopy{}}, {none.ID, nil}} {
			got, err := f.db.RegistrationByID(t.Context(), c.id)
			if err != nil {
				t.Fatal(err)
			}
			if (got.ImageCopy == nil) != (c.want == nil) || got.ImageCopy != nil && *got.ImageCopy != *c.want {
				t.Errorf("read back image copy %+v, want %+v", got.ImageCopy, c.want)
			}
		}
		for id, set := range map[string]string{
			none.ID: `image_copy = '{}'`,
			r.ID:    `image_copy = NULL`,
			bare.ID: `image_copy = '{"attested_by":"Luigi Bianchi","attested_on":"2026-11-27"}'`,
		} {
			wantRefused(t, f.exec("UPDATE registrations SET "+set+" WHERE id = '"+id+"'"), "immutable column image_copy")
		}
	})
}
