package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/testdb"
)

// assignmentEvent is an assignment webhook event as a receiver sees it.
type assignmentEvent struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	CreatedAt    string `json:"created_at"`
	Registration string `json:"registration"`
	Assignment   string `json:"assignment"`
	Office       string `json:"office"`
	Person       string `json:"person"`
	Kind         string `json:"kind"`
	State        string `json:"state"`
	Reason       string `json:"reason"`
}

// assignmentReceiver is a staff integrator's endpoint on loopback: it checks every signature
// against its secret, can be down, and counts how often each event id arrives.
type assignmentReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	down   bool
	events []assignmentEvent
	seen   map[string]int
	bad    int
}

func newAssignmentReceiver(t *testing.T) *assignmentReceiver {
	r := &assignmentReceiver{seen: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.down {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		var ev assignmentEvent
		if !validSignature(req.Header.Get("Sportello-Signature"), r.secret, body) || json.Unmarshal(body, &ev) != nil ||
			ev.ID != req.Header.Get("Sportello-Event-Id") || ev.Type != req.Header.Get("Sportello-Event-Type") {
			r.bad++
		}
		if r.seen[ev.ID]++; r.seen[ev.ID] == 1 {
			r.events = append(r.events, ev)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *assignmentReceiver) set(down bool, secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
	if secret != "" {
		r.secret = secret
	}
}

// steps returns "type kind office state reason" of the events received, in arrival order, the
// number of badly signed deliveries and of events received more than once.
func (r *assignmentReceiver) steps() ([]string, int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		out = append(out, strings.TrimSpace(ev.Type+" "+ev.Kind+" "+ev.Office+" "+ev.State+" "+ev.Reason))
	}
	twice := 0
	for _, n := range r.seen {
		if n > 1 {
			twice++
		}
	}
	return out, r.bad, twice
}

func (r *assignmentReceiver) all() []assignmentEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// TestAssignmentWebhooks: staff clients and a staff user subscribe to the assignment events of
// their offices. Each step (created, accepted, rejected, superseded by a re-assignment) reaches,
// signed, every subscriber that is a member of the assigned office and may read the
// registration, once; another office's subscriber gets nothing, nor does one whose office was
// taken off the registration. Events written while the receivers are down survive a restart of
// the server (the outbox is written with the step).
func TestAssignmentWebhooks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dbURL string) {
		data := t.TempDir()
		recTEC, recRAG, recPOL, recUser := newAssignmentReceiver(t), newAssignmentReceiver(t), newAssignmentReceiver(t), newAssignmentReceiver(t)
		receivers := []*assignmentReceiver{recTEC, recRAG, recPOL, recUser}
		for _, r := range receivers {
			r.set(true, "")
		}
		var (
			reg, hidden        api.Registration
			acceptID, rejectID string
		)
		t.Run("WhileReceiversAreDown", func(t *testing.T) {
			s := apptest.StartIn(t, data, dbURL, fastWebhooks, allowLoopbackWebhooks("127.0.0.0/8"))
			c := newClient(t, s)
			for code, name := range map[string]string{"TEC": "Ufficio tecnico", "RAG": "Ragioneria", "POL": "Polizia locale"} {
				if r := c.json("POST", "/v1/offices", s.AdminToken, map[string]string{"code": code, "name": name}); r.Status != http.StatusConflict {
					r.expect(t, http.StatusCreated) // an office may be one the server starts with
				}
			}
			op := s.NewClient(t, "op", []string{"protocol_operator"})
			clerkTEC := s.NewClient(t, "clerkTEC", []string{"clerk"}, "TEC")
			clerkRAG := s.NewClient(t, "clerkRAG", []string{"clerk"}, "RAG")
			clerkPOL := s.NewClient(t, "clerkPOL", []string{"clerk"}, "POL")
			portal := s.NewClient(t, "portal", []string{"portal"})
			cf := apptest.TaxCode()
			user := s.NewUser(t, map[string]any{"name": "Maria Bianchi", "tax_code": cf, "email": strings.ToLower(cf) + "@comune.example.it",
				"roles": []string{"clerk"}, "offices": []string{"TEC"}})
			var key api.CreatedKey
			c.json("POST", "/v1/users/"+user.ID+"/keys", s.AdminToken, map[string]any{}).decode(t, http.StatusCreated, &key)

			c.json("POST", "/v1/assignments/webhook", portal, map[string]any{"url": recTEC.srv.URL}, "X-Applicant-Id", bizApplicant).
				problem(t, 403, "forbidden")
			namesField(t, c.json("POST", "/v1/assignments/webhook", clerkTEC, map[string]any{"url": "http://10.1.2.3/hook"}).
				problem(t, 422, "validation_failed"), "url", "https")
			for token, r := range map[string]*assignmentReceiver{clerkTEC: recTEC, clerkRAG: recRAG, clerkPOL: recPOL, key.Token: recUser} {
				var wh api.Webhook
				c.json("POST", "/v1/assignments/webhook", token, map[string]any{"url": r.srv.URL}).decode(t, http.StatusCreated, &wh)
				if !strings.HasPrefix(wh.Secret, "whsec_") {
					t.Fatalf("webhook %+v", wh)
				}
				r.set(true, wh.Secret)
			}

			reg = c.mustRegister(op, "Richiesta di permesso di costruire")
			path := refPath(reg)
			var made api.Assignments
			c.json("POST", path+"/assignments", op, map[string]any{"competenza": map[string]any{"office": "TEC"}, "conoscenza": []string{"RAG"}}).
				decode(t, http.StatusCreated, &made)
			acceptID = made.Items[0].ID
			c.json("POST", path+"/assignments/"+acceptID+"/accept", clerkTEC, nil).expect(t, http.StatusOK)
			c.json("POST", path+"/assignments", op, map[string]any{"competenza": map[string]any{"office": "POL"}}).
				decode(t, http.StatusCreated, &made)
			rejectID = made.Items[0].ID
			c.json("POST", path+"/assignments/"+rejectID+"/reject", clerkPOL, map[string]any{"reason": "Non di competenza"}).expect(t, http.StatusOK)

			// TEC's assignment of hidden is superseded after the protocol office took TEC off the
			// registration: TEC may no longer read it, so its subscribers are not told.
			hidden = c.mustRegister(op, "Esposto riservato")
			c.json("POST", refPath(hidden)+"/assignments", op, map[string]any{"competenza": map[string]any{"office": "TEC"}}).
				expect(t, http.StatusCreated)
			c.json("PATCH", refPath(hidden), op, map[string]any{"offices": []string{}}).expect(t, http.StatusOK)
			c.json("POST", refPath(hidden)+"/assignments", op, map[string]any{"competenza": map[string]any{"office": "RAG"}}).
				expect(t, http.StatusCreated)
		}) // the server stops here, every event still in the outbox

		for _, r := range receivers {
			r.set(false, "")
		}
		apptest.StartIn(t, data, dbURL, fastWebhooks, allowLoopbackWebhooks("127.0.0.0/8"))
		// What each receiver gets, for reg and for hidden: events of different registrations may
		// interleave, those of one arrive in order.
		type wanted struct{ reg, hidden []string }
		tec := wanted{reg: []string{"assignment.created competenza TEC pending", "assignment.accepted competenza TEC accepted",
			"assignment.superseded competenza TEC superseded"}, hidden: []string{"assignment.created competenza TEC pending"}}
		want := map[*assignmentReceiver]wanted{
			recTEC: tec, recUser: tec,
			recRAG: {reg: []string{"assignment.created conoscenza RAG informed"}, hidden: []string{"assignment.created competenza RAG pending"}},
			recPOL: {reg: []string{"assignment.created competenza POL pending",
				"assignment.rejected competenza POL rejected Non di competenza"}},
		}
		names := map[*assignmentReceiver]string{recTEC: "TEC", recRAG: "RAG", recPOL: "POL", recUser: "user"}
		for _, r := range receivers {
			n := len(want[r].reg) + len(want[r].hidden)
			eventually(t, names[r]+"'s events", func() bool { got, _, _ := r.steps(); return len(got) >= n })
		}
		time.Sleep(200 * time.Millisecond) // the worker polls every 10 ms: room for an event that should not come
		for _, r := range receivers {
			got, bad, twice := r.steps()
			var ofReg, ofHidden []string
			for i, ev := range r.all() {
				switch ev.Registration {
				case reg.Identifier:
					ofReg = append(ofReg, got[i])
				case hidden.Identifier:
					ofHidden = append(ofHidden, got[i])
				default:
					t.Errorf("%s: event of registration %q", names[r], ev.Registration)
				}
			}
			if !slices.Equal(ofReg, want[r].reg) || !slices.Equal(ofHidden, want[r].hidden) {
				t.Errorf("%s received\n%s\n-- and of the hidden one --\n%s\nwant\n%s\n--\n%s", names[r], strings.Join(ofReg, "\n"),
					strings.Join(ofHidden, "\n"), strings.Join(want[r].reg, "\n"), strings.Join(want[r].hidden, "\n"))
			}
			if bad != 0 || twice != 0 {
				t.Errorf("%s: %d badly signed deliveries, %d events received twice", names[r], bad, twice)
			}
		}
		for _, ev := range recTEC.all() {
			if ev.ID == "" || ev.CreatedAt == "" || (ev.Registration == reg.Identifier && ev.Kind == "competenza" && ev.Assignment != acceptID) {
				t.Errorf("TEC's event %+v", ev)
			}
		}
		for _, ev := range recPOL.all() {
			if ev.Assignment != rejectID || ev.Person != "" {
				t.Errorf("POL's event %+v", ev)
			}
		}
	})
}
