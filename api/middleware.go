package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

const (
	requestIDHeader = "X-Request-Id"
	requestIDKey    = "sportello.request_id"
	maxRequestID    = 128
)

// requestID adopts the caller's X-Request-Id when it is sane, so that a portal can follow one
// request through its logs and ours, and makes one up otherwise. It is echoed in the answer.
func (h *handlers) requestID(c *gin.Context) {
	id := c.GetHeader(requestIDHeader)
	if !saneRequestID(id) {
		id = domain.NewID()
	}
	c.Set(requestIDKey, id)
	c.Header(requestIDHeader, id)
	c.Next()
}

// saneRequestID accepts 1-128 characters that are safe in a header and a log line.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '.' || r == ':' || r == '/' || r == '+' || r == '='
		if !ok {
			return false
		}
	}
	return true
}

// probes are the routes whose successful requests are logged at debug level only.
var probes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// observe writes the access log line and the request metrics once the request is done. The
// route is the template (`/v1/registrations/:register/:year/:number`) so that metrics keep a
// bounded number of series; the Authorization header is never logged.
func (h *handlers) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	h.metrics.observe(c.Request.Method, route, status, elapsed)
	h.disk.observe(c.Request.Method, status)
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method), slog.String("route", route),
		slog.String("path", c.Request.URL.Path), slog.Int("status", status),
		slog.Int("bytes", max(c.Writer.Size(), 0)), slog.Duration("duration", elapsed),
		slog.String("request_id", requestID(c)),
	}
	if p, ok := c.Get(principalKey); ok {
		attrs = append(attrs, slog.String("principal", p.(domain.Principal).ID))
	}
	level := slog.LevelInfo
	if probes[route] && status < 400 {
		level = slog.LevelDebug // orchestrators and scrapers poll these every few seconds
	}
	h.log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
}

// recoverPanic turns a panic in a handler into a 500 internal problem, logged with its stack. An
// http.ErrAbortHandler panic is the standard way to abort a response and is passed on.
func (h *handlers) recoverPanic(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			panic(v)
		}
		h.log.ErrorContext(c.Request.Context(), "panic", slog.String("request_id", requestID(c)),
			slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		if c.Writer.Written() {
			c.Abort()
			return
		}
		writeProblem(c, problemOf(fmt.Errorf("panic: %v", v), requestID(c), c.Request.URL.Path))
	}()
	c.Next()
}
