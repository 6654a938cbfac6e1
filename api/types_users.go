package api

import (
	"time"

	"github.com/sportello/sportello/domain"
)

// User is a staff person, as admins see them. A user is also an API client of the same id
// (GET /v1/clients lists it with its personal keys).
type User struct {
	ID      string   `json:"id"`
	Name    string   `json:"name" example:"Maria Bianchi"`
	TaxCode string   `json:"tax_code" example:"RSSMRA80A01H501U"` // codice fiscale
	Email   string   `json:"email" example:"maria.bianchi@comune.example.it"`
	Roles   []string `json:"roles" example:"clerk"`
	Offices []string `json:"offices" example:"TEC"`
	// OIDCSubject is the identity provider's subject the person signs in as; null until their
	// first sign-in binds it.
	OIDCSubject   *string    `json:"oidc_subject" extensions:"x-nullable"`
	Active        bool       `json:"active"`
	CreatedAt     time.Time  `json:"created_at" format:"date-time"`
	UpdatedAt     time.Time  `json:"updated_at" format:"date-time"`
	DeactivatedAt *time.Time `json:"deactivated_at" format:"date-time" extensions:"x-nullable"`
}

// UserList is one page of users; next_cursor is empty on the last page.
type UserList struct {
	Items      []User `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// NewUser creates a staff user.
type NewUser struct {
	Name    string   `json:"name" example:"Maria Bianchi"`
	TaxCode string   `json:"tax_code" example:"RSSMRA80A01H501U"` // a person's codice fiscale (16 characters, check character verified)
	Email   string   `json:"email" example:"maria.bianchi@comune.example.it"`
	Roles   []string `json:"roles" example:"clerk" enums:"admin,records_officer,protocol_operator,clerk,editor"`
	Offices []string `json:"offices,omitempty" example:"TEC" extensions:"x-pattern=office"`
	// OIDCSubject binds the identity provider's subject at once; without it the person's first
	// sign-in binds it, matched by tax code (or e-mail).
	OIDCSubject string `json:"oidc_subject,omitempty"`
}

// UserPatch changes a staff user; members left out stay as they are. The tax code never
// changes.
type UserPatch struct {
	Name        *string   `json:"name,omitempty"`
	Email       *string   `json:"email,omitempty"`
	OIDCSubject *string   `json:"oidc_subject,omitempty"` // "" unbinds it: the next sign-in binds again
	Roles       *[]string `json:"roles,omitempty" enums:"admin,records_officer,protocol_operator,clerk,editor"`
	Offices     *[]string `json:"offices,omitempty" example:"TEC" extensions:"x-pattern=office"`
}

func toUser(u domain.User) User {
	out := User{
		ID: u.ID, Name: u.Name, TaxCode: u.TaxCode, Email: u.Email, Roles: roleNames(u.Roles),
		Offices: nonNil(u.Offices), Active: u.DeactivatedAt == nil, CreatedAt: utc(u.CreatedAt),
		UpdatedAt: utc(u.UpdatedAt), DeactivatedAt: utcOrNil(u.DeactivatedAt),
	}
	if u.Subject != "" {
		s := u.Subject
		out.OIDCSubject = &s
	}
	return out
}

func toRoles(names []string) []domain.Role {
	roles := make([]domain.Role, 0, len(names))
	for _, r := range names {
		roles = append(roles, domain.Role(r))
	}
	return roles
}
