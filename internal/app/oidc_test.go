package app

import (
	"strings"
	"testing"
)

func TestLoadOIDC(t *testing.T) {
	t.Run("OffByDefault", func(t *testing.T) {
		c, err := Load(nil, env(nil))
		if err != nil || c.identityVerifier() != nil {
			t.Fatalf("verifier without an issuer (%v)", err)
		}
	})
	t.Run("Configured", func(t *testing.T) {
		c, err := Load(nil, env(map[string]string{"SPORTELLO_OIDC_ISSUER": "https://idp.example.org/realms/comune",
			"SPORTELLO_OIDC_AUDIENCE": "sportello", "SPORTELLO_OIDC_CLAIM_TAX_CODE": "codice_fiscale"}))
		if err != nil || c.identityVerifier() == nil || c.OIDCClaimSubject != "sub" || c.OIDCClaimTaxCode != "codice_fiscale" {
			t.Fatalf("%+v, %v", c, err)
		}
	})
	for name, tc := range map[string]struct {
		vars map[string]string
		says string
	}{
		"ErrIssuerWithoutAudience": {map[string]string{"SPORTELLO_OIDC_ISSUER": "https://idp.example.org"}, "go together"},
		"ErrPlainHTTP":             {map[string]string{"SPORTELLO_OIDC_ISSUER": "http://idp.example.org", "SPORTELLO_OIDC_AUDIENCE": "s"}, "plain http only on a loopback"},
		"ErrNotAURL":               {map[string]string{"SPORTELLO_OIDC_ISSUER": "idp.example.org", "SPORTELLO_OIDC_AUDIENCE": "s"}, "want an https URL"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(nil, env(tc.vars)); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Load: %v, want %q", err, tc.says)
			}
		})
	}
	t.Run("LoopbackHTTP", func(t *testing.T) {
		if _, err := Load(nil, env(map[string]string{"SPORTELLO_OIDC_ISSUER": "http://127.0.0.1:5556/dex", "SPORTELLO_OIDC_AUDIENCE": "s"})); err != nil {
			t.Fatal(err)
		}
	})
}
