package app

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestEnvironment: the configuration a backup keeps names every setting with its value, quoted
// when a shell needs it, and never a secret's value: the database URL (with its password) and
// the SMTP password are comments saying they were set. ConfigFiles lists the files configured
// outside the data directory.
func TestEnvironment(t *testing.T) {
	c, err := Load([]string{"--database-url", "postgres://sportello:pw-db@db/sportello", "--smtp-password", "pw-smtp",
		"--aoo-name", "Comune di Prova", "--signing-key", "/etc/sportello/seal.key", "--signing-cert", "/etc/sportello/seal.crt"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Environment()
	for _, want := range []string{
		"SPORTELLO_ADDR=:8080\n",
		"SPORTELLO_AOO_NAME='Comune di Prova'\n",
		"SPORTELLO_SIGNING_KEY=/etc/sportello/seal.key\n",
		"# SPORTELLO_DATABASE_URL is set (secret, not written)\n",
		"# SPORTELLO_SMTP_PASSWORD is set (secret, not written)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "pw-") {
		t.Errorf("a secret in\n%s", got)
	}
	if c.AOOName != "Comune di Prova" || c.DatabaseURL != "postgres://sportello:pw-db@db/sportello" {
		t.Errorf("Environment changed the configuration: %+v", c)
	}
	if files := slices.Sorted(maps.Keys(c.ConfigFiles())); !slices.Equal(files, []string{"SPORTELLO_SIGNING_CERT", "SPORTELLO_SIGNING_KEY"}) {
		t.Errorf("ConfigFiles = %v", files)
	}
}
