package app

import (
	"errors"
	"net"
	"net/url"

	"github.com/sportello/sportello/oidcauth"
)

// validateOIDC checks the identity provider's settings: issuer and audience go together, and
// the issuer is https (plain http only on a loopback address, for a provider on the same
// host), since its keys decide who is signed in.
func (c *Config) validateOIDC() []error {
	if c.OIDCIssuer == "" && c.OIDCAudience == "" {
		return nil
	}
	var errs []error
	if c.OIDCIssuer == "" || c.OIDCAudience == "" {
		errs = append(errs, errors.New("SPORTELLO_OIDC_ISSUER and SPORTELLO_OIDC_AUDIENCE go together"))
	}
	if c.OIDCIssuer != "" {
		u, err := url.Parse(c.OIDCIssuer)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			errs = append(errs, errors.New("SPORTELLO_OIDC_ISSUER: want an https URL"))
		case u.Scheme == "http" && !loopbackHost(u.Hostname()):
			errs = append(errs, errors.New("SPORTELLO_OIDC_ISSUER: want https (plain http only on a loopback address)"))
		}
	}
	if c.OIDCClaimSubject == "" || c.OIDCClaimEmail == "" || c.OIDCClaimTaxCode == "" {
		errs = append(errs, errors.New("SPORTELLO_OIDC_CLAIM_SUBJECT, _EMAIL and _TAX_CODE must not be empty"))
	}
	return errs
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// identityVerifier returns the identity provider's token checker, or nil without one.
func (c *Config) identityVerifier() *oidcauth.Verifier {
	if c.OIDCIssuer == "" {
		return nil
	}
	return oidcauth.New(oidcauth.Config{Issuer: c.OIDCIssuer, Audience: c.OIDCAudience, Claims: oidcauth.Claims{
		Subject: c.OIDCClaimSubject, Email: c.OIDCClaimEmail, TaxCode: c.OIDCClaimTaxCode,
	}})
}
