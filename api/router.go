// Package api is Sportello's HTTP API: the gin router, one file per resource, authentication,
// RFC 9457 problems and the swag annotations that openapi.yaml is generated from.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/importer"
)

// @title           Sportello API
// @version         1
// @description     Sportello is the headless back office of the *sportelli polifunzionali* of an Italian public administration. Every document that comes in or goes out is registered in the protocol register (*registro di protocollo*) with a legally compliant number, classified in the *titolario* and made searchable.
// @description
// @description     **Conventions.** JSON with snake_case; timestamps RFC 3339 in UTC; the protocol `date` is the calendar date in the instance's time zone (Europe/Rome). Every `/v1` call needs `Authorization: Bearer <token>`; a portal client also names on every call, `/v1/me` included, the applicant it acts for in `X-Applicant-Id` (the codice fiscale or partita IVA; 422 without it), and reads and writes only that applicant's cases and what they share. Lists take `limit` and `cursor` and answer `{"items": [...], "next_cursor": "..."}` (empty on the last page).
// @description
// @description     **Errors** are RFC 9457 `application/problem+json` with a stable `code`: `validation_failed` (422), `immutable_field` (409), `not_found` (404), `unauthorized` (401), `forbidden` (403), `conflict` (409), `payload_too_large` (413), `unsupported_media_type` (415), `idempotency_mismatch` (422), `gone` (410), `unavailable` (503, with `Retry-After` in seconds: the database or another dependency cannot be reached), `insufficient_storage` (507: the disk is full; nothing was registered and no number was taken), `too_many_requests` (429, with `Retry-After`), `internal` (500), `method_not_allowed` (405, to a method a path does not have, with `Allow` listing those it has: no operation declares it, since it answers none), `not_acceptable` (406). Malformed JSON, unknown fields, fields the system assigns and bad query or path parameters are all `422 validation_failed`, with `errors[].field` naming the culprit.
// @description
// @description     **Idempotency.** Every POST accepts an `Idempotency-Key` header: repeating the same request with the same key answers the first result again (with `Idempotent-Replayed: true`) and never takes a second protocol number; the same key with a different request is `422 idempotency_mismatch`; an empty key is `422 validation_failed`. For uploads the request is fingerprinted by its metadata and the SHA-256 of each file, so a retry with another multipart boundary is the same request.
// @description
// @description     **Terms.** *registrazione di protocollo* = registration; *registro* / *repertorio* = register; *AOO* = Area Organizzativa Omogenea; *UOR* / *ufficio* = office; *titolario* / *voce di titolario* = classification scheme / class; *fascicolo* = dossier; *impronta* = SHA-256 digest; *annullamento* = annulment.
// @BasePath        /
// @tag.name        registrations
// @tag.description The protocol register (registro di protocollo): register incoming, outgoing and internal documents, read, change the mutable fields, annul, and read each registration's history, content and receipt.
// @tag.name        documents
// @tag.description Documents not (yet) registered: internal documents and drafts that a registration can later take by document_id.
// @tag.name        search
// @tag.description Full-text search over registrations and documents, within what the caller may see.
// @tag.name        transparency log
// @tag.description The append-only transparency log every registration is written to: signed checkpoints and inclusion and consistency proofs.
// @tag.name        registers
// @tag.description Registers and repertories (registri, repertori) and their daily protocol journals (registro giornaliero).
// @tag.name        classes
// @tag.description The classification scheme (titolario): its classes, imported in bulk and closed, never deleted.
// @tag.name        dossiers
// @tag.description Dossiers (fascicoli): open, file registrations and documents in, close and reopen, with their history.
// @tag.name        disposal
// @tag.description Retention and disposal (scarto): what is due, disposal records, and legal holds that stop them.
// @tag.name        archive
// @tag.description Conservation: the fixity checks that re-read every stored file and compare its digest, and the archive packages (SInCRO) that leave for a conservation system.
// @tag.name        audit
// @tag.description The audit trail: every change, refused request, download and read of a confidential record, hash-chained, its head anchored in the transparency log, exported for `sportello verify --audit`.
// @tag.name        procedures
// @tag.description Administrative procedures (procedimenti) that portals submit cases to, with their forms, requirements and deadlines.
// @tag.name        stats
// @tag.description Monitoring of procedural times (L. 190/2012 art. 1 c. 28) and registration counts, as JSON or CSV.
// @tag.name        cases
// @tag.description Applications (istanze, pratiche) submitted by portals for an applicant: transitions, the dialogue with the office and its steps, final acts.
// @tag.name        webhooks
// @tag.description A portal's webhook for the events of its applicants' cases, and its deliveries.
// @tag.name        offices
// @tag.description Offices (UOR, uffici) of the administration, which registrations, documents and cases are assigned to.
// @tag.name        directory
// @tag.description The IPA directory (IndicePA) of Italian administrations and their AOOs, loaded from AgID's open data, to pick another administration as a correspondent.
// @tag.name        inbox
// @tag.description The messages the configured mailboxes (PEC and e-mail) yielded: registered, kept as drafts for an operator to register or discard, linked to dispatches as receipts.
// @tag.name        imports
// @tag.description Server-side imports: a zip of scanned paper and its manifest, registered row by row by a job that survives restarts; page images bound into searchable PDFs.
// @tag.name        users
// @tag.description Staff people: name, tax code, e-mail, roles and offices; signed in by the identity provider's bearer token (OIDC) or a personal API key.
// @tag.name        clients
// @tag.description API clients and their keys: who may call the API, in which role, for which offices.
// @tag.name        system
// @tag.description The instance itself: health, readiness, metrics, this contract and its interactive documentation (no authentication), and who the caller is and what the instance runs (/v1/me, /v1/info).
// @securityDefinitions.apikey BearerAuth
// @in              header
// @name            Authorization
// @description     API key as `Bearer <token>`; tokens look like `spt_<id>_<secret>`. When an identity provider is configured (SPORTELLO_OIDC_ISSUER), a staff user may instead send its token (a signed JWT: ID token or JWT access token for SPORTELLO_OIDC_AUDIENCE).

