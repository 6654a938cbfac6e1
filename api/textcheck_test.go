package api

import (
	"errors"
	"testing"

	"github.com/sportello/sportello/domain"
)

// TestCheckJSONText names the JSON path of the first string that is not storable text, member
// names included, and leaves malformed JSON to the decoder.
func TestCheckJSONText(t *testing.T) {
	cases := map[string]struct{ body, field string }{
		"ErrNULEscape":         {`{"subject": "a\u0000b"}`, "subject"},
		"ErrNULInArray":        {`{"correspondents": [{"name": "ok"}, {"name": "x\u0000"}]}`, "correspondents[1].name"},
		"ErrInvalidUTF8":       {"{\"form\": {\"rows\": [[\"ok\", \"\xe2\x82\"]]}}", "form.rows[0][1]"},
		"ErrInvalidUTF8InName": {"{\"form\": {\"k\xff\": 1}}", "form.k\ufffd"},
		"ErrNULInName":         {`{"a\u0000": 1}`, `a\x00`},
		"ErrTopValue":          {`"\u0000"`, "body"},
		"OKReplacementChar":    {`{"subject": "� \ufffd"}`, ""},
		"OKMalformed":          {"{\"subject\": \xff", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := checkJSONText([]byte(tc.body), "body")
			if tc.field == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			var e *domain.Error
			if !errors.As(err, &e) || e.Code != domain.ECValidation || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
				t.Fatalf("error %#v, want validation_failed naming %s", err, tc.field)
			}
		})
	}
}
