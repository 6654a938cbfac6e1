package api

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

func TestRefParam(t *testing.T) {
	cases := map[string]struct {
		year, number string
		want         domain.Ref
		bad          string
	}{
		"Bare":          {"2026", "42", domain.Ref{Register: "PG", Year: 2026, Number: 42}, ""},
		"Formatted":     {"2026", "0000042", domain.Ref{Register: "PG", Year: 2026, Number: 42}, ""},
		"ErrZero":       {"2026", "0000000", domain.Ref{}, "number"},
		"ErrSigned":     {"2026", "+42", domain.Ref{}, "number"},
		"ErrNegative":   {"2026", "-1", domain.Ref{}, "number"},
		"ErrText":       {"2026", "abc", domain.Ref{}, "number"},
		"ErrYear":       {"26", "42", domain.Ref{}, "year"},
		"ErrYearLetter": {"20x6", "42", domain.Ref{}, "year"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Params = gin.Params{{Key: "register", Value: "PG"}, {Key: "year", Value: tc.year}, {Key: "number", Value: tc.number}}
			ref, err := refParam(c)
			if tc.bad == "" {
				if err != nil || ref != tc.want {
					t.Errorf("refParam = %+v, %v", ref, err)
				}
				return
			}
			if codeOf(t, err) != domain.ECValidation || err.(*domain.Error).Fields[0].Field != tc.bad {
				t.Errorf("error %v, want validation naming %s", err, tc.bad)
			}
		})
	}
}

func TestContentDisposition(t *testing.T) {
	cases := map[string]string{
		"domanda.pdf": `attachment; filename=domanda.pdf`,
		"my file.pdf": `attachment; filename="my file.pdf"`,
		"perché.pdf":  `attachment; filename*=utf-8''perch%C3%A9.pdf`,
		"":            `attachment`,
		`quote".pdf`:  `attachment; filename="quote\".pdf"`,
	}
	for in, want := range cases {
		if got := contentDisposition(in); got != want {
			t.Errorf("contentDisposition(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSaneRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"abc-123": true, "01a2241b-41ac-7091-bb8b-248212ea123d": true, "": false,
		"with space": false, "new\nline": false, string(make([]byte, 129)): false,
	} {
		if saneRequestID(id) != want {
			t.Errorf("saneRequestID(%q) = %v", id, !want)
		}
	}
}
