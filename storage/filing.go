package storage

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// refile makes dossier_items say that r is in exactly the dossiers r.Dossiers (identifiers),
// where it was in before: it adds the items of the dossiers entered, as added by w.Actor at
// w.At, removes those of the dossiers left, appends a change-feed event for each dossier
// touched, and reads r.Dossiers back in filing order. Each dossier is locked (shared, on
// PostgreSQL) while its status is checked, so that it cannot close in between; the schema's
// triggers refuse the same on any other path. Returns ECValidation for an unknown dossier and
// ECConflict for a closed one.
func (db *DB) refile(tx *gorm.DB, r *domain.Registration, before []string, w domain.Write) error {
	if w.Actor == "" {
		return errors.New("refile: a change of dossiers needs the actor in its Write")
	}
	at := w.At
	if at.IsZero() {
		at = db.now()
	}
	var touched []string
	for _, ident := range r.Dossiers {
		if slices.Contains(before, ident) {
			continue
		}
		id, err := db.openDossier(tx, ident, "accepts no new items")
		if err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO dossier_items (dossier_id, kind, registration_id, added_at, added_by)
			VALUES (?, ?, ?, ?, ?)`, id, domain.ItemRegistration, r.ID, db.ts(at), w.Actor).Error; err != nil {
			return fmt.Errorf("file %s in %s: %w", r.ID, ident, itemError(err))
		}
		touched = append(touched, id)
	}
	for _, ident := range before {
		if slices.Contains(r.Dossiers, ident) {
			continue
		}
		id, err := db.openDossier(tx, ident, "loses no item")
		if err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM dossier_items WHERE dossier_id = ? AND registration_id = ?`, id, r.ID).Error; err != nil {
			return fmt.Errorf("unfile %s from %s: %w", r.ID, ident, itemError(err))
		}
		touched = append(touched, id)
	}
	for _, id := range touched {
		var pos int64
		if err := db.runAll(tx, &pos, db.changeStmt(changeDossierUpdated, domain.KindDossier, id)); err != nil {
			return fmt.Errorf("append change event: %w", err)
		}
		if err := tx.Exec(`UPDATE dossiers SET position = ? WHERE id = ?`, pos, id).Error; err != nil {
			return fmt.Errorf("dossier %s position: %w", id, err)
		}
	}
	q := `SELECT ` + db.registrationSelectList() + ` FROM registrations r WHERE r.id = ?`
	row, _, err := scanRegistration(tx.Raw(q, r.ID).Row())
	if err != nil {
		return fmt.Errorf("read dossiers back: %w", err)
	}
	r.Dossiers = row.Dossiers
	return nil
}

// openDossier returns the id of the dossier with identifier, locked, if it is open. The lock is
// FOR NO KEY UPDATE, not FOR SHARE: a filing goes on to move the dossier's position, and two
// filings into one dossier that both held a share lock would deadlock upgrading it.
func (db *DB) openDossier(tx *gorm.DB, identifier, refusal string) (string, error) {
	q := `SELECT id, status FROM dossiers WHERE identifier = ?`
	if db.engine == Postgres {
		q += ` FOR NO KEY UPDATE`
	}
	var id, status string
	err := tx.Raw(q, identifier).Row().Scan(&id, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", &domain.Error{Code: domain.ECValidation, Message: "dossiers: unknown dossier " + identifier,
			Fields: []domain.FieldError{{Field: "dossiers", Message: "unknown dossier " + identifier}}}
	}
	if err != nil {
		return "", fmt.Errorf("dossier %s: %w", identifier, err)
	}
	if status != string(domain.DossierOpen) {
		return "", domain.Errorf(domain.ECConflict, "dossier %s is closed: a closed dossier %s", identifier, refusal)
	}
	return id, nil
}

// itemError turns the schema's refusal of a change to a closed dossier's index into a conflict.
func itemError(err error) error {
	if kind, _, msg := classify(err); kind == guardViolation {
		return &domain.Error{Code: domain.ECConflict, Message: msg, Err: err}
	}
	return err
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}
