package api

import (
	"net/http"
	"sync/atomic"

	"github.com/gin-gonic/gin"
)

// retryAfter is the Retry-After of every 503, in seconds: long enough for a pool to reconnect
// or a database to restart, short enough that a portal's retry finds it back.
const retryAfter = "5"

// setRetryAfter tells a client answered 503 when to try again.
func setRetryAfter(c *gin.Context) { c.Header("Retry-After", retryAfter) }

// diskWatch remembers that a write failed for a full disk (507), so that /readyz reports the
// instance degraded until a write succeeds again: reads go on, and an operator sees why
// registrations fail.
type diskWatch struct{ full atomic.Bool }

// observe records the outcome of one request that reached a handler.
func (d *diskWatch) observe(method string, status int) {
	switch {
	case status == http.StatusInsufficientStorage:
		d.full.Store(true)
	case status < 300 && method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions:
		d.full.Store(false)
	}
}

// warning is the /readyz warning while the disk is full, or "".
func (d *diskWatch) warning() string {
	if d.full.Load() {
		return "the disk is full: uploads and registrations are refused (507 insufficient_storage) until a write succeeds again"
	}
	return ""
}
