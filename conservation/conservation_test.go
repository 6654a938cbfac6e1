package conservation_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/conservation"
	"github.com/sportello/sportello/domain"
)

// parcel makes a package zip holding an index and its seal.
func parcel(t *testing.T, seal string) (domain.Parcel, []byte) {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, content := range map[string]string{"PIndex.xml": "<PIndex/>", conservation.SealName: seal} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	sum := sha256.Sum256(data)
	return domain.Parcel{ID: domain.NewID(), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}, data
}

// TestFolder: the zip and its index's seal land in the folder under the package's id, whole
// and with nothing else left; a zip whose digest is not the package's is not delivered.
func TestFolder(t *testing.T) {
	dir := t.TempDir()
	dest, err := conservation.New(conservation.Config{URL: "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	if dest.String() != "file://"+dir {
		t.Errorf("String() = %s", dest)
	}
	p, data := parcel(t, "seal bytes")
	if err := dest.Deliver(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, p.ID+".zip")); err != nil || !bytes.Equal(got, data) {
		t.Errorf("zip: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, p.ID+".p7s")); err != nil || string(got) != "seal bytes" {
		t.Errorf("seal %q, %v", got, err)
	}
	if err := dest.Deliver(t.Context(), p); err != nil {
		t.Errorf("delivered again: %v", err)
	}
	bad, _ := parcel(t, "other")
	bad.SHA256 = strings.Repeat("0", 64)
	if err := dest.Deliver(t.Context(), bad); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("a damaged zip: %v", err)
	}
	var refused *domain.DeliveryRefused
	if errors.As(err, &refused) {
		t.Error("a damaged zip in the blob store is not the destination's refusal")
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{p.ID + ".p7s", p.ID + ".zip"}; !slices.Equal(names, want) {
		t.Errorf("folder holds %v, want %v", names, want)
	}
	for _, bad := range []string{"file://host/srv", "file:relative", "file:///no/such/folder", "ftp://host/x"} {
		if _, err := conservation.New(conservation.Config{URL: bad}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestEndpoint sends packages to a real HTTP server on loopback, allowed by the administrator:
// PUT to <url>/<id>.zip or POST to the URL, with the zip's digest; a 2xx delivers, a 4xx
// refuses with its reason, a 5xx or 429 is temporary. Without the allow-list the loopback
// endpoint is refused.
func TestEndpoint(t *testing.T) {
	type request struct {
		method, path, digest, id, auth string
		body                           []byte
	}
	var got []request
	status, answer := http.StatusCreated, ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, request{r.Method, r.URL.Path, r.Header.Get("Repr-Digest"), r.Header.Get("X-Package-Id"), r.Header.Get("Authorization"), b})
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	if _, err := conservation.New(conservation.Config{URL: srv.URL + "/versamenti/", Client: srv.Client()}); err == nil {
		t.Fatal("a loopback endpoint without the allow-list was accepted")
	}
	allow, err := domain.ParseWebhookAllowList("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	put, err := conservation.New(conservation.Config{URL: srv.URL + "/versamenti/", Token: "segreto", Allow: allow, Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(put.String(), "segreto") || put.String() != "PUT "+srv.URL+"/versamenti/" {
		t.Errorf("String() = %s", put)
	}
	p, data := parcel(t, "seal")
	if err := put.Deliver(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	want := request{"PUT", "/versamenti/" + p.ID + ".zip", "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":", p.ID, "Bearer segreto", data}
	if len(got) != 1 || got[0].method != want.method || got[0].path != want.path || got[0].digest != want.digest ||
		got[0].id != want.id || got[0].auth != want.auth || !bytes.Equal(got[0].body, data) {
		t.Fatalf("the endpoint got %+v", got)
	}

	post, err := conservation.New(conservation.Config{URL: srv.URL + "/versa", Method: "post", Allow: allow, Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := post.Deliver(t.Context(), p); err != nil || got[1].method != "POST" || got[1].path != "/versa" || got[1].auth != "" {
		t.Fatalf("POST: %v, %+v", err, got[1])
	}

	for _, c := range []struct {
		status  int
		refused bool
	}{{http.StatusServiceUnavailable, false}, {http.StatusTooManyRequests, false}, {http.StatusFound, false},
		{http.StatusBadRequest, true}, {http.StatusConflict, true}, {http.StatusOK, false}} {
		status, answer = c.status, "indice\nnon valido"
		err := put.Deliver(t.Context(), p)
		var refused *domain.DeliveryRefused
		switch {
		case c.status == http.StatusOK && err != nil:
			t.Errorf("%d: %v", c.status, err)
		case c.refused && (!errors.As(err, &refused) || !strings.Contains(refused.Reason, "indice non valido") || !strings.Contains(refused.Reason, "HTTP 4")):
			t.Errorf("%d: %v, want a refusal with the endpoint's reason", c.status, err)
		case !c.refused && c.status != http.StatusOK && (err == nil || errors.As(err, &refused)):
			t.Errorf("%d: %v, want a temporary error", c.status, err)
		}
	}
	if _, err := conservation.New(conservation.Config{URL: srv.URL, Method: "PATCH", Allow: allow, Client: srv.Client()}); err == nil {
		t.Error("PATCH accepted")
	}
}
