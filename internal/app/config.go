// Package app wires Sportello together: it reads the configuration, opens storage and blobs,
// builds the domain service and the HTTP API, and owns start-up and shutdown. cmd/sportello
// and the end-to-end tests both start the real server through Main.
package app

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/importer"
	"github.com/sportello/sportello/signing"
	"github.com/sportello/sportello/storage/blob"
)

// Config is every setting, read from SPORTELLO_* environment variables and flags of the same
// name (`--database-url` for SPORTELLO_DATABASE_URL); flags win. A secret may also come from a
// file named by the variable with a _FILE suffix.
type Config struct {
	Addr            string        // SPORTELLO_ADDR: listen address
	Data            string        // SPORTELLO_DATA: data directory (SQLite, blobs, keys)
	DatabaseURL     string        // SPORTELLO_DATABASE_URL: postgres://… or sqlite:PATH
	Blobs           string        // SPORTELLO_BLOBS: file://DIR or s3://BUCKET[/PREFIX]?endpoint=…&region=…
	IPACode         string        // SPORTELLO_IPA_CODE: the administration's IPA code
	AOOCode         string        // SPORTELLO_AOO_CODE: Codice_uni_aoo, 7 characters
	AOOName         string        // SPORTELLO_AOO_NAME
	Timezone        string        // SPORTELLO_TIMEZONE: where protocol dates and years are reckoned
	MaxUploadBytes  int64         // SPORTELLO_MAX_UPLOAD_BYTES: limit on one upload request
	AutoMigrate     bool          // SPORTELLO_AUTO_MIGRATE: apply migrations at start
	LogLevel        string        // SPORTELLO_LOG_LEVEL: debug, info, warn, error
	LogFormat       string        // SPORTELLO_LOG_FORMAT: json or text
	ShutdownTimeout time.Duration // SPORTELLO_SHUTDOWN_TIMEOUT: grace period for requests in flight
	SigningKey      string        // SPORTELLO_SIGNING_KEY: PEM sealing key (with SIGNING_CERT)
	SigningCert     string        // SPORTELLO_SIGNING_CERT: PEM sealing certificate and chain
	SigningP12      string        // SPORTELLO_SIGNING_P12: PKCS#12 sealing identity
	SigningP12Pass  string        // SPORTELLO_SIGNING_P12_PASSWORD
	TSAURL          string        // SPORTELLO_TSA_URL: external RFC 3161 TSA; built-in when empty
	CheckpointEvery time.Duration // SPORTELLO_CHECKPOINT_INTERVAL: least time between log checkpoints
	// SPORTELLO_AUDIT_ANCHOR: log the audit chain's head (an audit_head leaf) at each checkpoint
	AuditAnchor  bool
	TextWorkers  int    // SPORTELLO_TEXT_WORKERS: text extraction and OCR jobs run at once
	WebhookAllow string // SPORTELLO_WEBHOOK_ALLOW: hosts and CIDR blocks webhooks may reach by http or on internal addresses
	// SPORTELLO_PROCEDURE_APPROVER_OFFICE: the coordinating office whose clerks and editors
	// approve the publication of procedure versions; empty: records officers approve.
	ProcedureApproverOffice string
	// SPORTELLO_METRICS_ADDR: a listen address of its own for /metrics, so that it need not be
	// public; empty serves it beside the API.
	MetricsAddr string
	// SPORTELLO_READ_HEADER_TIMEOUT: how long a client may take to send a request's headers
	// (slow clients holding connections open); its body may take longer.
	ReadHeaderTimeout time.Duration
	// Rate limits (api.RateLimits); 0 turns each off.
	RateLimit     float64       // SPORTELLO_RATE_LIMIT: requests per second per API key (default 0: off)
	RateBurst     int           // SPORTELLO_RATE_BURST: requests one API key may make at once
	AuthFailLimit int           // SPORTELLO_AUTH_FAIL_LIMIT: failed authentications per minute per address
	AuditInterval time.Duration // SPORTELLO_AUDIT_INTERVAL: how often the server re-checks recent log leaves against the rows
	// SPORTELLO_TRUST_ANCHORS: a PEM bundle of the certificates that signatures on received
	// documents must chain to; without it a signature is never reported trusted.
	TrustAnchors string
	// SPORTELLO_MAILBOXES: the IMAP mailboxes read for incoming mail, as URLs (mailboxes.go);
	// each one's password in SPORTELLO_MAILBOX_<NAME>_PASSWORD(_FILE), read by Load into
	// MailboxPasswords.
	Mailboxes        string
	MailboxPasswords map[string]string
	MailboxPoll      time.Duration // SPORTELLO_MAILBOX_POLL: how often each mailbox is looked at
	// SPORTELLO_MAILBOX_MAX_BYTES: the largest message a mailbox reads, unless its URL says
	// max_bytes; a larger one is recorded as rejected, not downloaded.
	MailboxMaxBytes int64
	// Dispatches by PEC or e-mail (domain.CreateDispatch): without SPORTELLO_SMTP_URL none is
	// made. The relay is the AOO's PEC provider's (or an SMTP server for e-mail).
	SMTPURL      string // SPORTELLO_SMTP_URL: smtp://user@host:587 (STARTTLS) or smtps://user@host:465
	SMTPPassword string // SPORTELLO_SMTP_PASSWORD: the relay's password for the URL's user
	MailFrom     string // SPORTELLO_MAIL_FROM: the AOO's address messages are sent from ("Name <addr>" or addr)
	MailWorkers  int    // SPORTELLO_MAIL_WORKERS: messages this process sends at once (0: none)
	// Server-side imports (POST /v1/imports, docs/import.md).
	ImportMaxBytes    int64 // SPORTELLO_IMPORT_MAX_BYTES: largest uploaded archive
	ImportMaxEntries  int   // SPORTELLO_IMPORT_MAX_ENTRIES: most entries an archive may hold
	ImportMaxExpanded int64 // SPORTELLO_IMPORT_MAX_EXPANDED: most bytes its entries may declare, uncompressed
	ImportMaxRatio    int   // SPORTELLO_IMPORT_MAX_RATIO: highest compression ratio of an entry over 1 MiB
	ImportWorkers     int   // SPORTELLO_IMPORT_WORKERS: imports this process runs at once (0: none)
	// Archive packages (docs/package-format.md).
	PackageMaxItems int   // SPORTELLO_PACKAGE_MAX_ITEMS: most registrations (or journals) a package may hold
	PackageMaxBytes int64 // SPORTELLO_PACKAGE_MAX_BYTES: most bytes of files a package may hold
	OCRWorkers      int   // SPORTELLO_OCR_WORKERS: page images bound by tesseract at once (0: one per core)
	// Fixity checks (fixity.go): every blob read again and its digest compared.
	FixityEvery time.Duration // SPORTELLO_FIXITY_EVERY: how often a fixity run starts (0: never, only `sportello verify --data`)
	FixityRate  int64         // SPORTELLO_FIXITY_RATE: most bytes a fixity run reads per second (0: no limit)
	// Sending archival packages to conservation (conservation.go): without
	// SPORTELLO_CONSERVATION_URL no package is sent and none is scheduled.
	ConservationURL    string // SPORTELLO_CONSERVATION_URL: file:///folder or http(s)://… of the conservator
	ConservationMethod string // SPORTELLO_CONSERVATION_METHOD: PUT (to URL/<id>.zip) or POST (to URL)
	ConservationToken  string // SPORTELLO_CONSERVATION_TOKEN: bearer token sent to an HTTP destination
	ConservationAllow  string // SPORTELLO_CONSERVATION_ALLOW: hosts and CIDR blocks the destination may be on by http or on internal addresses

	// Staff sign-in through the administration's OpenID Connect provider (oidcauth): without
	// an issuer only API keys are accepted.
	OIDCIssuer       string // SPORTELLO_OIDC_ISSUER: the provider's issuer URL (https, or http on loopback)
	OIDCAudience     string // SPORTELLO_OIDC_AUDIENCE: the "aud" tokens must carry (Sportello's client id)
	OIDCClaimSubject string // SPORTELLO_OIDC_CLAIM_SUBJECT: the claim naming the person for good (sub)
	OIDCClaimEmail   string // SPORTELLO_OIDC_CLAIM_EMAIL: the e-mail claim matched on first sign-in (email)
	OIDCClaimTaxCode string // SPORTELLO_OIDC_CLAIM_TAX_CODE: the codice fiscale claim matched on first sign-in (fiscal_number)

	location *time.Location
	anchors  signing.Anchors
}

