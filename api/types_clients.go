package api

import (
	"time"

	"github.com/sportello/sportello/domain"
)

// APIKey is one key of a client, as admins see it: never its token or the token's hash.
type APIKey struct {
	ID string `json:"id" example:"mfrggzdfmztwq2lk"`
	// State is the key's state now: revoked wins over expired.
	State      string     `json:"state" enums:"active,expired,revoked"`
	CreatedAt  time.Time  `json:"created_at" format:"date-time"`
	ExpiresAt  *time.Time `json:"expires_at" format:"date-time" extensions:"x-nullable"`
	RevokedAt  *time.Time `json:"revoked_at" format:"date-time" extensions:"x-nullable"`
	LastUsedAt *time.Time `json:"last_used_at" format:"date-time" extensions:"x-nullable"` // accurate to a minute
}

// Client is an API client with every key it ever had.
type Client struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Roles     []string  `json:"roles"`
	Offices   []string  `json:"offices"`
	CreatedAt time.Time `json:"created_at" format:"date-time"`
	Keys      []APIKey  `json:"keys"`
}

// ClientList is one page of clients; next_cursor is empty on the last page.
type ClientList struct {
	Items      []Client `json:"items"`
	NextCursor string   `json:"next_cursor"`
}

// NewKey rotates a client's key. Both fields are optional: `{}` gives a key that never expires
// and leaves the previous keys valid for a day.
type NewKey struct {
	// GraceSeconds is how long the client's previous keys keep working, 0 to 2592000 (30 days);
	// 0 ends them at once. Default 86400 (a day).
	GraceSeconds *int64 `json:"grace_seconds,omitempty" minimum:"0" maximum:"2592000" example:"86400"`
	// ExpiresAt, when given, is when the new key stops working; it must be in the future.
	ExpiresAt *time.Time `json:"expires_at,omitempty" format:"date-time"`
}

// CreatedKey is a new key with its token, shown only in the first answer: a replayed request
// (Idempotent-Replayed: true) answers without it.
type CreatedKey struct {
	ID        string     `json:"id" example:"mfrggzdfmztwq2lk"`
	ClientID  string     `json:"client_id"`
	CreatedAt time.Time  `json:"created_at" format:"date-time"`
	ExpiresAt *time.Time `json:"expires_at" format:"date-time" extensions:"x-nullable"`
	Token     string     `json:"token,omitempty" example:"spt_abcd_secret"`
}

func toCreatedKey(k domain.CreatedKey) CreatedKey {
	return CreatedKey{ID: k.ID, ClientID: k.ClientID, CreatedAt: utc(k.CreatedAt), ExpiresAt: utcOrNil(k.ExpiresAt), Token: k.Token}
}

func toAPIKey(k domain.APIKey, now time.Time) APIKey {
	return APIKey{
		ID: k.ID, State: string(k.StateAt(now)), CreatedAt: utc(k.CreatedAt),
		ExpiresAt: utcOrNil(k.ExpiresAt), RevokedAt: utcOrNil(k.RevokedAt), LastUsedAt: utcOrNil(k.LastUsedAt),
	}
}

func toClient(c domain.ClientKeys, now time.Time) Client {
	out := Client{
		ID: c.ID, Name: c.Name, Roles: roleNames(c.Roles), Offices: nonNil(c.Offices),
		CreatedAt: utc(c.CreatedAt), Keys: make([]APIKey, 0, len(c.Keys)),
	}
	for _, k := range c.Keys {
		out.Keys = append(out.Keys, toAPIKey(k, now))
	}
	return out
}

func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := utc(*t)
	return &u
}
