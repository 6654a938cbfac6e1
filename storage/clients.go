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

// CreateClient stores a client, its first key and w in one transaction. A client or key id that
// exists already is a conflict.
func (db *DB) CreateClient(ctx context.Context, c domain.Client, key domain.APIKey, w domain.Write) error {
	roles, err := jsonText(orEmpty(c.Roles))
	if err != nil {
		return fmt.Errorf("create client %s: %w", c.ID, err)
	}
	offices, err := jsonText(orEmpty(c.Offices))
	if err != nil {
		return fmt.Errorf("create client %s: %w", c.ID, err)
	}
	err = db.write(ctx, func(tx *gorm.DB) error {
		err := tx.Exec(`INSERT INTO clients (id, name, roles, offices, created_at) VALUES (?, ?, ?, ?, ?)`,
			c.ID, c.Name, roles, offices, db.ts(c.CreatedAt)).Error
		if isUnique(err, "clients") {
			return conflict(err, "client %s already exists", c.ID)
		}
		if err != nil {
			return err
		}
		if err := db.insertKey(tx, key); err != nil {
			return err
		}
		return db.storeWrite(tx, w)
	})
	if err != nil {
		return fmt.Errorf("create client %s: %w", c.ID, err)
	}
	return nil
}

// Client returns one client (ECNotFound), saying whether it is a staff user's and the user
// deactivated.
func (db *DB) Client(ctx context.Context, id string) (domain.Client, error) {
	c := domain.Client{ID: id}
	var roles, offices string
	var user sql.NullString
	var deactivated optionalTime
	err := db.read(ctx).Raw(`SELECT c.name, c.roles, c.offices, c.created_at, u.id, u.deactivated_at
		FROM clients c LEFT JOIN users u ON u.id = c.id WHERE c.id = ?`, id).
		Row().Scan(&c.Name, &roles, &offices, timeCol{T: &c.CreatedAt}, &user, deactivated.col())
	c.IsUser, c.Deactivated = user.Valid, deactivated.ptr() != nil
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Client{}, domain.Errorf(domain.ECNotFound, "client %s not found", id)
	}
	if err == nil {
		err = json.Unmarshal([]byte(roles), &c.Roles)
	}
	if err == nil {
		err = json.Unmarshal([]byte(offices), &c.Offices)
	}
	if err != nil {
		return domain.Client{}, fmt.Errorf("client %s: %w", id, err)
	}
	return c, nil
}

// APIKey returns the key with this id (ECNotFound).
func (db *DB) APIKey(ctx context.Context, id string) (domain.APIKey, error) {
	k, err := scanKey(db.read(ctx).Raw(selectKeys+` WHERE id = ?`, id).Row())
	if errors.Is(err, sql.ErrNoRows) {
		return domain.APIKey{}, domain.Errorf(domain.ECNotFound, "API key %s not found", id)
	}
	if err != nil {
		return domain.APIKey{}, fmt.Errorf("API key %s: %w", id, err)
	}
	return k, nil
}

// CountClients returns the number of stored clients.
func (db *DB) CountClients(ctx context.Context) (int, error) {
	var n int
	if err := db.read(ctx).Raw(`SELECT count(*) FROM clients`).Row().Scan(&n); err != nil {
		return 0, fmt.Errorf("count clients: %w", err)
	}
	return n, nil
}
