package domain

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// The services in this file use the ports InstallationStore, RegisterStore, OfficeStore and ClientStore (ports.go).

// Registers lists the registers. Every authenticated principal may read them.
func (s *Service) Registers(ctx context.Context, _ Principal) ([]Register, error) {
	return s.Store.Registers(ctx)
}

// CreateRegister adds a special register (repertorio, R3), numbered on its own. Admin only.
// Returns forbidden, validation_failed, conflict.
func (s *Service) CreateRegister(ctx context.Context, p Principal, r Register, idem Idempotency) (Register, bool, error) {
	if err := p.require("creating a register", RoleAdmin); err != nil {
		return Register{}, false, err
	}
	if err := r.Validate(); err != nil {
		return Register{}, false, err
	}
	return idempotent(ctx, s, p, idem, KindRegister, s.Store.Register, func() (Register, error) {
		now := s.now()
		r.CreatedAt = now.UTC()
		w := Write{
			Audit:       []AuditEvent{audit(p, now, "register.created", KindRegister, r.Code)},
			Idempotency: idem.record(p, KindRegister, r.Code, now),
		}
		return r, s.Store.CreateRegister(ctx, r, w)
	})
}

// Offices lists the offices. Every authenticated principal may read them.
func (s *Service) Offices(ctx context.Context, _ Principal) ([]Office, error) {
	return s.Store.Offices(ctx)
}

// CreateOffice adds an office. Admin only. Returns forbidden, validation_failed, conflict.
func (s *Service) CreateOffice(ctx context.Context, p Principal, o Office, idem Idempotency) (Office, bool, error) {
	if err := p.require("creating an office", RoleAdmin); err != nil {
		return Office{}, false, err
	}
	if err := o.Validate(); err != nil {
		return Office{}, false, err
	}
	load := func(ctx context.Context, code string) (Office, error) {
		offices, err := s.Store.Offices(ctx)
		for _, o := range offices {
			if o.Code == code {
				return o, err
			}
		}
		return Office{}, Errorf(ECNotFound, "office %q not found", code)
	}
	return idempotent(ctx, s, p, idem, KindOffice, load, func() (Office, error) {
		now := s.now()
		o.CreatedAt = now.UTC()
		w := Write{
			Audit:       []AuditEvent{audit(p, now, "office.created", KindOffice, o.Code)},
			Idempotency: idem.record(p, KindOffice, o.Code, now),
		}
		return o, s.Store.CreateOffice(ctx, o, w)
	})
}

// NewClient is the input of CreateClient.
type NewClient struct {
	Name    string
	Roles   []Role
	Offices []string
	// ExpiresAt, when set, is when the client's first key expires.
	ExpiresAt *time.Time
}

// CreatedClient is a new client with its token, which is shown only this once. A replayed
// request returns the client without the token.
type CreatedClient struct {
	Client
	Token string `json:"token,omitempty"`
}

// CreateClient adds an API client with one key. Admin only, except that the very first client of
// a fresh installation is created by Bootstrap. Returns forbidden, validation_failed.
func (s *Service) CreateClient(ctx context.Context, p Principal, in NewClient, idem Idempotency) (CreatedClient, bool, error) {
	if err := p.require("creating a client", RoleAdmin); err != nil {
		return CreatedClient{}, false, err
	}
	var v Validation
	if strings.TrimSpace(in.Name) == "" {
		v.Add("name", "is required")
	}
	if len(in.Roles) == 0 {
		v.Add("roles", "at least one role is required")
	}
	for i, r := range in.Roles {
		if !r.Valid() {
			v.Add(fmt.Sprintf("roles[%d]", i), "must be one of %v", Roles)
		}
	}
	checkExpiry(&v, in.ExpiresAt, s.now())
	if err := v.Err(); err != nil {
		return CreatedClient{}, false, err
	}
	if err := s.checkOffices(ctx, in.Offices); err != nil {
		return CreatedClient{}, false, err
	}
	load := func(ctx context.Context, id string) (CreatedClient, error) {
		c, err := s.Store.Client(ctx, id)
		return CreatedClient{Client: c}, err
	}
	return idempotent(ctx, s, p, idem, KindClient, load, func() (CreatedClient, error) {
		return s.createClient(ctx, p, in, idem)
	})
}

func (s *Service) createClient(ctx context.Context, p Principal, in NewClient, idem Idempotency) (CreatedClient, error) {
	now := s.now()
	c := Client{ID: NewID(), Name: strings.TrimSpace(in.Name), Roles: in.Roles, Offices: uniq(in.Offices), CreatedAt: now.UTC()}
	key, token := newAPIKey(c.ID)
	key.CreatedAt, key.ExpiresAt = c.CreatedAt, utcPtr(in.ExpiresAt)
	w := Write{
		Audit: []AuditEvent{
			audit(p, now, "client.created", KindClient, c.ID),
			audit(p, now, "api_key.created", KindAPIKey, key.ID),
		},
		Idempotency: idem.record(p, KindClient, c.ID, now),
	}
	if err := s.Store.CreateClient(ctx, c, key, w); err != nil {
		return CreatedClient{}, fmt.Errorf("create client %q: %w", c.Name, err)
	}
	return CreatedClient{Client: c, Token: token}, nil
}

