package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// newDossierBody is a valid POST /v1/dossiers body in VI.3 for office TEC.
func newDossierBody(subject string) map[string]any {
	return map[string]any{"class": "VI.3", "subject": subject, "type": "procedimento", "office": "TEC"}
}

// mustOpen opens a dossier and returns it.
func (c *client) mustOpen(token string, body map[string]any) api.Dossier {
	c.t.Helper()
	var d api.Dossier
	c.json("POST", "/v1/dossiers", token, body).decode(c.t, http.StatusCreated, &d)
	return d
}

var dossierIdentifier = regexp.MustCompile(`^2[0-9]{3}-VI\.3-[0-9]{6}$`)

// TestDossierConcurrentNumbering: 200 dossiers opened at once in one class and
// year get the numbers 1..200, with no gap and no repetition.
func TestDossierConcurrentNumbering(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		const n = 200
		// A transport of its own, whose connections are closed before the server stops: a
		// connection dialled but never used would hold up its shutdown.
		tr := &http.Transport{MaxIdleConnsPerHost: n}
		hc := &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
		numbers := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				body, _ := json.Marshal(newDossierBody(fmt.Sprintf("Pratica %d", i)))
				req, _ := http.NewRequest("POST", s.URL+"/v1/dossiers", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+op)
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				var d api.Dossier
				if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &d) != nil {
					t.Errorf("status %d: %s", resp.StatusCode, raw)
					return
				}
				if d.Identifier != fmt.Sprintf("%d-VI.3-%06d", d.Year, d.Number) {
					t.Errorf("identifier %s for number %d", d.Identifier, d.Number)
				}
				numbers[i] = d.Number
			})
		}
		wg.Wait()
		slices.Sort(numbers)
		for i, got := range numbers {
			if got != int64(i+1) {
				t.Fatalf("numbers %v…: want 1..%d without gaps", numbers[max(0, i-3):min(n, i+3)], n)
			}
		}
	})
}

func TestCreateDossier(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		s.NewOffice(t, "RAG", "Ragioneria")
		op := s.NewClient(t, "op", []string{"protocol_operator"})
		clerk := s.NewClient(t, "clerk", []string{"clerk"}, "TEC")
		portal := s.NewClient(t, "portal", []string{"portal"})

		d := c.mustOpen(clerk, newDossierBody("Permesso di costruire, via Roma 1"))
		if !dossierIdentifier.MatchString(d.Identifier) || d.Number != 1 || d.Class != "VI.3" || d.Status != "open" ||
			d.ClosedAt != nil || len(d.Items) != 0 || d.Office != "TEC" || d.Type != "procedimento" {
			t.Errorf("dossier %+v", d)
		}
		m := d.Metadata
		if m.IdAgg != d.Identifier || m.TipologiaFascicolo != "procedimento" || m.Assegnazione != "TEC" || m.Progressivo != 1 ||
			m.Classificazione != "VI.3" || m.ChiaveDescrittiva != d.Subject || m.DataApertura == "" || m.DataChiusura != "" {
			t.Errorf("metadata %+v", m)
		}
		var byIdent, byID api.Dossier
		c.do("GET", "/v1/dossiers/"+d.Identifier, op, nil).decode(t, http.StatusOK, &byIdent)
		c.do("GET", "/v1/dossiers/"+d.ID, op, nil).decode(t, http.StatusOK, &byID)
		if byIdent.ID != d.ID || byID.Identifier != d.Identifier {
			t.Errorf("read back %+v %+v", byIdent, byID)
		}

		t.Run("SubDossier", func(t *testing.T) {
			body := newDossierBody("Varianti")
			body["parent"] = d.Identifier
			sub := c.mustOpen(op, body)
			if sub.Parent != d.ID || sub.Number != 2 {
				t.Errorf("sub-dossier %+v", sub)
			}
			body["class"] = "VI.1"
			namesField(t, c.json("POST", "/v1/dossiers", op, body).problem(t, 422, "validation_failed"), "parent", "shares its parent's class")
		})
		t.Run("IdempotentRetry", func(t *testing.T) {
			body := newDossierBody("Una volta sola")
			var first, again api.Dossier
			c.json("POST", "/v1/dossiers", op, body, "Idempotency-Key", "k1").decode(t, http.StatusCreated, &first)
			r := c.json("POST", "/v1/dossiers", op, body, "Idempotency-Key", "k1")
			r.decode(t, http.StatusCreated, &again)
			if again.ID != first.ID || r.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("retry answered %+v", again)
			}
		})
		t.Run("ErrBadInput", func(t *testing.T) {
			cases := []struct {
				edit  func(map[string]any)
				field string
				word  string
			}{
				{func(b map[string]any) { delete(b, "class") }, "class", "required"},
				{func(b map[string]any) { b["class"] = "6.3" }, "class", "classification"},
				{func(b map[string]any) { b["class"] = "XX.99" }, "class", "unknown class"},
				{func(b map[string]any) { b["subject"] = " " }, "subject", "required"},
				{func(b map[string]any) { b["type"] = "fascicolo" }, "type", "must be one of"},
				{func(b map[string]any) { b["office"] = "NOPE" }, "office", "unknown office"},
				{func(b map[string]any) { b["parent"] = "2026-VI.3-999999" }, "parent", "unknown dossier"},
				{func(b map[string]any) { b["number"] = 7 }, "number", "unknown field"},
			}
			for _, tc := range cases {
				b := newDossierBody("x")
				tc.edit(b)
				namesField(t, c.json("POST", "/v1/dossiers", op, b).problem(t, 422, "validation_failed"), tc.field, tc.word)
			}
		})
		t.Run("ErrForbidden", func(t *testing.T) {
			c.json("POST", "/v1/dossiers", portal, newDossierBody("x"), "X-Applicant-Id", bizApplicant).problem(t, 403, "forbidden")
			b := newDossierBody("x")
			b["office"] = "RAG"
			c.json("POST", "/v1/dossiers", clerk, b).problem(t, 403, "forbidden")
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			c.do("GET", "/v1/dossiers/2026-VI.3-999999", op, nil).problem(t, 404, "not_found")
			c.do("GET", "/v1/dossiers/"+d.ID, portal, nil, "X-Applicant-Id", bizApplicant).problem(t, 404, "not_found")
		})
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// mustJSON encodes v (a decoded history value) back to JSON, for comparison.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
