package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// Text that reaches the database is valid UTF-8 without NUL bytes. PostgreSQL refuses both
// (a 500 before these checks) while SQLite stores them, so the same request got two answers;
// now it is a 422 validation_failed naming the field, on either engine, before any handler runs.

// textProblem says what is wrong with s as stored text, or "" when nothing is.
func textProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8 text"
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain NUL characters"
	}
	return ""
}

// storedHeaders are the request headers whose values are stored.
var storedHeaders = []string{idempotencyKeyHeader, domain.ApplicantHeader}

// checkRequestText refuses a request whose path parameters, query parameters or stored headers
// are not storable text. Path parameters are named as in the route (`id`), query parameters by
// their name, as checkQuery does. Go's server already answers 400 to a NUL in a header.
func (h *handlers) checkRequestText(c *gin.Context) {
	var v domain.Validation
	for _, p := range c.Params {
		if problem := textProblem(p.Value); problem != "" {
			v.Add(p.Key, "%s", problem)
		}
	}
	q := c.Request.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if problem := textProblem(k); problem != "" {
			v.Add(escapedName(k), "the parameter name %s", problem)
			continue
		}
		for _, val := range q[k] {
			if problem := textProblem(val); problem != "" {
				v.Add(k, "%s", problem)
				break
			}
		}
	}
	for _, name := range storedHeaders {
		for _, val := range c.Request.Header.Values(name) {
			if problem := textProblem(val); problem != "" {
				v.Add(name, "%s", problem)
				break
			}
		}
	}
	if err := v.Err(); err != nil {
		h.fail(c, err)
		return
	}
	c.Next()
}

// escapedName shows a name that is not storable text with Go escapes (`a\x00b`), so that the
// field of the problem is itself valid text.
func escapedName(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// checkJSONText returns a validation error naming the JSON path (`correspondents[0].name`, as
// unknown fields are named) of the first string, member names included, that is not storable
// text; what names the document when the fault is its top value. encoding/json turns invalid
// UTF-8 into U+FFFD silently and decodes `\u0000` to NUL, so the raw bytes are checked and
// walked. Malformed JSON is left to the decoder to report.
func checkJSONText(data []byte, what string) error {
	w := jsonText{dec: json.NewDecoder(bytes.NewReader(data)), bad: int64(len(data))}
	if !utf8.Valid(data) {
		w.bad = int64(firstInvalidUTF8(data))
	}
	field, problem, err := w.value("")
	if err != nil || problem == "" {
		return nil
	}
	if field == "" {
		field = what
	}
	return domain.Invalid(field, "%s", problem)
}

// firstInvalidUTF8 returns the offset of the first byte of data that is not valid UTF-8.
func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

// jsonText walks a JSON document token by token; bad is the offset of its first byte of invalid
// UTF-8 (its length when there is none).
type jsonText struct {
	dec *json.Decoder
	bad int64
}

// value reads the value at path and returns the path of the first string in it that is not
// storable text, with the problem; err is a syntax error.
func (w *jsonText) value(path string) (field, problem string, err error) {
	tok, err := w.dec.Token()
	if err != nil {
		return "", "", err
	}
	switch t := tok.(type) {
	case json.Delim:
		for i := 0; w.dec.More(); i++ {
			elem := fmt.Sprintf("%s[%d]", path, i)
			if t == '{' {
				tok, err := w.dec.Token()
				if err != nil {
					return "", "", err
				}
				name, _ := tok.(string)
				if path != "" {
					elem = path + "." + name
				} else {
					elem = name
				}
				if problem := w.problem(name); problem != "" {
					return strings.TrimSuffix(elem, name) + escapedName(name), "the member name " + problem, nil
				}
			}
			if field, problem, err := w.value(elem); err != nil || problem != "" {
				return field, problem, err
			}
		}
		_, err = w.dec.Token() // the closing delimiter
		return "", "", err
	case string:
		return path, w.problem(t), nil
	}
	return "", "", nil
}

// problem says what is wrong with the string token s just read.
func (w *jsonText) problem(s string) string {
	if problem := textProblem(s); problem != "" {
		return problem
	}
	if w.dec.InputOffset() > w.bad {
		return "must be valid UTF-8 text"
	}
	return ""
}

// firstFault returns the offset of the first byte of text that is NUL or not valid UTF-8.
func firstFault(text []byte) int {
	i := firstInvalidUTF8(text)
	if nul := bytes.IndexByte(text[:i], 0); nul >= 0 {
		return nul
	}
	return i
}
