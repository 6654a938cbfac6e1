package openapigen

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/domain"
)

// problemExample is what the contract shows as an example of one problem code: the detail,
// the request path and, for a validation failure, the field named.
type problemExample struct {
	detail, instance, field string
	// only, when set, says on which operations the code can occur.
	only func(path string, op *openapi3.Operation) bool
}

// problemExamples holds an example of every code the API answers with (api.ProblemCodes):
// generation fails when a code has none.
var problemExamples = map[domain.ErrorCode]problemExample{
	domain.ECValidation:      {detail: "is not a valid codice fiscale or partita IVA", instance: "/v1/cases", field: domain.ApplicantHeader},
	domain.ECImmutable:       {detail: "subject cannot change once registered: annul the registration and register again", instance: registration},
	domain.ECNotFound:        {detail: "no registration PG/2026/0000042", instance: registration},
	domain.ECUnauthorized:    {detail: "an API key is required: send Authorization: Bearer <token>", instance: "/v1/registrations"},
	domain.ECForbidden:       {detail: "only portal clients may act for an applicant (X-Applicant-Id)", instance: "/v1/registrations"},
	domain.ECConflict:        {detail: "the registration is already annulled", instance: registration + "/annulment"},
	domain.ECPayloadTooLarge: {detail: "the request body is larger than the upload limit", instance: "/v1/registrations"},
	domain.ECUnsupportedMedia: {
		detail: `the body must be multipart/form-data with a boundary, not "application/json"`, instance: "/v1/registrations"},
	domain.ECIdempotencyMismatch: {
		detail: "this Idempotency-Key was used for another request", instance: "/v1/registrations",
		only: func(_ string, op *openapi3.Operation) bool {
			return op.Parameters.GetByInAndName("header", "Idempotency-Key") != nil
		},
	},
	domain.ECGone:                {detail: "the content was destroyed by a disposal", instance: registration + "/document"},
	domain.ECUnavailable:         {detail: "the database does not answer: retry after Retry-After seconds", instance: "/v1/registrations"},
	domain.ECInsufficientStorage: {detail: "the disk is full: nothing was registered and no number was taken", instance: "/v1/registrations"},
	domain.ECInternal:            {instance: "/v1/registrations"},
	"integrity_violation": {
		detail: "the registration differs from its leaf in the transparency log", instance: registration + "/receipt",
		only: func(path string, _ *openapi3.Operation) bool { return strings.HasSuffix(path, "/receipt") },
	},
	domain.ECTooManyRequests: {detail: "this API key is over its rate limit: retry later", instance: "/v1/registrations"},
	"method_not_allowed":     {detail: "DELETE is not allowed on /v1/registrations", instance: "/v1/registrations"},
	"not_acceptable":         {detail: "the receipt is available as application/pdf or application/json", instance: registration + "/receipt"},
}

// registration is the path of the registration the examples speak of.
const registration = "/v1/registrations/PG/2026/0000042"

// problemComponents declares the example of every problem code once among the components,
// where problem responses refer to them.
func problemComponents(doc *openapi3.T) error {
	if doc.Components.Examples == nil {
		doc.Components.Examples = openapi3.Examples{}
	}
	for _, code := range api.ProblemCodes() {
		ex, ok := problemExamples[code]
		if !ok {
			return fmt.Errorf("problem code %s has no example in internal/openapigen", code)
		}
		var err error = domain.Errorf(code, "%s", ex.detail)
		if ex.field != "" {
			var v domain.Validation
			v.Add(ex.field, "%s", ex.detail)
			err = v.Err()
		}
		var value map[string]any
		data, _ := json.Marshal(api.ExampleProblem(err, ex.instance)) // a Problem always encodes
		if err := json.Unmarshal(data, &value); err != nil {
			return err
		}
		doc.Components.Examples[string(code)] = &openapi3.ExampleRef{Value: openapi3.NewExample(value)}
	}
	return nil
}

// statuses declares the answers that middleware, not the handler, may give to any operation:
// 500 from the recovery of a panic anywhere, and on /v1 the 503 of an authentication that
// cannot reach the database. (401, 403, 422 and 429 are declared by applicantProblems and
// tooManyRequests.) A 405 answers a method that a path does not have, that is an operation
// the contract does not declare, so it has no place among any operation's responses: the
// description of errors in the info says when it comes.
func statuses(doc *openapi3.T) {
	for path, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			add := map[int]string{http.StatusInternalServerError: "Internal Server Error"}
			if strings.HasPrefix(path, "/v1/") {
				add[http.StatusServiceUnavailable] = "Service Unavailable"
			}
			for status, text := range add {
				if op.Responses.Status(status) != nil {
					continue
				}
				desc := text
				op.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: &openapi3.Response{
					Description: &desc,
					Content: openapi3.Content{"application/problem+json": openapi3.NewMediaType().WithSchemaRef(
						openapi3.NewSchemaRef("#/components/schemas/"+schemaPrefix+"Problem", nil))},
				}})
			}
			if op.Security == nil && !strings.HasPrefix(path, "/v1/") {
				op.Security = &openapi3.SecurityRequirements{}
			}
		}
	}
}

// retryAfter documents the Retry-After header of a 503 (api/errors.go writeProblem) or a 429.
func retryAfter(resp *openapi3.Response) {
	if resp.Headers == nil {
		resp.Headers = openapi3.Headers{}
	}
	resp.Headers["Retry-After"] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: "Whole seconds to wait before retrying",
		Required:    true,
		Schema:      openapi3.NewIntegerSchema().WithMin(1).NewRef(),
	}}}
}

// problemResponseExamples gives each problem response the examples of its own status: one per
// code that status carries. The media type is made anew, since responses added in bulk share
// theirs.
func problemResponseExamples(doc *openapi3.T, path string, op *openapi3.Operation, status string, resp *openapi3.Response) error {
	mt := resp.Content["application/problem+json"]
	if mt == nil {
		return nil
	}
	examples, err := problemExamplesOf(doc, path, op, status)
	if err != nil {
		return err
	}
	resp.Content["application/problem+json"] = &openapi3.MediaType{Schema: mt.Schema, Examples: examples}
	return nil
}

// problemExamplesOf refers to the examples of the codes answered with status on op (any
// operation when op is nil).
func problemExamplesOf(doc *openapi3.T, path string, op *openapi3.Operation, status string) (openapi3.Examples, error) {
	out := openapi3.Examples{}
	for code, ex := range doc.Components.Examples {
		value, ok := ex.Value.Value.(map[string]any)
		if !ok || fmt.Sprint(value["status"]) != status {
			continue
		}
		if only := problemExamples[domain.ErrorCode(code)].only; only != nil && op != nil && !only(path, op) {
			continue
		}
		out[code] = &openapi3.ExampleRef{Ref: "#/components/examples/" + code, Value: ex.Value}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no problem code answers with status %s", path, status)
	}
	return out, nil
}

// pruneExamples drops the problem examples no response refers to: method_not_allowed, which
// answers a method that no operation declares (see statuses).
func pruneExamples(doc *openapi3.T) {
	used := map[string]bool{}
	mark := func(resp *openapi3.Response) {
		if mt := resp.Content["application/problem+json"]; mt != nil {
			for _, ex := range mt.Examples {
				used[ex.Ref] = true
			}
		}
	}
	for _, r := range doc.Components.Responses {
		mark(r.Value)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, r := range op.Responses.Map() {
				mark(r.Value)
			}
		}
	}
	for code := range doc.Components.Examples {
		if !used["#/components/examples/"+code] {
			delete(doc.Components.Examples, code)
		}
	}
}
