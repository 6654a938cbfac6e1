package domain

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// The services in this file use the port UserStore (ports.go).

// KindUser is the entity kind of staff users in audit events and idempotency records.
const KindUser = "user"

// User is a staff person: a client of its own (Client.ID is the user's id, Client.Name the
// person's name, and the client's roles, offices and keys are the person's), with the
// person's tax code, e-mail and, once they signed in through the identity provider (or an
// admin set it), the provider's subject. A user is never deleted: deactivated, their keys and
// tokens are refused, and every act they made still names them.
type User struct {
	Client
	TaxCode       string
	Email         string
	Subject       string // OIDC subject ("sub" or the configured claim); empty until bound
	UpdatedAt     time.Time
	DeactivatedAt *time.Time
}

// Principal returns the principal acting as u.
func (u User) Principal() Principal {
	c := u.Client
	c.IsUser, c.Deactivated = true, u.DeactivatedAt != nil
	return c.Principal()
}

// StaffRoles are the roles a person may hold: portals and importers are systems, which act
// with API clients of their own.
var StaffRoles = []Role{RoleAdmin, RoleRecordsOfficer, RoleProtocolOperator, RoleClerk, RoleEditor}

// NewUser is the input of CreateUser.
type NewUser struct {
	Name    string
	TaxCode string
	Email   string
	Subject string
	Roles   []Role
	Offices []string
}

// UserPatch changes a user; nil fields stay as they are. The tax code never changes: it is who
// the person is.
type UserPatch struct {
	Name    *string
	Email   *string
	Subject *string
	Roles   *[]Role
	Offices *[]string
}

// UserFilter pages through the users.
type UserFilter struct {
	Limit  int
	Cursor string
}

// normalisePerson trims name, e-mail and subject, lower-cases the e-mail, upper-cases the tax
// code, and checks them: name required, a codice fiscale with its check character, a bare
// e-mail address.
func normalisePerson(v *Validation, name, taxCode, email, subject *string) {
	if name != nil {
		if *name = strings.TrimSpace(*name); *name == "" {
			v.Add("name", "is required")
		}
	}
	if taxCode != nil {
		id, kind, problem := ParseApplicant(*taxCode)
		*taxCode = id
		switch {
		case problem != "":
			v.Add("tax_code", "%s", problem)
		case kind != ApplicantPerson:
			v.Add("tax_code", "must be a person's codice fiscale (16 characters), not a partita IVA")
		}
	}
	if email != nil {
		*email = strings.ToLower(strings.TrimSpace(*email))
		if a, err := mail.ParseAddress(*email); err != nil || a.Address != *email {
			v.Add("email", "must be an e-mail address (name@example.org)")
		}
	}
	if subject != nil {
		*subject = strings.TrimSpace(*subject)
		if len(*subject) > 255 {
			v.Add("subject", "must be at most 255 characters")
		}
	}
}

// checkStaffRoles requires at least one role, each a staff role.
func checkStaffRoles(v *Validation, roles []Role) {
	if len(roles) == 0 {
		v.Add("roles", "at least one role is required")
	}
	for i, r := range roles {
		if !slices.Contains(StaffRoles, r) {
			v.Add(fmt.Sprintf("roles[%d]", i), "must be one of %v (portals and importers are API clients, not people)", StaffRoles)
		}
	}
}

// CreateUser adds a staff user, with no key: the person signs in through the identity
// provider, or an admin gives them a personal key (CreateUserKey). Admin only. Returns
// forbidden, validation_failed, conflict (tax code, e-mail or subject of another user).
func (s *Service) CreateUser(ctx context.Context, p Principal, in NewUser, idem Idempotency) (User, bool, error) {
	if err := p.require("creating a user", RoleAdmin); err != nil {
		return User{}, false, err
	}
	var v Validation
	normalisePerson(&v, &in.Name, &in.TaxCode, &in.Email, &in.Subject)
	checkStaffRoles(&v, in.Roles)
	if err := v.Err(); err != nil {
		return User{}, false, err
	}
	if err := s.checkOffices(ctx, in.Offices); err != nil {
		return User{}, false, err
	}
	return idempotent(ctx, s, p, idem, KindUser, s.Store.User, func() (User, error) {
		now := s.now()
		u := User{
			Client:  Client{ID: NewID(), Name: in.Name, Roles: in.Roles, Offices: uniq(in.Offices), CreatedAt: now, IsUser: true},
			TaxCode: in.TaxCode, Email: in.Email, Subject: in.Subject, UpdatedAt: now,
		}
		w := Write{
			Audit:       []AuditEvent{audit(p, now, "user.created", KindUser, u.ID)},
			Idempotency: idem.record(p, KindUser, u.ID, now),
		}
		if err := s.Store.CreateUser(ctx, u, w); err != nil {
			return User{}, fmt.Errorf("create user %q: %w", u.Name, err)
		}
		return u, nil
	})
}

