// Package oidcauth checks the bearer tokens of the administration's OpenID Connect identity
// provider for domain.Service.Authenticate: it implements domain.IdentityVerifier with
// coreos/go-oidc, the only importer of that library.
//
// The provider is discovered (/.well-known/openid-configuration) on the first token rather
// than at start, so that the server starts while the provider is down; a failed discovery is
// retried, at most once every retryAfter. The provider's signing keys (JWKS) are kept by
// go-oidc's RemoteKeySet, which fetches them again when a token names a key it does not hold
// (the provider rotated its keys).
package oidcauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/sportello/sportello/domain"
)

// Claims names the token claims an identity is read from.
type Claims struct {
	Subject string // default "sub"
	Email   string // default "email"; ignored when the token says email_verified false
	TaxCode string // default "fiscal_number" (SPID, CIE), "TINIT-" prefix and all
}

// Config is what Sportello knows of the identity provider.
type Config struct {
	// Issuer is the provider's issuer URL, exactly as its tokens' "iss" says.
	Issuer string
	// Audience must be one of the tokens' "aud": the client id the provider issues them to.
	Audience string
	Claims   Claims
	// Client fetches the discovery document and the keys; nil means a client with a
	// 10-second timeout.
	Client *http.Client
}

// retryAfter is the least time between two attempts to discover an unreachable provider.
const retryAfter = 5 * time.Second

// Verifier checks tokens against one provider.
type Verifier struct {
	cfg Config

	mu       sync.Mutex
	verifier *gooidc.IDTokenVerifier
	failed   time.Time // when discovery last failed
	err      error
}

// New returns a Verifier for cfg; nothing is fetched until the first token.
func New(cfg Config) *Verifier {
	if cfg.Claims.Subject == "" {
		cfg.Claims.Subject = "sub"
	}
	if cfg.Claims.Email == "" {
		cfg.Claims.Email = "email"
	}
	if cfg.Claims.TaxCode == "" {
		cfg.Claims.TaxCode = "fiscal_number"
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Verifier{cfg: cfg}
}

// discovered returns the token verifier, discovering the provider the first time.
func (v *Verifier) discovered() (*gooidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verifier != nil {
		return v.verifier, nil
	}
	if v.err != nil && time.Since(v.failed) < retryAfter {
		return nil, v.err
	}
	// The context carries the HTTP client for the discovery and for every later key fetch.
	ctx := gooidc.ClientContext(context.Background(), v.cfg.Client)
	p, err := gooidc.NewProvider(ctx, v.cfg.Issuer)
	if err != nil {
		e := domain.Errorf(domain.ECUnavailable, "the identity provider %s cannot be reached to check the token; retry later", v.cfg.Issuer)
		e.Err = err
		v.failed, v.err = time.Now(), e
		return nil, e
	}
	v.verifier = p.VerifierContext(ctx, &gooidc.Config{ClientID: v.cfg.Audience})
	return v.verifier, nil
}

// Verify checks the token's signature against the provider's keys, its issuer, audience and
// expiry, and reads the identity from the configured claims. Returns unauthorized (saying
// why) for a token that fails any check or names no subject, unavailable when the provider
// cannot be discovered.
func (v *Verifier) Verify(ctx context.Context, token string) (domain.Identity, error) {
	verifier, err := v.discovered()
	if err != nil {
		return domain.Identity{}, err
	}
	t, err := verifier.Verify(ctx, token)
	if err != nil {
		return domain.Identity{}, refused(err)
	}
	var claims map[string]any
	if err := t.Claims(&claims); err != nil {
		return domain.Identity{}, refused(err)
	}
	id := domain.Identity{
		Subject: stringClaim(claims, v.cfg.Claims.Subject),
		Email:   strings.ToLower(stringClaim(claims, v.cfg.Claims.Email)),
		TaxCode: domain.NormaliseTaxCode(stringClaim(claims, v.cfg.Claims.TaxCode)),
		Expiry:  t.Expiry,
	}
	if verified, ok := claims["email_verified"].(bool); ok && !verified {
		id.Email = ""
	}
	if id.Subject == "" {
		return domain.Identity{}, domain.Errorf(domain.ECUnauthorized, "the token has no %q claim naming the person", v.cfg.Claims.Subject)
	}
	return id, nil
}

func stringClaim(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return strings.TrimSpace(s)
}

// refused turns go-oidc's reason into an unauthorized error that says it.
func refused(err error) error {
	var expired *gooidc.TokenExpiredError
	reason := strings.TrimPrefix(err.Error(), "oidc: ")
	if errors.As(err, &expired) {
		reason = fmt.Sprintf("the token expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
	}
	e := domain.Errorf(domain.ECUnauthorized, "invalid bearer token: %s", reason)
	e.Err = err
	return e
}
