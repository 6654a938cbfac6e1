package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// Change-feed event kinds of cases.
const (
	changeCaseSubmitted = domain.EventCaseSubmitted
)

// CreateCase registers the submission, opens its dossier, files one in the other and stores the
// case, all in one transaction (see domain.Store). The registration and dossier numbers are
// taken by the same functions CreateRegistration and CreateDossier use, after the case's own
// rows (whose references to them the database checks at commit), so that the counters stay
// locked for as little as possible. If anything fails, the counters roll back with the rest and
// r and d keep no number.
func (db *DB) CreateCase(ctx context.Context, c *domain.Case, r *domain.Registration, d *domain.Dossier, w domain.Write) error {
	enc, err := prepare(r)
	if err != nil {
		return fmt.Errorf("create case %s: %w", c.ID, err)
	}
	d.OpenedAt, c.SubmittedAt, w.At = utcMicro(d.OpenedAt), utcMicro(c.SubmittedAt), utcMicro(w.At)
	rNumber, rIdent, rPos := r.Number, r.Identifier, r.Position
	dNumber, dIdent, dPos := d.Number, d.Identifier, d.Position
	err = db.write(ctx, func(tx *gorm.DB) error {
		if err := db.insertCase(tx, c, w); err != nil {
			return err
		}
		if err := db.insertRegistration(ctx, tx, r, enc, domain.Write{Verify: w.Verify}, false); err != nil {
			return err
		}
		if err := db.insertDossier(tx, d, domain.Write{}); err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO dossier_items (dossier_id, kind, registration_id, added_at, added_by)
			VALUES (?, ?, ?, ?, ?)`, d.ID, domain.ItemRegistration, r.ID, db.ts(w.At), w.Actor).Error; err != nil {
			return fmt.Errorf("file %s in %s: %w", r.ID, d.Identifier, itemError(err))
		}
		return db.enqueueCaseEvent(tx, domain.EventCaseSubmitted, c, r, c.SubmittedAt)
	})
	if err != nil {
		r.Number, r.Identifier, r.Position = rNumber, rIdent, rPos
		d.Number, d.Identifier, d.Position = dNumber, dIdent, dPos
		return fmt.Errorf("create case %s: %w", c.ID, err)
	}
	r.Dossiers = []string{d.Identifier}
	d.Items = []domain.DossierItem{{Kind: domain.ItemRegistration, Registration: r, AddedAt: w.At, AddedBy: w.Actor}}
	return nil
}

// insertCase stores c, its steps and its submission as a document shared with the applicant,
// with w and a change-feed event. The submission's registration and dossier may be inserted
// later in the transaction.
func (db *DB) insertCase(tx *gorm.DB, c *domain.Case, w domain.Write) error {
	stmts := append([]stmt{db.changeStmt(changeCaseSubmitted, domain.KindCase, c.ID)}, db.writeStmts(w)...)
	if err := db.runAll(tx, &c.Position, stmts...); err != nil {
		return idempotencyConflict(err, w)
	}
	form := string(c.Form)
	if len(c.Form) == 0 {
		form = "{}"
	}
	err := tx.Exec(`INSERT INTO cases (id, procedure_code, procedure_version, portal_id, applicant, status, form, office, registration_id,
			dossier_id, submitted_at, silence_is_consent, due_date, paused_on, closed_at, final_registration_id, position)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Procedure, c.ProcedureVersion, c.Portal, c.Applicant, string(c.Status), form, c.Office, c.RegistrationID, c.DossierID,
		db.ts(c.SubmittedAt), c.SilenceIsConsent, c.DueDate, nullString(c.PausedOn), db.tsOrNil(c.ClosedAt), nullString(c.FinalRegistrationID),
		c.Position).Error
	if isForeignKey(err) {
		return &domain.Error{Code: domain.ECValidation, Message: fmt.Sprintf("unknown procedure %s or office %s", c.Procedure, c.Office), Err: err}
	}
	if err != nil {
		return fmt.Errorf("insert case: %w", err)
	}
	for i, s := range c.Steps {
		if err := tx.Exec(`INSERT INTO case_steps (case_id, ordinal, office, name, status) VALUES (?, ?, ?, ?, ?)`,
			c.ID, i, s.Office, s.Name, s.Status).Error; err != nil {
			return fmt.Errorf("insert step %d: %w", i, err)
		}
	}
	return db.shareWithApplicant(tx, c.ID, c.RegistrationID)
}

// shareWithApplicant records that the case shows registration to its applicant.
func (db *DB) shareWithApplicant(tx *gorm.DB, caseID, registrationID string) error {
	if err := tx.Exec(`INSERT INTO case_documents (case_id, registration_id) VALUES (?, ?)`, caseID, registrationID).Error; err != nil {
		return fmt.Errorf("share %s with the applicant of %s: %w", registrationID, caseID, err)
	}
	return nil
}

const selectCases = `SELECT c.seq, c.id, c.procedure_code, c.procedure_version, c.portal_id, c.applicant, c.status, c.form, c.office,
	c.registration_id, c.dossier_id, d.identifier, c.submitted_at, c.silence_is_consent, c.due_date, c.paused_on, c.closed_at,
	c.final_registration_id, c.position
	FROM cases c JOIN dossiers d ON d.id = c.dossier_id`

func scanCase(row rowScanner) (*domain.Case, int64, error) {
	var (
		c                           domain.Case
		seq                         int64
		form                        string
		pausedOn, finalRegistration sql.NullString
		closedAt                    time.Time
		closed                      bool
	)
	err := row.Scan(&seq, &c.ID, &c.Procedure, &c.ProcedureVersion, &c.Portal, &c.Applicant, &c.Status, &form, &c.Office,
		&c.RegistrationID, &c.DossierID, &c.Dossier, timeCol{T: &c.SubmittedAt}, &c.SilenceIsConsent, &c.DueDate, &pausedOn,
		timeCol{T: &closedAt, Valid: &closed}, &finalRegistration, &c.Position)
	if err != nil {
		return nil, 0, err
	}
	c.Form = []byte(form)
	c.PausedOn, c.FinalRegistrationID = pausedOn.String, finalRegistration.String
	if closed {
		c.ClosedAt = &closedAt
	}
	c.Steps = []domain.CaseStep{}
	return &c, seq, nil
}

// Case returns one case with its steps (ECNotFound).
func (db *DB) Case(ctx context.Context, id string) (*domain.Case, error) {
	q := db.read(ctx)
	c, _, err := scanCase(q.Raw(selectCases+` WHERE c.id = ?`, id).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.Errorf(domain.ECNotFound, "case %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", id, err)
	}
	if err := db.loadSteps(q, []*domain.Case{c}); err != nil {
		return nil, err
	}
	return c, nil
}

// loadSteps reads the steps of cases, in order.
func (db *DB) loadSteps(q *gorm.DB, cases []*domain.Case) error {
	if len(cases) == 0 {
		return nil
	}
	byID := map[string]*domain.Case{}
	ids := make([]string, 0, len(cases))
	for _, c := range cases {
		byID[c.ID] = c
		ids = append(ids, c.ID)
	}
	rows, err := q.Raw(`SELECT case_id, office, name, status FROM case_steps WHERE case_id IN ? ORDER BY case_id, ordinal`, ids).Rows()
	if err != nil {
		return fmt.Errorf("case steps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			s  domain.CaseStep
		)
		if err := rows.Scan(&id, &s.Office, &s.Name, &s.Status); err != nil {
			return fmt.Errorf("case steps: %w", err)
		}
		byID[id].Steps = append(byID[id].Steps, s)
	}
	return rows.Err()
}

// inHands is the condition that a case is in the hands of one of offices: responsible, or
// with an active step.
const inHands = `(c.office IN ? OR EXISTS (SELECT 1 FROM case_steps s
	WHERE s.case_id = c.id AND s.status = 'active' AND s.office IN ?))`

// Cases lists the cases that match f and that f.Visibility allows, newest first, cut by keyset
// on seq.
func (db *DB) Cases(ctx context.Context, f domain.CaseFilter) (domain.Page[*domain.Case], error) {
	page := domain.Page[*domain.Case]{Items: []*domain.Case{}}
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	switch v := f.Visibility; {
	case v.All:
	case v.Portal != "":
		add(`c.portal_id = ? AND c.applicant = ?`, v.Portal, v.Applicant)
	case len(v.Offices) > 0:
		add(inHands, v.Offices, v.Offices)
	default:
		return page, nil
	}
	if f.Procedure != "" {
		add(`c.procedure_code = ?`, f.Procedure)
	}
	if f.Status != "" {
		add(`c.status = ?`, string(f.Status))
	}
	if f.Office != "" {
		add(inHands, []string{f.Office}, []string{f.Office})
	}
	if f.OverdueOn != "" {
		add(`c.closed_at IS NULL AND c.paused_on IS NULL AND c.due_date < ?`, f.OverdueOn)
	}
	if f.Cursor != "" {
		seq, err := decodeCursor(f.Cursor)
		if err != nil {
			return page, err
		}
		add(`c.seq < ?`, seq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = domain.DefaultLimit
	}
	limit = min(limit, domain.MaxLimit)
	tx := db.read(ctx)
	page, err := keysetPage(tx, selectCases, "c", where, args, limit, scanCase)
	if err != nil {
		return page, fmt.Errorf("list cases: %w", err)
	}
	return page, db.loadSteps(tx, page.Items)
}