// Info holds static facts about the instance, reported by GET /v1/info.
type Info struct {
	Version, Engine, Timezone string
	Signing                   Signing
}

// Options are the API's dependencies, built and handed over by the application wiring.
type Options struct {
	Service *domain.Service
	Logger  *slog.Logger
	// Metrics receives the API's collectors and is served at /metrics, unless MetricsApart.
	Metrics *prometheus.Registry
	// MetricsApart leaves /metrics out of the API (404): another listener serves it, one
	// that need not be public.
	MetricsApart bool
	// MaxUploadBytes limits a whole upload request body (413 payload_too_large); zero means
	// DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// Ready reports whether the instance can serve (database ping), for /readyz.
	Ready func(ctx context.Context) error
	// BlobsReady reports whether the blob store can be reached (a file store's directory
	// writable, an S3 bucket answering), for /readyz; the caller caches its answer, since a
	// load balancer may ask every second. Nil checks nothing.
	BlobsReady func(ctx context.Context) error
	// Warnings lists degradations shown by /readyz while the instance still serves.
	Warnings func(ctx context.Context) []string
	Info     Info
	// Log is the transparency log the /v1/log endpoints and receipts read.
	Log TransparencyLog
	// Seal seals receipt PDFs; without Sign, PDF receipts answer 503.
	Seal Sealer
	// Search is the process's search index (GET /v1/search).
	Search SearchIndex
	// Journals serves the daily journals (GET /v1/registers/{code}/journals…).
	Journals JournalArchive
	// Faults maps an error the API would answer 500 to the domain error it stands for, when the
	// storage's drivers say more (a lost database connection is unavailable, a full disk
	// insufficient_storage); nil leaves errors as they are.
	Faults func(error) error
	// RateLimits limits requests per API key and failed authentications per address.
	RateLimits RateLimits
	// Imports are the settings of POST /v1/imports.
	Imports Imports
}

// DefaultMaxUploadBytes is the upload limit when Options.MaxUploadBytes is zero.
const DefaultMaxUploadBytes = 100 << 20

// handlers holds the dependencies every handler needs; each handler is a method on it.
type handlers struct {
	svc      *domain.Service
	log      *slog.Logger
	metrics  *metrics
	registry *prometheus.Registry
	// promHandler serves registry at /metrics.
	promHandler http.Handler
	maxUpload   int64
	ready       func(ctx context.Context) error
	blobsReady  func(ctx context.Context) error
	warnings    func(ctx context.Context) []string
	info        Info
	tlog        TransparencyLog
	seal        Sealer
	search      SearchIndex
	journals    JournalArchive
	faults      func(error) error
	disk        diskWatch
	imports     Imports
	// perKey and failures are the rate limiters (ratelimit.go); nil when off.
	perKey, failures *buckets
}

