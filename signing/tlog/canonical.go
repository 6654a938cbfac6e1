package tlog

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// canonicalJSON encodes v — built of map[string]any, []any, string, int64, int, bool and nil —
// as canonical JSON: the RFC 8785 (JCS) encoding restricted to those types, so that any JCS
// library reproduces the bytes. Object keys are sorted by their UTF-16 code units (all our keys
// are ASCII, so this is byte order), there is no whitespace, and strings escape only '"', '\\'
// and the control characters below U+0020 (\b \t \n \f \r by name, the others as \u00xx in
// lowercase hex); everything else, '<', '&' and U+2028 included, is written as UTF-8.
// Floating-point numbers are refused: leaves hold only integers, whose encoding is unambiguous.
func canonicalJSON(v any) ([]byte, error) {
	return appendCanonical(nil, v)
}

func appendCanonical(b []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		if v > 1<<53 || v < -(1<<53) {
			return nil, fmt.Errorf("canonical JSON: integer %d is beyond the exact range of JSON numbers", v)
		}
		return strconv.AppendInt(b, v, 10), nil
	case string:
		return appendString(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendCanonical(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendString(b, k); err != nil {
				return nil, err
			}
			b = append(b, ':')
			if b, err = appendCanonical(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("canonical JSON: unsupported type %T", v)
}

func appendString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("canonical JSON: string %q is not valid UTF-8", s)
	}
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"'), nil
}
