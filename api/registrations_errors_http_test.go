package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
)

// TestCreateRegistrationErrors sends every kind of bad upload and checks the problem and that
// no protocol number was taken: the next good registration is number 1.
func TestCreateRegistrationErrors(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		clerk := s.NewClient(t, "clerk", []string{"clerk"})
		pdf := apptest.PDF("x")
		doc := []apptest.Part{{Name: "document", Filename: "a.pdf", Content: pdf}}
		with := func(k string, v any) map[string]any {
			m := apptest.Incoming("Oggetto")
			m[k] = v
			return m
		}

		t.Run("ErrNoToken", func(t *testing.T) {
			r := c.register("", apptest.Incoming("x"), doc)
			r.problem(t, 401, "unauthorized")
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate challenge")
			}
		})
		t.Run("ErrWrongToken", func(t *testing.T) {
			r := c.register("spt_nope_nope", apptest.Incoming("x"), doc)
			r.problem(t, 401, "unauthorized")
			if !strings.Contains(r.Header.Get("WWW-Authenticate"), "invalid_token") {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			c.register(clerk, apptest.Incoming("x"), doc).problem(t, 403, "forbidden")
		})
		t.Run("ErrNotMultipart", func(t *testing.T) {
			c.json("POST", "/v1/registrations", op, apptest.Incoming("x")).problem(t, 415, "unsupported_media_type")
		})
		t.Run("ErrTooLarge", func(t *testing.T) {
			big := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16) // 5 MiB > the 4 MiB limit
			c.register(op, apptest.Incoming("x"), []apptest.Part{{Name: "document", Filename: "big.bin", Content: big}}).
				problem(t, 413, "payload_too_large")
		})
		t.Run("ErrMalformedMetadata", func(t *testing.T) {
			p := c.register(op, `{"direction": "incoming",`, doc).problem(t, 422, "validation_failed")
			namesField(t, p, "metadata", "malformed JSON")
		})
		t.Run("ErrMetadataType", func(t *testing.T) {
			namesField(t, c.register(op, with("subject", 42), doc).problem(t, 422, "validation_failed"), "subject", "string")
		})
		t.Run("ErrMissingDocument", func(t *testing.T) {
			p := c.register(op, apptest.Incoming("x"), []apptest.Part{{Name: "attachment", Filename: "a.pdf", Content: pdf}}).
				problem(t, 422, "validation_failed")
			namesField(t, p, "document", "required")
		})
		t.Run("ErrUnknownField", func(t *testing.T) {
			namesField(t, c.register(op, with("sender_ref", "1"), doc).problem(t, 422, "validation_failed"), "sender_ref", "unknown")
		})
		t.Run("ErrSystemAssigned", func(t *testing.T) {
			for _, f := range []string{"number", "year", "date", "registered_at", "identifier", "status", "id"} {
				namesField(t, c.register(op, with(f, "1"), doc).problem(t, 422, "validation_failed"), f, "assigned by the system")
			}
		})
		t.Run("ErrDomainValidation", func(t *testing.T) {
			namesField(t, c.register(op, with("subject", " "), doc).problem(t, 422, "validation_failed"), "subject", "required")
			namesField(t, c.register(op, with("direction", "sideways"), doc).problem(t, 422, "validation_failed"), "direction", "incoming")
		})
		t.Run("ErrUnknownRegister", func(t *testing.T) {
			namesField(t, c.register(op, with("register", "NOPE"), doc).problem(t, 422, "validation_failed"), "register", "unknown register")
		})
		t.Run("ErrUnknownOffice", func(t *testing.T) {
			namesField(t, c.register(op, with("offices", []string{"ZZZ"}), doc).problem(t, 422, "validation_failed"), "offices[0]", "unknown office")
		})
		t.Run("ErrTooManyDescriptions", func(t *testing.T) {
			p := c.register(op, with("attachment_descriptions", []string{"a"}), doc).problem(t, 422, "validation_failed")
			namesField(t, p, "attachment_descriptions", "attachment parts")
		})

		if reg := c.mustRegister(op, "Finalmente"); reg.Number != 1 {
			t.Errorf("after the failures the first number is %d, want 1: a failure took a number", reg.Number)
		}
	})
}

func TestRequestIDAndProblems(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		r := c.do("GET", "/v1/me", "", nil, "X-Request-Id", "portal-req-42")
		p := r.problem(t, 401, "unauthorized")
		if r.Header.Get("X-Request-Id") != "portal-req-42" || p.RequestID != "portal-req-42" || p.Instance != "/v1/me" {
			t.Errorf("request id %q, problem %+v", r.Header.Get("X-Request-Id"), p)
		}
		r = c.do("GET", "/v1/me", "", nil, "X-Request-Id", "bad id with spaces")
		if id := r.Header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
			t.Errorf("an insane request id was echoed: %q", id)
		}
		c.do("GET", "/v1/nothing-here", s.AdminToken, nil).problem(t, http.StatusNotFound, "not_found")
		r = c.do("DELETE", "/v1/registrations", s.AdminToken, nil)
		r.problem(t, http.StatusMethodNotAllowed, "method_not_allowed")
		if allow := r.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
			t.Errorf("Allow %q", allow)
		}
	})
}
