package api_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	sportello "github.com/sportello/sportello"
	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

func TestSystemEndpoints(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "Sportello Ovest", []string{"protocol_operator"})

		var health api.Health
		c.do("GET", "/healthz", "", nil).decode(t, http.StatusOK, &health)
		c.do("GET", "/readyz", "", nil).decode(t, http.StatusOK, &health)
		if health.Status != "ok" {
			t.Errorf("readyz %+v", health)
		}

		var me api.Principal
		c.do("GET", "/v1/me", op, nil).decode(t, http.StatusOK, &me)
		if me.Name != "Sportello Ovest" || len(me.Roles) != 1 || me.Roles[0] != "protocol_operator" || me.ID == "" {
			t.Errorf("me %+v", me)
		}
		c.do("GET", "/v1/me", "", nil).problem(t, 401, "unauthorized")
		c.do("GET", "/v1/me", "", nil, "Authorization", "Basic dXNlcjpwYXNz").problem(t, 401, "unauthorized")

		var info api.InfoResponse
		c.do("GET", "/v1/info", op, nil).decode(t, http.StatusOK, &info)
		if info.Timezone != "Europe/Rome" || info.Engine == "" || info.AOO.IPACode == "" || info.AOO.Code == "" ||
			len(info.Registers) == 0 || info.Registers[0].Code != "PG" {
			t.Errorf("info %+v", info)
		}
		// The published certificates are the ones the fingerprint names, and parse as PEM.
		if seal := pemCertificate(t, info.Signing.CertificatePEM); fingerprint(seal) != info.Signing.Fingerprint {
			t.Errorf("certificate_pem has fingerprint %s, info says %s", fingerprint(seal), info.Signing.Fingerprint)
		}
		if tsa := pemCertificate(t, info.Signing.TSACertificatePEM); tsa.Subject.String() == info.Signing.Subject {
			t.Errorf("tsa_certificate_pem is the sealing certificate %s", tsa.Subject)
		}

		c.mustRegister(op, "Per le metriche")
		metrics := string(c.do("GET", "/metrics", "", nil).Body)
		for _, want := range []string{
			`sportello_registrations_created_total{register="PG"} 1`,
			`sportello_http_requests_total{method="POST",route="/v1/registrations",status="201"} 1`,
			`sportello_http_request_duration_seconds_bucket{method="GET",route="/v1/me"`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}

		spec := c.do("GET", "/openapi.yaml", "", nil)
		if spec.Status != http.StatusOK || !bytes.Equal(spec.Body, sportello.OpenAPI) || len(spec.Body) == 0 {
			t.Errorf("/openapi.yaml: %d, %d bytes", spec.Status, len(spec.Body))
		}
		docs := c.do("GET", "/docs", "", nil)
		if docs.Status != http.StatusMovedPermanently || docs.Header.Get("Location") != "/docs/index.html" {
			t.Errorf("/docs: %d to %q", docs.Status, docs.Header.Get("Location"))
		}
		// The UI's own files are not API operations: fetched without the contract client.
		for path, want := range map[string]string{"/docs/index.html": "swagger-ui", "/docs/swagger-initializer.js": "/openapi.yaml", "/docs/swagger-ui-bundle.js": "SwaggerUIBundle"} {
			resp, err := http.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
				t.Errorf("%s: %d, body lacks %q", path, resp.StatusCode, want)
			}
		}
		// Where gin-swagger serves a spec registered with swag, the contract itself, as JSON.
		resp, err := http.Get(s.URL + "/docs/doc.json")
		if err != nil {
			t.Fatal(err)
		}
		var docJSON struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		err = json.NewDecoder(resp.Body).Decode(&docJSON)
		resp.Body.Close()
		contract, _ := apptest.Contract()
		if resp.StatusCode != http.StatusOK || err != nil || docJSON.OpenAPI != contract.OpenAPI || len(docJSON.Paths) != contract.Paths.Len() {
			t.Errorf("/docs/doc.json: %d (%v), openapi %q with %d paths", resp.StatusCode, err, docJSON.OpenAPI, len(docJSON.Paths))
		}
	})
}

