package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sportello/sportello/domain"
)

// Environment writes the configuration as SPORTELLO_* assignments, one a line, in the order of
// the settings, for a backup to keep beside the keys: what the instance ran with. A secret
// (database URL, passwords) is never written: its line is a comment saying that it was set.
func (c *Config) Environment() string {
	var b strings.Builder
	fmt.Fprintln(&b, "# Sportello configuration at the time of the backup; secrets are not written.")
	cp := *c
	fs := flag.NewFlagSet("environment", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	settings := cp.settings()
	for _, s := range settings {
		s.bind(fs, s.name, defaults[s.name], s.usage) // points the flags at cp's fields, set to defaults…
	}
	cp = *c // …then gives them c's values back
	for _, s := range settings {
		v := fs.Lookup(s.name).Value.String()
		switch {
		case s.secret && v != "":
			fmt.Fprintf(&b, "# %s is set (secret, not written)\n", EnvName(s.name))
		case s.secret:
		default:
			fmt.Fprintf(&b, "%s=%s\n", EnvName(s.name), shellQuote(v))
		}
	}
	return b.String()
}

// shellQuote quotes v for a POSIX shell or an env file when it needs it.
func shellQuote(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n'\"\\$`#;&|<>()*?[]{}~") {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// ConfigFiles are the files the configuration names that an instance cannot run without and
// that live outside its data directory: the sealing identity and the trust anchors. A backup
// keeps them; the key is the setting's variable name.
func (c *Config) ConfigFiles() map[string]string {
	out := map[string]string{}
	for env, p := range map[string]string{
		"SPORTELLO_SIGNING_KEY": c.SigningKey, "SPORTELLO_SIGNING_CERT": c.SigningCert,
		"SPORTELLO_SIGNING_P12": c.SigningP12, "SPORTELLO_TRUST_ANCHORS": c.TrustAnchors,
	} {
		if p != "" {
			out[env] = p
		}
	}
	return out
}

// KeysDir is where an instance keeps the keys it made itself: its self-signed sealing identity
// and the built-in TSA's (see openIntegrity).
func (c *Config) KeysDir() string { return filepath.Join(c.Data, "keys") }

// OpenBlobStore opens (creating it if needed) the blob store the configuration names, a
// directory or an S3 bucket, for `sportello restore` to put a backup's blobs into.
func OpenBlobStore(ctx context.Context, cfg Config) (domain.BlobStore, error) {
	return (&Main{Config: cfg}).openBlobStore(ctx, false)
}

// Blobs is the blob store of an opened Main (after Open, or OpenExisting and OpenBlobs).
func (m *Main) Blobs() domain.BlobStore {
	if m.Service == nil {
		return nil
	}
	return m.Service.Blobs
}
