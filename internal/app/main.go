package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/jobs"
	"github.com/sportello/sportello/mail"
	"github.com/sportello/sportello/search"
	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/storage"

	_ "time/tzdata" // Europe/Rome must resolve on machines without a zoneinfo database
)

// AdminKeyFile is where the first start writes the admin token, under the data directory.
const AdminKeyFile = "admin.key"

// Main is one running Sportello process: Open prepares storage, Run serves HTTP, Close shuts
// everything down in order. End-to-end tests run the real server through it on 127.0.0.1:0.
type Main struct {
	Config Config
	Logger *slog.Logger
	// Now overrides the clock (tests); nil means time.Now.
	Now func() time.Time
	// JournalEvery is how often the journal worker looks for days without a daily journal;
	// zero means every minute (journal.DefaultInterval).
	JournalEvery time.Duration
	// TextRetryPolicy overrides River's backoff between text extraction attempts (tests); nil
	// means River's default, exponential from one second.
	TextRetryPolicy river.ClientRetryPolicy
	// Mail are the mail packages dispatches use (see MailParts).
	Mail MailParts
	// MailRetryPolicy overrides River's backoff between attempts to send a dispatch's message
	// (tests); nil means River's default.
	MailRetryPolicy river.ClientRetryPolicy
	// DisposalSweepEvery is how often content left by interrupted disposals is looked for;
	// zero means DefaultDisposalSweepEvery. The sweep also runs once at start.
	DisposalSweepEvery time.Duration
	// WebhookEvery is how often the webhook worker looks for due events (zero: every second);
	// WebhookBackoff is the delay before the first retry, doubled at each (zero: 2 s).
	WebhookEvery, WebhookBackoff time.Duration
	// IntegrityLag is how long the self-audit lets a fact wait for its leaf before it reports it
	// as never logged; zero means tlog.DefaultLag.
	IntegrityLag time.Duration
	// BlobsReadyEvery is how long /readyz trusts the blob store's last answer; zero means
	// DefaultBlobsReadyEvery (tests shorten it).
	BlobsReadyEvery time.Duration
	// FixityTick is how often the server looks for a due fixity run and re-reads the open
	// failures; zero means every 5 minutes (tests shorten it).
	FixityTick time.Duration
	// ConservationEvery is how often the conservation schedule runs; zero means
	// jobs.ScheduleEvery (tests shorten it).
	ConservationEvery time.Duration
	// OpenMailbox opens each mailbox of SPORTELLO_MAILBOXES (mail/imapbox).
	OpenMailbox MailboxOpener
	// ImportChunk is how long an import's job registers rows before it hands the job back to the
	// queue (zero: jobs.ImportChunk); ImportTimeout bounds one attempt (zero:
	// jobs.ImportTimeout); ImportRescueAfter is how long a job may run before it is taken as
	// left by a dead process and run again (zero: DefaultJobRescueAfter; see jobWorkers). Tests
	// shorten them.
	ImportChunk, ImportTimeout, ImportRescueAfter time.Duration
	// BindPages, given the number of OCR workers, returns how page images are bound into a
	// searchable PDF and how a page image is told (package scan); nil leaves rows of several
	// page images failing and registers one image as it is.
	BindPages func(workers int) (jobs.BindPages, func(head []byte) bool)
	// LeaderRetry is how often a replica tries to take a role another one plays, and how often
	// the leader checks its lock's connection; zero means storage.DefaultLeaderRetry.
	LeaderRetry time.Duration

	DB      *storage.DB
	Service *domain.Service

	listener     net.Listener
	server       *http.Server
	metrics      *metricsServer
	integrity    *integrity
	search       *searching
	journals     *journaling
	texts        *textJobs
	dispatch     *dispatchJobs
	packages     *dispatchJobs
	conservation *conservationJobs
	disposals    *disposalSweep
	webhooks     *webhooks
	audit        *selfAudit
	fixity       *fixityJob
	auditReads   *auditReads
	mailboxes    *mailboxWorkers
	imports      *importJobs
	workers      *river.Workers
	leaders      *leaders
	invalid      *invalidations
	closed       bool
}

// New returns a Main for a validated configuration.
func New(cfg Config, logger *slog.Logger) *Main {
	return &Main{Config: cfg, Logger: logger, Mail: builtInMail(), OpenMailbox: openIMAPMailbox, BindPages: scanBinder}
}

