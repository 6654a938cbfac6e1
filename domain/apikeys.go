package domain

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The services in this file use the port ClientStore (ports.go).

// ClientKeys is a client with every key it ever had, for admins to see which keys are in use.
// It carries no secret: keys are listed by id, dates and state.
type ClientKeys struct {
	Client
	Keys []APIKey
}

// ClientFilter pages through the clients.
type ClientFilter struct {
	Limit  int
	Cursor string
}

// KeyChange is what a change of a client's keys stores: Add holds new keys, Update the keys
// whose ExpiresAt or RevokedAt changed.
type KeyChange struct {
	Add    []APIKey
	Update []APIKey
	Write  Write
}

// Clients lists the clients with their keys, one page at a time. Admin only. Returns
// forbidden, validation_failed.
func (s *Service) Clients(ctx context.Context, p Principal, f ClientFilter) (Page[ClientKeys], error) {
	if err := p.require("listing clients", RoleAdmin); err != nil {
		return Page[ClientKeys]{}, err
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		return Page[ClientKeys]{}, Invalid("limit", "must be between 1 and %d", MaxLimit)
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	return s.Store.Clients(ctx, f)
}

// DefaultGraceSeconds is how long a rotated client's previous keys stay valid when the
// rotation does not say: a day, for every deployment of a portal to pick up the new key.
const DefaultGraceSeconds = 24 * 60 * 60

// MaxGraceSeconds bounds a grace period: an old key left valid for longer is not rotated.
const MaxGraceSeconds = 30 * 24 * 60 * 60

// KeyRotation is the input of RotateKey.
type KeyRotation struct {
	// GraceSeconds is how long the client's previous keys stay valid; nil means
	// DefaultGraceSeconds, 0 ends them at once.
	GraceSeconds *int64
	// ExpiresAt, when set, is when the new key expires.
	ExpiresAt *time.Time
}

// CreatedKey is a new key with its token, which is shown only this once. A replayed request
// returns the key without the token.
type CreatedKey struct {
	APIKey
	Token string
}

// RotateKey gives a client a new key; its previous active keys expire when the grace period
// ends (or earlier, if they were to expire before). Admin only. Returns forbidden,
// validation_failed, not_found (no such client).
func (s *Service) RotateKey(ctx context.Context, p Principal, clientID string, in KeyRotation, idem Idempotency) (CreatedKey, bool, error) {
	if err := p.require("rotating an API key", RoleAdmin); err != nil {
		return CreatedKey{}, false, err
	}
	grace := int64(DefaultGraceSeconds)
	if in.GraceSeconds != nil {
		grace = *in.GraceSeconds
	}
	var v Validation
	if grace < 0 || grace > MaxGraceSeconds {
		v.Add("grace_seconds", "must be between 0 and %d (30 days)", MaxGraceSeconds)
	}
	checkExpiry(&v, in.ExpiresAt, s.now())
	if err := v.Err(); err != nil {
		return CreatedKey{}, false, err
	}
	load := func(ctx context.Context, id string) (CreatedKey, error) {
		k, err := s.Store.APIKey(ctx, id)
		return CreatedKey{APIKey: k}, err
	}
	return idempotent(ctx, s, p, idem, KindAPIKey, load, func() (CreatedKey, error) {
		now := s.now()
		key, token := newAPIKey(clientID)
		key.CreatedAt, key.ExpiresAt = now, utcPtr(in.ExpiresAt)
		graceEnd := now.Add(time.Duration(grace) * time.Second)
		var ended []string
		err := s.Store.ChangeKeys(ctx, clientID, func(keys []APIKey) (KeyChange, error) {
			created := audit(p, now, "api_key.created", KindAPIKey, key.ID)
			created.Detail = "rotation of client " + clientID
			ch := KeyChange{Add: []APIKey{key}, Write: Write{
				Audit: []AuditEvent{created}, Idempotency: idem.record(p, KindAPIKey, key.ID, now),
			}}
			for _, k := range keys {
				if k.StateAt(now) != KeyActive || (k.ExpiresAt != nil && !k.ExpiresAt.After(graceEnd)) {
					continue
				}
				k.ExpiresAt = &graceEnd
				ch.Update = append(ch.Update, k)
				e := audit(p, now, "api_key.rotated", KindAPIKey, k.ID)
				e.Detail = fmt.Sprintf("replaced by %s; valid until %s", key.ID, graceEnd.Format(time.RFC3339))
				ch.Write.Audit = append(ch.Write.Audit, e)
				ended = append(ended, k.ID)
			}
			return ch, nil
		})
		if err != nil {
			return CreatedKey{}, fmt.Errorf("rotate the key of client %s: %w", clientID, err)
		}
		s.auth.forget(ended...)
		return CreatedKey{APIKey: key, Token: token}, nil
	})
}

// RevokeKey refuses the key from now on. Revoking a revoked key changes nothing and answers
// its state, so that a retry is harmless. Admin only. Returns forbidden, not_found (no such
// client, or the key is another client's).
func (s *Service) RevokeKey(ctx context.Context, p Principal, clientID, keyID string, idem Idempotency) (APIKey, bool, error) {
	if err := p.require("revoking an API key", RoleAdmin); err != nil {
		return APIKey{}, false, err
	}
	return idempotent(ctx, s, p, idem, KindAPIKey, s.Store.APIKey, func() (APIKey, error) {
		now := s.now()
		var out APIKey
		err := s.Store.ChangeKeys(ctx, clientID, func(keys []APIKey) (KeyChange, error) {
			i := slices.IndexFunc(keys, func(k APIKey) bool { return k.ID == keyID })
			if i < 0 {
				return KeyChange{}, Errorf(ECNotFound, "client %s has no API key %s", clientID, keyID)
			}
			out = keys[i]
			if out.RevokedAt != nil {
				return KeyChange{}, nil
			}
			out.RevokedAt = &now
			return KeyChange{Update: []APIKey{out}, Write: Write{
				Audit:       []AuditEvent{audit(p, now, "api_key.revoked", KindAPIKey, keyID)},
				Idempotency: idem.record(p, KindAPIKey, keyID, now),
			}}, nil
		})
		if err != nil {
			return APIKey{}, fmt.Errorf("revoke API key %s: %w", keyID, err)
		}
		s.auth.forget(keyID)
		return out, nil
	})
}

// checkExpiry refuses an expiry that is not in the future.
func checkExpiry(v *Validation, expires *time.Time, now time.Time) {
	if expires != nil && !expires.After(now) {
		v.Add("expires_at", "must be in the future")
	}
}

// utcPtr returns t in UTC at the precision both databases keep, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// AllClients lists every client with its keys, for the command line (`sportello keys list`).
func (s *Service) AllClients(ctx context.Context) ([]ClientKeys, error) {
	var out []ClientKeys
	f := ClientFilter{Limit: MaxLimit}
	for {
		page, err := s.Clients(ctx, system, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		f.Cursor = page.NextCursor
	}
}

// RevokeKeyByID revokes a key outside any request, for the command line (`sportello keys
// revoke`). It is audited as done by the system. Returns not_found.
func (s *Service) RevokeKeyByID(ctx context.Context, keyID string) (APIKey, error) {
	k, err := s.Store.APIKey(ctx, keyID)
	if err != nil {
		return APIKey{}, err
	}
	k, _, err = s.RevokeKey(ctx, system, k.ClientID, keyID, Idempotency{})
	return k, err
}
