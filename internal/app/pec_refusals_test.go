package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/internal/mailtest"
	"github.com/sportello/sportello/internal/testdb"
)

// TestPECRefusals: the PEC provider's notices of failure, read back from the AOO's PEC mailbox,
// fail the dispatch's recipients they are about. A message the provider does not accept (a
// non-accettazione notice) fails every recipient; a virus found on delivery to one recipient (a
// rilevazione-virus notice naming it) fails that one, while the other is delivered. Each
// notice is among its recipient's receipts, and what it says is the recipient's last_error.
func TestPECRefusals(t *testing.T) {
	for _, engine := range testdb.Names() {
		t.Run(engine, func(t *testing.T) {
			mt := mailtest.Start(t, mailtest.PEC)
			a := startAOO(t, mt, engine, "c_h501", "A1B2C3D", "protocollo@pec.aoo-a.test")
			mt.AddUser("anna@pec.example.it", "pw-anna")
			mt.AddUser("mario@pec.example.it", "pw-mario")
			mt.NotAccept(func(raw []byte) (string, string) {
				if bytes.Contains(raw, []byte(" - Rifiutata\r\n")) {
					return "virus", "virus informatico rilevato nell'allegato"
				}
				return "", ""
			})
			mt.VirusAt("mario@pec.example.it")

			dispatch := func(t *testing.T, subject string) (string, string) {
				meta := map[string]any{"direction": "outgoing", "channel": "pec", "subject": subject, "class": "VI.3",
					"correspondents": []map[string]any{
						{"role": "sender", "type": "administration", "name": "AOO A", "ipa_code": a.ipa, "aoo_code": a.code},
						{"role": "recipient", "type": "person", "name": "Anna Bianchi", "digital_address": "anna@pec.example.it"},
						{"role": "recipient", "type": "person", "name": "Mario Rossi", "digital_address": "mario@pec.example.it"}}}
				ct, body := apptest.Multipart(meta, apptest.Part{Name: "document", Filename: "lettera.pdf", Content: apptest.PDF(subject)})
				var reg map[string]any
				a.s.Do(t, "POST", "/v1/registrations", a.op, ct, body, http.StatusCreated, &reg)
				path := fmt.Sprintf("/v1/registrations/PG/%v/%v/dispatches", reg["year"], reg["number_formatted"])
				d := a.jsonDo(t, "POST", path, map[string]any{}, http.StatusCreated)
				return path, d["id"].(string)
			}
			type recipient struct {
				state, lastError string
				kinds            []string
			}
			// recipients waits until the dispatch's recipients reach want (by address) and returns them.
			recipients := func(t *testing.T, path, id string, want map[string]string) map[string]recipient {
				t.Helper()
				got := map[string]recipient{}
				waitUntil(t, fmt.Sprint("recipients ", want), func() bool {
					list := a.jsonDo(t, "GET", path, nil, http.StatusOK)
					for _, it := range list["items"].([]any) {
						if it.(map[string]any)["id"] != id {
							continue
						}
						for _, r := range it.(map[string]any)["recipients"].([]any) {
							r := r.(map[string]any)
							var kinds []string
							for _, rx := range r["receipts"].([]any) {
								kinds = append(kinds, rx.(map[string]any)["kind"].(string))
							}
							got[r["address"].(string)] = recipient{state: r["state"].(string), lastError: r["last_error"].(string), kinds: kinds}
						}
					}
					for addr, state := range want {
						if got[addr].state != state {
							return false
						}
					}
					return true
				}, func() string { return fmt.Sprintf("%+v", got) })
				return got
			}

			t.Run("NotAccepted", func(t *testing.T) {
				path, id := dispatch(t, "Rifiutata")
				got := recipients(t, path, id, map[string]string{"anna@pec.example.it": "failed", "mario@pec.example.it": "failed"})
				for addr, r := range got {
					if !slices.Contains(r.kinds, "non-accettazione") || slices.Contains(r.kinds, "accettazione") {
						t.Errorf("%s: receipts %v; want non-accettazione and no accettazione", addr, r.kinds)
					}
					if want := "non-accettazione (virus): virus informatico rilevato nell'allegato"; r.lastError != want {
						t.Errorf("%s: last_error %q, want %q", addr, r.lastError, want)
					}
				}
			})
			t.Run("VirusOnDelivery", func(t *testing.T) {
				path, id := dispatch(t, "Comunicazione")
				got := recipients(t, path, id, map[string]string{"anna@pec.example.it": "delivered", "mario@pec.example.it": "failed"})
				if k := got["mario@pec.example.it"].kinds; !slices.Contains(k, "rilevazione-virus") || slices.Contains(k, "avvenuta-consegna") {
					t.Errorf("mario: receipts %v; want rilevazione-virus, no avvenuta-consegna", k)
				}
				if e := got["mario@pec.example.it"].lastError; e != "rilevazione-virus (virus): virus informatico rilevato nel messaggio per mario@pec.example.it" {
					t.Errorf("mario: last_error %q", e)
				}
				if e := got["anna@pec.example.it"].lastError; e != "" {
					t.Errorf("anna: last_error %q", e)
				}
				if k := got["anna@pec.example.it"].kinds; slices.Contains(k, "rilevazione-virus") || !slices.Contains(k, "avvenuta-consegna") {
					t.Errorf("anna: receipts %v; want avvenuta-consegna alone", k)
				}
				if n := len(mt.Messages(t, "mario@pec.example.it")); n != 0 {
					t.Errorf("mario received %d messages", n)
				}
			})
		})
	}
}