// Open opens the database (migrating it, or refusing a stale schema when auto-migration is
// off), the blob store, and bootstraps a fresh installation: AOO, general register, and an admin
// key written to <data>/admin.key.
func (m *Main) Open(ctx context.Context) error {
	cfg := m.Config
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	db, err := storage.Open(ctx, cfg.DatabaseURL, storage.Options{Logger: m.Logger})
	if err != nil {
		return err // storage.Open names the operation and the database
	}
	m.DB = db
	if cfg.AutoMigrate {
		if err := db.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if err := db.CheckSchema(ctx); err != nil {
		return fmt.Errorf("database schema: %w (run `sportello migrate`)", err)
	}
	blobs, err := m.openBlobStore(ctx, false)
	if err != nil {
		return err
	}
	m.Service = domain.NewService(db, blobs, cfg.Location())
	m.Service.PackageLimits = domain.PackageLimits{MaxItems: cfg.PackageMaxItems, MaxBytes: cfg.PackageMaxBytes}
	if m.Service.WebhookAllow, err = domain.ParseWebhookAllowList(cfg.WebhookAllow); err != nil {
		return fmt.Errorf("SPORTELLO_WEBHOOK_ALLOW: %w", err)
	}
	if m.Now != nil {
		m.Service.Now = m.Now
	}
	if v := cfg.identityVerifier(); v != nil {
		m.Service.Identities = v
	}

	m.Service.ProcedureApproval = domain.ProcedureApproval{Office: cfg.ProcedureApproverOffice}
	m.Service.Catalogue = search.NewCatalogue()
	token, err := m.Service.Bootstrap(ctx, domain.AOO{IPACode: cfg.IPACode, Code: cfg.AOOCode, Name: cfg.AOOName})
	if err != nil {
		return err
	}
	if token != "" {
		path := filepath.Join(cfg.Data, AdminKeyFile)
		if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
			return fmt.Errorf("write admin key: %w", err)
		}
		m.Logger.Warn("first start: admin API key written; keep it safe", "path", path)
	}
	if err := m.openIntegrity(); err != nil {
		return err
	}
	m.Service.SignPDF = m.integrity.pdfSigner(cfg.AOOName)
	m.Service.RenderAct = actRenderer(cfg.AOOName, cfg.Location())
	m.Service.SealSegnatura = m.integrity.segnaturaSealer(func() time.Time { return m.Service.Now() })
	// Messages uploaded as .eml or read from the mailboxes (domain/intake_mail.go).
	// Receipts and protocol answers to our dispatches are linked to them (domain/dispatch_link.go).
	m.Service.Mail = domain.MailIntake{Parse: mail.Parse, ReadSegnatura: signing.ReadSegnatura,
		ReadProtocolMessage: signing.ReadProtocolMessage, LinkReceipt: m.Service.LinkMailReceipt}
	m.openJournals()
	m.openWebhooks()
	m.Logger.Info("storage ready", "engine", db.Engine(), "database", storage.Redacted(cfg.DatabaseURL), "blobs", cfg.Blobs)
	return nil
}