// setting describes one configuration entry: its flag name (the variable is SPORTELLO_ + the
// name upper-cased with _), its usage, and whether it is a secret that may come from _FILE.
type setting struct {
	name, usage string
	secret      bool
	bind        func(fs *flag.FlagSet, name, def, usage string)
}

func (c *Config) settings() []setting {
	str := func(p *string) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, def, u string) { fs.StringVar(p, n, def, u) }
	}
	duration := func(p *time.Duration) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, def, u string) {
			v, _ := time.ParseDuration(def)
			fs.DurationVar(p, n, v, u)
		}
	}
	int64Of := func(p *int64) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, def, u string) {
			v, _ := strconv.ParseInt(def, 10, 64)
			fs.Int64Var(p, n, v, u)
		}
	}
	integer := func(p *int) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, def, u string) {
			v, _ := strconv.Atoi(def)
			fs.IntVar(p, n, v, u)
		}
	}
	float := func(p *float64) func(*flag.FlagSet, string, string, string) {
		return func(fs *flag.FlagSet, n, def, u string) {
			v, _ := strconv.ParseFloat(def, 64)
			fs.Float64Var(p, n, v, u)
		}
	}
	return []setting{
		{name: "addr", usage: "listen address", bind: str(&c.Addr)},
		{name: "data", usage: "data directory: SQLite database, blobs, keys", bind: str(&c.Data)},
		{name: "database-url", usage: "postgres://… or sqlite:PATH (default sqlite:<data>/sportello.db)", secret: true, bind: str(&c.DatabaseURL)},
		{name: "blobs", usage: "blob store: file://DIR (default file://<data>/blobs) or s3://BUCKET[/PREFIX]?endpoint=URL&region=R&path_style=true&object_lock_days=N (credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS shared files)", bind: str(&c.Blobs)},
		{name: "ipa-code", usage: "IPA code of the administration", bind: str(&c.IPACode)},
		{name: "aoo-code", usage: "Codice_uni_aoo of the AOO (7 characters)", bind: str(&c.AOOCode)},
		{name: "aoo-name", usage: "name of the AOO", bind: str(&c.AOOName)},
		{name: "timezone", usage: "time zone of protocol dates and numbering years", bind: str(&c.Timezone)},
		{name: "max-upload-bytes", usage: "largest accepted upload request, in bytes", bind: func(fs *flag.FlagSet, n, def, u string) {
			v, _ := strconv.ParseInt(def, 10, 64)
			fs.Int64Var(&c.MaxUploadBytes, n, v, u)
		}},
		{name: "auto-migrate", usage: "apply database migrations at start", bind: func(fs *flag.FlagSet, n, def, u string) {
			v, _ := strconv.ParseBool(def)
			fs.BoolVar(&c.AutoMigrate, n, v, u)
		}},
		{name: "audit-anchor", usage: "log the head of the audit chain in the transparency log at each checkpoint", bind: func(fs *flag.FlagSet, n, def, u string) {
			v, _ := strconv.ParseBool(def)
			fs.BoolVar(&c.AuditAnchor, n, v, u)
		}},
		{name: "log-level", usage: "debug, info, warn or error", bind: str(&c.LogLevel)},
		{name: "log-format", usage: "json or text", bind: str(&c.LogFormat)},
		{name: "shutdown-timeout", usage: "grace period for requests in flight at shutdown", bind: duration(&c.ShutdownTimeout)},
		{name: "signing-key", usage: "PEM sealing key (default: self-signed under <data>/keys)", bind: str(&c.SigningKey)},
		{name: "signing-cert", usage: "PEM sealing certificate, then its chain", bind: str(&c.SigningCert)},
		{name: "signing-p12", usage: "PKCS#12 file with the sealing key and certificate", bind: str(&c.SigningP12)},
		{name: "signing-p12-password", usage: "password of the PKCS#12 file", secret: true, bind: str(&c.SigningP12Pass)},
		{name: "tsa-url", usage: "external RFC 3161 time-stamping authority (default: built-in)", bind: str(&c.TSAURL)},
		{name: "checkpoint-interval", usage: "least time between two signed checkpoints of the transparency log", bind: duration(&c.CheckpointEvery)},
		{name: "text-workers", usage: "text extraction and OCR jobs this process runs at once (0: none)", bind: integer(&c.TextWorkers)},
		{name: "procedure-approver-office", usage: "office (code) whose clerks and editors approve new procedure versions; empty: records officers", bind: str(&c.ProcedureApproverOffice)},
		{name: "webhook-allow", usage: "comma-separated hosts (host or host:port) and CIDR blocks that webhooks may reach by plain http or on loopback, private or link-local addresses", bind: str(&c.WebhookAllow)},
		{name: "metrics-addr", usage: "listen address of /metrics alone (default: served beside the API)", bind: str(&c.MetricsAddr)},
		{name: "read-header-timeout", usage: "longest time a client may take to send a request's headers", bind: duration(&c.ReadHeaderTimeout)},
		{name: "rate-limit", usage: "requests per second one API key may make in the long run (0: no limit)", bind: float(&c.RateLimit)},
		{name: "rate-burst", usage: "requests one API key may make at once, with rate-limit", bind: integer(&c.RateBurst)},
		{name: "auth-fail-limit", usage: "requests with a refused API key one client address may make per minute before 429 (0: no limit)", bind: integer(&c.AuthFailLimit)},
		{name: "audit-interval", usage: "how often the server re-checks the recent transparency log leaves against the register", bind: duration(&c.AuditInterval)},
		{name: "mailboxes", usage: "IMAP mailboxes read for incoming mail: imaps://user@host/INBOX?name=pec&channel=pec&mode=register|draft&register=PG&offices=PROT, separated by spaces", bind: str(&c.Mailboxes)},
		{name: "mailbox-poll", usage: "how often each mailbox is looked at for new messages", bind: duration(&c.MailboxPoll)},
		{name: "mailbox-max-bytes", usage: "largest message a mailbox reads, in bytes, unless its URL says max_bytes (a larger one is recorded as rejected)", bind: func(fs *flag.FlagSet, n, def, u string) {
			v, _ := strconv.ParseInt(def, 10, 64)
			fs.Int64Var(&c.MailboxMaxBytes, n, v, u)
		}},
		{name: "smtp-url", usage: "mail relay dispatches are sent through: smtp://user@host:587 (STARTTLS) or smtps://user@host:465 (default: none, no dispatches)", bind: str(&c.SMTPURL)},
		{name: "smtp-password", usage: "password of the mail relay's user", secret: true, bind: str(&c.SMTPPassword)},
		{name: "mail-from", usage: "address dispatches are sent from, the AOO's PEC (\"Name <addr>\" or addr)", bind: str(&c.MailFrom)},
		{name: "mail-workers", usage: "messages this process sends at once (0: none)", bind: integer(&c.MailWorkers)},
		{name: "import-max-bytes", usage: "largest archive POST /v1/imports accepts, in bytes", bind: int64Of(&c.ImportMaxBytes)},
		{name: "import-max-entries", usage: "most entries an imported archive may hold", bind: integer(&c.ImportMaxEntries)},
		{name: "import-max-expanded", usage: "most bytes the entries of an imported archive may declare, uncompressed", bind: int64Of(&c.ImportMaxExpanded)},
		{name: "import-max-ratio", usage: "highest compression ratio of an entry (over 1 MiB) of an imported archive", bind: integer(&c.ImportMaxRatio)},
		{name: "import-workers", usage: "imports this process runs at once (0: none)", bind: integer(&c.ImportWorkers)},
		{name: "package-max-items", usage: "most registrations (or daily journals) an archive package may hold", bind: integer(&c.PackageMaxItems)},
		{name: "package-max-bytes", usage: "most bytes of files an archive package may hold", bind: int64Of(&c.PackageMaxBytes)},
		{name: "ocr-workers", usage: "page images of imported scans bound by tesseract at once (0: one per core)", bind: integer(&c.OCRWorkers)},
		{name: "fixity-every", usage: "how often every stored blob is read again and its digest compared (0: never; `sportello verify --data` still does)", bind: duration(&c.FixityEvery)},
		{name: "fixity-rate", usage: "most bytes a second a fixity run reads (0: no limit)", bind: func(fs *flag.FlagSet, n, def, u string) {
			v, _ := strconv.ParseInt(def, 10, 64)
			fs.Int64Var(&c.FixityRate, n, v, u)
		}},
		{name: "conservation-url", usage: "where archival packages are sent: file:///folder, or an http(s) URL of the conservator (default: none, no sending and no schedule)", bind: str(&c.ConservationURL)},
		{name: "conservation-method", usage: "PUT (each package to URL/<id>.zip) or POST (to URL), for an HTTP destination", bind: str(&c.ConservationMethod)},
		{name: "conservation-token", usage: "bearer token sent to an HTTP conservation destination", secret: true, bind: str(&c.ConservationToken)},
		{name: "conservation-allow", usage: "comma-separated hosts (host or host:port) and CIDR blocks the conservation destination may be on by plain http or on loopback, private or link-local addresses", bind: str(&c.ConservationAllow)},

		{name: "oidc-issuer", usage: "issuer URL of the OpenID Connect provider staff sign in with (default: none, API keys only)", bind: str(&c.OIDCIssuer)},
		{name: "oidc-audience", usage: "audience (client id) the provider's tokens must be issued to", bind: str(&c.OIDCAudience)},
		{name: "oidc-claim-subject", usage: "token claim that names a person for good", bind: str(&c.OIDCClaimSubject)},
		{name: "oidc-claim-email", usage: "token claim with the person's e-mail, matched on a first sign-in without a tax code", bind: str(&c.OIDCClaimEmail)},
		{name: "oidc-claim-tax-code", usage: "token claim with the person's codice fiscale, matched on a first sign-in", bind: str(&c.OIDCClaimTaxCode)},
		{name: "trust-anchors", usage: "PEM bundle of the certificates signatures on received documents must chain to (default: none, trust unknown)", bind: str(&c.TrustAnchors)},
	}
}