// tokenPrefix marks Sportello API keys, so that secret scanners and people recognise them.
const tokenPrefix = "spt_"

var keyIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newAPIKey returns a key for clientID and its token `spt_<id>_<secret>`.
func newAPIKey(clientID string) (APIKey, string) {
	id := strings.ToLower(keyIDEncoding.EncodeToString(NewSecret(10)))
	secret := base64.RawURLEncoding.EncodeToString(NewSecret(32))
	sum := sha256.Sum256([]byte(secret))
	return APIKey{ID: id, ClientID: clientID, SecretHash: sum[:]}, tokenPrefix + id + "_" + secret
}

// keyUseInterval is how often a key's last use is written: a busy key costs one write a
// minute, not one per request, and last_used_at is accurate to a minute.
const keyUseInterval = time.Minute

// Authenticate returns the principal holding token. Returns unauthorized for a malformed,
// unknown, wrong, revoked or expired token, always with the same message. Verified keys are
// remembered for authCacheTTL (a second), so that a busy client costs one database read a
// second; a key revoked, or a user changed or deactivated, on another replica is forgotten as
// soon as the database's notification arrives (within the TTL at worst); the key's expiry
// is checked on every request against the service clock.
//
// The key's last use is recorded when the key is read from the database and the recorded one
// is older than keyUseInterval. It is a hint for admins: a failure to write it is ignored
// rather than refusing a valid key, and the next read tries again.
//
// A token that is no API key is, when an identity provider is configured (Identities), the
// provider's token of a staff user: see authenticateIdentity, which may also return forbidden
// and unavailable. A deactivated user's keys are refused like revoked ones.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	denied := Errorf(ECUnauthorized, "missing or invalid API key")
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok && s.Identities != nil {
		return s.authenticateIdentity(ctx, token)
	}
	if !ok {
		return Principal{}, denied
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || id == "" || secret == "" {
		return Principal{}, denied
	}
	sum := sha256.Sum256([]byte(secret))
	now := s.now()
	if p, ok := s.auth.get(id, sum[:], now); ok {
		return p, nil
	}
	gen := s.auth.generation()
	key, err := s.Store.APIKey(ctx, id)
	if IsCode(err, ECNotFound) {
		return Principal{}, denied
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare(sum[:], key.SecretHash) != 1 || key.StateAt(now) != KeyActive {
		return Principal{}, denied
	}
	c, err := s.Store.Client(ctx, key.ClientID)
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if c.Deactivated {
		return Principal{}, denied
	}
	if key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) >= keyUseInterval {
		_ = s.Store.RecordKeyUse(ctx, id, now, now.Add(-keyUseInterval))
	}
	p := c.Principal()
	p.KeyID = id
	s.auth.put(gen, id, key.SecretHash, key.ExpiresAt, p, now)
	return p, nil
}

// system is the principal of changes the installation makes by itself (first start).
var system = Principal{ID: "system", Name: "system", Roles: []Role{RoleAdmin}}

// Bootstrap prepares a fresh installation: it creates the AOO and the general register if none
// exist, the shipped classification scheme (package titolario) if no class exists, the shipped
// service catalogue (package catalogue) if no procedure exists and, if no
// client exists, an admin client whose token it returns (once: "" otherwise). Each step is
// idempotent and its own transaction. Returns conflict if the stored AOO has other codes than aoo.
func (s *Service) Bootstrap(ctx context.Context, aoo AOO) (adminToken string, err error) {
	if err := aoo.Validate(); err != nil {
		return "", err
	}
	aoo.CreatedAt = s.now().UTC()
	reg := Register{Code: DefaultRegister, Name: "Protocollo generale", CreatedAt: aoo.CreatedAt, AllowUnclassified: true}
	if _, err := s.Store.Bootstrap(ctx, aoo, reg); err != nil {
		return "", fmt.Errorf("bootstrap AOO %s: %w", aoo.Code, err)
	}
	if err := s.seedClasses(ctx); err != nil {
		return "", fmt.Errorf("bootstrap: %w", err)
	}
	if err := s.seedProcedures(ctx); err != nil {
		return "", fmt.Errorf("bootstrap: %w", err)
	}
	n, err := s.Store.CountClients(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	c, err := s.createClient(ctx, system, NewClient{Name: "admin", Roles: []Role{RoleAdmin}}, Idempotency{})
	return c.Token, err
}

// AOO returns the installation's AOO.
func (s *Service) AOO(ctx context.Context) (AOO, error) { return s.Store.AOO(ctx) }

// CreateKey issues a client with its token outside any request, for the command line
// (`sportello keys create`). It is audited as done by the system.
func (s *Service) CreateKey(ctx context.Context, in NewClient) (CreatedClient, error) {
	c, _, err := s.CreateClient(ctx, system, in, Idempotency{})
	return c, err
}
