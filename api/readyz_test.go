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

func TestReadyzUnavailable(t *testing.T) {
	srv := httptest.NewServer(api.New(api.Options{Ready: func(context.Context) error {
		return errors.New("dial tcp 10.0.0.1:5432: password=hunter2 refused")
	}}))
	defer srv.Close()
	hc := apptest.ContractClient(t, srv.URL)
	resp, err := hc.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(body), "hunter2") ||
		!strings.Contains(string(body), `"status":"unavailable"`) {
		t.Errorf("readyz %d %s", resp.StatusCode, body)
	}
}
