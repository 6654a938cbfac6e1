package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
)

// changeText is the change-feed event of newly extracted text: the search projection re-indexes
// the registration with it. The transparency log ignores it (the registration did not change).
const changeText = "registration.text"

// enqueueText records a registration's text as pending and enqueues the job that extracts it,
// in the registration's transaction: the job exists if and only if the registration does.
func (db *DB) enqueueText(tx *gorm.DB, id string) error {
	if err := tx.Exec(`INSERT INTO registration_texts (registration_id, status, updated_at) VALUES (?, ?, ?)`,
		id, domain.TextPending, db.ts(db.now())).Error; err != nil {
		return fmt.Errorf("record pending text: %w", err)
	}
	return db.enqueue(tx, jobs.ExtractText{RegistrationID: id})
}

// StoreText records the outcome of an extraction (done with the text, or none) and appends a
// change-feed event for it; the registration's position becomes that event's, so that a client
// who sees text_status "done" can search with min_position = position and find the text. The
// registration row is locked first (on PostgreSQL), so its position never goes backwards when
// an update of the registration commits at the same time.
func (db *DB) StoreText(ctx context.Context, id, status, text string, attempt int) error {
	if status != domain.TextDone && status != domain.TextNone {
		return fmt.Errorf("store text of %s: status %q", id, status)
	}
	err := db.write(ctx, func(tx *gorm.DB) error {
		disposed, err := db.lockRegistration(tx, id)
		if err != nil {
			return err
		}
		if disposed { // disposed of while the job ran: its text goes with its content
			status, text = domain.TextNone, ""
		}
		var pos int64
		if err := db.runAll(tx, &pos, db.changeStmt(changeText, domain.KindRegistration, id)); err != nil {
			return fmt.Errorf("append change event: %w", err)
		}
		res := tx.Exec(`UPDATE registration_texts SET status = ?, text = ?, attempts = ?, last_error = '', updated_at = ?
			WHERE registration_id = ?`, status, strings.ToValidUTF8(strings.ReplaceAll(text, "\x00", ""), ""),
			attempt, db.ts(db.now()), id)
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
// until a later attempt succeeds. Text extracted earlier is kept.
func (db *DB) TextFailed(ctx context.Context, id string, attempt int, cause string) error {
	if len(cause) > 2000 {
		cause = cause[:2000]
	}
	err := db.write(ctx, func(tx *gorm.DB) error {
		return tx.Exec(`UPDATE registration_texts SET status = ?, attempts = ?, last_error = ?, updated_at = ?
			WHERE registration_id = ?`, domain.TextFailed, attempt, strings.ToValidUTF8(cause, "?"), db.ts(db.now()), id).Error
	})
	if err != nil {
		return fmt.Errorf("record failed text extraction of %s: %w", id, err)
	}
	return nil
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

// backfillBatch is how many registrations one backfill transaction takes.
const backfillBatch = 500

// backfillLock is the advisory lock key of EnqueueMissingTexts ("sptextbf" in ASCII).
const backfillLock int64 = 0x7370746578746266

// EnqueueMissingTexts enqueues the text extraction of the registrations that have no text row:
// those stored before text extraction existed. It works in short transactions of
// backfillBatch registrations, so registrations go on meanwhile, and returns how many it
// enqueued. Registrations disposed of get "none" and no job. Running it twice, or in two
// processes at once, enqueues each registration once: on PostgreSQL the batches of two
// processes take turns under an advisory lock, and each finds the other's rows.
func (db *DB) EnqueueMissingTexts(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := db.write(ctx, func(tx *gorm.DB) error {
			if db.engine == Postgres {
				if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, backfillLock).Error; err != nil {
					return err
				}
			}
			rows, err := tx.Raw(`SELECT r.id, r.disposal_id IS NOT NULL FROM registrations r
				WHERE NOT EXISTS (SELECT 1 FROM registration_texts t WHERE t.registration_id = r.id)
				ORDER BY r.seq LIMIT ?`, backfillBatch).Rows()
			if err != nil {
				return err
			}
			type missing struct {
				id       string
				disposed bool
			}
			var todo []missing
			for rows.Next() {
				var m missing
				if err := rows.Scan(&m.id, &m.disposed); err != nil {
					rows.Close()
					return err
				}
				todo = append(todo, m)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, m := range todo {
				if m.disposed {
					err = tx.Exec(`INSERT INTO registration_texts (registration_id, status, updated_at) VALUES (?, ?, ?)`,
						m.id, domain.TextNone, db.ts(db.now())).Error
				} else {
					err = db.enqueueText(tx, m.id)
				}
				if err != nil {
					return err
				}
			}
			n = len(todo)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("enqueue missing texts: %w", err)
		}
		total += n
		if n < backfillBatch {
			return total, nil
		}
	}
}
