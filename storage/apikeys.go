package storage

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/sportello/sportello/domain"
)

// selectKeys is the SELECT … FROM of every API key read.
const selectKeys = `SELECT id, client_id, secret_hash, created_at, expires_at, revoked_at, last_used_at FROM api_keys`

func scanKey(row rowScanner) (domain.APIKey, error) {
	var k domain.APIKey
	var expires, revoked, used optionalTime
	err := row.Scan(&k.ID, &k.ClientID, &k.SecretHash, timeCol{T: &k.CreatedAt}, expires.col(), revoked.col(), used.col())
	k.ExpiresAt, k.RevokedAt, k.LastUsedAt = expires.ptr(), revoked.ptr(), used.ptr()
	return k, err
}

// optionalTime scans a nullable timestamp column.
type optionalTime struct {
	t     time.Time
	valid bool
}

func (o *optionalTime) col() timeCol { return timeCol{T: &o.t, Valid: &o.valid} }

func (o *optionalTime) ptr() *time.Time {
	if !o.valid {
		return nil
	}
	return &o.t
}

// insertKey stores a new key; an existing id is a conflict, an unknown client a validation
// error.
func (db *DB) insertKey(tx *gorm.DB, key domain.APIKey) error {
	err := tx.Exec(`INSERT INTO api_keys (id, client_id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		key.ID, key.ClientID, key.SecretHash, db.ts(key.CreatedAt), db.tsOrNil(key.ExpiresAt)).Error
	if isUnique(err, "api_keys") {
		return conflict(err, "API key %s already exists", key.ID)
	}
	if isForeignKey(err) {
		return domain.Errorf(domain.ECValidation, "API key %s belongs to unknown client %s", key.ID, key.ClientID)
	}
	return err
}

// Clients lists the clients by id (ids are time-ordered: oldest first) with all their keys,
// oldest key first. The cursor is the last id of the previous page.
func (db *DB) Clients(ctx context.Context, f domain.ClientFilter) (domain.Page[domain.ClientKeys], error) {
	page := domain.Page[domain.ClientKeys]{Items: []domain.ClientKeys{}}
	// Byte order on both engines, whatever the PostgreSQL database's collation.
	id := `id`
	if db.engine == Postgres {
		id = `id COLLATE "C"`
	}
	q, args := `SELECT id, name, roles, offices, created_at FROM clients`, []any{}
	if f.Cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(after) == 0 {
			var v domain.Validation
			v.Add("cursor", "is not a cursor this list gave")
			return page, v.Err()
		}
		q, args = q+` WHERE `+id+` > ?`, append(args, string(after))
	}
	limit := min(max(f.Limit, 1), domain.MaxLimit)
	err := db.read(ctx).Transaction(func(tx *gorm.DB) error {
		rows, err := tx.Raw(q+` ORDER BY `+id+` LIMIT ?`, append(args, limit+1)...).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		byID := map[string]int{}
		var ids []string
		for rows.Next() {
			if len(page.Items) == limit {
				page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(page.Items[limit-1].ID))
				break
			}
			c, err := scanClient(rows)
			if err != nil {
				return err
			}
			byID[c.ID] = len(page.Items)
			ids = append(ids, c.ID)
			page.Items = append(page.Items, domain.ClientKeys{Client: c, Keys: []domain.APIKey{}})
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil || len(ids) == 0 {
			return err
		}
		keys, err := tx.Raw(selectKeys+` WHERE client_id IN ? ORDER BY created_at, id`, ids).Rows()
		if err != nil {
			return err
		}
		defer keys.Close()
		for keys.Next() {
			k, err := scanKey(keys)
			if err != nil {
				return err
			}
			i := byID[k.ClientID]
			page.Items[i].Keys = append(page.Items[i].Keys, k)
		}
		return keys.Err()
	})
	if err != nil {
		return page, fmt.Errorf("list clients: %w", err)
	}
	return page, nil
}

func scanClient(row rowScanner) (domain.Client, error) {
	var c domain.Client
	var roles, offices string
	err := row.Scan(&c.ID, &c.Name, &roles, &offices, timeCol{T: &c.CreatedAt})
	if err == nil {
		err = json.Unmarshal([]byte(roles), &c.Roles)
	}
	if err == nil {
		err = json.Unmarshal([]byte(offices), &c.Offices)
	}
	return c, err
}

// ChangeKeys locks the client (FOR UPDATE on PostgreSQL; SQLite writes one at a time), calls
// change with its keys, oldest first, and stores the keys it adds, the expiry and revocation
// of those it updates, and its Write. An error from change is returned as it is. Returns
// ECNotFound for an unknown client.
func (db *DB) ChangeKeys(ctx context.Context, clientID string, change func([]domain.APIKey) (domain.KeyChange, error)) error {
	var changeErr error
	err := db.write(ctx, func(tx *gorm.DB) error {
		lock := ""
		if db.engine == Postgres {
			lock = ` FOR UPDATE`
		}
		var id string
		err := tx.Raw(`SELECT id FROM clients WHERE id = ?`+lock, clientID).Row().Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.Errorf(domain.ECNotFound, "client %s not found", clientID)
		}
		if err != nil {
			return fmt.Errorf("lock client: %w", err)
		}
		keys, err := clientKeys(tx, clientID)
		if err != nil {
			return err
		}
		ch, err := change(keys)
		if err != nil {
			changeErr = err
			return err
		}
		for _, k := range ch.Add {
			if err := db.insertKey(tx, k); err != nil {
				return err
			}
		}
		for _, k := range ch.Update {
			if err := tx.Exec(`UPDATE api_keys SET expires_at = ?, revoked_at = ? WHERE id = ? AND client_id = ?`,
				db.tsOrNil(k.ExpiresAt), db.tsOrNil(k.RevokedAt), k.ID, clientID).Error; err != nil {
				return fmt.Errorf("update API key %s: %w", k.ID, err)
			}
			if err := db.notifyInvalidate(tx, InvalidateAPIKey, k.ID); err != nil {
				return err
			}
		}
		return db.storeWrite(tx, ch.Write)
	})
	if changeErr != nil {
		return changeErr
	}
	if err != nil {
		return fmt.Errorf("change the keys of client %s: %w", clientID, err)
	}
	return nil
}

func clientKeys(tx *gorm.DB, clientID string) ([]domain.APIKey, error) {
	rows, err := tx.Raw(selectKeys+` WHERE client_id = ? ORDER BY created_at, id`, clientID).Rows()
	if err != nil {
		return nil, fmt.Errorf("keys of client %s: %w", clientID, err)
	}
	defer rows.Close()
	var keys []domain.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("keys of client %s: %w", clientID, err)
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// RecordKeyUse sets last_used_at to at unless a use after since is recorded already.
func (db *DB) RecordKeyUse(ctx context.Context, id string, at, since time.Time) error {
	err := db.write(ctx, func(tx *gorm.DB) error {
		return tx.Exec(`UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`,
			db.ts(at), id, db.ts(since)).Error
	})
	if err != nil {
		return fmt.Errorf("record the use of API key %s: %w", id, err)
	}
	return nil
}
