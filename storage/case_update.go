package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// UpdateCase locks the case, lets change modify it, and writes what changed with what change
// returns (see domain.CaseChange), all in one transaction. An error from change is returned as
// it is, and nothing is written.
func (db *DB) UpdateCase(ctx context.Context, id string, change func(*domain.Case) (domain.CaseChange, error)) (*domain.Case, error) {
	var (
		reg              *domain.Registration
		number, position int64
		ident            string
	)
	out, err := updateLocked(ctx, db, lockedUpdate[domain.Case, domain.CaseChange]{
		what: "case", id: id,
		load: func(tx *gorm.DB) (*domain.Case, error) {
			c, _, err := scanCase(tx.Raw(selectCases+` WHERE c.id = ?`+db.forUpdate("c"), id).Row())
			if err != nil {
				return nil, err
			}
			return c, db.loadSteps(tx, []*domain.Case{c})
		},
		copy: func(before *domain.Case) *domain.Case {
			c := *before
			c.Steps = slices.Clone(before.Steps)
			return &c
		},
		write: func(tx *gorm.DB, before, c *domain.Case, ch domain.CaseChange) error {
			if f := immutableCaseChange(before, c); f != "" {
				return domain.Errorf(domain.ECImmutable, "case %s: %s cannot change", id, f)
			}
			ch.Write.At = utcMicro(ch.Write.At)
			if reg = ch.Registration; reg != nil {
				number, ident, position = reg.Number, reg.Identifier, reg.Position
				if err := db.fileCaseRegistration(ctx, tx, c, reg, ch.Write); err != nil {
					return err
				}
			}
			if m := ch.Message; m != nil {
				m.CreatedAt = utcMicro(m.CreatedAt)
				if err := tx.Exec(`INSERT INTO case_messages (id, case_id, author, author_name, from_applicant, internal, text,
						registration_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					m.ID, c.ID, m.Author, m.AuthorName, m.FromApplicant, m.Internal, m.Text, nullString(m.RegistrationID),
					db.ts(m.CreatedAt)).Error; err != nil {
					return fmt.Errorf("store message: %w", err)
				}
			}
			stmts := append([]stmt{db.changeStmt(ch.Event, domain.KindCase, c.ID)}, db.writeStmts(ch.Write)...)
			if err := db.runAll(tx, &c.Position, stmts...); err != nil {
				return idempotencyConflict(err, ch.Write)
			}
			if c.ClosedAt != nil {
				t := utcMicro(*c.ClosedAt)
				c.ClosedAt = &t
			}
			if err := tx.Exec(`UPDATE cases SET status = ?, due_date = ?, paused_on = ?, closed_at = ?, final_registration_id = ?,
					position = ? WHERE id = ?`, string(c.Status), c.DueDate, nullString(c.PausedOn), db.tsOrNil(c.ClosedAt),
				nullString(c.FinalRegistrationID), c.Position, c.ID).Error; err != nil {
				return fmt.Errorf("store case: %w", err)
			}
			for i, s := range c.Steps {
				if s.Status != before.Steps[i].Status {
					if err := tx.Exec(`UPDATE case_steps SET status = ? WHERE case_id = ? AND ordinal = ?`, s.Status, c.ID, i).Error; err != nil {
						return fmt.Errorf("store step %d: %w", i, err)
					}
				}
			}
			if ch.CloseDossier {
				if err := db.closeCaseDossier(tx, c.DossierID, ch.Write.At); err != nil {
					return err
				}
			}
			if !ch.Internal {
				if err := db.enqueueCaseEvent(tx, ch.Event, c, reg, ch.Write.At); err != nil {
					return err
				}
			}
			return nil
		},
	}, change)
	if err != nil && reg != nil {
		reg.Number, reg.Identifier, reg.Position = number, ident, position
	}
	return out, err
}

// immutableCaseChange names the first field change altered that never changes, or "".
func immutableCaseChange(before, after *domain.Case) string {
	switch {
	case before.ID != after.ID, before.Portal != after.Portal, before.Applicant != after.Applicant:
		return "identity"
	case before.Procedure != after.Procedure, before.Office != after.Office, string(before.Form) != string(after.Form):
		return "application"
	case before.RegistrationID != after.RegistrationID, before.DossierID != after.DossierID, !before.SubmittedAt.Equal(after.SubmittedAt),
		before.SilenceIsConsent != after.SilenceIsConsent:
		return "submission"
	case len(before.Steps) != len(after.Steps):
		return "steps"
	}
	for i := range before.Steps {
		if before.Steps[i].Office != after.Steps[i].Office || before.Steps[i].Name != after.Steps[i].Name {
			return "steps"
		}
	}
	return ""
}

// fileCaseRegistration numbers and stores r, files it in the case's dossier (which must be
// open) as added by w.Actor at w.At, and shares it with the applicant when it lists a party.
func (db *DB) fileCaseRegistration(ctx context.Context, tx *gorm.DB, c *domain.Case, r *domain.Registration, w domain.Write) error {
	enc, err := prepare(r)
	if err != nil {
		return err
	}
	dossierID, err := db.openDossier(tx, c.Dossier, "accepts no new items")
	if err != nil {
		return err
	}
	if err := db.insertRegistration(ctx, tx, r, enc, domain.Write{Verify: w.Verify}, false); err != nil {
		return err
	}
	if err := tx.Exec(`INSERT INTO dossier_items (dossier_id, kind, registration_id, added_at, added_by)
		VALUES (?, ?, ?, ?, ?)`, dossierID, domain.ItemRegistration, r.ID, db.ts(w.At), w.Actor).Error; err != nil {
		return fmt.Errorf("file %s in %s: %w", r.ID, c.Dossier, itemError(err))
	}
	r.Dossiers = []string{c.Dossier}
	var pos int64
	if err := db.runAll(tx, &pos, db.changeStmt(changeDossierUpdated, domain.KindDossier, dossierID)); err != nil {
		return fmt.Errorf("append change event: %w", err)
	}
	if err := tx.Exec(`UPDATE dossiers SET position = ? WHERE id = ?`, pos, dossierID).Error; err != nil {
		return fmt.Errorf("dossier %s position: %w", dossierID, err)
	}
	if len(r.Parties) == 0 {
		return nil
	}
	return db.shareWithApplicant(tx, c.ID, r.ID)
}

// closeCaseDossier closes the dossier of a case that closed, at at, with a change-feed event.
func (db *DB) closeCaseDossier(tx *gorm.DB, id string, at time.Time) error {
	var pos int64
	if err := db.runAll(tx, &pos, db.changeStmt(changeDossierClosed, domain.KindDossier, id)); err != nil {
		return fmt.Errorf("append change event: %w", err)
	}
	res := tx.Exec(`UPDATE dossiers SET status = ?, closed_at = ?, position = ? WHERE id = ? AND status = ?`,
		string(domain.DossierClosed), db.ts(at), pos, id, string(domain.DossierOpen))
	if res.Error != nil {
		return fmt.Errorf("close dossier %s: %w", id, res.Error)
	}
	if res.RowsAffected != 1 {
		return domain.Errorf(domain.ECConflict, "the dossier of the case is no longer open")
	}
	return nil
}

const selectMessages = `SELECT id, case_id, author, author_name, from_applicant, internal, text, registration_id, created_at
	FROM case_messages`

func scanMessage(row rowScanner) (domain.CaseMessage, error) {
	var (
		m   domain.CaseMessage
		reg sql.NullString
	)
	if err := row.Scan(&m.ID, &m.Case, &m.Author, &m.AuthorName, &m.FromApplicant, &m.Internal, &m.Text, &reg,
		timeCol{T: &m.CreatedAt}); err != nil {
		return m, err
	}
	m.RegistrationID = reg.String
	return m, nil
}

// withRegistration loads the registration of a message that has one.
func (db *DB) withRegistration(ctx context.Context, m *domain.CaseMessage) error {
	if m.RegistrationID == "" {
		return nil
	}
	r, err := db.RegistrationByID(ctx, m.RegistrationID)
	m.Registration = r
	return err
}

// CaseMessage returns one message with its registration (ECNotFound).
func (db *DB) CaseMessage(ctx context.Context, id string) (domain.CaseMessage, error) {
	m, err := scanMessage(db.read(ctx).Raw(selectMessages+` WHERE id = ?`, id).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return m, domain.Errorf(domain.ECNotFound, "message %s not found", id)
	}
	if err != nil {
		return m, fmt.Errorf("message %s: %w", id, err)
	}
	return m, db.withRegistration(ctx, &m)
}

// CaseMessages lists a case's messages, oldest first, with their registrations.
func (db *DB) CaseMessages(ctx context.Context, caseID string) ([]domain.CaseMessage, error) {
	rows, err := db.read(ctx).Raw(selectMessages+` WHERE case_id = ? ORDER BY seq`, caseID).Rows()
	if err != nil {
		return nil, fmt.Errorf("messages of %s: %w", caseID, err)
	}
	defer rows.Close()
	out := []domain.CaseMessage{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("messages of %s: %w", caseID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range out {
		if err := db.withRegistration(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
