package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sportello/sportello/internal/app"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/mailtest"
	"github.com/sportello/sportello/internal/testdb"
)

// aoo is one Sportello instance of the round trip: its codes, its PEC address and its server.
type aoo struct {
	ipa, code, address string
	s                  *apptest.Server
	op                 string
}

// startAOO starts an instance that sends through the relay from address and registers what
// arrives in its PEC mailbox.
func startAOO(t *testing.T, mt *mailtest.Server, engine, ipa, code, address string) *aoo {
	t.Helper()
	mt.AddUser(address, "pw-"+code)
	imap := strings.Replace(mt.IMAPURL(address), "?tls=none", "", 1)
	s := apptest.Start(t, testdb.URL(t, engine), apptest.WithConfig(func(c *app.Config) {
		c.IPACode, c.AOOCode, c.AOOName = ipa, code, "AOO "+code
		c.SMTPURL, c.MailFrom = mt.SMTPURL(), address
		c.Mailboxes = imap + "?name=pec&channel=pec&mode=register&register=PG"
		c.MailboxPasswords = map[string]string{"pec": mt.Password(address)}
		c.MailboxPoll = 50 * time.Millisecond
	}), func(m *app.Main) { m.MailRetryPolicy = nil })
	return &aoo{ipa: ipa, code: code, address: address, s: s,
		op: s.NewClient(t, "protocollo", []string{"protocol_operator", "records_officer"})}
}

// jsonDo sends body (JSON, or nil) and decodes the answer, which must have status want.
func (a *aoo) jsonDo(t *testing.T, method, path string, body any, want int) map[string]any {
	t.Helper()
	var rd *bytes.Reader
	ct := ""
	if body != nil {
		raw, _ := json.Marshal(body)
		rd, ct = bytes.NewReader(raw), "application/json"
	} else {
		rd = bytes.NewReader(nil)
	}
	var out map[string]any
	a.s.Do(t, method, path, a.op, ct, rd, want, &out)
	return out
}

