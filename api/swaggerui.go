package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"sync"

	"github.com/gin-gonic/gin"
	swaggerFiles "github.com/swaggo/files/v2"
	ginSwagger "github.com/swaggo/gin-swagger"
	"go.yaml.in/yaml/v4"
	"golang.org/x/net/webdav"

	sportello "github.com/sportello/sportello"
)

// docsRedirect sends /docs to the Swagger UI page.
//
//	@Summary		Swagger UI
//	@Description	Swagger UI, an interactive reading of this contract, is served under /docs/.
//	@Tags			system
//	@Success		301
//	@Header			301	{string}	Location	"/docs/index.html"
//	@ID				docsRedirect
//	@Router			/docs [get]
func (h *handlers) docsRedirect(c *gin.Context) {
	c.Redirect(http.StatusMovedPermanently, "/docs/index.html")
}

// swaggerUI serves Swagger UI (embedded by swaggo/files/v2) pointed at /openapi.yaml, and at
// /docs/doc.json, where gin-swagger would serve a spec registered with swag at run time (none
// is: it would answer 500), the contract as JSON.
func (h *handlers) swaggerUI() gin.HandlerFunc {
	handler := &webdav.Handler{FileSystem: readOnlyFS{swaggerFiles.FS}, LockSystem: webdav.NewMemLS()}
	ui := ginSwagger.WrapHandler(handler, ginSwagger.URL("/openapi.yaml"), ginSwagger.DocExpansion("list"))
	return func(c *gin.Context) {
		if c.Param("any") != "/doc.json" {
			ui(c)
			return
		}
		spec, err := openAPIJSON()
		if err != nil {
			h.fail(c, err)
			return
		}
		c.Data(http.StatusOK, "application/json", spec)
	}
}

// openAPIJSON is the contract, openapi.yaml, in its JSON form.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var spec any
	if err := yaml.Unmarshal(sportello.OpenAPI, &spec); err != nil {
		return nil, fmt.Errorf("read the embedded openapi.yaml: %w", err)
	}
	return json.Marshal(spec)
})

// readOnlyFS adapts an fs.FS to the webdav.FileSystem that gin-swagger v1.6 expects: files/v2
// ships the UI as an fs.FS, gin-swagger still takes the webdav handler of files v1.
type readOnlyFS struct{ fsys fs.FS }

func (r readOnlyFS) Mkdir(context.Context, string, os.FileMode) error { return os.ErrPermission }
func (r readOnlyFS) RemoveAll(context.Context, string) error          { return os.ErrPermission }
func (r readOnlyFS) Rename(context.Context, string, string) error     { return os.ErrPermission }

func (r readOnlyFS) Stat(_ context.Context, name string) (os.FileInfo, error) {
	return fs.Stat(r.fsys, fsName(name))
}

func (r readOnlyFS) OpenFile(_ context.Context, name string, flag int, _ os.FileMode) (webdav.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0 {
		return nil, os.ErrPermission
	}
	f, err := http.FS(r.fsys).Open("/" + fsName(name))
	if err != nil {
		return nil, err
	}
	return readOnlyFile{f}, nil
}

// fsName turns a webdav path (/index.html) into an fs.FS name (index.html).
func fsName(name string) string {
	for len(name) > 0 && name[0] == '/' {
		name = name[1:]
	}
	if name == "" {
		return "."
	}
	return name
}

type readOnlyFile struct{ http.File }

func (readOnlyFile) Write([]byte) (int, error) { return 0, os.ErrPermission }
