package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// client talks to a real server through the contract-validating transport.
type client struct {
	t  *testing.T
	s  *apptest.Server
	hc *http.Client
}

func newClient(t *testing.T, s *apptest.Server) *client {
	return &client{t: t, s: s, hc: apptest.ContractClient(t, s.URL)}
}

// response is an answer read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request; headers are name/value pairs.
func (c *client) do(method, path, token string, body io.Reader, headers ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.s.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// json sends v as a JSON body.
func (c *client) json(method, path, token string, v any, headers ...string) *response {
	c.t.Helper()
	var body []byte
	switch b := v.(type) {
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			c.t.Fatal(err)
		}
	}
	return c.do(method, path, token, bytes.NewReader(body), append([]string{"Content-Type", "application/json"}, headers...)...)
}

// register posts a multipart registration.
func (c *client) register(token string, metadata any, parts []apptest.Part, headers ...string) *response {
	c.t.Helper()
	ct, body := apptest.Multipart(metadata, parts...)
	return c.do("POST", "/v1/registrations", token, body, append([]string{"Content-Type", ct}, headers...)...)
}

// mustRegister registers a PDF with the given subject and returns the registration.
func (c *client) mustRegister(token, subject string) api.Registration {
	c.t.Helper()
	r := c.register(token, apptest.Incoming(subject), []apptest.Part{{Name: "document", Filename: "doc.pdf", Content: apptest.PDF(subject)}})
	var reg api.Registration
	r.decode(c.t, http.StatusCreated, &reg)
	return reg
}

// decode fails the test unless the status is want, then decodes the JSON body into v.
func (r *response) decode(t *testing.T, want int, v any) {
	t.Helper()
	r.expect(t, want)
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			t.Fatalf("decode %s: %v", r.Body, err)
		}
	}
}

func (r *response) expect(t *testing.T, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
}

// problem checks that the answer is a problem with status and code, and returns it.
func (r *response) problem(t *testing.T, status int, code string) api.Problem {
	t.Helper()
	r.expect(t, status)
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p api.Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("decode problem %s: %v", r.Body, err)
	}
	if p.Code != code || p.Status != status || p.RequestID == "" || p.Type == "" || p.Title == "" {
		t.Errorf("problem %+v, want status %d code %s with type, title and request_id", p, status, code)
	}
	return p
}

// namesField checks that the problem lists field in errors[] and mentions word.
func namesField(t *testing.T, p api.Problem, field, word string) {
	t.Helper()
	for _, e := range p.Errors {
		if e.Field == field && strings.Contains(e.Message+" "+p.Detail, word) {
			return
		}
	}
	t.Errorf("problem does not name %q with %q: %+v", field, word, p)
}

func refPath(r api.Registration) string {
	return "/v1/registrations/" + r.Register + "/" + strconv.Itoa(r.Year) + "/" + r.NumberFormatted
}
