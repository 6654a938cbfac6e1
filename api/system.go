package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	sportello "github.com/sportello/sportello"
)

// me returns the caller.
//
//	@Summary		The caller
//	@Description	The API client the token belongs to, with its roles and offices: what it may see and do.
//	@Tags			system
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	Principal
//	@Failure		401,422,500,503	{object}	Problem
//	@ID				me
//	@Router			/v1/me [get]
func (h *handlers) me(c *gin.Context) { respond(c, http.StatusOK, toPrincipal(principal(c))) }

// instanceInfo describes the instance.
//
//	@Summary		The instance
//	@Description	Version, database engine, time zone of the protocol date, the AOO (codice IPA and Codice_uni_aoo), the registers, and the sealing identity (self-signed or not, with its fingerprint and certificate) and time-stamping authority (with the built-in one's certificate): what `sportello verify` needs to check a checkpoint offline.
//	@Tags			system
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	InfoResponse
//	@Failure		401,422,500,503	{object}	Problem
//	@ID				instanceInfo
//	@Router			/v1/info [get]
func (h *handlers) instanceInfo(c *gin.Context) {
	aoo, err := h.svc.AOO(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	regs, err := h.svc.Registers(c.Request.Context(), principal(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	out := InfoResponse{
		Version: h.info.Version, Engine: h.info.Engine, Timezone: h.info.Timezone,
		AOO:       AOO{IPACode: aoo.IPACode, Code: aoo.Code, Name: aoo.Name},
		Registers: make([]Register, 0, len(regs)), Signing: h.info.Signing,
	}
	for _, r := range regs {
		out.Registers = append(out.Registers, toRegister(r))
	}
	respond(c, http.StatusOK, out)
}

// healthz says that the process is alive.
//
//	@Summary		Liveness
//	@Description	200 while the process runs; it checks no dependency, so that an orchestrator does not restart a process waiting for its database.
//	@Tags			system
//	@Produce		json
//	@Success		200	{object}	Health
//	@ID				healthz
//	@Router			/healthz [get]
func (h *handlers) healthz(c *gin.Context) { respond(c, http.StatusOK, Health{Status: "ok"}) }

// readyz says whether the instance can serve requests.
//
//	@Summary		Readiness
//	@Description	200 when the database answers and the blob store can be reached (a file store's directory writable, an S3 bucket answering a HeadBucket, checked at most every few seconds), 503 (with `Retry-After`) otherwise, naming the failing dependency in `dependency` (`database` or `blobs`), so that a load balancer sends traffic only to instances that can serve it. `warnings` lists degradations that do not stop serving, such as log checkpoints waiting for an unreachable time-stamping authority; `status` is `degraded` while the disk is full (a write answered 507), until a write succeeds again.
//	@Tags			system
//	@Produce		json
//	@Success		200	{object}	Health
//	@Failure		503	{object}	Health
//	@ID				readyz
//	@Router			/readyz [get]
func (h *handlers) readyz(c *gin.Context) {
	ctx := c.Request.Context()
	for _, dep := range []struct {
		name, detail string
		check        func(context.Context) error
	}{
		{"database", "the database does not answer", h.ready},
		{"blobs", "the blob store cannot be reached", h.blobsReady},
	} {
		if err := dep.check(ctx); err != nil {
			h.log.WarnContext(ctx, "not ready", "request_id", requestID(c), "dependency", dep.name, "error", err)
			setRetryAfter(c)
			respond(c, http.StatusServiceUnavailable, Health{Status: "unavailable", Dependency: dep.name, Detail: dep.detail})
			return
		}
	}
	out := Health{Status: "ok", Warnings: h.warnings(ctx)}
	if w := h.disk.warning(); w != "" {
		out.Status, out.Warnings = "degraded", append([]string{w}, out.Warnings...)
	}
	respond(c, http.StatusOK, out)
}

// serveMetrics exposes the Prometheus metrics.
//
//	@Summary		Prometheus metrics
//	@Description	404 here when SPORTELLO_METRICS_ADDR serves the metrics on an address of their own, which need not be public.
//	@Tags			system
//	@Produce		plain
//	@Success		200	{string}	string	"Prometheus text exposition format"
//	@Failure		404	{object}	Problem
//	@ID				serveMetrics
//	@Router			/metrics [get]
func (h *handlers) serveMetrics(c *gin.Context) {
	h.promHandler.ServeHTTP(c.Writer, c.Request)
}

// openAPI serves the contract, the very file generated from these handlers.
//
//	@Summary		OpenAPI 3 contract
//	@Description	This document, openapi.yaml, as YAML text. Swagger UI at /docs reads it; /docs/doc.json is the same document as JSON.
//	@Tags			system
//	@Produce		application/yaml
//	@Success		200	{string}	string	"openapi.yaml"
//	@ID				openAPI
//	@Router			/openapi.yaml [get]
func (h *handlers) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", sportello.OpenAPI)
}
