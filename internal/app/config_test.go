package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/importer"
	"github.com/sportello/sportello/signing/p7m/p7mtest"
	"github.com/sportello/sportello/storage"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	t.Run("EmbeddedDefaults", func(t *testing.T) {
		c, err := Load(nil, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != ":8080" || c.DatabaseURL != "sqlite:data/sportello.db" || c.Blobs != "file://data/blobs" ||
			c.Timezone != "Europe/Rome" || c.Location().String() != "Europe/Rome" || !c.AutoMigrate {
			t.Fatalf("defaults: %+v", c)
		}
	})
	t.Run("FlagsWinOverEnvironment", func(t *testing.T) {
		c, err := Load([]string{"--addr", ":9000"}, env(map[string]string{"SPORTELLO_ADDR": ":7000", "SPORTELLO_DATA": "/srv/sp"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != ":9000" || c.Data != "/srv/sp" || c.DatabaseURL != "sqlite:/srv/sp/sportello.db" {
			t.Fatalf("got %+v", c)
		}
	})
	t.Run("SecretFromFile", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "db")
		os.WriteFile(f, []byte("postgres://u:secret@db/sportello\n"), 0o600)
		c, err := Load(nil, env(map[string]string{"SPORTELLO_DATABASE_URL_FILE": f}))
		if err != nil {
			t.Fatal(err)
		}
		if c.DatabaseURL != "postgres://u:secret@db/sportello" {
			t.Fatalf("database url %q", c.DatabaseURL)
		}
		if r := storage.Redacted(c.DatabaseURL); strings.Contains(r, "secret") {
			t.Fatalf("Redacted leaks the password: %s", r)
		}
	})
	t.Run("S3Blobs", func(t *testing.T) {
		c, err := Load(nil, env(map[string]string{"SPORTELLO_BLOBS": "s3://archivio?endpoint=https://s3.example.it&region=eu-south-1"}))
		if err != nil || c.Blobs != "s3://archivio?endpoint=https://s3.example.it&region=eu-south-1" {
			t.Fatalf("s3 blobs: %+v, %v", c, err)
		}
		_, err = Load(nil, env(map[string]string{"SPORTELLO_BLOBS": "s3://key:secret@archivio"}))
		if err == nil || !strings.Contains(err.Error(), "SPORTELLO_BLOBS") || strings.Contains(err.Error(), "secret@") {
			t.Fatalf("credentials in the S3 URL: %v; want SPORTELLO_BLOBS refused without echoing them", err)
		}
	})
	t.Run("ErrInvalidValues", func(t *testing.T) {
		_, err := Load(nil, env(map[string]string{
			"SPORTELLO_TIMEZONE": "Mars/Olympus", "SPORTELLO_DATABASE_URL": "mysql://x",
			"SPORTELLO_BLOBS": "s4://x", "SPORTELLO_LOG_FORMAT": "xml", "SPORTELLO_MAX_UPLOAD_BYTES": "0",
		}))
		if err == nil {
			t.Fatal("invalid configuration accepted")
		}
		for _, want := range []string{"SPORTELLO_TIMEZONE", "SPORTELLO_DATABASE_URL", "SPORTELLO_BLOBS", "SPORTELLO_LOG_FORMAT", "SPORTELLO_MAX_UPLOAD_BYTES"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not name %s: %v", want, err)
			}
		}
	})
	t.Run("AuditInterval", func(t *testing.T) {
		if c, err := Load(nil, env(nil)); err != nil || c.AuditInterval != 5*time.Minute {
			t.Fatalf("default audit interval %v (%v), want 5m", c.AuditInterval, err)
		}
		if c, err := Load(nil, env(map[string]string{"SPORTELLO_AUDIT_INTERVAL": "30s"})); err != nil || c.AuditInterval != 30*time.Second {
			t.Fatalf("audit interval %v (%v), want 30s", c.AuditInterval, err)
		}
		if _, err := Load(nil, env(map[string]string{"SPORTELLO_AUDIT_INTERVAL": "0s"})); err == nil || !strings.Contains(err.Error(), "SPORTELLO_AUDIT_INTERVAL") {
			t.Fatalf("zero audit interval: %v", err)
		}
	})
}

