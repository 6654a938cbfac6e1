package oidcauth_test

import (
	"net"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/oidcauth"
)

func TestVerify(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	sign := func(extra jwt.MapClaims) string {
		cl := jwt.MapClaims{"iss": m.Issuer(), "aud": m.ClientID, "sub": "s-1", "exp": time.Now().Add(time.Hour).Unix()}
		for k, v := range extra {
			cl[k] = v
		}
		tok, err := m.Keypair.SignJWT(cl)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	v := oidcauth.New(oidcauth.Config{Issuer: m.Issuer(), Audience: m.ClientID,
		Claims: oidcauth.Claims{Subject: "employee_id", TaxCode: "cf"}})

	t.Run("ConfiguredClaims", func(t *testing.T) {
		id, err := v.Verify(t.Context(), sign(jwt.MapClaims{"employee_id": "E42", "email": "A@Example.org", "cf": "tinit-rssmra80a01h501u"}))
		if err != nil || id.Subject != "E42" || id.Email != "a@example.org" || id.TaxCode != "RSSMRA80A01H501U" || id.Expiry.IsZero() {
			t.Errorf("identity %+v, %v", id, err)
		}
	})
	t.Run("UnverifiedEmailIgnored", func(t *testing.T) {
		id, err := v.Verify(t.Context(), sign(jwt.MapClaims{"employee_id": "E42", "email": "a@example.org", "email_verified": false}))
		if err != nil || id.Email != "" {
			t.Errorf("identity %+v, %v; want no e-mail", id, err)
		}
	})
	t.Run("ErrNoSubjectClaim", func(t *testing.T) {
		if _, err := v.Verify(t.Context(), sign(nil)); !domain.IsCode(err, domain.ECUnauthorized) {
			t.Errorf("%v, want unauthorized: the token lacks employee_id", err)
		}
	})
	t.Run("ErrProviderDown", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		down := oidcauth.New(oidcauth.Config{Issuer: "http://" + addr + "/oidc", Audience: "x"})
		for range 2 { // the second answer comes from the remembered failure
			if _, err := down.Verify(t.Context(), sign(nil)); !domain.IsCode(err, domain.ECUnavailable) {
				t.Errorf("%v, want unavailable", err)
			}
		}
	})
}

// BenchmarkVerify is the cost of a token the server has not cached yet (a new token, or the
// same one after the one-second cache): signature (RS256, 2048 bits), issuer, audience, expiry
// and claims, with the provider's keys already fetched.
func BenchmarkVerify(b *testing.B) {
	m, err := mockoidc.Run()
	if err != nil {
		b.Fatal(err)
	}
	defer m.Shutdown()
	tok, err := m.Keypair.SignJWT(jwt.MapClaims{"iss": m.Issuer(), "aud": m.ClientID, "sub": "s-1",
		"fiscal_number": "TINIT-RSSMRA80A01H501U", "exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		b.Fatal(err)
	}
	v := oidcauth.New(oidcauth.Config{Issuer: m.Issuer(), Audience: m.ClientID})
	if _, err := v.Verify(b.Context(), tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(b.Context(), tok); err != nil {
			b.Fatal(err)
		}
	}
}
