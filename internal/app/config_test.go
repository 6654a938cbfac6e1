package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		if r := Redacted(c.DatabaseURL); strings.Contains(r, "secret") {
			t.Fatalf("Redacted leaks the password: %s", r)
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
