package domain

import (
	"slices"
	"time"
)

// Role is what a principal may do. Roles are additive.
type Role string

// The roles of docs/architecture.md § Identity and access.
const (
	RoleAdmin            Role = "admin"             // manages clients, offices and registers; reads non-confidential records
	RoleRecordsOfficer   Role = "records_officer"   // reads everything; annuls, archives, disposes
	RoleProtocolOperator Role = "protocol_operator" // registers documents; reads non-confidential records
	RoleClerk            Role = "clerk"             // sees and handles what is assigned to its offices
	RolePortal           Role = "portal"            // submits for applicants; reads only what it submitted
	RoleImporter         Role = "importer"          // batch import; reads only what it registered
	// RoleEditor drafts new versions of the procedures of its offices (responsible office), and
	// the instructions of their steps (involved office); publishing needs an approver.
	RoleEditor Role = "editor"
)

// Roles lists every role, in a stable order.
var Roles = []Role{RoleAdmin, RoleRecordsOfficer, RoleProtocolOperator, RoleClerk, RolePortal, RoleImporter, RoleEditor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Principal is the authenticated caller of a request: an API client (a portal, an importer, a
// shared key) or a staff user (users.go) signed in by a personal key or an identity provider's
// token. It is built from the stored Client by Authenticate.
type Principal struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Roles   []Role   `json:"roles"`
	Offices []string `json:"offices"`
	// Person is the id of the staff user acting (equal to ID: a user is a client of its own),
	// signed in by an identity provider's token or a personal key; empty for API clients that
	// are no person. Audit events record it.
	Person string `json:"person,omitempty"`
	// KeyID is the API key the request came with (per-key rate limits); never shown.
	KeyID string `json:"-"`
	// Applicant is the codice fiscale or partita IVA a portal acts for in this request
	// (X-Applicant-Id); empty otherwise. See ActFor.
	Applicant string `json:"applicant,omitempty"`
	// RequestID and Address are the request the principal acts in and the client's address,
	// for the audit trail; never shown.
	RequestID string `json:"-"`
	Address   string `json:"-"`
}

// ActFor returns p as it acts in one request, given the values of the header that names the
// applicant (field, X-Applicant-Id). A portal acts for one applicant in every request, so that
// nothing it reads or writes mixes applicants: it must name exactly one, with a valid check
// character, and then acts as that applicant's portal only — a client that also holds staff
// roles leaves them aside while it acts for an applicant. Anyone else acts for itself and may
// not name an applicant. Returns validation_failed naming field (missing or bad identifier),
// forbidden (an applicant named by a principal that is no portal).
func (p Principal) ActFor(field string, ids []string) (Principal, error) {
	switch {
	case !p.Has(RolePortal) && len(ids) == 0:
		return p, nil
	case !p.Has(RolePortal):
		return p, Errorf(ECForbidden, "only portal clients may act for an applicant (%s)", field)
	case len(ids) == 0:
		return p, Invalid(field, "is required: a portal names, in every request, the codice fiscale or partita IVA of the applicant it acts for")
	case len(ids) > 1:
		return p, Invalid(field, "is sent %d times: a request acts for one applicant", len(ids))
	}
	norm, _, problem := ParseApplicant(ids[0])
	if problem != "" {
		return p, Invalid(field, "%s", problem)
	}
	p.Applicant, p.Roles, p.Offices = norm, []Role{RolePortal}, []string{}
	return p, nil
}

// Party is how the registrations of a portal's cases for one applicant are marked: the portal's
// id and the applicant, "<portal>/<applicant>".
func Party(portal, applicant string) string { return portal + "/" + applicant }

// Has reports whether the principal holds any of roles.
func (p Principal) Has(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// require returns forbidden unless p holds one of roles.
func (p Principal) require(action string, roles ...Role) error {
	if p.Has(roles...) {
		return nil
	}
	return Errorf(ECForbidden, "%s requires one of the roles %v", action, roles)
}

// Client is a stored API client: a staff member's key holder, a portal, an importer. A staff
// user (users.go) is a client too, whose keys are the person's own.
type Client struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Roles     []Role    `json:"roles"`
	Offices   []string  `json:"offices"`
	CreatedAt time.Time `json:"created_at"`
	// IsUser says the client is a staff user's; Deactivated that the user is deactivated, and
	// its keys refused.
	IsUser      bool `json:"-"`
	Deactivated bool `json:"-"`
}

// Principal returns the principal acting with this client's key.
func (c Client) Principal() Principal {
	p := Principal{ID: c.ID, Name: c.Name, Roles: c.Roles, Offices: c.Offices}
	if c.IsUser {
		p.Person = c.ID
	}
	return p
}

// APIKey is one credential of a client. Only the SHA-256 of the secret is stored; the token
// (`spt_<id>_<secret>`) is shown once, at creation. A key is refused from ExpiresAt on and once
// revoked; LastUsedAt is recorded at most once a minute (see Authenticate).
type APIKey struct {
	ID         string
	ClientID   string
	SecretHash []byte
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// KeyState is whether a key is accepted at some instant.
type KeyState string

// The states of a key.
const (
	KeyActive  KeyState = "active"
	KeyExpired KeyState = "expired"
	KeyRevoked KeyState = "revoked"
)

// StateAt returns the key's state at now: revoked wins over expired.
func (k APIKey) StateAt(now time.Time) KeyState {
	switch {
	case k.RevokedAt != nil:
		return KeyRevoked
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return KeyExpired
	}
	return KeyActive
}

// Visibility is the set of registrations a principal may see, in a form every storage and
// search implementation can turn into a query filter: a registration is visible when any
// clause holds. Hits, totals and counts must never include invisible records.
type Visibility struct {
	All       bool     // every registration (records officers)
	Public    bool     // every non-confidential registration
	Offices   []string // every registration assigned to one of these offices
	CreatedBy string   // every registration this principal registered
	// Party: every registration shared with this party (Party(portal, applicant)) by one of its
	// cases: its submission, the messages exchanged, its final act.
	Party string
}

// VisibilityOf returns what p may see. Confidential registrations are visible only to records
// officers, to the offices they are assigned to, and to whoever registered them.
//
// A portal sees only what the cases of the applicant it acts for share with the applicant: not
// what it filed for other applicants, and nothing at all without an applicant.
func VisibilityOf(p Principal) Visibility {
	if p.Has(RolePortal) {
		if p.Applicant == "" {
			return Visibility{} // ActFor lets no such request through; nothing, should one slip by
		}
		return Visibility{Party: Party(p.ID, p.Applicant)}
	}
	v := Visibility{CreatedBy: p.ID}
	switch {
	case p.Has(RoleRecordsOfficer):
		v.All = true
	case p.Has(RoleProtocolOperator, RoleAdmin):
		v.Public = true
	}
	if p.Has(RoleClerk, RoleProtocolOperator) {
		v.Offices = p.Offices
	}
	return v
}

// Allows reports whether r is visible under v.
func (v Visibility) Allows(r *Registration) bool {
	if v.All || (v.Public && !r.Confidential) || (v.CreatedBy != "" && r.CreatedBy == v.CreatedBy) ||
		(v.Party != "" && slices.Contains(r.Parties, v.Party)) {
		return true
	}
	for _, o := range r.Offices {
		if slices.Contains(v.Offices, o) {
			return true
		}
	}
	return false
}