func TestRegistersOfficesClients(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		admin := s.AdminToken
		op := s.NewClient(t, "op", []string{"protocol_operator"})

		var reg api.Register
		c.json("POST", "/v1/registers", admin, map[string]string{"code": "DELIB", "name": "Deliberazioni"}).decode(t, http.StatusCreated, &reg)
		if reg.Code != "DELIB" || reg.CreatedAt.IsZero() {
			t.Errorf("register %+v", reg)
		}
		c.json("POST", "/v1/registers", admin, map[string]string{"code": "DELIB", "name": "Ancora"}).problem(t, 409, "conflict")
		namesField(t, c.json("POST", "/v1/registers", admin, map[string]string{"code": "bad code", "name": "x"}).problem(t, 422, "validation_failed"), "code", "")
		c.json("POST", "/v1/registers", op, map[string]string{"code": "CONTR", "name": "Contratti"}).problem(t, 403, "forbidden")
		var regs api.RegisterList
		c.do("GET", "/v1/registers", op, nil).decode(t, http.StatusOK, &regs)
		if len(regs.Items) != 2 {
			t.Errorf("registers %+v", regs.Items)
		}
		// A special register numbers on its own (R3).
		c.mustRegister(op, "Nel protocollo generale")
		meta := apptest.Incoming("Delibera")
		meta["register"] = "DELIB"
		// DELIB was created without allow_unclassified: a registration without class is
		// refused naming class, and takes no number (the next one is still 1).
		namesField(t, c.register(op, meta, []apptest.Part{{Name: "document", Filename: "d.pdf", Content: apptest.PDF("d")}}).
			problem(t, 422, "validation_failed"), "class", "DELIB")
		meta["class"] = "VI.3"
		var inDelib api.Registration
		c.register(op, meta, []apptest.Part{{Name: "document", Filename: "d.pdf", Content: apptest.PDF("d")}}).decode(t, http.StatusCreated, &inDelib)
		if inDelib.Register != "DELIB" || inDelib.Number != 1 {
			t.Errorf("first DELIB registration %+v", inDelib)
		}

		c.json("POST", "/v1/offices", admin, map[string]string{"code": "TEC", "name": "Tecnico"}).expect(t, http.StatusCreated)
		c.json("POST", "/v1/offices", admin, map[string]string{"code": "TEC", "name": "Tecnico"}).problem(t, 409, "conflict")
		c.json("POST", "/v1/offices", op, map[string]string{"code": "AMM", "name": "x"}).problem(t, 403, "forbidden")
		namesField(t, c.json("POST", "/v1/offices", admin, map[string]string{"code": "AMM"}).problem(t, 422, "validation_failed"), "name", "required")
		var offices api.OfficeList
		c.do("GET", "/v1/offices", op, nil).decode(t, http.StatusOK, &offices)
		// TEC beside the five offices of the shipped service catalogue.
		if len(offices.Items) != 6 || !slices.ContainsFunc(offices.Items, func(o api.Office) bool { return o.Code == "TEC" }) {
			t.Errorf("offices %+v", offices.Items)
		}

		var created api.CreatedClient
		c.json("POST", "/v1/clients", admin, map[string]any{"name": "Portale", "roles": []string{"portal"}, "offices": []string{"TEC"}}).
			decode(t, http.StatusCreated, &created)
		if created.Token == "" || created.ID == "" || created.CreatedAt.IsZero() || created.Offices[0] != "TEC" {
			t.Errorf("client %+v", created)
		}
		var me api.Principal
		c.do("GET", "/v1/me", created.Token, nil, "X-Applicant-Id", bizApplicant).decode(t, http.StatusOK, &me)
		if me.ID != created.ID {
			t.Errorf("the new token authenticates %+v", me)
		}
		namesField(t, c.json("POST", "/v1/clients", admin, map[string]any{"name": "x", "roles": []string{"god"}}).problem(t, 422, "validation_failed"), "roles[0]", "")
		namesField(t, c.json("POST", "/v1/clients", admin, map[string]any{"name": "x", "roles": []string{"portal"}, "token": "mine"}).problem(t, 422, "validation_failed"), "token", "unknown")
		c.json("POST", "/v1/clients", op, map[string]any{"name": "x", "roles": []string{"admin"}}).problem(t, 403, "forbidden")
		c.do("POST", "/v1/clients", admin, strings.NewReader(strings.Repeat(" ", 2<<20)), "Content-Type", "application/json").problem(t, 413, "payload_too_large")
	})
}

// pemCertificate parses the first certificate of a PEM text.
func pemCertificate(t *testing.T, text string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(text))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", text)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
