package api_test

import (
	"net/http"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

func TestIdempotentRegistration(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		meta := apptest.Incoming("Domanda")
		parts := []apptest.Part{
			{Name: "document", Filename: "a.pdf", Content: apptest.PDF("a")},
			{Name: "attachment", Filename: "b.txt", Content: []byte("allegato")},
		}
		var first, retry api.Registration
		r1 := c.register(op, meta, parts, "Idempotency-Key", "upload-1")
		r1.decode(t, http.StatusCreated, &first)
		if r1.Header.Get("Idempotent-Replayed") != "" {
			t.Error("the first answer says it is replayed")
		}
		// apptest.Multipart draws a new boundary each time: the retry's bytes differ.
		r2 := c.register(op, meta, parts, "Idempotency-Key", "upload-1")
		r2.decode(t, http.StatusCreated, &retry)
		if r2.Header.Get("Idempotent-Replayed") != "true" || retry.ID != first.ID || retry.Number != first.Number {
			t.Errorf("retry gave %+v (replayed %q), want the first registration %s", retry, r2.Header.Get("Idempotent-Replayed"), first.ID)
		}
		if r2.Header.Get("Location") != r1.Header.Get("Location") {
			t.Errorf("retry Location %q, want %q", r2.Header.Get("Location"), r1.Header.Get("Location"))
		}

		other := apptest.Incoming("Un'altra domanda")
		c.register(op, other, parts, "Idempotency-Key", "upload-1").problem(t, 422, "idempotency_mismatch")
		renamed := []apptest.Part{{Name: "document", Filename: "renamed.pdf", Content: apptest.PDF("a")}, parts[1]}
		c.register(op, meta, renamed, "Idempotency-Key", "upload-1").problem(t, 422, "idempotency_mismatch")

		var page api.RegistrationList
		c.do("GET", "/v1/registrations", op, nil).decode(t, http.StatusOK, &page)
		if len(page.Items) != 1 {
			t.Errorf("%d registrations after a retry and two mismatches, want 1", len(page.Items))
		}
		if next := c.mustRegister(op, "Dopo"); next.Number != 2 {
			t.Errorf("next number %d, want 2: a retry took a number", next.Number)
		}
	})
}

func TestIdempotentJSONPosts(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		body := map[string]string{"code": "TEC", "name": "Ufficio tecnico"}
		var first, again api.Office
		c.json("POST", "/v1/offices", s.AdminToken, body, "Idempotency-Key", "office-1").decode(t, http.StatusCreated, &first)
		r := c.json("POST", "/v1/offices", s.AdminToken, `{ "code": "TEC",   "name": "Ufficio tecnico" }`, "Idempotency-Key", "office-1")
		r.decode(t, http.StatusCreated, &again)
		if r.Header.Get("Idempotent-Replayed") != "true" || again != first {
			t.Errorf("replay %+v (replayed %q), want %+v", again, r.Header.Get("Idempotent-Replayed"), first)
		}
		c.json("POST", "/v1/offices", s.AdminToken, map[string]string{"code": "AMM", "name": "x"}, "Idempotency-Key", "office-1").
			problem(t, 422, "idempotency_mismatch")
		// The same key on another path is another request, not a replay of the office.
		c.json("POST", "/v1/registers", s.AdminToken, body, "Idempotency-Key", "office-1").problem(t, 422, "idempotency_mismatch")

		var created api.CreatedClient
		newClient := map[string]any{"name": "portale", "roles": []string{"portal"}}
		c.json("POST", "/v1/clients", s.AdminToken, newClient, "Idempotency-Key", "client-1").decode(t, http.StatusCreated, &created)
		var replay api.CreatedClient
		r = c.json("POST", "/v1/clients", s.AdminToken, newClient, "Idempotency-Key", "client-1")
		r.decode(t, http.StatusCreated, &replay)
		if created.Token == "" || replay.Token != "" || replay.ID != created.ID || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("client replay %+v after %+v: the token must be shown once", replay, created)
		}
	})
}

// TestEmptyIdempotencyKey: an Idempotency-Key header sent empty is 422 naming it, on uploads
// and JSON posts alike, and takes no number.
func TestEmptyIdempotencyKey(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		doc := []apptest.Part{{Name: "document", Filename: "a.pdf", Content: apptest.PDF("a")}}
		p := c.register(op, apptest.Incoming("Chiave vuota"), doc, "Idempotency-Key", "").problem(t, 422, "validation_failed")
		namesField(t, p, "Idempotency-Key", "empty")
		p = c.json("POST", "/v1/offices", s.AdminToken, map[string]string{"code": "TEC", "name": "Tecnico"}, "Idempotency-Key", "").
			problem(t, 422, "validation_failed")
		namesField(t, p, "Idempotency-Key", "empty")
		if reg := c.mustRegister(op, "Senza chiave"); reg.Number != 1 {
			t.Fatalf("after the refusal the first number is %d, want 1", reg.Number)
		}
	})
}
