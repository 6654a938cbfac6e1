package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
)

// TestReadyzUnavailable: /readyz answers 503 with Retry-After naming the dependency that
// fails, the database first, without the error's text (it may hold secrets).
func TestReadyzUnavailable(t *testing.T) {
	fail := func(context.Context) error { return errors.New("dial tcp 10.0.0.1:5432: password=hunter2 refused") }
	ok := func(context.Context) error { return nil }
	for _, tc := range []struct {
		name            string
		database, blobs func(context.Context) error
		dependency      string
	}{
		{"database", fail, ok, "database"},
		{"both", fail, fail, "database"},
		{"blobs", ok, fail, "blobs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(api.New(api.Options{Ready: tc.database, BlobsReady: tc.blobs}))
			defer srv.Close()
			hc := apptest.ContractClient(t, srv.URL)
			resp, err := hc.Get(srv.URL + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(body), "hunter2") ||
				resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `"status":"unavailable"`) ||
				!strings.Contains(string(body), `"dependency":"`+tc.dependency+`"`) {
				t.Errorf("readyz %d %s", resp.StatusCode, body)
			}
		})
	}
}
