package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// searchFor runs GET /v1/search with params, waiting for the write at position.
func searchFor(t *testing.T, c *client, token string, position int64, params url.Values, headers ...string) api.SearchResult {
	t.Helper()
	if position > 0 {
		params.Set("min_position", fmt.Sprint(position))
	}
	var res api.SearchResult
	c.do("GET", "/v1/search?"+params.Encode(), token, nil, headers...).decode(t, http.StatusOK, &res)
	return res
}

func registerWith(t *testing.T, c *client, token, subject string, edit func(map[string]any)) api.Registration {
	t.Helper()
	meta := apptest.Incoming(subject)
	if edit != nil {
		edit(meta)
	}
	var r api.Registration
	c.register(token, meta, []apptest.Part{{Name: "document", Filename: "a.pdf", Content: apptest.PDF("x")}}).decode(t, http.StatusCreated, &r)
	return r
}

func TestSearch(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		s.NewOffice(t, "TEC", "Ufficio tecnico")
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		opTEC := s.NewClient(t, "operator TEC", []string{"protocol_operator"}, "TEC")
		officer := s.NewClient(t, "records", []string{"records_officer"})

		residenza := registerWith(t, c, op, "Rilascio di certificati di residenza", nil)
		pubblicita := registerWith(t, c, op, "Autorizzazione alla Pubblicità stradale", nil)
		secret := registerWith(t, c, officer, "Esposto riservato sui certificati edilizi", func(m map[string]any) {
			m["confidential"] = true
			m["offices"] = []string{"TEC"}
		})

		t.Run("ItalianStemming", func(t *testing.T) {
			res := searchFor(t, c, op, residenza.Position, url.Values{"q": {"certificato residenza"}})
			if res.Total != 1 || res.Items[0].ID != residenza.ID || res.Items[0].Identifier != residenza.Identifier {
				t.Fatalf("certificato residenza: %+v", res)
			}
			if len(res.Items[0].Highlights["subject"]) == 0 {
				t.Fatalf("no highlight: %+v", res.Items[0])
			}
			if frags, ok := res.Items[0].Highlights["text"]; ok {
				t.Fatalf("a highlight of a field that did not match: text %q", frags)
			}
		})
		t.Run("AccentsAndCaseIgnored", func(t *testing.T) {
			for _, q := range []string{"pubblicita", "PUBBLICITÀ"} {
				res := searchFor(t, c, op, pubblicita.Position, url.Values{"q": {q}})
				if res.Total != 1 || res.Items[0].ID != pubblicita.ID {
					t.Fatalf("%s: %+v", q, res)
				}
			}
		})
		t.Run("ExactProtocolReference", func(t *testing.T) {
			ref := fmt.Sprintf("%s/%d/%s", pubblicita.Register, pubblicita.Year, pubblicita.NumberFormatted)
			res := searchFor(t, c, op, secret.Position, url.Values{"q": {ref}})
			if res.Total != 1 || res.Items[0].ID != pubblicita.ID {
				t.Fatalf("%s: %+v", ref, res)
			}
		})
		t.Run("ConfidentialNeverLeaks", func(t *testing.T) {
			params := url.Values{"q": {"certificati"}, "facets": {"office,status"}}
			outsider := searchFor(t, c, op, secret.Position, params)
			if outsider.Total != 1 || outsider.Items[0].ID != residenza.ID {
				t.Fatalf("operator outside TEC sees %+v", outsider)
			}
			for _, f := range outsider.Facets["office"] {
				if f.Term == "TEC" {
					t.Fatalf("the office facet counts the confidential registration: %+v", outsider.Facets)
				}
			}
			for _, tok := range []string{opTEC, officer} {
				if res := searchFor(t, c, tok, secret.Position, params); res.Total != 2 {
					t.Fatalf("TEC operator or records officer: total %d, want 2", res.Total)
				}
			}
		})
		t.Run("ReadYourWritesEveryTime", func(t *testing.T) {
			for i := range 20 {
				subject := fmt.Sprintf("domanda numero%d di contributo", i)
				r := registerWith(t, c, op, subject, nil)
				res := searchFor(t, c, op, r.Position, url.Values{"q": {fmt.Sprintf("numero%d", i)}})
				if res.Total != 1 || res.Items[0].ID != r.ID {
					t.Fatalf("write %d not visible right after min_position %d: %+v", i, r.Position, res)
				}
			}
		})
		t.Run("SaysWhetherTotalIsExact", func(t *testing.T) {
			// A narrow query searches every month: total_exact is true and there is no
			// searched_from (search.TestEarlyStop covers broad ones).
			params := url.Values{"q": {"certificati"}, "min_position": {fmt.Sprint(secret.Position)}}
			var raw map[string]any
			c.do("GET", "/v1/search?"+params.Encode(), op, nil).decode(t, http.StatusOK, &raw)
			if exact, ok := raw["total_exact"].(bool); !ok || !exact {
				t.Fatalf("total_exact %#v, want true", raw["total_exact"])
			}
			if from, ok := raw["searched_from"]; ok {
				t.Fatalf("searched_from %#v on an exact total", from)
			}
		})
		t.Run("ErrBadParameters", func(t *testing.T) {
			namesField(t, c.do("GET", "/v1/search?q=x&colour=red", op, nil).problem(t, 422, "validation_failed"), "colour", "unknown")
			namesField(t, c.do("GET", "/v1/search?min_position=abc", op, nil).problem(t, 422, "validation_failed"), "min_position", "integer")
			namesField(t, c.do("GET", "/v1/search?min_position=999999999", op, nil).problem(t, 422, "validation_failed"), "min_position", "no write")
			c.do("GET", "/v1/search?facets=colour", op, nil).problem(t, 422, "validation_failed")
			c.do("GET", "/v1/search?from=2026-13-01", op, nil).problem(t, 422, "validation_failed")
			c.do("GET", "/v1/search", "", nil).problem(t, 401, "unauthorized")
		})
	})
}
