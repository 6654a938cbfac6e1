package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
)

// memBlobs is an in-memory domain.BlobStore for tests that stop before the database.
type memBlobs struct {
	mu    sync.Mutex
	blobs map[string][]byte
}

func (m *memBlobs) Put(_ context.Context, r io.Reader) (string, int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", 0, fmt.Errorf("put: %w", err)
	}
	sum := sha256.Sum256(b)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blobs == nil {
		m.blobs = map[string][]byte{}
	}
	m.blobs[hex.EncodeToString(sum[:])] = b
	return hex.EncodeToString(sum[:]), int64(len(b)), nil
}

func (m *memBlobs) Delete(_ context.Context, sha string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, sha)
	return nil
}

func (m *memBlobs) Open(_ context.Context, sha string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[sha]
	if !ok {
		return nil, domain.Errorf(domain.ECNotFound, "no blob")
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memBlobs) Exists(_ context.Context, sha string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.blobs[sha]
	return ok, nil
}

// testPart is one part of a hand-built multipart body.
type testPart struct {
	name, filename, contentType string
	content                     []byte
}

// multipartBody builds a body with the given boundary.
func multipartBody(t *testing.T, boundary string, parts ...testPart) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(boundary); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			cd += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", cd)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.content)
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// readTestUpload runs readUpload on a request built from parts.
func readTestUpload(t *testing.T, h *handlers, boundary, key string, parts ...testPart) (upload, error) {
	t.Helper()
	ct, body := multipartBody(t, boundary, parts...)
	req := httptest.NewRequest(http.MethodPost, "/v1/registrations", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if key != "" {
		req.Header.Set(idempotencyKeyHeader, key)
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = req
	c.Set(principalKey, domain.Principal{ID: "op", Roles: []domain.Role{domain.RoleProtocolOperator}})
	return h.readUpload(c)
}

// gin warns on every engine in debug mode; the API always runs in release mode.
func init() { gin.SetMode(gin.ReleaseMode) }

func testHandlers() *handlers {
	return &handlers{svc: domain.NewService(nil, &memBlobs{}, time.UTC), maxUpload: 1 << 20}
}

func codeOf(t *testing.T, err error) domain.ErrorCode {
	t.Helper()
	var e *domain.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *domain.Error", err)
	}
	return e.Code
}