var defaults = map[string]string{
	"addr": ":8080", "data": "./data", "ipa-code": "demo", "aoo-code": "DEMOAOO",
	"aoo-name": "Area organizzativa omogenea", "timezone": "Europe/Rome",
	"max-upload-bytes": strconv.Itoa(100 << 20), "auto-migrate": "true",
	"log-level": "info", "log-format": "json", "shutdown-timeout": "15s", "checkpoint-interval": "1s", "audit-anchor": "true",
	"text-workers": "2", "read-header-timeout": "10s", "audit-interval": "5m",
	"rate-limit": "0", "rate-burst": "100", "auth-fail-limit": "10", "mail-workers": "4",
	"mailbox-poll": "30s", "mailbox-max-bytes": strconv.Itoa(50 << 20),
	"import-max-bytes": strconv.FormatInt(4<<30, 10), "import-max-entries": "50000",
	"package-max-items": "100000", "package-max-bytes": strconv.FormatInt(64<<30, 10),
	"import-max-expanded": strconv.FormatInt(16<<30, 10), "import-max-ratio": "200", "import-workers": "1",
	"ocr-workers": "0", "fixity-every": "168h", "fixity-rate": strconv.Itoa(50 << 20),
	"oidc-claim-subject": "sub", "oidc-claim-email": "email", "oidc-claim-tax-code": "fiscal_number",
}

