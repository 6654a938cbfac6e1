package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
)

// TestVerifyPageServed: GET /verify serves the page to anyone, under a Content-Security-Policy
// that allows its own scripts and WebAssembly and nothing else; its .wasm comes gzip-encoded
// to a client that accepts it and plain to one that does not, as application/wasm (what
// WebAssembly.instantiateStreaming requires); an unknown file is a not_found problem.
func TestVerifyPageServed(t *testing.T) {
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		send := func(path, acceptEncoding string) (*http.Response, []byte) {
			t.Helper()
			req, err := http.NewRequest("GET", s.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept-Encoding", acceptEncoding) // set: the transport then decodes nothing
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp, body
		}
		resp, body := send("/verify", "identity")
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!bytes.Contains(body, []byte(`src="/verify/verify.js"`)) {
			t.Fatalf("GET /verify = %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		for _, want := range []string{"default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "form-action 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("Content-Security-Policy %q allows inline scripts", csp)
		}

		resp, gz := send("/verify/verify.wasm", "gzip, deflate")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != "application/wasm" {
			t.Fatalf("gzip: %d %v", resp.StatusCode, resp.Header)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		resp, plain := send("/verify/verify.wasm", "identity")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Content-Type") != "application/wasm" {
			t.Fatalf("identity: %d %v", resp.StatusCode, resp.Header)
		}
		if !bytes.HasPrefix(plain, []byte("\x00asm")) || !bytes.Equal(plain, unzipped) {
			t.Errorf("the plain .wasm (%d bytes) is not the gzip one decoded (%d bytes), or not WebAssembly", len(plain), len(unzipped))
		}
		resp, _ = send("/verify/verify.wasm", "gzip;q=0")
		if resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("gzip;q=0 got Content-Encoding %q", resp.Header.Get("Content-Encoding"))
		}
		for path, ct := range map[string]string{"/verify/verify.js": "text/javascript", "/verify/wasm_exec.js": "text/javascript", "/verify/verify.css": "text/css"} {
			if resp, _ := send(path, ""); resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ct) {
				t.Errorf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
		for _, path := range []string{"/verify/page.go", "/verify/index.html", "/verify/", "/verify/../openapi.yaml"} {
			if resp, _ := send(path, ""); resp.StatusCode != http.StatusNotFound && path != "/verify/../openapi.yaml" {
				t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
			}
		}
	})
}
