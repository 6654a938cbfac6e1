package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// selectUsers is the SELECT … FROM of every user read: the users row and its client.
const selectUsers = `SELECT c.id, c.name, c.roles, c.offices, c.created_at,
	u.tax_code, u.email, u.oidc_subject, u.updated_at, u.deactivated_at
	FROM users u JOIN clients c ON c.id = u.id`

func scanUser(row rowScanner) (domain.User, error) {
	var u domain.User
	var roles, offices string
	var subject sql.NullString
	var deactivated optionalTime
	err := row.Scan(&u.ID, &u.Name, &roles, &offices, timeCol{T: &u.CreatedAt},
		&u.TaxCode, &u.Email, &subject, timeCol{T: &u.UpdatedAt}, deactivated.col())
	if err == nil {
		err = json.Unmarshal([]byte(roles), &u.Roles)
	}
	if err == nil {
		err = json.Unmarshal([]byte(offices), &u.Offices)
	}
	u.Subject, u.DeactivatedAt = subject.String, deactivated.ptr()
	u.IsUser, u.Deactivated = true, u.DeactivatedAt != nil
	return u, err
}

// subjectOrNil stores an unbound subject as NULL, which UNIQUE lets many users share.
func subjectOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// userTaken names what another user already has of u (tax code, e-mail, subject), as a
// conflict; nil when nothing is taken.
func userTaken(tx *gorm.DB, u domain.User) error {
	var id, taxCode, email string
	var subject sql.NullString
	err := tx.Raw(`SELECT id, tax_code, email, oidc_subject FROM users
		WHERE id <> ? AND (tax_code = ? OR email = ? OR oidc_subject = ?) LIMIT 1`,
		u.ID, u.TaxCode, u.Email, subjectOrNil(u.Subject)).Row().Scan(&id, &taxCode, &email, &subject)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	case taxCode == u.TaxCode:
		return domain.Errorf(domain.ECConflict, "user %s has tax code %s already", id, u.TaxCode)
	case email == u.Email:
		return domain.Errorf(domain.ECConflict, "user %s has e-mail %s already", id, u.Email)
	}
	return domain.Errorf(domain.ECConflict, "user %s is bound to subject %q already", id, u.Subject)
}