// EnvName returns the environment variable of a flag name: database-url → SPORTELLO_DATABASE_URL.
func EnvName(name string) string {
	return "SPORTELLO_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Flags registers every setting on fs, with defaults taken from getenv (and _FILE variables).
func (c *Config) Flags(fs *flag.FlagSet, getenv func(string) string) error {
	for _, s := range c.settings() {
		def := defaults[s.name]
		env := EnvName(s.name)
		if v := getenv(env); v != "" {
			def = v
		} else if f := getenv(env + "_FILE"); f != "" && s.secret {
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("%s_FILE: %w", env, err)
			}
			def = strings.TrimSpace(string(b))
		}
		s.bind(fs, s.name, def, s.usage+" ("+env+")")
	}
	return nil
}

// Load reads the configuration from getenv and args, fills derived defaults and validates it.
func Load(args []string, getenv func(string) string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("sportello", flag.ContinueOnError)
	if err := c.Flags(fs, getenv); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.MailboxPasswords, err = mailboxPasswords(c.Mailboxes, getenv); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate fills the defaults that depend on other settings and checks every value.
func (c *Config) Validate() error {
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.Data, "sportello.db")
	}
	if c.Blobs == "" {
		c.Blobs = "file://" + filepath.Join(c.Data, "blobs")
	}
	var errs []error
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		errs = append(errs, fmt.Errorf("SPORTELLO_TIMEZONE: %w", err))
	}
	c.location = loc
	if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") &&
		!strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		errs = append(errs, errors.New("SPORTELLO_DATABASE_URL: want postgres://… or sqlite:PATH"))
	}
	if blob.IsS3URL(c.Blobs) {
		if _, err := blob.ParseS3URL(c.Blobs); err != nil {
			errs = append(errs, fmt.Errorf("SPORTELLO_BLOBS: %w", err))
		}
	} else if _, err := c.BlobDir(); err != nil {
		errs = append(errs, err)
	}
	if c.MaxUploadBytes <= 0 {
		errs = append(errs, errors.New("SPORTELLO_MAX_UPLOAD_BYTES: must be positive"))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, errors.New("SPORTELLO_LOG_FORMAT: want json or text"))
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("SPORTELLO_LOG_LEVEL: %w", err))
	}
	if (c.SigningKey == "") != (c.SigningCert == "") {
		errs = append(errs, errors.New("SPORTELLO_SIGNING_KEY and SPORTELLO_SIGNING_CERT go together"))
	}
	if c.SigningP12 != "" && c.SigningKey != "" {
		errs = append(errs, errors.New("SPORTELLO_SIGNING_P12: set either it or SPORTELLO_SIGNING_KEY/CERT"))
	}
	if c.TSAURL != "" {
		if u, err := url.Parse(c.TSAURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, errors.New("SPORTELLO_TSA_URL: want an http(s) URL"))
		}
	}
	if c.CheckpointEvery <= 0 {
		errs = append(errs, errors.New("SPORTELLO_CHECKPOINT_INTERVAL: must be positive"))
	}
	if c.TextWorkers < 0 {
		errs = append(errs, errors.New("SPORTELLO_TEXT_WORKERS: must not be negative"))
	}
	if c.ProcedureApproverOffice != "" && !domain.ValidOfficeCode(c.ProcedureApproverOffice) {
		errs = append(errs, errors.New("SPORTELLO_PROCEDURE_APPROVER_OFFICE: must be an office code"))
	}
	if _, err := domain.ParseWebhookAllowList(c.WebhookAllow); err != nil {
		errs = append(errs, fmt.Errorf("SPORTELLO_WEBHOOK_ALLOW: %w", err))
	}
	if allow, err := domain.ParseWebhookAllowList(c.ConservationAllow); err != nil {
		errs = append(errs, fmt.Errorf("SPORTELLO_CONSERVATION_ALLOW: %w", err))
	} else if err := c.checkConservation(allow); err != nil {
		errs = append(errs, err)
	}
	if c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) {
		errs = append(errs, errors.New("SPORTELLO_RATE_LIMIT: must be a number, 0 or more"))
	}
	if c.RateBurst < 1 {
		errs = append(errs, errors.New("SPORTELLO_RATE_BURST: must be at least 1"))
	}
	if c.AuthFailLimit < 0 {
		errs = append(errs, errors.New("SPORTELLO_AUTH_FAIL_LIMIT: must not be negative"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("SPORTELLO_SHUTDOWN_TIMEOUT: must be positive"))
	}
	if c.ReadHeaderTimeout <= 0 {
		errs = append(errs, errors.New("SPORTELLO_READ_HEADER_TIMEOUT: must be positive"))
	}
	if c.AuditInterval <= 0 {
		errs = append(errs, errors.New("SPORTELLO_AUDIT_INTERVAL: must be positive"))
	}
	if c.MailboxPoll <= 0 {
		errs = append(errs, errors.New("SPORTELLO_MAILBOX_POLL: must be positive"))
	}
	if c.MailboxMaxBytes <= 0 {
		errs = append(errs, errors.New("SPORTELLO_MAILBOX_MAX_BYTES: must be a positive number of bytes"))
	}
	errs = append(errs, c.validateImports()...)
	if c.FixityEvery < 0 {
		errs = append(errs, errors.New("SPORTELLO_FIXITY_EVERY: must not be negative (0 turns the scheduled runs off)"))
	}
	if c.FixityRate < 0 {
		errs = append(errs, errors.New("SPORTELLO_FIXITY_RATE: must be a number of bytes a second, 0 or more (0: no limit)"))
	}
	errs = append(errs, c.validateOIDC()...)
	_, mailboxErrs := c.MailboxList()
	errs = append(errs, mailboxErrs...)
	errs = append(errs, c.validateMail()...)
	c.anchors = signing.Anchors{}
	if c.TrustAnchors != "" {
		if c.anchors, err = signing.LoadAnchors(c.TrustAnchors); err != nil {
			errs = append(errs, fmt.Errorf("SPORTELLO_TRUST_ANCHORS: %w", err))
		}
	}
	return errors.Join(errs...)
}