// TestInteroperabilityRoundTrip is issue 14's round trip between two AOOs over real mail
// servers on loopback (Dovecot behind an SMTP relay acting as PEC provider): A dispatches an
// outgoing registration with two attachments to B; B's mailbox reader registers it incoming
// with A's identifiers and answers ConfermaRicezione; A's reader links the provider's receipts
// and the confirmation, and the dispatch shows it delivered and confirmed. With one attachment
// altered in transit, B answers NotificaEccezione with code 002, and A shows the exception.
func TestInteroperabilityRoundTrip(t *testing.T) {
	for _, engine := range testdb.Names() {
		t.Run(engine, func(t *testing.T) {
			mt := mailtest.Start(t, mailtest.PEC)
			a := startAOO(t, mt, engine, "c_h501", "A1B2C3D", "protocollo@pec.aoo-a.test")
			b := startAOO(t, mt, engine, "c_f205", "B2C3D4E", "protocollo@pec.aoo-b.test")

			send := func(t *testing.T, subject string) (identifier string, dispatch map[string]any) {
				meta := map[string]any{"direction": "outgoing", "channel": "pec", "subject": subject, "class": "VI.3",
					"correspondents": []map[string]any{
						{"role": "sender", "type": "administration", "name": "AOO A", "ipa_code": a.ipa, "aoo_code": a.code},
						{"role": "recipient", "type": "administration", "name": "Comune B", "ipa_code": b.ipa,
							"aoo_code": b.code, "digital_address": b.address}}}
				ct, body := apptest.Multipart(meta,
					apptest.Part{Name: "document", Filename: "parere.pdf", Content: apptest.PDF(subject)},
					apptest.Part{Name: "attachment", Filename: "relazione.pdf", Content: apptest.PDF("Relazione tecnica " + subject)},
					apptest.Part{Name: "attachment", Filename: "planimetria.pdf", Content: apptest.PDF("Planimetria " + subject)})
				var reg map[string]any
				a.s.Do(t, "POST", "/v1/registrations", a.op, ct, body, http.StatusCreated, &reg)
				path := fmt.Sprintf("/v1/registrations/PG/%v/%v/dispatches", reg["year"], reg["number_formatted"])
				d := a.jsonDo(t, "POST", path, map[string]any{}, http.StatusCreated)
				return reg["identifier"].(string), d
			}
			// recipientOf reads A's dispatch back until its recipient reaches state.
			recipientOf := func(t *testing.T, identifier string, d map[string]any, state string) map[string]any {
				t.Helper()
				parts := strings.Split(identifier, "-")
				path := fmt.Sprintf("/v1/registrations/PG/%s/%s/dispatches", parts[len(parts)-2], parts[len(parts)-1])
				var rc map[string]any
				waitUntil(t, "dispatch recipient "+state, func() bool {
					list := a.jsonDo(t, "GET", path, nil, http.StatusOK)
					for _, it := range list["items"].([]any) {
						if it.(map[string]any)["id"] == d["id"] {
							rc = it.(map[string]any)["recipients"].([]any)[0].(map[string]any)
						}
					}
					return rc != nil && rc["state"] == state
				}, func() string {
					return fmt.Sprintf("recipient %v\nB inbox %v\nB regs %v", rc, b.jsonDo(t, "GET", "/v1/inbox", nil, http.StatusOK),
						b.jsonDo(t, "GET", "/v1/registrations", nil, http.StatusOK))
				})
				return rc
			}
			// receivedAt finds B's registration of the message whose sender number is A's.
			receivedAt := func(t *testing.T, identifier string) map[string]any {
				t.Helper()
				number := identifier[strings.LastIndex(identifier, "-")+1:]
				var got map[string]any
				waitUntil(t, "B registers "+identifier, func() bool {
					list := b.jsonDo(t, "GET", "/v1/registrations?direction=incoming&limit=100", nil, http.StatusOK)
					for _, it := range list["items"].([]any) {
						r := it.(map[string]any)
						if ref, ok := r["sender_reference"].(map[string]any); ok && ref["number"] == number {
							got = r
						}
					}
					return got != nil
				}, func() string { return "no registration" })
				return got
			}

			t.Run("Confirmed", func(t *testing.T) {
				identifier, d := send(t, "Parere di regolarità tecnica")
				got := receivedAt(t, identifier)
				interop, _ := got["interoperability"].(map[string]any)
				if interop == nil || len(interop["anomalies"].([]any)) != 0 {
					t.Fatalf("B's registration: interoperability %v", got["interoperability"])
				}
				if sender := interop["sender"].(map[string]any); sender["ipa_code"] != a.ipa || sender["aoo_code"] != a.code {
					t.Fatalf("B's registration names the sender %v, want %s %s", sender, a.ipa, a.code)
				}
				rc := recipientOf(t, identifier, d, "confirmed")
				kinds := map[string]bool{}
				for _, r := range rc["receipts"].([]any) {
					kinds[r.(map[string]any)["kind"].(string)] = true
				}
				if !kinds["accettazione"] || !kinds["avvenuta-consegna"] || !kinds["ConfermaRicezione"] {
					t.Fatalf("A's receipts %v: want accettazione, avvenuta-consegna and ConfermaRicezione", kinds)
				}
				if p := rc["protocol"].(map[string]any); p["kind"] != "ConfermaRicezione" || p["identifier"] != got["identifier"] {
					t.Fatalf("A's protocol answer %v, want ConfermaRicezione naming %v", p, got["identifier"])
				}
			})

			t.Run("AttachmentAlteredInTransit", func(t *testing.T) {
				// The relay changes one base64 character of the planimetria's part as it delivers.
				mt.Alter(alterAttachment("planimetria.pdf"))
				identifier, d := send(t, "Rettifica")
				rc := recipientOf(t, identifier, d, "exception")
				if p := rc["protocol"].(map[string]any); p["kind"] != "NotificaEccezione" || !strings.Contains(p["reason"].(string), "002") {
					t.Fatalf("A's protocol answer %v, want NotificaEccezione with 002", p)
				}
				got := receivedAt(t, identifier)
				anomalies := got["interoperability"].(map[string]any)["anomalies"].([]any)
				if len(anomalies) == 0 || anomalies[0].(map[string]any)["code"] != "002" {
					t.Fatalf("B's anomalies %v, want 002", anomalies)
				}
			})
		})
	}
}

// alterAttachment changes, in the first message delivered with a part named name, one
// character of that part's base64 body, so that the file decodes to other bytes. Later messages
// (the answer naming the file in its Motivo) go through unchanged.
func alterAttachment(name string) func(raw []byte) []byte {
	var mu sync.Mutex
	done := false
	return func(raw []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		i := bytes.Index(raw, []byte(name))
		if i < 0 || done {
			return raw
		}
		done = true
		j := bytes.Index(raw[i:], []byte("\r\n\r\n"))
		if j < 0 {
			return raw
		}
		out := bytes.Clone(raw)
		k := i + j + 4 + 40
		if out[k] == 'A' {
			out[k] = 'B'
		} else {
			out[k] = 'A'
		}
		return out
	}
}

// waitUntil polls cond until it holds, failing after a deadline far above the poll intervals.
func waitUntil(t *testing.T, what string, cond func() bool, last func() string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened; last seen: %s", what, last())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
