package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/verify/page"
)

// verifyPageCSP lets the page run its own scripts and compile its WebAssembly, and nothing
// else: no inline script, no other origin, no form, no frame around it. connect-src 'self'
// is for fetching the .wasm; the file verified is never sent.
const verifyPageCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; " +
	"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// verifyAsset is one file of the verification page, with its ETag.
type verifyAsset struct {
	data        []byte
	contentType string
	gzipped     bool // data is gzip; the plain form is decompressed on demand
	etag        string
}

// verifyAssets are the page's files by the name they are served under (/verify/NAME).
var verifyAssets = sync.OnceValues(func() (map[string]*verifyAsset, error) {
	files := map[string]struct {
		file, contentType string
	}{
		"":             {"index.html", "text/html; charset=utf-8"},
		"verify.js":    {"verify.js", "text/javascript; charset=utf-8"},
		"verify.css":   {"verify.css", "text/css; charset=utf-8"},
		"wasm_exec.js": {"wasm_exec.js", "text/javascript; charset=utf-8"},
		"verify.wasm":  {"verify.wasm.gz", "application/wasm"},
	}
	out := map[string]*verifyAsset{}
	for name, f := range files {
		data, err := fs.ReadFile(page.FS, f.file)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		out[name] = &verifyAsset{data: data, contentType: f.contentType, gzipped: strings.HasSuffix(f.file, ".gz"),
			etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	}
	return out, nil
})

// plainWASM is the verifier's .wasm decompressed, for a client that does not accept gzip.
var plainWASM = sync.OnceValues(func() ([]byte, error) {
	assets, err := verifyAssets()
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(assets["verify.wasm"].data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
})

// verifyPage serves the public verification page.
//
//	@Summary		Verification page
//	@Description	A page for anyone, with no login, that verifies a receipt (PDF or JSON) or an archive package (zip) in the browser: the Sportello verifier compiled to WebAssembly, so that nothing is uploaded. Each check is shown as passed or failed, in Italian and English (docs/verification.md). Its script, style and WebAssembly are served under /verify/.
//	@Tags			system
//	@Produce		html
//	@Success		200	{string}	string	"the page (HTML)"
//	@ID				verifyPage
//	@Router			/verify [get]
func (h *handlers) verifyPage(c *gin.Context) {
	h.serveVerifyAsset(c, "")
}

// verifyPageFile serves the page's script, style, wasm_exec.js and verify.wasm.
func (h *handlers) verifyPageFile(c *gin.Context) {
	h.serveVerifyAsset(c, strings.TrimPrefix(c.Param("file"), "/"))
}

func (h *handlers) serveVerifyAsset(c *gin.Context, name string) {
	assets, err := verifyAssets()
	if err != nil {
		h.fail(c, err)
		return
	}
	a, ok := assets[name]
	if !ok || (name == "" && c.Param("file") != "") {
		h.fail(c, domain.Errorf(domain.ECNotFound, "no resource at %s", c.Request.URL.Path))
		return
	}
	hd := c.Writer.Header()
	hd.Set("Content-Security-Policy", verifyPageCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-cache") // revalidated by ETag: a new version is seen at once
	hd.Set("Content-Type", a.contentType)
	data := a.data
	if a.gzipped {
		hd.Set("Vary", "Accept-Encoding")
		if acceptsGzip(c.Request) {
			hd.Set("Content-Encoding", "gzip")
			hd.Set("ETag", strings.TrimSuffix(a.etag, `"`)+`-gzip"`)
		} else if data, err = plainWASM(); err != nil {
			h.fail(c, err)
			return
		} else {
			hd.Set("ETag", a.etag)
		}
	} else {
		hd.Set("ETag", a.etag)
	}
	http.ServeContent(c.Writer, c.Request, "", time.Time{}, bytes.NewReader(data))
}

// acceptsGzip tells whether the request's Accept-Encoding allows gzip (every browser's does).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		_, q, ok := strings.Cut(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		w, err := strconv.ParseFloat(q, 64)
		return err == nil && w > 0
	}
	return false
}
