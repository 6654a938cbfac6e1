package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/riverqueue/river"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
)

// changeText is the change-feed event of newly extracted text: the search projection re-indexes
// the registration with it. The transparency log ignores it (the registration did not change).
const changeText = "registration.text"

// textDispatcher names the text dispatcher's row in consumer_cursors.
const textDispatcher = "text"

// DispatchTexts follows the change feed from the text dispatcher's cursor, reading at most
// limit events, and for each registration created since records its text as pending and
// enqueues the job that extracts it (one River insert for the batch); a registration disposed
// of meanwhile gets "none" and no job. The cursor moves in the same transaction, and the
// cursor row is locked first, so each registration gets exactly one job however many
// processes dispatch at once. Until then a registration's text_status reads pending (no text
// row yet). It returns how many events it read.
//
// Registrations used to enqueue their own job; doing it here takes the job queue's insert out
// of the registration transaction, where it ran while the register's counter was locked, and
// inserts the jobs of a whole batch at once.
func (db *DB) DispatchTexts(ctx context.Context, limit int) (int, error) {
	read := 0
	err := db.write(ctx, func(tx *gorm.DB) error {
		from, err := db.lockCursor(tx, textDispatcher)
		if err != nil {
			return err
		}
		events, err := db.Changes(ctx, from, limit)
		if err != nil || len(events) == 0 {
			return err
		}
		read = len(events)
		var created []string
		for _, e := range events {
			if e.EntityKind == domain.KindRegistration && e.Kind == changeCreated {
				created = append(created, e.EntityID)
			}
		}
		if err := db.recordTexts(tx, created); err != nil {
			return err
		}
		last := events[len(events)-1].Cursor()
		return tx.Exec(`UPDATE consumer_cursors SET tx = ?, position = ? WHERE name = ?`,
			last.Tx, last.Position, textDispatcher).Error
	})
	if err != nil {
		return 0, fmt.Errorf("dispatch texts: %w", err)
	}
	return read, nil
}

// lockCursor returns the named consumer's cursor, creating it at the start of the feed, and
// keeps its row locked until tx ends (SQLite's writes are serialised anyway).
func (db *DB) lockCursor(tx *gorm.DB, name string) (domain.FeedCursor, error) {
	if err := tx.Exec(`INSERT INTO consumer_cursors (name, tx, position) VALUES (?, 0, 0) ON CONFLICT (name) DO NOTHING`,
		name).Error; err != nil {
		return domain.FeedCursor{}, fmt.Errorf("cursor %s: %w", name, err)
	}
	q := `SELECT tx, position FROM consumer_cursors WHERE name = ?`
	if db.engine == Postgres {
		q += ` FOR UPDATE`
	}
	var c domain.FeedCursor
	if err := tx.Raw(q, name).Row().Scan(&c.Tx, &c.Position); err != nil {
		return c, fmt.Errorf("cursor %s: %w", name, err)
	}
	return c, nil
}

