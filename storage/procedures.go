package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// procedureColumns are the content of a procedure, the same in procedures (the version in
// force) and procedure_versions (every version).
const procedureColumns = `name, audience, description, required_documents, form_schema, office, class,
	deadline_days, silence_is_consent, steps, steps_in_order, info, created_at`

const selectProcedure = `SELECT code, version, 'published', ` + procedureColumns + `, NULL, NULL, NULL FROM procedures`

const selectVersion = `SELECT procedure_code, version, status, ` + procedureColumns + `, created_by, published_at, published_by
	FROM procedure_versions`

// CreateProcedures stores ps with w, all or none, each as its version 1, published. Returns
// ECConflict if a code exists and ECValidation for an unknown office or class.
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

// procedureValues are the values of procedureColumns for p.
func (db *DB) procedureValues(p domain.Procedure) ([]any, error) {
	docs, err := jsonText(orEmpty(p.RequiredDocuments))
	if err != nil {
		return nil, err
	}
	steps, err := jsonText(orEmpty(p.Steps))
	if err != nil {
		return nil, err
	}
	info, err := jsonText(p.Info)
	if err != nil {
		return nil, err
	}
	return []any{p.Name, string(p.Audience), p.Description, docs, string(p.FormSchema), p.Office, p.Class,
		p.DeadlineDays, p.SilenceIsConsent, steps, p.StepsInOrder, info, db.ts(p.CreatedAt)}, nil
}

