package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// Strict JSON decoding. A portal that misspells a field (`sender_ref`) or sends a field the
// system assigns (`number`) must hear about it instead of having it silently dropped: every
// decoding problem is a 422 validation_failed naming the field, including malformed JSON.

// maxJSONBody limits JSON request bodies; they are small by nature.
const maxJSONBody = 1 << 20

// readJSONBody checks the Content-Type (415 unless JSON) and reads the body (413 over the
// limit). It returns the raw bytes, for decoding and for the idempotency fingerprint.
func readJSONBody(c *gin.Context) ([]byte, error) {
	if !isJSONMediaType(c.GetHeader("Content-Type")) {
		return nil, domain.Errorf(domain.ECUnsupportedMedia,
			"the body must be application/json, not %q", c.GetHeader("Content-Type"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxJSONBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, domain.Errorf(domain.ECPayloadTooLarge, "the JSON body is larger than %d bytes", maxJSONBody)
	}
	if err != nil {
		return nil, domain.Invalid("body", "could not be read: %v", err)
	}
	return body, nil
}

// isJSONMediaType accepts application/json and any application/*+json (merge-patch, …).
func isJSONMediaType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// decodeStrict decodes the JSON object data into v (a pointer to a struct). what names the
// input in messages ("body", "metadata"). Fields not in v's type are reported through unknown,
// which returns the error to give for each path, so that callers can say more than "unknown"
// (assigned by the system, immutable).
func decodeStrict(data []byte, v any, what string, unknown func(path string) (domain.ErrorCode, string)) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return domain.Invalid(what, "is empty: send a JSON object")
	}
	if err := checkJSONText(data, what); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return malformed(what, err)
	}
	if dec.More() || dec.InputOffset() != int64(len(data)) {
		return domain.Invalid(what, "malformed JSON: unexpected data after the JSON value at byte %d", dec.InputOffset())
	}
	if raw[0] != '{' {
		return domain.Invalid(what, "must be a JSON object")
	}
	var paths []string
	unknownFields(raw, reflect.TypeOf(v), "", &paths)
	if err := unknownError(paths, unknown); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return malformed(what, err)
	}
	return nil
}

// unknownError turns unknown field paths into one error; the code of the first path wins,
// so that an immutable field (409) is reported as such even beside a misspelt one.
func unknownError(paths []string, classify func(string) (domain.ErrorCode, string)) error {
	if len(paths) == 0 {
		return nil
	}
	var v domain.Validation
	code := domain.ECValidation
	for _, p := range paths {
		c, msg := domain.ECValidation, "unknown field"
		if classify != nil {
			c, msg = classify(p)
		}
		if c != domain.ECValidation && code == domain.ECValidation {
			code = c
		}
		v.Add(p, "%s", msg)
	}
	var e *domain.Error
	errors.As(v.Err(), &e)
	e.Code = code
	return e
}

// malformed explains a decoding error: the byte offset of a syntax error, the field and the
// expected JSON type of a type error.
func malformed(what string, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return domain.Invalid(what, "malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ) && typ.Field != "":
		return domain.Invalid(typ.Field, "must be %s, not %s", jsonKind(typ.Type), typ.Value)
	case errors.As(err, &typ):
		return domain.Invalid(what, "must be %s, not %s", jsonKind(typ.Type), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return domain.Invalid(what, "malformed JSON: unexpected end of input")
	}
	return domain.Invalid(what, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// unknownFields appends the path of every object member in data that t has no JSON field for,
// recursing into nested objects and arrays. Names match exactly: encoding/json would accept
// `Subject` for `subject`, and a strict API does not.
func unknownFields(data json.RawMessage, t reflect.Type, path string, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return // not an object: json.Unmarshal reports the type error
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			ft, ok := fields[k]
			if !ok {
				*out = append(*out, p)
				continue
			}
			unknownFields(obj[k], ft, p, out)
		}
	case reflect.Slice:
		var arr []json.RawMessage
		if json.Unmarshal(data, &arr) != nil {
			return
		}
		for i, el := range arr {
			unknownFields(el, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}

// jsonFields maps the JSON names of t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}
