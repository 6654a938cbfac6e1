package apptest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	sportello "github.com/sportello/sportello"
)

// XML answers (the segnatura) are text to the contract, which describes them as a string:
// kin-openapi has no decoder of its own for application/xml.
func init() {
	openapi3filter.RegisterBodyDecoder("application/xml",
		func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			text, err := io.ReadAll(body)
			return string(text), err
		})
}

// The contract check: every exchange a test makes through ContractClient is validated against
// the committed openapi.yaml, so that the spec cannot promise what the server does not do, nor
// the server do what the spec does not describe.
//
//   - Every response is validated, its status code included: an answer the spec does not list
//     fails the test. A JSON body is validated twice: by kin-openapi, and by OAS 3.0.3 to the
//     letter (strict.go), as the strict tools portals use would.
//   - A request is validated when the server accepted it (answered 2xx). A request the server
//     accepted must be one the spec allows, and a spec that describes requests the server
//     refuses is caught by tests sending what the spec describes (the multipart and generated
//     client tests). Requests the server refused are not validated: the tests that send
//     malformed bodies, unknown fields, wrong content types or bad tokens on purpose would
//     otherwise all fail.

// The contract's CSV and TSV bodies are text (schema type string) that the server parses
// itself: kin-openapi has no decoder for text/tab-separated-values, and its text/csv decoder
// reads comma-separated CSV without a byte order mark only, narrower than the IPA lists the
// server accepts as published. Both are read as text, like text/plain, and so is the HTML of
// the verification page (GET /verify).
func init() {
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/tab-separated-values", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	// The audit export's NDJSON is text to the contract too: one JSON object per line.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
}

// Contract returns openapi.yaml, loaded and validated once.
var Contract = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(sportello.OpenAPI)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

// ContractRouter finds the operations of openapi.yaml for requests to baseURL.
func ContractRouter(t testing.TB, baseURL string) routers.Router {
	t.Helper()
	doc, err := Contract()
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

// ContractClient returns an HTTP client for the server at baseURL whose exchanges are checked
// against openapi.yaml, violations reported as test errors. It does not follow redirects, so
// that they are checked too.
func ContractClient(t testing.TB, baseURL string) *http.Client {
	return &http.Client{
		Transport:     &contractTransport{t: t, router: ContractRouter(t, baseURL), base: http.DefaultTransport},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// contractTransport is the http.RoundTripper behind ContractClient.
type contractTransport struct {
	t      testing.TB
	router routers.Router
	base   http.RoundTripper
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var sent []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		sent, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(sent))
	}
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
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		ct.checkRequest(req, sent, route, params)
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
	ct.checkStrictly(req, route, resp, body)
	return resp, nil
}

// checkStrictly validates a JSON response body again, by OAS 3.0.3 to the letter
// (strict_schema.go): kin-openapi reads some schemas more generously than strict tools do.
func (ct *contractTransport) checkStrictly(req *http.Request, route *routers.Route, resp *http.Response, body []byte) {
	ct.t.Helper()
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if len(body) == 0 || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return
	}
	strict, err := strictOpenAPI()
	if err == nil {
		err = strict.check(route.Method, route.Path, resp.StatusCode, mt, body)
	}
	if err != nil {
		ct.t.Errorf("contract (strict OAS 3.0.3): %s %s (operation %s) answered %d, which openapi.yaml does not allow:\n%v\nbody: %.2000s",
			req.Method, req.URL.Path, route.Operation.OperationID, resp.StatusCode, err, body)
	}
}

// checkRequest validates a request the server accepted: its parameters, headers, body and
// credentials must be what the operation declares.
func (ct *contractTransport) checkRequest(req *http.Request, body []byte, route *routers.Route, params map[string]string) {
	ct.t.Helper()
	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(body))
	input := &openapi3filter.RequestValidationInput{
		Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: bearerSent},
	}
	if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
		ct.t.Errorf("contract: the server accepted %s %s, but openapi.yaml does not allow the request: %v\nbody: %.2000s",
			req.Method, req.URL.Path, err, body)
	}
}

// bearerSent checks the credentials of an accepted request against its security requirement:
// the server checked the token itself, the contract only says where it goes.
func bearerSent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if s := in.SecurityScheme; s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
		return fmt.Errorf("%s: security scheme %s %s is not one the contract test knows", in.SecuritySchemeName, s.Type, s.Scheme)
	}
	if auth := in.RequestValidationInput.Request.Header.Get("Authorization"); !strings.HasPrefix(auth, "Bearer ") {
		return fmt.Errorf("%s: no bearer token in Authorization", in.SecuritySchemeName)
	}
	return nil
}
