package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

const assignmentColumns = `a.seq, a.id, a.registration_id, r.identifier, a.kind, a.office, a.person, a.state, a.reason,
	a.created_by, a.created_at, a.decided_by, a.decided_at`

const assignmentFrom = ` FROM assignments a JOIN registrations r ON r.id = a.registration_id`

func scanAssignment(row rowScanner) (domain.Assignment, error) {
	var a domain.Assignment
	var decided optionalTime
	err := row.Scan(&a.Seq, &a.ID, &a.RegistrationID, &a.Registration, &a.Kind, &a.Office, &a.Person, &a.State, &a.Reason,
		&a.CreatedBy, timeCol{T: &a.CreatedAt}, &a.DecidedBy, decided.col())
	a.DecidedAt = decided.ptr()
	return a, err
}

// Assignments returns the assignments of a registration in the order they were made.
func (db *DB) Assignments(ctx context.Context, registrationID string) ([]domain.Assignment, error) {
	rows, err := db.read(ctx).Raw(`SELECT `+assignmentColumns+assignmentFrom+` WHERE a.registration_id = ? ORDER BY a.seq`,
		registrationID).Rows()
	if err != nil {
		return nil, fmt.Errorf("assignments of %s: %w", registrationID, err)
	}
	defer rows.Close()
	var out []domain.Assignment
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			return nil, fmt.Errorf("assignments of %s: %w", registrationID, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Assignment returns one assignment (ECNotFound).
func (db *DB) Assignment(ctx context.Context, id string) (domain.Assignment, error) {
	a, err := scanAssignment(db.read(ctx).Raw(`SELECT `+assignmentColumns+assignmentFrom+` WHERE a.id = ?`, id).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return a, domain.Errorf(domain.ECNotFound, "assignment %s not found", id)
	}
	if err != nil {
		return a, fmt.Errorf("assignment %s: %w", id, err)
	}
	return a, nil
}

// AssignmentWorklist returns a page of the assignments f selects, by seq, and the count of each
// worklist state under f's office, offices and person.
func (db *DB) AssignmentWorklist(ctx context.Context, f domain.AssignmentFilter) (domain.AssignmentList, error) {
	var where []string
	var args []any
	if f.Office != "" {
		where, args = append(where, `a.office = ?`), append(args, f.Office)
	}
	if f.Offices != nil {
		where, args = append(where, `a.office IN ?`), append(args, f.Offices)
	}
	if f.Person != "" {
		where, args = append(where, `a.person = ?`), append(args, f.Person)
	}
	cond := ""
	if len(where) > 0 {
		cond = ` WHERE ` + strings.Join(where, ` AND `)
	}
	out := domain.AssignmentList{Counts: map[string]int{}}
	for _, s := range domain.AssignmentStates {
		out.Counts[s] = 0
	}
	type count struct {
		State string
		N     int
	}
	var counts []count
	if err := db.read(ctx).Raw(`SELECT a.state AS state, count(*) AS n FROM assignments a`+cond+` GROUP BY a.state`, args...).
		Scan(&counts).Error; err != nil {
		return out, fmt.Errorf("count assignments: %w", err)
	}
	for _, c := range counts {
		if _, ok := out.Counts[c.State]; ok {
			out.Counts[c.State] = c.N
		}
	}
	where, args = append(where, `a.seq > ?`), append(args, f.After)
	if f.State != "" {
		where, args = append(where, `a.state = ?`), append(args, f.State)
	}
	rows, err := db.read(ctx).Raw(`SELECT `+assignmentColumns+assignmentFrom+` WHERE `+strings.Join(where, ` AND `)+
		` ORDER BY a.seq LIMIT ?`, append(args, f.Limit+1)...).Rows()
	if err != nil {
		return out, fmt.Errorf("list assignments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			return out, fmt.Errorf("list assignments: %w", err)
		}
		out.Items = append(out.Items, a)
	}
	if len(out.Items) > f.Limit {
		out.Items, out.More = out.Items[:f.Limit], true
	}
	return out, rows.Err()
}

// storeAssignments writes a registration write's assignment rows in its transaction, and the
// webhook event of each step to the outbox of every subscriber that receives it (see
// enqueueAssignmentEvents). r is the registration as the write leaves it.
func (db *DB) storeAssignments(tx *gorm.DB, r *domain.Registration, w *domain.AssignmentWrite) error {
	if w == nil {
		return nil
	}
	if err := db.storeAssignmentRows(tx, w); err != nil {
		return err
	}
	var steps []domain.AssignmentEvent
	var of []domain.Assignment
	for _, a := range w.Insert {
		steps, of = append(steps, domain.NewAssignmentEvent(a, true)), append(of, a)
	}
	for _, a := range w.Update {
		steps, of = append(steps, domain.NewAssignmentEvent(a, false)), append(of, a)
	}
	return db.enqueueAssignmentEvents(tx, r, of, steps)
}

// enqueueAssignmentEvents writes steps[i], the event of a step of of[i], to the outbox of each
// client with a webhook that receives it (domain.ReceivesAssignmentEvent), read in the
// transaction: one row per event and subscriber, each with an id of its own.
func (db *DB) enqueueAssignmentEvents(tx *gorm.DB, r *domain.Registration, of []domain.Assignment, steps []domain.AssignmentEvent) error {
	if len(steps) == 0 {
		return nil
	}
	rows, err := tx.Raw(`SELECT c.id, c.name, c.roles, c.offices, u.id, u.deactivated_at
		FROM webhooks w JOIN clients c ON c.id = w.client_id LEFT JOIN users u ON u.id = c.id ORDER BY c.id`).Rows()
	if err != nil {
		return fmt.Errorf("assignment webhook subscribers: %w", err)
	}
	var subscribers []domain.Client
	for rows.Next() {
		var (
			c              domain.Client
			roles, offices string
			user           sql.NullString
			deactivated    optionalTime
		)
		if err := rows.Scan(&c.ID, &c.Name, &roles, &offices, &user, deactivated.col()); err != nil {
			rows.Close()
			return fmt.Errorf("assignment webhook subscribers: %w", err)
		}
		c.IsUser, c.Deactivated = user.Valid, deactivated.ptr() != nil
		if err := errors.Join(json.Unmarshal([]byte(roles), &c.Roles), json.Unmarshal([]byte(offices), &c.Offices)); err != nil {
			rows.Close()
			return fmt.Errorf("assignment webhook subscriber %s: %w", c.ID, err)
		}
		subscribers = append(subscribers, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("assignment webhook subscribers: %w", err)
	}
	for i, step := range steps {
		for _, c := range subscribers {
			if !domain.ReceivesAssignmentEvent(c, r, of[i]) {
				continue
			}
			e := step
			e.ID = domain.NewID()
			payload, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("encode event: %w", err)
			}
			if err := tx.Exec(`INSERT INTO webhook_events (id, client_id, registration_id, kind, payload, created_at, next_attempt_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, e.ID, c.ID, r.ID, e.Type, string(payload), db.ts(e.CreatedAt), db.ts(e.CreatedAt)).Error; err != nil {
				return fmt.Errorf("enqueue %s: %w", e.Type, err)
			}
		}
	}
	return nil
}

// storeAssignmentRows inserts and updates the assignment rows of w.
func (db *DB) storeAssignmentRows(tx *gorm.DB, w *domain.AssignmentWrite) error {
	for _, a := range w.Update {
		// The registration's row is locked, but the assignment was read before the transaction:
		// the update applies only if the row is still in a state it may leave for a.State, so a
		// concurrent decision that came first makes this one conflict (not the trigger's error).
		res := tx.Exec(`UPDATE assignments SET state = ?, reason = ?, decided_by = ?, decided_at = ? WHERE id = ? AND state IN ?`,
			a.State, a.Reason, a.DecidedBy, db.ts(*a.DecidedAt), a.ID, domain.AssignmentPrior[a.State])
		if res.Error != nil {
			return fmt.Errorf("update assignment %s: %w", a.ID, res.Error)
		}
		if res.RowsAffected != 1 {
			return domain.Errorf(domain.ECConflict, "assignment %s was decided or superseded meanwhile", a.ID)
		}
	}
	for _, a := range w.Insert {
		if err := tx.Exec(`INSERT INTO assignments (id, registration_id, kind, office, person, state, reason, created_by,
			created_at, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '')`,
			a.ID, a.RegistrationID, a.Kind, a.Office, a.Person, a.State, a.Reason, a.CreatedBy, db.ts(a.CreatedAt)).Error; err != nil {
			return fmt.Errorf("insert assignment %s: %w", a.ID, err)
		}
	}
	return nil
}