// TestLoadProcedureApprover: records officers approve procedure versions unless
// SPORTELLO_PROCEDURE_APPROVER_OFFICE names a coordinating office; a bad code stops the start.
func TestLoadProcedureApprover(t *testing.T) {
	if c, err := Load(nil, env(nil)); err != nil || c.ProcedureApproverOffice != "" {
		t.Fatalf("default approver office %q (%v), want none", c.ProcedureApproverOffice, err)
	}
	if c, err := Load(nil, env(map[string]string{"SPORTELLO_PROCEDURE_APPROVER_OFFICE": "SEGR"})); err != nil || c.ProcedureApproverOffice != "SEGR" {
		t.Fatalf("approver office %q (%v), want SEGR", c.ProcedureApproverOffice, err)
	}
	if _, err := Load(nil, env(map[string]string{"SPORTELLO_PROCEDURE_APPROVER_OFFICE": "no spaces"})); err == nil ||
		!strings.Contains(err.Error(), "SPORTELLO_PROCEDURE_APPROVER_OFFICE") {
		t.Fatalf("bad approver office: %v", err)
	}
}

// TestLoadWebhookAllow: SPORTELLO_WEBHOOK_ALLOW takes hosts, host:port and CIDR blocks, and a
// bad entry stops the start naming the variable.
func TestLoadWebhookAllow(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"SPORTELLO_WEBHOOK_ALLOW": "127.0.0.1, portal.comune.local:8080,10.0.0.0/8,[::1]:9000"}))
	if err != nil || c.WebhookAllow == "" {
		t.Fatalf("valid allow-list: %v", err)
	}
	for _, bad := range []string{"10.0.0.0/33", "portal.local:http", "portal.local:0", "user@portal.local", "fe80::/zz"} {
		_, err := Load(nil, env(map[string]string{"SPORTELLO_WEBHOOK_ALLOW": bad}))
		if err == nil || !strings.Contains(err.Error(), "SPORTELLO_WEBHOOK_ALLOW") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestLoadTrustAnchors: without SPORTELLO_TRUST_ANCHORS there are no anchors (trust unknown);
// a PEM bundle is read at start, and a missing file or one without a certificate stops the
// start naming the variable.
func TestLoadTrustAnchors(t *testing.T) {
	if c, err := Load(nil, env(nil)); err != nil || c.Anchors().Pool != nil {
		t.Fatalf("default anchors %v (%v), want none", c.Anchors().Pool, err)
	}
	dir := t.TempDir()
	bundle := filepath.Join(dir, "anchors.pem")
	os.WriteFile(bundle, p7mtest.NewCA(t, "Test CA").PEM(), 0o600)
	if c, err := Load(nil, env(map[string]string{"SPORTELLO_TRUST_ANCHORS": bundle})); err != nil || c.Anchors().Pool == nil {
		t.Fatalf("anchors from %s: %v", bundle, err)
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("# no certificates\n"), 0o600)
	for _, bad := range []string{empty, filepath.Join(dir, "missing.pem")} {
		_, err := Load([]string{"--trust-anchors", bad}, env(nil))
		if err == nil || !strings.Contains(err.Error(), "SPORTELLO_TRUST_ANCHORS") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestLoadListenerSettings(t *testing.T) {
	c, err := Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != "" || c.ReadHeaderTimeout != 10*time.Second {
		t.Fatalf("defaults: metrics %q, read-header timeout %s", c.MetricsAddr, c.ReadHeaderTimeout)
	}
	c, err = Load([]string{"--read-header-timeout", "3s"}, env(map[string]string{"SPORTELLO_METRICS_ADDR": "127.0.0.1:9090"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != "127.0.0.1:9090" || c.ReadHeaderTimeout != 3*time.Second {
		t.Fatalf("metrics %q, read-header timeout %s", c.MetricsAddr, c.ReadHeaderTimeout)
	}
	if _, err := Load(nil, env(map[string]string{"SPORTELLO_READ_HEADER_TIMEOUT": "0s"})); err == nil ||
		!strings.Contains(err.Error(), "SPORTELLO_READ_HEADER_TIMEOUT") {
		t.Fatalf("a zero read-header timeout: %v", err)
	}
}

func TestLoadRateLimits(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		c, err := Load(nil, env(nil))
		if err != nil || c.RateLimit != 0 || c.RateBurst != 100 || c.AuthFailLimit != 10 {
			t.Fatalf("rate limits %v/s burst %d, %d failures a minute, %v; want off, 100, 10", c.RateLimit, c.RateBurst, c.AuthFailLimit, err)
		}
	})
	t.Run("FromEnvironment", func(t *testing.T) {
		c, err := Load(nil, env(map[string]string{"SPORTELLO_RATE_LIMIT": "2.5", "SPORTELLO_RATE_BURST": "5", "SPORTELLO_AUTH_FAIL_LIMIT": "0"}))
		if err != nil || c.RateLimit != 2.5 || c.RateBurst != 5 || c.AuthFailLimit != 0 {
			t.Fatalf("got %v %d %d, %v", c.RateLimit, c.RateBurst, c.AuthFailLimit, err)
		}
	})
	t.Run("ErrInvalidValues", func(t *testing.T) {
		_, err := Load([]string{"--rate-limit", "-1", "--rate-burst", "0", "--auth-fail-limit", "-3"}, env(nil))
		for _, want := range []string{"SPORTELLO_RATE_LIMIT", "SPORTELLO_RATE_BURST", "SPORTELLO_AUTH_FAIL_LIMIT"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error does not name %s: %v", want, err)
			}
		}
	})
}

// TestOpenDatabaseErrorSaidOnce: an unusable database URL is reported once, naming the
// operation and the URL without its password, by Open, OpenExisting and Reindex alike.
func TestOpenDatabaseErrorSaidOnce(t *testing.T) {
	cfg := Config{DatabaseURL: "mysql://user:secret@localhost/db", Data: t.TempDir()}
	m := New(cfg, nil)
	_, reindexErr := Reindex(t.Context(), cfg)
	for name, err := range map[string]error{"Open": m.Open(t.Context()), "OpenExisting": m.OpenExisting(t.Context()), "Reindex": reindexErr} {
		if err == nil || strings.Count(err.Error(), "open database") != 1 || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v, want one \"open database\" and no password", name, err)
		}
	}
}

// TestLoadImportSettings: the limits of server-side imports default to importer.DefaultLimits
// and 4 GiB, come from the environment, and a value out of range is refused naming it.
func TestLoadImportSettings(t *testing.T) {
	c, err := Load(nil, env(nil))
	if err != nil || c.ImportMaxBytes != 4<<30 || c.ImportLimits() != importer.DefaultLimits || c.ImportWorkers != 1 || c.OCRWorkers != 0 {
		t.Fatalf("defaults %d %+v %d %d, %v", c.ImportMaxBytes, c.ImportLimits(), c.ImportWorkers, c.OCRWorkers, err)
	}
	c, err = Load(nil, env(map[string]string{"SPORTELLO_IMPORT_MAX_ENTRIES": "10", "SPORTELLO_IMPORT_MAX_RATIO": "50",
		"SPORTELLO_IMPORT_MAX_EXPANDED": "1000", "SPORTELLO_IMPORT_WORKERS": "0"}))
	if err != nil || c.ImportLimits() != (importer.Limits{MaxEntries: 10, MaxExpanded: 1000, MaxRatio: 50}) || c.ImportWorkers != 0 {
		t.Fatalf("from the environment %+v %d, %v", c.ImportLimits(), c.ImportWorkers, err)
	}
	_, err = Load([]string{"--import-max-bytes", "0", "--import-max-ratio", "0", "--import-workers", "-1", "--ocr-workers", "-2"}, env(nil))
	for _, want := range []string{"SPORTELLO_IMPORT_MAX_BYTES", "SPORTELLO_IMPORT_MAX_RATIO", "SPORTELLO_IMPORT_WORKERS", "SPORTELLO_OCR_WORKERS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

// TestLoadFixity: a fixity run every week at 50 MiB/s by default; both settable, 0 turning
// the schedule (or the limit) off; negative values refused by name.
func TestLoadFixity(t *testing.T) {
	c, err := Load(nil, env(nil))
	if err != nil || c.FixityEvery != 7*24*time.Hour || c.FixityRate != 50<<20 {
		t.Fatalf("defaults: every %s, %d B/s, %v; want 168h, 50 MiB/s", c.FixityEvery, c.FixityRate, err)
	}
	c, err = Load(nil, env(map[string]string{"SPORTELLO_FIXITY_EVERY": "0", "SPORTELLO_FIXITY_RATE": "1000"}))
	if err != nil || c.FixityEvery != 0 || c.FixityRate != 1000 {
		t.Fatalf("from the environment: %s, %d, %v", c.FixityEvery, c.FixityRate, err)
	}
	_, err = Load([]string{"--fixity-every", "-1h", "--fixity-rate", "-1"}, env(nil))
	for _, want := range []string{"SPORTELLO_FIXITY_EVERY", "SPORTELLO_FIXITY_RATE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}
