package domain

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// The services in this file use the port UserStore (ports.go).

// Identity is who the administration's identity provider says signed a bearer token, read
// from the claims the installation maps (subject, e-mail, tax code).
type Identity struct {
	Subject string
	// Email is the address the provider vouches for (empty when it says it is not verified).
	Email string
	// TaxCode is the person's codice fiscale, without the "TINIT-" prefix of SPID's
	// fiscal_number.
	TaxCode string
	// Expiry is when the token stops being valid.
	Expiry time.Time
}

// IdentityVerifier checks the identity provider's bearer tokens (OpenID Connect): signature
// against the provider's published keys, issuer, audience and expiry.
type IdentityVerifier interface {
	// Verify returns the identity of a valid token. Returns unauthorized, saying why, for any
	// token that is not valid; unavailable when the provider cannot be reached to read its keys.
	Verify(ctx context.Context, token string) (Identity, error)
}

// authenticateIdentity signs in the staff user whose identity provider issued token. The
// user is found by the token's subject; on a person's first sign-in, by the tax code the
// token carries (or, without one, its verified e-mail) among the users an admin created and
// no subject is bound to yet, and the subject is then bound to that user (audited as
// user.signed_in). Nobody is created here: a person without a user gets forbidden, saying
// so. A verified token is remembered like an API key (authCacheTTL), and never past its
// expiry. Returns unauthorized (a token that is not valid), forbidden (no such user, or
// deactivated), unavailable.
func (s *Service) authenticateIdentity(ctx context.Context, token string) (Principal, error) {
	sum := sha256.Sum256([]byte(token))
	id := "oidc:" + base64.RawURLEncoding.EncodeToString(sum[:12])
	now := s.now()
	if p, ok := s.auth.get(id, sum[:], now); ok {
		return p, nil
	}
	gen := s.auth.generation()
	ident, err := s.Identities.Verify(ctx, token)
	if err != nil {
		return Principal{}, err
	}
	u, err := s.Store.UserBySubject(ctx, ident.Subject)
	if IsCode(err, ECNotFound) {
		u, err = s.bindIdentity(ctx, ident)
	}
	if err != nil {
		return Principal{}, err
	}
	if u.DeactivatedAt != nil {
		return Principal{}, Errorf(ECForbidden, "user %s (%s) is deactivated", u.ID, u.Name)
	}
	p := u.Principal()
	p.KeyID = "oidc:" + u.ID
	expiry := ident.Expiry
	s.auth.put(gen, id, sum[:], &expiry, p, now)
	return p, nil
}

// bindIdentity finds the user a first sign-in is for and binds the subject to them.
func (s *Service) bindIdentity(ctx context.Context, ident Identity) (User, error) {
	unknown := Errorf(ECForbidden, "the identity provider's subject %q is no user of Sportello: an admin must first "+
		"create the user (POST /v1/users) with this subject, or with the tax code or e-mail the token carries", ident.Subject)
	taxCode, email := ident.TaxCode, ident.Email
	if taxCode != "" {
		email = "" // the tax code names the person; an e-mail never overrides it
	}
	if taxCode == "" && email == "" {
		return User{}, unknown
	}
	u, err := s.Store.UnboundUser(ctx, taxCode, email)
	if IsCode(err, ECNotFound) {
		return User{}, unknown
	}
	if err != nil {
		return User{}, fmt.Errorf("sign in: %w", err)
	}
	matched := "tax code"
	if taxCode == "" {
		matched = "e-mail"
	}
	var out User
	err = s.Store.ChangeUser(ctx, u.ID, func(u User) (User, Write, error) {
		if u.Subject != "" {
			return u, Write{}, Errorf(ECConflict, "user %s was bound to another subject meanwhile", u.ID)
		}
		now := s.now()
		u.Subject, u.UpdatedAt = ident.Subject, now
		e := audit(u.Principal(), now, "user.signed_in", KindUser, u.ID)
		e.Detail = fmt.Sprintf("first sign-in: subject %q bound, matched by %s", ident.Subject, matched)
		out = u
		return u, Write{Audit: []AuditEvent{e}}, nil
	})
	if IsCode(err, ECConflict) {
		// Another request bound it first (the same person signing in twice at once).
		return s.Store.UserBySubject(ctx, ident.Subject)
	}
	return out, err
}

// NormaliseTaxCode reads a tax code as identity providers send it: SPID and CIE prefix the
// codice fiscale with "TINIT-"; the rest is trimmed and upper-cased.
func NormaliseTaxCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	return strings.TrimPrefix(s, "TINIT-")
}
