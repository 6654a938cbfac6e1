package app_test

import (
	"bytes"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// TestReplicasForgetChangedUser: a user deactivated through replica a is refused by replica b
// at its next request once the database's notification arrived, not when b's cache of
// verified keys ages out: b's clock stands still, so its entries never age, and b keeps
// serving a change made behind its back in the database (which nobody notifies) until then.
func TestReplicasForgetChangedUser(t *testing.T) {
	if os.Getenv(testdb.EnvPostgres) == "" {
		t.Skip("several replicas need PostgreSQL: SQLite is a single-process engine (docs/operations.md#several-replicas); set " + testdb.EnvPostgres)
	}
	stopped := time.Now()
	a, b := startReplicas(t, apptest.WithClock(func() time.Time { return stopped }))
	u := a.NewUser(t, map[string]any{"name": "Anna Neri", "tax_code": apptest.TaxCode(), "email": "anna@example.org",
		"roles": []string{"records_officer"}})
	var key struct {
		Token string `json:"token"`
	}
	a.Do(t, "POST", "/v1/users/"+u.ID+"/keys", a.AdminToken, "application/json", bytes.NewReader([]byte(`{}`)), http.StatusCreated, &key)
	statusOf := func(token string, s *apptest.Server, path string) int {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	status := func(s *apptest.Server, path string) int { return statusOf(key.Token, s, path) }

	// Creating Anna and her key notified b too, asynchronously: a notification arriving after b
	// cached her key would empty its cache. Notifications arrive in order on b's one listening
	// connection, so once b has acted on a later one (Bruno's roles changed through a), those
	// before it have been handled.
	bruno := a.NewUser(t, map[string]any{"name": "Bruno Verdi", "tax_code": apptest.TaxCode(), "email": "bruno@example.org",
		"roles": []string{"records_officer"}})
	var brunoKey struct {
		Token string `json:"token"`
	}
	a.Do(t, "POST", "/v1/users/"+bruno.ID+"/keys", a.AdminToken, "application/json", bytes.NewReader([]byte(`{}`)), http.StatusCreated, &brunoKey)
	pollUntil(t, 10*time.Second, "b reads Bruno's key", func() bool {
		return statusOf(brunoKey.Token, b, "/v1/audit?limit=1") == http.StatusOK
	})
	a.Do(t, "PATCH", "/v1/users/"+bruno.ID, a.AdminToken, "application/json", bytes.NewReader([]byte(`{"roles":["clerk"]}`)), http.StatusOK, nil)
	pollUntil(t, 10*time.Second, "b acts on Bruno's new roles", func() bool {
		return statusOf(brunoKey.Token, b, "/v1/audit?limit=1") == http.StatusForbidden
	})

	if got := status(b, "/v1/audit?limit=1"); got != http.StatusOK { // b caches Anna's key now
		t.Fatalf("b: records officer reads the audit trail: %d", got)
	}

	// A change nobody notifies (written in the database behind the replicas' backs): b keeps
	// acting on what it cached, so only a notification can make it forget.
	raw := testdb.RawDB(t, a.DatabaseURL)
	if _, err := raw.Exec(`UPDATE clients SET roles = '["clerk"]' WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if got := status(b, "/v1/audit?limit=1"); got != http.StatusOK {
		t.Fatalf("b after an unnotified change: %d, want 200 from its cache", got)
	}

	a.Do(t, "POST", "/v1/users/"+u.ID+"/deactivate", a.AdminToken, "", nil, http.StatusOK, nil)
	if got := status(a, "/v1/registrations?limit=1"); got != http.StatusUnauthorized {
		t.Fatalf("a, which deactivated Anna: %d, want 401", got)
	}
	// The notification is delivered after a's commit, asynchronously: b answers 200 until it
	// arrives and 401 from then on, and never 200 again.
	took := pollUntil(t, 10*time.Second, "b refuses the deactivated user", func() bool {
		switch got := status(b, "/v1/registrations?limit=1"); got {
		case http.StatusOK:
			return false
		case http.StatusUnauthorized:
			return true
		default:
			t.Fatalf("b: %d, want 200 or 401", got)
			return false
		}
	})
	for range 3 {
		if got := status(b, "/v1/registrations?limit=1"); got != http.StatusUnauthorized {
			t.Fatalf("b after refusing the deactivated user once: %d, want 401", got)
		}
	}
	t.Logf("b refused the user deactivated on a after %s (its clock stood still)", took.Round(time.Millisecond))
}
