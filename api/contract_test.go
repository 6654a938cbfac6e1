package api_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	sportello "github.com/sportello/sportello"
)

// The contract test: every response any API test receives is validated against the committed
// openapi.yaml, status codes included, so that the spec cannot promise what the server does
// not do, nor the server answer what the spec does not describe.

var loadContract = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(sportello.OpenAPI)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

// contractRouter finds operations of openapi.yaml for requests to baseURL.
func contractRouter(t testing.TB, baseURL string) routers.Router {
	t.Helper()
	doc, err := loadContract()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	clone := *doc
	clone.Servers = openapi3.Servers{{URL: baseURL}}
	r, err := gorillamux.NewRouter(&clone)
	if err != nil {
		t.Fatalf("openapi.yaml router: %v", err)
	}
	return r
}

// contractTransport is an http.RoundTripper that validates every response against the
// contract and reports violations as test errors.
type contractTransport struct {
	t      testing.TB
	router routers.Router
	base   http.RoundTripper
}

// newContractClient returns an HTTP client for the server at baseURL whose responses are all
// checked against openapi.yaml. It does not follow redirects, so that they are checked too.
func newContractClient(t testing.TB, baseURL string) *http.Client {
	return &http.Client{
		Transport:     &contractTransport{t: t, router: contractRouter(t, baseURL), base: http.DefaultTransport},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := ct.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, nil // the caller sees the short body
	}
	ct.t.Helper()
	route, params, err := ct.router.FindRoute(req)
	if err != nil {
		// Only the router's own answers to unknown paths and methods are outside the spec.
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if (resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed) || mt != "application/problem+json" {
			ct.t.Errorf("contract: %s %s is not in openapi.yaml (%v) and answered %d %s", req.Method, req.URL.Path, err, resp.StatusCode, mt)
		}
		return resp, nil
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), input); err != nil {
		ct.t.Errorf("contract: %s %s answered %d, which openapi.yaml does not allow: %v\nbody: %.2000s",
			req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}