// validateMail checks the settings of dispatches: a relay URL and the address to send from go
// together.
func (c *Config) validateMail() []error {
	var errs []error
	if c.MailWorkers < 0 {
		errs = append(errs, errors.New("SPORTELLO_MAIL_WORKERS: must not be negative"))
	}
	if c.MailFrom != "" {
		if _, err := c.MailFromAddress(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.SMTPURL == "" {
		return errs
	}
	if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
		errs = append(errs, errors.New("SPORTELLO_SMTP_URL: want smtp://host:port or smtps://host:port"))
	}
	if c.MailFrom == "" {
		errs = append(errs, errors.New("SPORTELLO_MAIL_FROM: is required with SPORTELLO_SMTP_URL"))
	}
	return errs
}

// validateImports checks the settings of server-side imports.
func (c *Config) validateImports() []error {
	var errs []error
	for _, v := range []struct {
		name string
		n    int64
		min  int64
	}{
		{"SPORTELLO_IMPORT_MAX_BYTES", c.ImportMaxBytes, 1}, {"SPORTELLO_IMPORT_MAX_ENTRIES", int64(c.ImportMaxEntries), 1},
		{"SPORTELLO_IMPORT_MAX_EXPANDED", c.ImportMaxExpanded, 1}, {"SPORTELLO_IMPORT_MAX_RATIO", int64(c.ImportMaxRatio), 1},
		{"SPORTELLO_IMPORT_WORKERS", int64(c.ImportWorkers), 0}, {"SPORTELLO_OCR_WORKERS", int64(c.OCRWorkers), 0},
		{"SPORTELLO_PACKAGE_MAX_ITEMS", int64(c.PackageMaxItems), 1}, {"SPORTELLO_PACKAGE_MAX_BYTES", c.PackageMaxBytes, 1},
	} {
		if v.n < v.min {
			errs = append(errs, fmt.Errorf("%s: must be at least %d", v.name, v.min))
		}
	}
	return errs
}

// ImportLimits are the limits on imported archives.
func (c *Config) ImportLimits() importer.Limits {
	return importer.Limits{MaxEntries: c.ImportMaxEntries, MaxExpanded: c.ImportMaxExpanded, MaxRatio: int64(c.ImportMaxRatio)}
}

// MailFromAddress is MailFrom parsed.
func (c *Config) MailFromAddress() (domain.MailAddress, error) {
	a, err := mail.ParseAddress(c.MailFrom)
	if err != nil {
		return domain.MailAddress{}, fmt.Errorf("SPORTELLO_MAIL_FROM: %w", err)
	}
	return domain.MailAddress{Name: a.Name, Address: a.Address}, nil
}

// Anchors are the parsed TrustAnchors.
func (c *Config) Anchors() signing.Anchors { return c.anchors }

// Location is the parsed Timezone.
func (c *Config) Location() *time.Location { return c.location }

// BlobDir returns the directory of a file:// blob store.
func (c *Config) BlobDir() (string, error) {
	dir, ok := strings.CutPrefix(c.Blobs, "file://")
	if !ok || dir == "" {
		return "", fmt.Errorf("SPORTELLO_BLOBS: want file://DIR or s3://BUCKET?…, got %q", c.Blobs)
	}
	return dir, nil
}

// Logger builds the process logger the configuration asks for.
func (c *Config) Logger() *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}
