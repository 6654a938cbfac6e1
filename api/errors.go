package api

import (
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// This file is the one place where error codes become HTTP statuses (docs/architecture.md).

// codeMethodNotAllowed is the one code the API adds to the domain's: only the router knows
// which methods a path accepts.
const codeMethodNotAllowed domain.ErrorCode = "method_not_allowed"

// codeNotAcceptable answers an Accept header that no representation satisfies (406); like
// method_not_allowed it is HTTP's business, not the domain's.
const codeNotAcceptable domain.ErrorCode = "not_acceptable"

// codeIntegrityViolation answers a request that would certify a registration whose row no
// longer matches its transparency log leaf (a receipt): the server's own data is at fault, so
// it is a 5xx, but a distinct code, logged as an integrity alarm, not a generic internal error.
const codeIntegrityViolation domain.ErrorCode = "integrity_violation"

// problemKind is how each code is reported: its HTTP status and a fixed title.
type problemKind struct {
	status int
	title  string
}

var problemKinds = map[domain.ErrorCode]problemKind{
	domain.ECValidation:          {http.StatusUnprocessableEntity, "The request is not valid"},
	domain.ECImmutable:           {http.StatusConflict, "A registered field cannot change"},
	domain.ECNotFound:            {http.StatusNotFound, "Not found"},
	domain.ECUnauthorized:        {http.StatusUnauthorized, "Authentication required"},
	domain.ECForbidden:           {http.StatusForbidden, "Not allowed"},
	domain.ECConflict:            {http.StatusConflict, "Conflict with the current state"},
	domain.ECPayloadTooLarge:     {http.StatusRequestEntityTooLarge, "The request is too large"},
	domain.ECUnsupportedMedia:    {http.StatusUnsupportedMediaType, "Unsupported media type"},
	domain.ECIdempotencyMismatch: {http.StatusUnprocessableEntity, "Idempotency-Key reused for another request"},
	domain.ECGone:                {http.StatusGone, "Destroyed by a disposal"},
	domain.ECUnavailable:         {http.StatusServiceUnavailable, "Service unavailable"},
	domain.ECInsufficientStorage: {http.StatusInsufficientStorage, "Insufficient storage"},
	domain.ECInternal:            {http.StatusInternalServerError, "Internal error"},
	domain.ECTooManyRequests:     {http.StatusTooManyRequests, "Too many requests"},
	codeMethodNotAllowed:         {http.StatusMethodNotAllowed, "Method not allowed"},
	codeNotAcceptable:            {http.StatusNotAcceptable, "No acceptable representation"},
	codeIntegrityViolation:       {http.StatusInternalServerError, "The register differs from its transparency log"},
}

// statusOf returns the HTTP status for code; unknown codes are internal errors.
func statusOf(code domain.ErrorCode) int {
	if k, ok := problemKinds[code]; ok {
		return k.status
	}
	return http.StatusInternalServerError
}

// problemTypeBase prefixes the code to form the problem `type` URI. A URN is stable and makes
// no promise that a page exists at some address.
const problemTypeBase = "urn:sportello:problem:"

// ProblemField names one invalid input: a JSON path in the body, a query or path parameter,
// a multipart part or a header.
type ProblemField struct {
	Field   string `json:"field" example:"correspondents[0].name"`
	Message string `json:"message" example:"is required"`
}

// Problem is an RFC 9457 problem detail (application/problem+json). Code is stable: clients
// branch on it, never on title or detail.
type Problem struct {
	Type      string         `json:"type" example:"urn:sportello:problem:validation_failed"`
	Title     string         `json:"title" example:"The request is not valid"`
	Status    int            `json:"status" example:"422"`
	Detail    string         `json:"detail" example:"subject: is required"`
	Code      string         `json:"code" enums:"validation_failed,immutable_field,not_found,unauthorized,forbidden,conflict,payload_too_large,unsupported_media_type,idempotency_mismatch,gone,unavailable,insufficient_storage,internal,integrity_violation,too_many_requests,method_not_allowed,not_acceptable"`
	Instance  string         `json:"instance,omitempty" example:"/v1/registrations"`
	Errors    []ProblemField `json:"errors,omitempty"`
	RequestID string         `json:"request_id"`
}

// problemOf builds the problem for err. Only the domain error's own message is shown: the
// wrapping context and the cause may hold internals (SQL, paths).
func problemOf(err error, requestID, instance string) Problem {
	code := domain.CodeOf(err)
	kind, ok := problemKinds[code]
	if !ok {
		code, kind = domain.ECInternal, problemKinds[domain.ECInternal]
	}
	p := Problem{
		Type: problemTypeBase + string(code), Title: kind.title, Status: kind.status,
		Code: string(code), Instance: instance, RequestID: requestID,
	}
	var de *domain.Error
	if code != domain.ECInternal && errors.As(err, &de) {
		p.Detail = de.Message
		for _, f := range de.Fields {
			p.Errors = append(p.Errors, ProblemField(f))
		}
	}
	if p.Detail == "" {
		p.Detail = kind.title
	}
	if code == domain.ECInternal {
		p.Detail = "An unexpected error occurred. Quote the request id when reporting it."
	}
	return p
}

// fail answers the request with the problem for err and aborts the chain. Internal and
// unavailable errors are logged here, once, with the request id and the full error chain.
func (h *handlers) fail(c *gin.Context, err error) {
	err = h.faults(err)
	p := problemOf(err, requestID(c), c.Request.URL.Path)
	switch p.Code {
	case string(domain.ECInternal):
		h.log.ErrorContext(c.Request.Context(), "internal error", slog.String("request_id", p.RequestID),
			slog.String("route", c.FullPath()), slog.Any("error", err))
	case string(codeIntegrityViolation):
		h.log.ErrorContext(c.Request.Context(), "integrity alarm: the register differs from the transparency log",
			slog.String("request_id", p.RequestID), slog.String("route", c.FullPath()), slog.Any("error", err))
	case string(domain.ECUnavailable):
		h.log.WarnContext(c.Request.Context(), "dependency unavailable", slog.String("request_id", p.RequestID),
			slog.Any("error", err))
	}
	if p.Status == http.StatusUnauthorized || p.Status == http.StatusForbidden {
		h.recordRefusal(c, p)
	}
	if p.Status == http.StatusUnauthorized && c.Writer.Header().Get("WWW-Authenticate") == "" {
		c.Header("WWW-Authenticate", `Bearer realm="sportello"`)
	}
	writeProblem(c, p)
}

// writeProblem sends p; it is also used where no handlers value exists (recovery, 404/405).
func writeProblem(c *gin.Context, p Problem) {
	c.Header("Content-Type", "application/problem+json")
	c.Header("Cache-Control", "no-store")
	if p.Status == http.StatusServiceUnavailable {
		setRetryAfter(c)
	}
	c.Status(p.Status)
	_ = encodeJSON(c.Writer, p)
	c.Abort()
}

// ProblemCodes lists every code the API answers with, sorted, so that the contract can show an
// example of each (internal/openapigen).
func ProblemCodes() []domain.ErrorCode {
	codes := slices.Collect(maps.Keys(problemKinds))
	slices.Sort(codes)
	return codes
}

// ExampleProblem is the problem the API answers for err at instance, as the contract shows it.
func ExampleProblem(err error, instance string) Problem {
	return problemOf(err, "019aefc3-5b7e-7c41-9d3a-4f2b8e6a1c05", instance)
}