// CreateUser stores the user's client and its users row with w in one transaction.
func (db *DB) CreateUser(ctx context.Context, u domain.User, w domain.Write) error {
	roles, err := jsonText(orEmpty(u.Roles))
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	}
	offices, err := jsonText(orEmpty(u.Offices))
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	}
	err = db.write(ctx, func(tx *gorm.DB) error {
		if err := userTaken(tx, u); err != nil {
			return err
		}
		err := tx.Exec(`INSERT INTO clients (id, name, roles, offices, created_at) VALUES (?, ?, ?, ?, ?)`,
			u.ID, u.Name, roles, offices, db.ts(u.CreatedAt)).Error
		if isUnique(err, "clients") {
			return conflict(err, "client %s already exists", u.ID)
		}
		if err != nil {
			return err
		}
		err = tx.Exec(`INSERT INTO users (id, tax_code, email, oidc_subject, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			u.ID, u.TaxCode, u.Email, subjectOrNil(u.Subject), db.ts(u.CreatedAt), db.ts(u.UpdatedAt)).Error
		if isUnique(err, "users") {
			return conflict(err, "a user with tax code %s, e-mail %s or this subject exists already", u.TaxCode, u.Email)
		}
		if err != nil {
			return err
		}
		return idempotencyConflict(db.storeWrite(tx, w), w)
	})
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	}
	return nil
}

// User returns one user (ECNotFound).
func (db *DB) User(ctx context.Context, id string) (domain.User, error) {
	return db.userWhere(db.read(ctx), `u.id = ?`, id)
}

// UserBySubject returns the user bound to subject (ECNotFound).
func (db *DB) UserBySubject(ctx context.Context, subject string) (domain.User, error) {
	return db.userWhere(db.read(ctx), `u.oidc_subject = ?`, subject)
}

// UnboundUser returns the user with no subject and this tax code, or with this e-mail when
// taxCode is empty (ECNotFound).
func (db *DB) UnboundUser(ctx context.Context, taxCode, email string) (domain.User, error) {
	if taxCode != "" {
		return db.userWhere(db.read(ctx), `u.oidc_subject IS NULL AND u.tax_code = ?`, taxCode)
	}
	return db.userWhere(db.read(ctx), `u.oidc_subject IS NULL AND u.email = ?`, email)
}

func (db *DB) userWhere(tx *gorm.DB, where string, arg any) (domain.User, error) {
	u, err := scanUser(tx.Raw(selectUsers+` WHERE `+where, arg).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return domain.User{}, domain.Errorf(domain.ECNotFound, "user %v not found", arg)
	}
	if err != nil {
		return domain.User{}, fmt.Errorf("user %v: %w", arg, err)
	}
	return u, nil
}

// Users lists the users by id (ids are time-ordered: oldest first). The cursor is the last id
// of the previous page.
func (db *DB) Users(ctx context.Context, f domain.UserFilter) (domain.Page[domain.User], error) {
	page := domain.Page[domain.User]{Items: []domain.User{}}
	id := `u.id`
	if db.engine == Postgres {
		id = `u.id COLLATE "C"` // byte order on both engines
	}
	q, args := selectUsers, []any{}
	if f.Cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(after) == 0 {
			return page, domain.Invalid("cursor", "is not a cursor this list gave")
		}
		q, args = q+` WHERE `+id+` > ?`, append(args, string(after))
	}
	limit := min(max(f.Limit, 1), domain.MaxLimit)
	rows, err := db.read(ctx).Raw(q+` ORDER BY `+id+` LIMIT ?`, append(args, limit+1)...).Rows()
	if err != nil {
		return page, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if len(page.Items) == limit {
			page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(page.Items[limit-1].ID))
			break
		}
		u, err := scanUser(rows)
		if err != nil {
			return page, fmt.Errorf("list users: %w", err)
		}
		page.Items = append(page.Items, u)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list users: %w", err)
	}
	return page, nil
}

// ChangeUser locks the user (FOR UPDATE on PostgreSQL; SQLite writes one at a time), calls
// change, and stores the user it returns with its Write. An error from change is returned as
// it is.
func (db *DB) ChangeUser(ctx context.Context, id string, change func(domain.User) (domain.User, domain.Write, error)) error {
	var changeErr error
	err := db.write(ctx, func(tx *gorm.DB) error {
		lock := ""
		if db.engine == Postgres {
			lock = ` FOR UPDATE OF u, c`
		}
		u, err := scanUser(tx.Raw(selectUsers+` WHERE u.id = ?`+lock, id).Row())
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "user %s not found", id)
		}
		if err != nil {
			return fmt.Errorf("lock user: %w", err)
		}
		next, w, err := change(u)
		if err != nil {
			changeErr = err
			return err
		}
		if len(w.Audit) == 0 && w.Idempotency == nil {
			return nil // nothing changed
		}
		if err := userTaken(tx, next); err != nil {
			return err
		}
		roles, err := jsonText(orEmpty(next.Roles))
		if err != nil {
			return err
		}
		offices, err := jsonText(orEmpty(next.Offices))
		if err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE clients SET name = ?, roles = ?, offices = ? WHERE id = ?`,
			next.Name, roles, offices, id).Error; err != nil {
			return fmt.Errorf("update client %s: %w", id, err)
		}
		err = tx.Exec(`UPDATE users SET email = ?, oidc_subject = ?, updated_at = ?, deactivated_at = ? WHERE id = ?`,
			next.Email, subjectOrNil(next.Subject), db.ts(next.UpdatedAt), db.tsOrNil(next.DeactivatedAt), id).Error
		if isUnique(err, "users") {
			return conflict(err, "another user has e-mail %s or this subject", next.Email)
		}
		if err != nil {
			return guarded(err)
		}
		if err := db.notifyInvalidate(tx, InvalidatePrincipal, id); err != nil {
			return err
		}
		return idempotencyConflict(db.storeWrite(tx, w), w)
	})
	if changeErr != nil {
		return changeErr
	}
	if err != nil {
		return fmt.Errorf("change user %s: %w", id, err)
	}
	return nil
}
