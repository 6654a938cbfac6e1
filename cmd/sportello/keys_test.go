package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeysListAndRevoke: `sportello keys list` shows keys by id and state, never a secret;
// `sportello keys revoke` makes the server refuse the key.
func TestKeysListAndRevoke(t *testing.T) {
	data := t.TempDir()
	env := func(k string) string {
		if k == "SPORTELLO_DATA" {
			return data
		}
		return ""
	}
	keys := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"keys"}, args...), env, &out)
		return out.String(), err
	}
	created, err := keys("create", "--name", "portale", "--role", "portal", "--expires-at", "2999-01-01T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(created), "\n")
	token := lines[len(lines)-1]
	id, secret, _ := strings.Cut(strings.TrimPrefix(token, "spt_"), "_")

	listed, err := keys("list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(listed, "key "+id+" active") || !strings.Contains(listed, "expires 2999-01-01T00:00:00Z") ||
		!strings.Contains(listed, "(admin)") || strings.Contains(listed, secret) {
		t.Errorf("keys list printed %q: want the admin and key %s, active until 2999, and never its secret", listed, id)
	}

	revoked, err := keys("revoke", id)
	if err != nil || !strings.Contains(revoked, "key "+id+" of client") {
		t.Fatalf("keys revoke: %q, %v", revoked, err)
	}
	if listed, _ = keys("list"); !strings.Contains(listed, "key "+id+" revoked") {
		t.Errorf("after revoke, keys list printed %q", listed)
	}
	if _, err := keys("revoke", "nosuchkey"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("revoking an unknown key: %v", err)
	}
	if _, err := keys("revoke"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("revoke without an id: %v", err)
	}

	p := start(t, data, "sqlite:"+filepath.Join(data, "sportello.db"))
	req, _ := http.NewRequest("GET", p.url+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /v1/me with the revoked key = %d, want 401", resp.StatusCode)
	}
}