// Run opens everything and starts serving HTTP in the background; it returns once the server
// is listening. Call Close to stop.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	// The search index is opened only to serve: bleve locks it, and commands (migrate, keys,
	// verify --data) must work beside a running server.
	if err := m.openSearch(); err != nil {
		return err
	}
	if err := m.openConservation(); err != nil {
		return err
	}
	if err := m.openTexts(); err != nil {
		return err
	}
	if err := m.openDispatch(); err != nil {
		return err
	}
	if err := m.openImports(); err != nil {
		return err
	}
	if err := m.openPackages(ctx); err != nil {
		return err
	}
	aoo, err := m.Service.AOO(ctx)
	if err != nil {
		return fmt.Errorf("read AOO: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newLogCollector(m))
	reg.MustRegister(groupCounters(m.DB)...)
	m.audit = newSelfAudit(m)
	reg.MustRegister(m.audit.collectors()...)
	reg.MustRegister(m.imports.rows)
	m.openLeaders()
	reg.MustRegister(m.leaders.gauge)
	m.fixity = newFixityJob(m)
	reg.MustRegister(m.fixity.collectors()...)
	reg.MustRegister(m.conservation.collector())

	reg.MustRegister(overdueCollector{m})
	handler := api.New(api.Options{
		Service:        m.Service,
		Logger:         m.Logger,
		Metrics:        reg,
		MetricsApart:   m.Config.MetricsAddr != "",
		MaxUploadBytes: m.Config.MaxUploadBytes,
		Ready:          m.DB.Ping,
		BlobsReady:     m.blobsReady(),
		Warnings:       m.warnings,
		Info: api.Info{Version: Version(), Engine: m.DB.Engine(), Timezone: m.Config.Timezone,
			Signing: m.integrity.signingInfo(),
		},
		Log:      m.integrity.Log,
		Seal:     m.integrity.sealer(aoo.Name),
		Search:   m.search,
		Journals: m.journals.worker,
		Faults:   m.DB.Faulted,
		RateLimits: api.RateLimits{
			PerKey: m.Config.RateLimit, Burst: m.Config.RateBurst, AuthFailures: m.Config.AuthFailLimit,
		},
		Imports: api.Imports{Dir: m.importsDir(), MaxBytes: m.Config.ImportMaxBytes, Limits: m.Config.ImportLimits()},
	})
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	if m.Config.MetricsAddr != "" {
		if m.metrics, err = startMetrics(m.Config.MetricsAddr, reg, m.Logger); err != nil {
			return err
		}
	}
	m.startAuditReads()
	m.invalid = m.startInvalidations()
	m.integrity.start(m.leaders.byRole[RoleSequencer])
	m.audit.start()
	m.search.start()
	m.journals.start(m.leaders.byRole[RoleJournal])
	if err := m.texts.start(); err != nil {
		return err
	}
	if err := m.dispatch.start(); err != nil {
		return err
	}
	if err := m.imports.start(); err != nil {
		return err
	}
	if err := m.packages.start(); err != nil {
		return err
	}
	if err := m.startMailboxes(); err != nil {
		return err
	}
	m.disposals = &disposalSweep{svc: m.Service, every: m.DisposalSweepEvery, logger: m.Logger}
	m.disposals.start()
	m.fixity.start()
	m.webhooks.start()
	m.server = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: m.Config.ReadHeaderTimeout,
		ReadTimeout:       10 * time.Minute, // large scanned uploads on slow links
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := m.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("http server stopped", "err", err)
		}
	}()
	m.Logger.Info("listening", "addr", ln.Addr().String(), "version", Version())
	return nil
}

// URL is the base URL the server listens on (useful with port 0).
func (m *Main) URL() string {
	if m.listener == nil {
		return ""
	}
	return "http://" + m.listener.Addr().String()
}

// MetricsURL is the base URL of the metrics listener, or "" when /metrics is served beside the
// API (SPORTELLO_METRICS_ADDR unset).
func (m *Main) MetricsURL() string {
	if m.metrics == nil {
		return ""
	}
	return m.metrics.URL()
}

// Close stops the HTTP server, letting requests in flight finish within the shutdown timeout,
// then the background workers, then closes the database. It is safe to call after a failed Run,
// and again (a test stops a replica before its cleanup does).
func (m *Main) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		defer cancel()
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	if err := m.metrics.close(m.Config.ShutdownTimeout); err != nil {
		errs = append(errs, err)
	}
	m.auditReads.stop()
	m.journals.stopBackground()
	m.mailboxes.stop()
	if err := m.texts.stop(m.Config.ShutdownTimeout); err != nil {
		errs = append(errs, err)
	}
	if err := m.dispatch.stop(m.Config.ShutdownTimeout); err != nil {
		errs = append(errs, err)
	}
	if err := m.imports.stop(m.Config.ShutdownTimeout); err != nil {
		errs = append(errs, fmt.Errorf("stop import jobs: %w", err))
	}
	if err := m.packages.stop(m.Config.ShutdownTimeout); err != nil {
		errs = append(errs, err)
	}
	m.disposals.stopBackground()
	m.fixity.stopBackground()
	m.webhooks.stopBackground()
	m.integrity.stopBackground()
	m.audit.stopBackground()
	m.invalid.stopBackground()
	if err := m.search.close(); err != nil {
		errs = append(errs, fmt.Errorf("close search index: %w", err))
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close database: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Version names the build the binary came from, so that a report or /v1/info can be traced
// to its source: the module version (a release with `go install …@v1.2.3`, a pseudo-version
// when built in a clone), then the commit, its time and whether the tree had uncommitted
// changes, as Go recorded them; "dev" when Go recorded nothing (`go run` records the commit
// only with -buildvcs=true).
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) string {
	version := bi.Main.Version
	if version == "(devel)" {
		version = ""
	}
	var revision, at string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision == "" {
		if version == "" {
			return "dev"
		}
		return version
	}
	if version == "" {
		version = "devel"
	}
	details := []string{"commit " + revision}
	if at != "" {
		details = append(details, at)
	}
	if modified {
		details = append(details, "with uncommitted changes")
	}
	return version + " (" + strings.Join(details, ", ") + ")"
}