// New returns the HTTP handler serving the whole API: a gin engine in release mode with the
// API's own request id, access log, metrics and recovery middleware (no gin logger).
func New(opts Options) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	h := &handlers{
		svc: opts.Service, log: opts.Logger, registry: opts.Metrics,
		maxUpload: opts.MaxUploadBytes, ready: opts.Ready, blobsReady: opts.BlobsReady, warnings: opts.Warnings, info: opts.Info, tlog: opts.Log, search: opts.Search, seal: opts.Seal,
	}
	h.journals, h.faults, h.imports = opts.Journals, opts.Faults, opts.Imports
	if h.imports.MaxBytes <= 0 {
		h.imports.MaxBytes = DefaultImportMaxBytes
	}
	if h.imports.Limits == (importer.Limits{}) {
		h.imports.Limits = importer.DefaultLimits
	}
	if h.imports.Dir == "" {
		h.imports.Dir = filepath.Join(os.TempDir(), "sportello-imports")
	}
	h.perKey, h.failures = limiters(opts.RateLimits)
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.registry == nil {
		h.registry = prometheus.NewRegistry()
	}
	if h.maxUpload <= 0 {
		h.maxUpload = DefaultMaxUploadBytes
	}
	if h.ready == nil {
		h.ready = func(context.Context) error { return nil }
	}
	if h.blobsReady == nil {
		h.blobsReady = func(context.Context) error { return nil }
	}
	if h.faults == nil {
		h.faults = func(err error) error { return err }
	}
	if h.warnings == nil {
		h.warnings = func(context.Context) []string { return nil }
	}
	h.metrics = newMetrics(h.registry)
	h.promHandler = promhttp.HandlerFor(h.registry, promhttp.HandlerOpts{Registry: h.registry})

	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.Use(h.requestID, h.observe, h.recoverPanic)
	e.NoRoute(h.noRoute)
	e.NoMethod(h.noMethod)

	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)
	if !opts.MetricsApart {
		e.GET("/metrics", h.serveMetrics)
	}
	e.GET("/openapi.yaml", h.openAPI)
	e.GET("/docs", h.docsRedirect)
	e.GET("/docs/*any", h.swaggerUI())
	e.GET("/verify", h.verifyPage)
	e.GET("/verify/*file", h.verifyPageFile)

	v1 := e.Group("/v1", h.limitFailures, h.authenticate, h.limitKeys, h.checkRequestText, h.checkIdempotencyKey)
	v1.GET("/me", h.me)
	v1.GET("/info", h.instanceInfo)

	v1.POST("/registrations", h.createRegistration)
	v1.GET("/registrations", h.listRegistrations)
	v1.GET("/registrations/:register/:year/:number", h.getRegistration)
	v1.PATCH("/registrations/:register/:year/:number", h.patchRegistration)
	v1.GET("/registrations/:register/:year/:number/document", h.getDocument)
	v1.GET("/registrations/:register/:year/:number/attachments/:index", h.getAttachment)
	v1.POST("/registrations/:register/:year/:number/annulment", h.annulRegistration)
	v1.POST("/registrations/:register/:year/:number/confidentiality", h.changeConfidentiality)
	v1.POST("/registrations/:register/:year/:number/assignments", h.assignRegistration)
	v1.POST("/registrations/:register/:year/:number/assignments/:id/accept", h.acceptAssignment)
	v1.POST("/registrations/:register/:year/:number/assignments/:id/reject", h.rejectAssignment)
	v1.GET("/assignments", h.listAssignments)
	v1.POST("/assignments/webhook", h.setAssignmentWebhook)
	v1.GET("/registrations/:register/:year/:number/history", h.registrationHistory)
	v1.GET("/registrations/:register/:year/:number/receipt", h.getReceipt)
	v1.GET("/registrations/:register/:year/:number/segnatura", h.getSegnatura)
	v1.GET("/registrations/:register/:year/:number/metadata", h.getRegistrationMetadata)
	v1.POST("/registrations/:register/:year/:number/dispatches", h.createDispatch)
	v1.GET("/registrations/:register/:year/:number/dispatches", h.listDispatches)
	v1.GET("/registrations/:register/:year/:number/dispatches/:id/receipts/:receipt_id", h.getDispatchReceipt)
	v1.POST("/documents", h.createDocument)
	v1.GET("/documents/:id", h.getStoredDocument)
	v1.GET("/documents/:id/content", h.getStoredDocumentContent)
	v1.GET("/documents/:id/metadata", h.getStoredDocumentMetadata)
	v1.GET("/search", h.searchDocuments)
	v1.GET("/log/checkpoint", h.getCheckpoint)
	v1.GET("/log/proofs/inclusion", h.getInclusionProof)
	v1.GET("/log/proofs/consistency", h.getConsistencyProof)

	v1.GET("/registers", h.listRegisters)
	v1.POST("/registers", h.createRegister)
	v1.GET("/registers/:code/journals", h.listJournals)
	v1.GET("/registers/:code/journals/:date", h.getJournal)
	v1.GET("/registers/:code/emergencies", h.listOutages)
	v1.POST("/registers/:code/emergencies", h.createOutage)
	v1.GET("/registers/:code/emergencies/:id", h.getOutage)
	v1.POST("/registers/:code/emergencies/:id/entries", h.loadEmergencyEntries)
	v1.GET("/classes", h.listClasses)
	v1.POST("/classes", h.createClasses)
	v1.GET("/classes/:code", h.getClass)
	v1.POST("/classes/:code/close", h.closeClass)
	v1.PATCH("/classes/:code", h.patchClass)
	v1.GET("/classes/:code/history", h.classHistory)
	v1.POST("/classes/retention", h.importRetention)
	v1.POST("/dossiers", h.createDossier)
	v1.GET("/dossiers", h.listDossiers)
	v1.GET("/dossiers/:id", h.getDossier)
	v1.PATCH("/dossiers/:id", h.patchDossier)
	v1.GET("/dossiers/:id/history", h.dossierHistory)
	v1.GET("/dossiers/:id/metadata", h.getDossierMetadata)
	v1.POST("/dossiers/:id/items", h.fileInDossier)
	v1.POST("/dossiers/:id/close", h.closeDossier)
	v1.POST("/dossiers/:id/reopen", h.reopenDossier)
	v1.GET("/disposal/due", h.listDueForDisposal)
	v1.POST("/disposals", h.createDisposal)
	v1.GET("/disposals/:id", h.getDisposal)
	v1.GET("/holds", h.listHolds)
	v1.POST("/holds", h.createHold)
	v1.POST("/holds/:id/release", h.releaseHold)
	v1.GET("/archive/fixity", h.getFixity)
	v1.GET("/archive/packages", h.listPackages)
	v1.GET("/audit", h.listAudit)
	v1.GET("/audit/export", h.exportAudit)
	v1.POST("/archive/packages", h.createPackage)
	v1.GET("/archive/packages/:id", h.getPackage)
	v1.GET("/archive/packages/:id/content", h.getPackageContent)
	v1.GET("/archive/packages/:id/report", h.getPackageReport)
	v1.POST("/archive/packages/:id/report", h.settlePackage)
	v1.POST("/cases", h.createCase)
	v1.GET("/cases", h.listCases)
	v1.GET("/cases/:id", h.getCase)
	v1.POST("/cases/:id/transitions", h.transitionCase)
	v1.POST("/cases/:id/messages", h.postCaseMessage)
	v1.GET("/cases/:id/messages", h.listCaseMessages)
	v1.POST("/cases/:id/steps/:index/done", h.completeCaseStep)
	v1.POST("/webhooks", h.setWebhook)
	v1.GET("/webhooks/deliveries", h.listWebhookDeliveries)
	v1.GET("/procedures", h.listProcedures)
	v1.POST("/procedures", h.createProcedure)
	v1.GET("/procedures/:code", h.getProcedure)
	v1.GET("/procedures/:code/versions", h.listProcedureVersions)
	v1.POST("/procedures/:code/versions", h.createProcedureVersion)
	v1.GET("/procedures/:code/versions/:version", h.getProcedureVersion)
	v1.POST("/procedures/:code/versions/:version/publish", h.publishProcedureVersion)
	v1.GET("/stats/procedures", h.procedureStats)
	v1.GET("/stats/registrations", h.registrationStats)
	v1.GET("/offices", h.listOffices)
	v1.POST("/offices", h.createOffice)
	v1.GET("/directory", h.searchDirectory)
	v1.POST("/directory/imports", h.importDirectory)
	v1.POST("/imports", h.createImport)
	v1.GET("/imports", h.listImports)
	v1.GET("/imports/:id", h.getImport)
	v1.POST("/imports/:id/cancel", h.cancelImport)
	v1.GET("/inbox", h.listInbox)
	v1.GET("/inbox/:id", h.getInboxMessage)
	v1.POST("/inbox/:id/register", h.registerInboxMessage)
	v1.POST("/inbox/:id/discard", h.discardInboxMessage)
	v1.POST("/clients", h.createClient)
	v1.GET("/clients", h.listClients)
	v1.POST("/clients/:id/keys", h.rotateKey)
	v1.POST("/clients/:id/keys/:key_id/revoke", h.revokeKey)
	v1.POST("/users", h.createUser)
	v1.GET("/users", h.listUsers)
	v1.GET("/users/:id", h.getUser)
	v1.PATCH("/users/:id", h.patchUser)
	v1.POST("/users/:id/deactivate", h.deactivateUser)
	v1.POST("/users/:id/keys", h.createUserKey)
	return e
}

// Routes lists every route the API serves, as "METHOD path" in the router's syntax
// (/v1/dossiers/:id), so that a test can hold each one to the access policy.
func Routes() []string {
	var out []string
	for _, r := range New(Options{}).(*gin.Engine).Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// noRoute answers unknown paths with a not_found problem.
func (h *handlers) noRoute(c *gin.Context) {
	h.fail(c, domain.Errorf(domain.ECNotFound, "no resource at %s", c.Request.URL.Path))
}

// noMethod answers a known path with the wrong method; gin has set the Allow header.
func (h *handlers) noMethod(c *gin.Context) {
	h.fail(c, domain.Errorf(codeMethodNotAllowed, "%s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
}