func (db *DB) insertProcedure(tx *gorm.DB, p domain.Procedure) error {
	values, err := db.procedureValues(p)
	if err != nil {
		return err
	}
	err = tx.Exec(`INSERT INTO procedures (code, version, `+procedureColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append([]any{p.Code, 1}, values...)...).Error
	if err == nil {
		// The first version, published with the procedure (domain fills who and when).
		p.Version, p.Status = 1, domain.VersionPublished
		if p.PublishedAt == nil {
			p.PublishedAt = &p.CreatedAt
		}
		p.CreatedBy, p.PublishedBy = cmp.Or(p.CreatedBy, "system"), cmp.Or(p.PublishedBy, p.CreatedBy, "system")
		err = db.insertVersion(tx, p)
	}
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

// insertVersion stores version p.Version of procedure p.Code.
func (db *DB) insertVersion(tx *gorm.DB, p domain.Procedure) error {
	values, err := db.procedureValues(p)
	if err != nil {
		return err
	}
	return tx.Exec(`INSERT INTO procedure_versions (procedure_code, version, status, `+procedureColumns+`,
			created_by, published_at, published_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append(append([]any{p.Code, p.Version, p.Status}, values...), p.CreatedBy, db.tsOrNil(p.PublishedAt),
			nullString(p.PublishedBy))...).Error
}

// CreateProcedureVersion stores a draft version with w. Returns ECConflict if its number is
// taken, ECValidation for an unknown office or class.
func (db *DB) CreateProcedureVersion(ctx context.Context, v domain.Procedure, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		err := db.insertVersion(tx, v)
		switch kind, _, _ := classify(err); {
		case err == nil:
			return db.storeWrite(tx, w)
		case kind == uniqueViolation:
			return conflict(err, "version %d of procedure %s already exists", v.Version, v.Code)
		case kind == foreignKeyViolation:
			return &domain.Error{Code: domain.ECValidation,
				Message: fmt.Sprintf("procedure %s: unknown office %s or class %s", v.Code, v.Office, v.Class), Err: err}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create version %d of %s: %w", v.Version, v.Code, err)
	}
	return nil
}

// PublishProcedureVersion publishes a draft and copies it into procedures as the version in
// force, with w, in one transaction. Returns ECConflict unless it is a draft newer than the
// version in force, ECNotFound for an unknown version.
func (db *DB) PublishProcedureVersion(ctx context.Context, code string, version int, at time.Time, by string, w domain.Write) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		v, err := scanProcedure(tx.Raw(selectVersion+` WHERE procedure_code = ? AND version = ?`, code, version).Row())
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "procedure %s has no version %d", code, version)
		}
		if err != nil {
			return err
		}
		if v.Status != domain.VersionDraft {
			return domain.Errorf(domain.ECConflict, "version %d of %s is %s, not a draft", version, code, v.Status)
		}
		res := tx.Exec(`UPDATE procedure_versions SET status = ?, published_at = ?, published_by = ?
			WHERE procedure_code = ? AND version = ? AND status = ?`,
			domain.VersionPublished, db.ts(at), by, code, version, domain.VersionDraft)
		if res.Error != nil {
			return res.Error
		}
		values, err := db.procedureValues(v)
		if err != nil {
			return err
		}
		res = tx.Exec(`UPDATE procedures SET (version, `+procedureColumns+`) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			WHERE code = ? AND version < ?`, append(append([]any{version}, values...), code, version)...)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return domain.Errorf(domain.ECConflict, "procedure %s has a version in force newer than %d", code, version)
		}
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("publish version %d of %s: %w", version, code, err)
	}
	return nil
}

// Procedure returns the version in force of one procedure (ECNotFound).
func (db *DB) Procedure(ctx context.Context, code string) (domain.Procedure, error) {
	p, err := scanProcedure(db.read(ctx).Raw(selectProcedure+` WHERE code = ?`, code).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return p, domain.Errorf(domain.ECNotFound, "procedure %s not found", code)
	}
	if err != nil {
		return p, fmt.Errorf("procedure %s: %w", code, err)
	}
	return p, db.versionHistory(db.read(ctx), &p)
}

// versionHistory completes the version in force p with who drafted and published it.
func (db *DB) versionHistory(q *gorm.DB, p *domain.Procedure) error {
	v, err := scanProcedure(q.Raw(selectVersion+` WHERE procedure_code = ? AND version = ?`, p.Code, p.Version).Row())
	if err != nil {
		return fmt.Errorf("procedure %s version %d: %w", p.Code, p.Version, err)
	}
	p.CreatedAt, p.CreatedBy, p.PublishedAt, p.PublishedBy = v.CreatedAt, v.CreatedBy, v.PublishedAt, v.PublishedBy
	return nil
}

// ProcedureVersion returns one version of a procedure (ECNotFound).
func (db *DB) ProcedureVersion(ctx context.Context, code string, version int) (domain.Procedure, error) {
	p, err := scanProcedure(db.read(ctx).Raw(selectVersion+` WHERE procedure_code = ? AND version = ?`, code, version).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return p, domain.Errorf(domain.ECNotFound, "procedure %s has no version %d", code, version)
	}
	if err != nil {
		return p, fmt.Errorf("procedure %s version %d: %w", code, version, err)
	}
	return p, nil
}

// ProcedureVersions lists the versions of a procedure by number.
func (db *DB) ProcedureVersions(ctx context.Context, code string) ([]domain.Procedure, error) {
	return db.listProcedures(db.read(ctx), selectVersion+` WHERE procedure_code = ? ORDER BY version`, code)
}

// Procedures lists the version in force of each procedure, by code.
func (db *DB) Procedures(ctx context.Context) ([]domain.Procedure, error) {
	q := db.read(ctx)
	ps, err := db.listProcedures(q, selectProcedure+` ORDER BY code`)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if err := db.versionHistory(q, &ps[i]); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

func (db *DB) listProcedures(q *gorm.DB, query string, args ...any) ([]domain.Procedure, error) {
	rows, err := q.Raw(query, args...).Rows()
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
		p                         domain.Procedure
		docs, schema, steps, info string
		createdBy, publishedBy    sql.NullString
		publishedAt               time.Time
		published                 bool
	)
	err := row.Scan(&p.Code, &p.Version, &p.Status, &p.Name, &p.Audience, &p.Description, &docs, &schema, &p.Office, &p.Class,
		&p.DeadlineDays, &p.SilenceIsConsent, &steps, &p.StepsInOrder, &info, timeCol{T: &p.CreatedAt},
		&createdBy, timeCol{T: &publishedAt, Valid: &published}, &publishedBy)
	if err != nil {
		return p, err
	}
	p.CreatedBy, p.PublishedBy = createdBy.String, publishedBy.String
	if published {
		p.PublishedAt = &publishedAt
	}
	p.FormSchema = json.RawMessage(schema)
	if err := json.Unmarshal([]byte(docs), &p.RequiredDocuments); err != nil {
		return p, fmt.Errorf("required_documents: %w", err)
	}
	if err := json.Unmarshal([]byte(steps), &p.Steps); err != nil {
		return p, fmt.Errorf("steps: %w", err)
	}
	if err := json.Unmarshal([]byte(info), &p.Info); err != nil {
		return p, fmt.Errorf("info: %w", err)
	}
	return p, nil
}
