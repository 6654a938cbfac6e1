package api

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// principalKey is where authenticate leaves the caller in the gin context.
const principalKey = "sportello.principal"

// authenticate turns `Authorization: Bearer <token>` into the principal, or answers 401 with a
// WWW-Authenticate challenge (RFC 6750). The token is never logged. A portal names the
// applicant it acts for in X-Applicant-Id on every request, /v1/me included (422 without it or
// for an identifier whose check character is wrong, 403 from anyone else): everything the
// request reads or writes is then that applicant's (domain.Principal.ActFor).
func (h *handlers) authenticate(c *gin.Context) {
	token, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		h.fail(c, domain.Errorf(domain.ECUnauthorized, "an API key is required: send Authorization: Bearer <token>"))
		return
	}
	p, err := h.svc.Authenticate(c.Request.Context(), token)
	if err != nil {
		if domain.IsCode(err, domain.ECUnauthorized) {
			c.Header("WWW-Authenticate", `Bearer realm="sportello", error="invalid_token"`)
		}
		h.fail(c, err)
		return
	}
	if p, err = p.ActFor(domain.ApplicantHeader, c.Request.Header.Values(domain.ApplicantHeader)); err != nil {
		h.fail(c, err)
		return
	}
	p.RequestID, p.Address = requestID(c), c.RemoteIP()
	c.Set(principalKey, p)
	c.Next()
}

// bearerToken extracts the token; the scheme name is case-insensitive (RFC 9110 § 11.1).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// principal returns the caller authenticated by authenticate.
func principal(c *gin.Context) domain.Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(domain.Principal)
	return pr
}
