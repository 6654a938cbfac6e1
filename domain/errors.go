// Package domain holds Sportello's entities, their rules and the ports (interfaces) through which
// the services reach storage and blobs. It imports no HTTP, ORM or search library: everything
// that decides what is legal (numbering, immutability, who may see what) lives here.
// Rule ids in comments (R2, N1, M3 …) are those of docs/compliance.md.
package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ErrorCode is a stable, machine-readable error code. The API maps each code to one HTTP status
// (api/errors.go) and reports it as the `code` of an RFC 9457 problem.
type ErrorCode string

// The error codes. Clients rely on these strings: never rename one.
const (
	ECValidation          ErrorCode = "validation_failed"      // the input breaks a rule (422)
	ECImmutable           ErrorCode = "immutable_field"        // a registered field cannot change (409)
	ECNotFound            ErrorCode = "not_found"              // no such thing, or not visible to the caller (404)
	ECUnauthorized        ErrorCode = "unauthorized"           // no or wrong credentials (401)
	ECForbidden           ErrorCode = "forbidden"              // the caller's roles do not allow it (403)
	ECConflict            ErrorCode = "conflict"               // the state does not allow it, or it already exists (409)
	ECPayloadTooLarge     ErrorCode = "payload_too_large"      // over the configured size limit (413)
	ECUnsupportedMedia    ErrorCode = "unsupported_media_type" // wrong request content type (415)
	ECIdempotencyMismatch ErrorCode = "idempotency_mismatch"   // same Idempotency-Key, different request (422)
	ECGone                ErrorCode = "gone"                   // it existed and was destroyed on purpose: disposed of (410)
	ECUnavailable         ErrorCode = "unavailable"            // a dependency is down; retry later (503)
	ECInsufficientStorage ErrorCode = "insufficient_storage"   // the disk holding blobs or the database is full (507)
	ECInternal            ErrorCode = "internal"               // a bug or an unexpected failure (500)
	ECTooManyRequests     ErrorCode = "too_many_requests"      // over a rate limit; retry after Retry-After (429)
)

// FieldError names one invalid input field, as a JSON path in the request (`correspondents[0].name`).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type the domain returns. Code says what kind of failure it is, Message
// says it to a person, Fields lists invalid inputs for validation errors. Err, when set, is the
// underlying cause: it is logged, never shown to clients.
type Error struct {
	Code    ErrorCode
	Message string
	Fields  []FieldError
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, ECInternal for any other error and
// "" for nil.
func CodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ECInternal
}

// IsCode reports whether err carries code.
func IsCode(err error, code ErrorCode) bool { return CodeOf(err) == code }

// Invalid is a validation_failed error naming one field, for the checks that stop at the first.
func Invalid(field, format string, args ...any) error {
	var v Validation
	v.Add(field, format, args...)
	return v.Err()
}

// Validation accumulates field errors; Err returns nil when there are none.
type Validation struct{ fields []FieldError }

// Add records that field is invalid.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Len is the number of fields recorded so far.
func (v *Validation) Len() int { return len(v.fields) }

// Err returns a validation_failed *Error listing every recorded field, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := v.fields[0].Field + ": " + v.fields[0].Message
	if len(v.fields) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(v.fields)-1)
	}
	return &Error{Code: ECValidation, Message: msg, Fields: v.fields}
}