// recordTexts writes the text rows of the registrations ids — pending with a job, or none
// without one for those disposed of — skipping any that has a row already.
func (db *DB) recordTexts(tx *gorm.DB, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	now := db.ts(db.now())
	var pending []string
	for chunk := range slices.Chunk(ids, 500) {
		rows, err := tx.Raw(`INSERT INTO registration_texts (registration_id, status, updated_at)
			SELECT id, CASE WHEN disposal_id IS NULL THEN ? ELSE ? END, ? FROM registrations WHERE id IN ?
			ON CONFLICT (registration_id) DO NOTHING
			RETURNING registration_id, status`, domain.TextPending, domain.TextNone, now, chunk).Rows()
		if err != nil {
			return fmt.Errorf("record pending texts: %w", err)
		}
		for rows.Next() {
			var id, status string
			if err := rows.Scan(&id, &status); err != nil {
				rows.Close()
				return fmt.Errorf("record pending texts: %w", err)
			}
			if status == domain.TextPending {
				pending = append(pending, id)
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("record pending texts: %w", err)
		}
	}
	args := make([]river.InsertManyParams, len(pending))
	for i, id := range pending {
		args[i] = river.InsertManyParams{Args: jobs.ExtractText{RegistrationID: id}}
	}
	return db.enqueueMany(tx, args)
}

// StoreText records the outcome of an extraction (done with the text, or none) and appends a
// change-feed event for it; the registration's position becomes that event's, so that a client
// who sees text_status "done" can search with min_position = position and find the text. The
// registration row is locked first (on PostgreSQL), so its position never goes backwards when
// an update of the registration commits at the same time.
//
// signatures are the reports of the signatures found on the files (domain.FileSignatures),
// stored with the text and read with the registration.
func (db *DB) StoreText(ctx context.Context, id, status, text string, signatures domain.FileSignatures, attempt int) error {
	if status != domain.TextDone && status != domain.TextNone {
		return fmt.Errorf("store text of %s: status %q", id, status)
	}
	sigs, err := signaturesJSON(signatures)
	if err != nil {
		return fmt.Errorf("store text of %s: %w", id, err)
	}
	err = db.write(ctx, func(tx *gorm.DB) error {
		disposed, err := db.lockRegistration(tx, id)
		if err != nil {
			return err
		}
		if disposed { // disposed of while the job ran: its text goes with its content
			status, text, sigs = domain.TextNone, "", nil
		}
		var pos int64
		if err := db.runAll(tx, &pos, db.changeStmt(changeText, domain.KindRegistration, id)); err != nil {
			return fmt.Errorf("append change event: %w", err)
		}
		res := tx.Exec(`UPDATE registration_texts SET status = ?, text = ?, signatures = coalesce(?, signatures),
			attempts = ?, last_error = '', updated_at = ? WHERE registration_id = ?`,
			status, strings.ToValidUTF8(strings.ReplaceAll(text, "\x00", ""), ""), sigs, attempt, db.ts(db.now()), id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return domain.Errorf(domain.ECNotFound, "no text row for registration %s", id)
		}
		return tx.Exec(`UPDATE registrations SET position = ? WHERE id = ?`, pos, id).Error
	})
	if err != nil {
		return fmt.Errorf("store text of %s: %w", id, guarded(err))
	}
	return nil
}

// lockRegistration locks a registration row until the end of tx on PostgreSQL (SQLite's single
// writer already serialises) and reports whether it was disposed of; ECNotFound if it does not
// exist.
func (db *DB) lockRegistration(tx *gorm.DB, id string) (disposed bool, err error) {
	q := `SELECT disposal_id IS NOT NULL FROM registrations WHERE id = ?`
	if db.engine == Postgres {
		q += ` FOR UPDATE`
	}
	err = tx.Raw(q, id).Row().Scan(&disposed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, domain.Errorf(domain.ECNotFound, "registration %s not found", id)
	}
	if err != nil {
		return false, fmt.Errorf("lock registration: %w", err)
	}
	return disposed, nil
}

// disposeText empties the extracted text of a registration being disposed of, in the disposal's
// transaction: the text is derived from the content, and goes with it. The disposal's own
// change-feed event makes the search projection re-index the registration without it.
func (db *DB) disposeText(tx *gorm.DB, id string) error {
	if err := tx.Exec(`UPDATE registration_texts SET status = ?, text = '', last_error = '', updated_at = ?
		WHERE registration_id = ?`, domain.TextNone, db.ts(db.now()), id).Error; err != nil {
		return fmt.Errorf("dispose of the text of %s: %w", id, err)
	}
	return nil
}

// TextFailed records a failed extraction attempt: text_status becomes "failed" with the error,
// until a later attempt succeeds. Text extracted earlier is kept. The signatures were checked
// even though a file's text could not be read, and are stored all the same.
func (db *DB) TextFailed(ctx context.Context, id string, attempt int, cause string, signatures domain.FileSignatures) error {
	if len(cause) > 2000 {
		cause = cause[:2000]
	}
	sigs, err := signaturesJSON(signatures)
	if err != nil {
		return fmt.Errorf("record failed text extraction of %s: %w", id, err)
	}
	err = db.write(ctx, func(tx *gorm.DB) error {
		return tx.Exec(`UPDATE registration_texts SET status = ?, attempts = ?, last_error = ?,
			signatures = coalesce(?, signatures), updated_at = ? WHERE registration_id = ?`,
			domain.TextFailed, attempt, strings.ToValidUTF8(cause, "?"), sigs, db.ts(db.now()), id).Error
	})
	if err != nil {
		return fmt.Errorf("record failed text extraction of %s: %w", id, err)
	}
	return nil
}

// signaturesJSON encodes the signature reports for their column; nil (keep what is stored) when
// there are none to store.
func signaturesJSON(s domain.FileSignatures) (any, error) {
	if s == nil {
		return nil, nil
	}
	text, err := jsonText(s)
	if err != nil {
		return nil, fmt.Errorf("encode signatures: %w", err)
	}
	return text, nil
}

// TextState is a registration's text row, for operators and tests.
type TextState struct {
	Status    string
	Attempts  int
	LastError string
	Text      string
}

// Text returns the text row of a registration (ECNotFound).
func (db *DB) Text(ctx context.Context, id string) (TextState, error) {
	var s TextState
	err := db.read(ctx).Raw(`SELECT status, attempts, last_error, text FROM registration_texts WHERE registration_id = ?`, id).
		Row().Scan(&s.Status, &s.Attempts, &s.LastError, &s.Text)
	if errors.Is(err, sql.ErrNoRows) {
		return s, domain.Errorf(domain.ECNotFound, "no text row for registration %s", id)
	}
	if err != nil {
		return s, fmt.Errorf("text of registration %s: %w", id, err)
	}
	return s, nil
}

// RegistrationTexts returns the extracted texts of the registrations with these ids that have
// one, for the search projection.
func (db *DB) RegistrationTexts(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for chunk := range slices.Chunk(ids, 500) {
		q := `SELECT registration_id, text FROM registration_texts WHERE status = ? AND registration_id IN (?` +
			strings.Repeat(", ?", len(chunk)-1) + `)`
		args := []any{domain.TextDone}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := db.read(ctx).Raw(q, args...).Rows()
		if err != nil {
			return nil, fmt.Errorf("registration texts: %w", err)
		}
		for rows.Next() {
			var id, text string
			if err := rows.Scan(&id, &text); err != nil {
				rows.Close()
				return nil, fmt.Errorf("registration texts: %w", err)
			}
			out[id] = text
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("registration texts: %w", err)
		}
	}
	return out, nil
}
