package api_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
)

// person is a user of the test identity provider, with the claims an Italian provider sends
// (SPID and CIE: fiscal_number with the TINIT- prefix).
type person struct{ sub, email, fiscal string }

func (p person) ID() string { return p.sub }

func (p person) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": p.sub})
}

func (p person) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return personClaims{IDTokenClaims: base, Email: p.email, EmailVerified: p.email != "", FiscalNumber: p.fiscal}, nil
}

type personClaims struct {
	*mockoidc.IDTokenClaims
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	FiscalNumber  string `json:"fiscal_number,omitempty"`
}

// startProvider runs the OIDC provider of the test on loopback.
func startProvider(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// withProvider configures the server to accept m's tokens.
func withProvider(m *mockoidc.MockOIDC) apptest.Option {
	return apptest.WithConfig(func(c *app.Config) { c.OIDCIssuer, c.OIDCAudience = m.Issuer(), m.ClientID })
}

// signIn goes through the provider's authorization code flow as p, the way a browser and a
// front end would, and returns the ID token the provider issues.
func signIn(t *testing.T, m *mockoidc.MockOIDC, p person) string {
	t.Helper()
	m.QueueUser(p)
	const callback = "http://127.0.0.1/callback"
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"scope": {"openid email"}, "state": {"s"}, "nonce": {"n"}, "client_id": {m.ClientID},
		"response_type": {"code"}, "redirect_uri": {callback}}
	resp, err := noRedirect.Get(m.AuthorizationEndpoint() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = http.PostForm(m.TokenEndpoint(), url.Values{"grant_type": {"authorization_code"},
		"code": {loc.Query().Get("code")}, "client_id": {m.ClientID}, "client_secret": {m.ClientSecret}, "redirect_uri": {callback}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.IDToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tr.IDToken
}

// claims are valid claims for sub from m, valid for an hour.
func claims(m *mockoidc.MockOIDC, sub string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": m.Issuer(), "aud": m.ClientID, "sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func TestOIDCSignIn(t *testing.T) {
	m := startProvider(t)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		cf := apptest.TaxCode()
		u := s.NewUser(t, map[string]any{"name": "Maria Bianchi", "tax_code": cf, "email": "maria@comune.example.it",
			"roles": []string{"protocol_operator", "clerk"}, "offices": []string{"TEC"}})
		maria := person{sub: "maria-" + u.ID, email: "maria@comune.example.it", fiscal: "TINIT-" + cf}
		token := signIn(t, m, maria)

		t.Run("ValidTokenSignsThePersonIn", func(t *testing.T) {
			var me api.Principal
			c.do("GET", "/v1/me", token, nil).decode(t, http.StatusOK, &me)
			if me.Person != u.ID || me.ID != u.ID || me.Name != "Maria Bianchi" ||
				strings.Join(me.Roles, ",") != "protocol_operator,clerk" || strings.Join(me.Offices, ",") != "TEC" {
				t.Errorf("/v1/me = %+v, want Maria Bianchi (%s) with her roles and offices", me, u.ID)
			}
			var got apptest.User
			c.do("GET", "/v1/users/"+u.ID, s.AdminToken, nil).decode(t, http.StatusOK, &got)
			if got.OIDCSubject == nil || *got.OIDCSubject != maria.sub {
				t.Errorf("oidc_subject = %v, want %q bound by the first sign-in (matched by tax code)", got.OIDCSubject, maria.sub)
			}
		})

		t.Run("RegistrationRecordsThePerson", func(t *testing.T) {
			reg := c.mustRegister(token, "Istanza firmata da Maria")
			if reg.CreatedBy != u.ID {
				t.Errorf("created_by = %q, want the person %s", reg.CreatedBy, u.ID)
			}
			var h api.History
			c.do("GET", refPath(reg)+"/history", s.AdminToken, nil).decode(t, http.StatusOK, &h)
			if len(h.Items) == 0 || h.Items[0].Actor != u.ID || h.Items[0].ActorName != "Maria Bianchi" {
				t.Errorf("history = %+v, want the registration made by Maria Bianchi (%s)", h.Items, u.ID)
			}
		})

		t.Run("NewOfficesHoldAtOnce", func(t *testing.T) {
			c.json("PATCH", "/v1/users/"+u.ID, s.AdminToken, map[string]any{"offices": []string{"SUAP"}}).expect(t, http.StatusOK)
			var me api.Principal
			c.do("GET", "/v1/me", token, nil).decode(t, http.StatusOK, &me)
			if strings.Join(me.Offices, ",") != "SUAP" {
				t.Errorf("offices after the change = %v, want [SUAP]", me.Offices)
			}
		})

		t.Run("FirstSignInByEmail", func(t *testing.T) {
			v := s.NewUser(t, map[string]any{"name": "Luca Verdi", "tax_code": apptest.TaxCode(), "email": "luca@comune.example.it",
				"roles": []string{"clerk"}, "offices": []string{"TEC"}})
			var me api.Principal
			c.do("GET", "/v1/me", signIn(t, m, person{sub: "luca-" + v.ID, email: "Luca@Comune.example.it"}), nil).
				decode(t, http.StatusOK, &me)
			if me.Person != v.ID {
				t.Errorf("person = %q, want %s matched by e-mail", me.Person, v.ID)
			}
		})

		t.Run("ErrUnknownPerson", func(t *testing.T) {
			stranger := signIn(t, m, person{sub: "stranger", email: "nobody@example.org", fiscal: "TINIT-" + apptest.TaxCode()})
			p := c.do("GET", "/v1/me", stranger, nil).problem(t, http.StatusForbidden, "forbidden")
			if !strings.Contains(p.Detail, "stranger") || !strings.Contains(p.Detail, "no user") {
				t.Errorf("detail %q does not say the subject has no user", p.Detail)
			}
		})

		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		forger, err := mockoidc.NewKeypair(other)
		if err != nil {
			t.Fatal(err)
		}
		sign := func(t *testing.T, kp *mockoidc.Keypair, edit func(jwt.MapClaims)) string {
			cl := claims(m, maria.sub)
			edit(cl)
			tok, err := kp.SignJWT(cl)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		unsigned := func() string {
			enc := base64.RawURLEncoding.EncodeToString
			payload, _ := json.Marshal(claims(m, maria.sub))
			return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
		}
		for _, tc := range []struct{ name, token, says string }{
			{"ErrExpired", sign(t, m.Keypair, func(c jwt.MapClaims) {
				c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
			}), "expired"},
			{"ErrWrongAudience", sign(t, m.Keypair, func(c jwt.MapClaims) { c["aud"] = "another-client" }), "audience"},
			{"ErrWrongIssuer", sign(t, m.Keypair, func(c jwt.MapClaims) { c["iss"] = "https://idp.example.org" }), "issued by a different provider"},
			{"ErrUnsigned", unsigned(), "invalid bearer token"},
			{"ErrSignedByAnotherKey", sign(t, forger, func(jwt.MapClaims) {}), "invalid bearer token"},
			{"ErrNoToken", "", "required"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := c.do("GET", "/v1/me", tc.token, nil)
				p := r.problem(t, http.StatusUnauthorized, "unauthorized")
				if !strings.Contains(p.Detail, tc.says) {
					t.Errorf("detail %q does not say %q", p.Detail, tc.says)
				}
				if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q, want a Bearer challenge", r.Header.Get("WWW-Authenticate"))
				}
			})
		}
		t.Run("ValidTokenSignedByHand", func(t *testing.T) {
			// The hand-made tokens above fail only for what each changes.
			c.do("GET", "/v1/me", sign(t, m.Keypair, func(jwt.MapClaims) {}), nil).expect(t, http.StatusOK)
		})

		t.Run("DeactivatedPersonIsRefused", func(t *testing.T) {
			var key api.CreatedKey
			c.json("POST", "/v1/users/"+u.ID+"/keys", s.AdminToken, map[string]any{}).decode(t, http.StatusCreated, &key)
			var me api.Principal
			c.do("GET", "/v1/me", key.Token, nil).decode(t, http.StatusOK, &me)
			if me.Person != u.ID {
				t.Errorf("personal key acts as %+v, want the person %s", me, u.ID)
			}
			var got apptest.User
			c.do("POST", "/v1/users/"+u.ID+"/deactivate", s.AdminToken, nil).decode(t, http.StatusOK, &got)
			if got.Active {
				t.Error("deactivated user still active")
			}
			p := c.do("GET", "/v1/me", token, nil).problem(t, http.StatusForbidden, "forbidden")
			if !strings.Contains(p.Detail, "deactivated") {
				t.Errorf("detail %q does not say the user is deactivated", p.Detail)
			}
			c.do("GET", "/v1/me", key.Token, nil).problem(t, http.StatusUnauthorized, "unauthorized")
			c.json("POST", "/v1/users/"+u.ID+"/keys", s.AdminToken, map[string]any{}).problem(t, http.StatusConflict, "conflict")
		})
	}, withProvider(m))
}
