package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

const (
	idempotencyKeyHeader = "Idempotency-Key"
	replayedHeader       = "Idempotent-Replayed"
)

// A fingerprint says whether two requests carrying the same Idempotency-Key are the same
// request. It must not change when a client retries an upload, which gives the multipart body
// a new boundary: so it covers what the request means (method, path, the compacted JSON, each
// file's part name, filename and SHA-256), never the raw bytes. Every item is length-prefixed
// so that no two different requests can frame to the same bytes.

// fingerprint accumulates the items of a request.
type fingerprint struct{ h hash.Hash }

func newFingerprint(method, path string) *fingerprint {
	f := &fingerprint{h: sha256.New()}
	f.add(method)
	f.add(path)
	return f
}

// requestFingerprint starts the fingerprint of c's request: its method and path and, when a
// portal acts for an applicant, the applicant, so that a key reused for another applicant is a
// mismatch and never answers with the other applicant's resource.
func requestFingerprint(c *gin.Context) *fingerprint {
	f := newFingerprint(c.Request.Method, c.Request.URL.Path)
	if a := principal(c).Applicant; a != "" {
		f.add(domain.ApplicantHeader + ":" + a)
	}
	return f
}

func (f *fingerprint) add(item string) { fmt.Fprintf(f.h, "%d:%s;", len(item), item) }

// addJSON adds a JSON document, compacted so that insignificant whitespace does not matter.
// The caller has already validated it.
func (f *fingerprint) addJSON(data []byte) {
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		f.add(string(data))
		return
	}
	f.add(b.String())
}

// addFile adds one file part.
func (f *fingerprint) addFile(part, filename, sha256 string) {
	f.add(part)
	f.add(filename)
	f.add(sha256)
}

func (f *fingerprint) sum() string { return hex.EncodeToString(f.h.Sum(nil)) }

// jsonIdempotency returns the domain's Idempotency for a JSON POST, or the zero value when
// the client sent no key.
func jsonIdempotency(c *gin.Context, body []byte) domain.Idempotency {
	key := c.GetHeader(idempotencyKeyHeader)
	if key == "" {
		return domain.Idempotency{}
	}
	f := requestFingerprint(c)
	f.addJSON(body)
	return domain.Idempotency{Key: key, Hash: f.sum()}
}

// checkIdempotencyKey refuses a POST whose Idempotency-Key header is present but empty: the
// client meant its retries to be safe, and taking the empty key for no key would quietly make
// them unsafe (a retry would take a second number). A key too long to store is refused here
// too, before the body is read, so that the answer names the header whatever the body holds.
func (h *handlers) checkIdempotencyKey(c *gin.Context) {
	v, sent := c.Request.Header[idempotencyKeyHeader]
	switch key := strings.Join(v, ""); {
	case sent && c.Request.Method == http.MethodPost && key == "":
		h.fail(c, domain.Invalid(idempotencyKeyHeader, "is empty: send a key unique to this request, or leave the header out"))
	case len(key) > domain.MaxIdempotencyKey:
		h.fail(c, domain.Invalid(idempotencyKeyHeader, "is longer than %d characters", domain.MaxIdempotencyKey))
	}
}

// markReplayed tells the client that the answer is the one given to an earlier request.
func markReplayed(c *gin.Context, replayed bool) {
	if replayed {
		c.Header(replayedHeader, "true")
	}
}
