package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/internal/apptest"
)

// TestContractLimitsAreTheServers sends the real server values just inside and just outside
// every limit openapi.yaml declares on a request (each enum value and one more, lengths and
// bounds and one past them, samples on both sides of each pattern) and checks that the server
// refuses, naming the field, exactly the values the contract refuses. Every declared limit
// needs a probe below and every probe a declared limit, so neither side can drift alone.
func TestContractLimitsAreTheServers(t *testing.T) {
	doc, err := apptest.Contract()
	if err != nil {
		t.Fatal(err)
	}
	declared := declaredLimits(doc)
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		l := newLimitProbes(t, s)
		for key, schema := range declared {
			p, ok := l.probes[key]
			if !ok {
				p, ok = l.parameterProbe(key)
			}
			if !ok {
				t.Errorf("%s: openapi.yaml declares limits but this test has no probe for them", key)
				continue
			}
			for _, tr := range trials(t, schema, p) {
				r := p.send(tr.value)
				if refused := refuses(r, p.field, p.detail); refused == tr.valid {
					t.Errorf("%s = %s: the contract says valid=%v, the server refused=%v (%d %s)",
						key, shorten(tr.value), tr.valid, refused, r.Status, r.Body)
				}
			}
		}
		for key := range l.probes {
			if _, ok := declared[key]; !ok && l.declarable(doc, key) {
				t.Errorf("%s: the server enforces limits that openapi.yaml does not declare", key)
			}
		}
	})
}

// probe puts a value where a limit applies and sends the request.
type probe struct {
	field   string // what the server names when it refuses the value
	detail  string // or, for a refusal of the whole body, what it says
	send    func(v any) *response
	samples []string      // values to try against a pattern; default patternSamples
	item    any           // a valid array element, for minItems
	ascii   bool          // lengths in bytes (headers): try ASCII values
	values  func(any) any // wraps the value (an array element into an array)
}

// trial is one value to send and whether the contract accepts it.
type trial struct {
	value any
	valid bool
}

// trials derives from the declared limits the values just inside and just outside them.
func trials(t *testing.T, s *openapi3.Schema, p probe) []trial {
	var out []trial
	for _, e := range s.Enum {
		out = append(out, trial{e, true})
	}
	if len(s.Enum) > 0 {
		out = append(out, trial{"not_" + fmt.Sprint(s.Enum[0]), false})
	}
	if s.Pattern != "" {
		re := regexp.MustCompile(s.Pattern)
		samples := p.samples
		if samples == nil {
			samples = patternSamples[patternName(t, s.Pattern)]
		}
		for _, v := range samples {
			out = append(out, trial{v, re.MatchString(v)})
		}
	}
	char := "è" // lengths are in characters, not bytes
	if p.ascii {
		char = "k"
	}
	if s.MaxLength != nil {
		n := int(*s.MaxLength)
		out = append(out, trial{strings.Repeat(char, n), true}, trial{strings.Repeat(char, n+1), false})
	}
	if n := int(s.MinLength); n > 0 {
		out = append(out, trial{strings.Repeat(char, n), true}, trial{strings.Repeat(char, n-1), false})
	}
	if s.Min != nil {
		out = append(out, trial{int(*s.Min), true}, trial{int(*s.Min) - 1, false})
	}
	if s.Max != nil {
		out = append(out, trial{int(*s.Max), true}, trial{int(*s.Max) + 1, false})
	}
	if n := int(s.MinItems); n > 0 {
		out = append(out, trial{slices.Repeat([]any{p.item}, n), true}, trial{slices.Repeat([]any{p.item}, n-1), false})
	}
	if s.MaxItems != nil {
		n := int(*s.MaxItems)
		out = append(out, trial{slices.Repeat([]any{p.item}, n), true}, trial{slices.Repeat([]any{p.item}, n+1), false})
	}
	if p.values != nil {
		for i := range out {
			out[i].value = p.values(out[i].value)
		}
	}
	return out
}

// patternName finds the domain pattern a declared pattern is.
func patternName(t *testing.T, pattern string) string {
	for name, re := range domain.Patterns {
		if re.String() == pattern {
			return name
		}
	}
	t.Fatalf("pattern %s is none of domain.Patterns", pattern)
	return ""
}

// patternSamples lie on both sides of each domain pattern, at its length bounds and on the
// characters it admits. Codes that must exist to be accepted are created by newLimitProbes.
var patternSamples = map[string][]string{
	"register":        {"PG", longRegister, longRegister + "X", "pg", "1PG", "P G"},
	"office":          {"TEC", "a.b-c_9", longOffice, longOffice + "X", "-TEC", "T C", "TÈC"},
	"class":           {"VI", "VI.3", "VI.3.2", "vi", "VI.", "VI.1234", "6.3", "VI..3"},
	"tax_code":        {"RSSMRA80A01H501U", "rssmra80a01h501u", "RSSMRA80A01H5M1U", "12345678903", "RSSMRA80A01H501", "RSSMRA80A01H5O1U", "1234567890", "123456789012"},
	"procedure":       {"scia", "a", longProcedure, longProcedure + "x", "-scia", "sc ia"},
	"ipa_code":        {"c_h501", "APBar", "A1B2C3D", "_", strings.Repeat("a", 32), strings.Repeat("a", 33), "c h501", "c-h501", "c.h501", "cà"},
	"protocol_number": {"1", "0000001", "999999999999999", "0", "0000000", "1" + strings.Repeat("0", 15), "1a", "-1"},
}

var (
	longRegister  = "R" + strings.Repeat("9", 15)
	longOffice    = "O" + strings.Repeat("9", 31)
	longProcedure = "p" + strings.Repeat("9", 63)
)

// refuses reports whether the answer is a validation problem naming field, or saying detail.
func refuses(r *response, field, detail string) bool {
	if r.Status != http.StatusUnprocessableEntity {
		return false
	}
	var p api.Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		return false
	}
	if detail != "" {
		return strings.Contains(p.Detail, detail)
	}
	return slices.ContainsFunc(p.Errors, func(e api.ProblemField) bool { return e.Field == field })
}

func shorten(v any) string {
	s := []rune(fmt.Sprint(v))
	if len(s) > 30 {
		return fmt.Sprintf("%q…(%d characters)", string(s[:30]), len(s))
	}
	return fmt.Sprintf("%q", string(s))
}

// plain sends a request without the contract-validating transport: most probes are meant to
// break the contract.
func plain(t *testing.T, s *apptest.Server, method, path, token string, body io.Reader, headers ...string) *response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}
