package api

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// respond writes v as JSON with status. HTML escaping is off: subjects and names are shown to
// people and are not embedded in HTML by the API.
func respond(c *gin.Context, status int, v any) {
	c.Header("Content-Type", "application/json")
	c.Status(status)
	_ = encodeJSON(c.Writer, v)
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

var yearParam = regexp.MustCompile(`^[0-9]{4}$`)

// refParam reads the registration named by the path. The number is accepted bare (`42`) or
// formatted (`0000042`), since people copy it from stamps and receipts.
func refParam(c *gin.Context) (domain.Ref, error) {
	var v domain.Validation
	ref := domain.Ref{Register: c.Param("register")}
	if !domain.Patterns["register"].MatchString(ref.Register) {
		v.Add("register", "must be a register code such as PG, not %q", ref.Register)
	}
	if y := c.Param("year"); yearParam.MatchString(y) {
		ref.Year, _ = strconv.Atoi(y)
	} else {
		v.Add("year", "must be a four-digit year, not %q", y)
	}
	if n := c.Param("number"); domain.ProtocolNumberPattern.MatchString(n) {
		ref.Number, _ = strconv.ParseInt(n, 10, 64)
	}
	if ref.Number <= 0 {
		v.Add("number", "must be a positive protocol number such as 42 or 0000042, not %q", c.Param("number"))
	}
	return ref, v.Err()
}

// registrationPath is the canonical URL of a registration, with the formatted number.
func registrationPath(r *domain.Registration) string {
	return fmt.Sprintf("/v1/registrations/%s/%d/%s", r.Register, r.Year, domain.FormatNumber(r.Number))
}