// Users lists the staff users in the order they were created. Admin only. Returns forbidden,
// validation_failed.
func (s *Service) Users(ctx context.Context, p Principal, f UserFilter) (Page[User], error) {
	if err := p.require("listing users", RoleAdmin); err != nil {
		return Page[User]{}, err
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		return Page[User]{}, Invalid("limit", "must be between 1 and %d", MaxLimit)
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	return s.Store.Users(ctx, f)
}

// User returns one staff user. Admin only. Returns forbidden, not_found.
func (s *Service) User(ctx context.Context, p Principal, id string) (User, error) {
	if err := p.require("reading a user", RoleAdmin); err != nil {
		return User{}, err
	}
	return s.Store.User(ctx, id)
}

// UpdateUser changes a user's name, e-mail, subject, roles or offices, each change an audit
// event with the old and new value. The new roles and offices hold from the user's next
// request on (this replica at once, the others as soon as the database's notification
// reaches them: storage notifies every change of a user). Admin only. Returns
// forbidden, validation_failed, not_found, conflict (e-mail or subject of another user).
func (s *Service) UpdateUser(ctx context.Context, p Principal, id string, in UserPatch, idem Idempotency) (User, bool, error) {
	if err := p.require("changing a user", RoleAdmin); err != nil {
		return User{}, false, err
	}
	var v Validation
	normalisePerson(&v, in.Name, nil, in.Email, in.Subject)
	if in.Roles != nil {
		checkStaffRoles(&v, *in.Roles)
	}
	if err := v.Err(); err != nil {
		return User{}, false, err
	}
	if in.Offices != nil {
		if err := s.checkOffices(ctx, *in.Offices); err != nil {
			return User{}, false, err
		}
	}
	return idempotent(ctx, s, p, idem, KindUser, s.Store.User, func() (User, error) {
		u, err := s.changeUser(ctx, p, id, idem, func(u *User) []userChange {
			var ch []userChange
			if in.Name != nil && *in.Name != u.Name {
				ch, u.Name = append(ch, userChange{"name", u.Name, *in.Name}), *in.Name
			}
			if in.Email != nil && *in.Email != u.Email {
				ch, u.Email = append(ch, userChange{"email", u.Email, *in.Email}), *in.Email
			}
			if in.Subject != nil && *in.Subject != u.Subject {
				ch, u.Subject = append(ch, userChange{"subject", u.Subject, *in.Subject}), *in.Subject
			}
			if in.Roles != nil && !slices.Equal(*in.Roles, u.Roles) {
				ch, u.Roles = append(ch, userChange{"roles", u.Roles, *in.Roles}), *in.Roles
			}
			if in.Offices != nil && !slices.Equal(uniq(*in.Offices), u.Offices) {
				ch, u.Offices = append(ch, userChange{"offices", u.Offices, uniq(*in.Offices)}), uniq(*in.Offices)
			}
			return ch
		})
		if err != nil {
			return User{}, fmt.Errorf("update user %s: %w", id, err)
		}
		return u, nil
	})
}

// userChange is one field a change of a user sets, from old to new.
type userChange struct {
	field    string
	old, new any
}

// changeUser applies edit to the stored user and stores it with one audit event per field it
// changed (user.changed), or the deactivation (user.deactivated); an edit that changes
// nothing writes nothing.
func (s *Service) changeUser(ctx context.Context, p Principal, id string, idem Idempotency, edit func(*User) []userChange) (User, error) {
	var out User
	err := s.Store.ChangeUser(ctx, id, func(u User) (User, Write, error) {
		now := s.now()
		wasActive := u.DeactivatedAt == nil
		changes := edit(&u)
		var w Write
		for _, c := range changes {
			e, err := change(p, now, KindUser, id, c.field, c.old, c.new)
			if err != nil {
				return u, w, err
			}
			w.Audit = append(w.Audit, e)
		}
		if wasActive && u.DeactivatedAt != nil {
			w.Audit = append(w.Audit, audit(p, now, "user.deactivated", KindUser, id))
		}
		if len(w.Audit) > 0 {
			u.UpdatedAt = now
			w.Idempotency = idem.record(p, KindUser, id, now)
		}
		out = u
		return u, w, nil
	})
	s.auth.forgetPrincipal(id)
	return out, err
}

// DeactivateUser refuses the user's keys and tokens from now on (this replica at once, the
// others as soon as the database's notification reaches them); everything they did keeps naming them. Deactivating a
// deactivated user changes nothing. An admin may not deactivate themselves, so that an
// installation keeps an admin. Admin only. Returns forbidden, not_found, conflict.
func (s *Service) DeactivateUser(ctx context.Context, p Principal, id string, idem Idempotency) (User, bool, error) {
	if err := p.require("deactivating a user", RoleAdmin); err != nil {
		return User{}, false, err
	}
	if p.Person == id {
		return User{}, false, Errorf(ECConflict, "you may not deactivate yourself: ask another admin")
	}
	return idempotent(ctx, s, p, idem, KindUser, s.Store.User, func() (User, error) {
		u, err := s.changeUser(ctx, p, id, idem, func(u *User) []userChange {
			if u.DeactivatedAt == nil {
				now := s.now()
				u.DeactivatedAt = &now
			}
			return nil
		})
		if err != nil {
			return User{}, fmt.Errorf("deactivate user %s: %w", id, err)
		}
		return u, nil
	})
}

// CreateUserKey gives an active user a personal API key, for scripts: the key of a client
// (RotateKey), whose token is shown once; the user's earlier keys end after the grace
// period. Admin only. Returns forbidden, validation_failed, not_found, conflict (deactivated).
func (s *Service) CreateUserKey(ctx context.Context, p Principal, id string, in KeyRotation, idem Idempotency) (CreatedKey, bool, error) {
	if err := p.require("giving a user an API key", RoleAdmin); err != nil {
		return CreatedKey{}, false, err
	}
	u, err := s.Store.User(ctx, id)
	if err != nil {
		return CreatedKey{}, false, err
	}
	if u.DeactivatedAt != nil {
		return CreatedKey{}, false, Errorf(ECConflict, "user %s is deactivated", id)
	}
	return s.RotateKey(ctx, p, id, in, idem)
}
