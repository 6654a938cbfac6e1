package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

const procedureColumns = `code, name, audience, description, required_documents, form_schema, office, class,
	deadline_days, silence_is_consent, steps, steps_in_order, created_at`

// CreateProcedures stores ps with w, all or none. Returns ECConflict if a code exists and
// ECValidation for an unknown office or class.
func (db *DB) CreateProcedures(ctx context.Context, ps []domain.Procedure, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		for _, p := range ps {
			if err := db.insertProcedure(tx, p); err != nil {
				return err
			}
		}
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("create procedures: %w", err)
	}
	return nil
}

func (db *DB) insertProcedure(tx *gorm.DB, p domain.Procedure) error {
	docs, err := jsonText(orEmpty(p.RequiredDocuments))
	if err != nil {
		return err
	}
	steps, err := jsonText(orEmpty(p.Steps))
	if err != nil {
		return err
	}
	err = tx.Exec(`INSERT INTO procedures (`+procedureColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Code, p.Name, string(p.Audience), p.Description, docs, string(p.FormSchema), p.Office, p.Class,
		p.DeadlineDays, p.SilenceIsConsent, steps, p.StepsInOrder, db.ts(p.CreatedAt)).Error
	switch kind, _, _ := classify(err); {
	case err == nil:
		return nil
	case kind == uniqueViolation:
		return conflict(err, "procedure %s already exists", p.Code)
	case kind == foreignKeyViolation:
		return &domain.Error{Code: domain.ECValidation,
			Message: fmt.Sprintf("procedure %s: unknown office %s or class %s", p.Code, p.Office, p.Class), Err: err}
	}
	return fmt.Errorf("insert procedure %s: %w", p.Code, err)
}

// Procedure returns one procedure (ECNotFound).
func (db *DB) Procedure(ctx context.Context, code string) (domain.Procedure, error) {
	p, err := scanProcedure(db.read(ctx).Raw(`SELECT `+procedureColumns+` FROM procedures WHERE code = ?`, code).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return p, domain.Errorf(domain.ECNotFound, "procedure %s not found", code)
	}
	if err != nil {
		return p, fmt.Errorf("procedure %s: %w", code, err)
	}
	return p, nil
}

// Procedures lists the procedures by code.
func (db *DB) Procedures(ctx context.Context) ([]domain.Procedure, error) {
	rows, err := db.read(ctx).Raw(`SELECT ` + procedureColumns + ` FROM procedures ORDER BY code`).Rows()
	if err != nil {
		return nil, fmt.Errorf("list procedures: %w", err)
	}
	defer rows.Close()
	out := []domain.Procedure{}
	for rows.Next() {
		p, err := scanProcedure(rows)
		if err != nil {
			return nil, fmt.Errorf("list procedures: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func scanProcedure(row rowScanner) (domain.Procedure, error) {
	var (
		p                   domain.Procedure
		docs, schema, steps string
	)
	err := row.Scan(&p.Code, &p.Name, &p.Audience, &p.Description, &docs, &schema, &p.Office, &p.Class,
		&p.DeadlineDays, &p.SilenceIsConsent, &steps, &p.StepsInOrder, timeCol{T: &p.CreatedAt})
	if err != nil {
		return p, err
	}
	p.FormSchema = json.RawMessage(schema)
	if err := json.Unmarshal([]byte(docs), &p.RequiredDocuments); err != nil {
		return p, fmt.Errorf("required_documents: %w", err)
	}
	if err := json.Unmarshal([]byte(steps), &p.Steps); err != nil {
		return p, fmt.Errorf("steps: %w", err)
	}
	return p, nil
}
