package api_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/api"
	"github.com/sportello/sportello/internal/apptest"
	"github.com/sportello/sportello/signing/tlog"
)

// TestAdministrationCorrespondent registers an outgoing document to another administration's
// AOO, on both engines: its IPA codes and PEC address are stored and read back as sent, logged
// in a version 3 leaf whose receipt verifies — beside the unchanged leaf of a registration
// without them — and refused, naming the field, when malformed or on a person.
func TestAdministrationCorrespondent(t *testing.T) {
	clock := apptest.NewClock(time.Time{})
	apptest.Each(t, func(t *testing.T, s *apptest.Server) {
		clock.Set(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
		c := newClient(t, s)
		op := s.NewClient(t, "operator", []string{"protocol_operator"})
		doc := []apptest.Part{{Name: "document", Filename: "nota.pdf", Content: apptest.PDF("nota")}}
		administration := map[string]any{"role": "recipient", "type": "administration", "name": "Roma Capitale",
			"ipa_code": "c_h501", "aoo_code": "A1B2C3D", "uo_code": "UF1234", "digital_address": "protocollo@pec.comune.roma.it"}
		outgoing := func(cs ...map[string]any) map[string]any {
			return map[string]any{"direction": "outgoing", "channel": "pec", "subject": "Trasmissione atti", "correspondents": cs}
		}
		with := func(changes map[string]any) map[string]any {
			out := map[string]any{}
			for k, v := range administration {
				out[k] = v
			}
			for k, v := range changes {
				if v == nil {
					delete(out, k)
				} else {
					out[k] = v
				}
			}
			return out
		}

		var reg api.Registration
		c.register(op, outgoing(administration), doc).decode(t, http.StatusCreated, &reg)
		plain := c.mustRegister(op, "Istanza di un privato")

		t.Run("ReadBack", func(t *testing.T) {
			var got api.Registration
			c.do("GET", refPath(reg), op, nil).decode(t, http.StatusOK, &got)
			want := api.Correspondent{Role: "recipient", Type: "administration", Name: "Roma Capitale", IPACode: "c_h501",
				AOOCode: "A1B2C3D", UOCode: "UF1234", DigitalAddress: "protocollo@pec.comune.roma.it"}
			if len(got.Correspondents) != 1 || got.Correspondents[0] != want {
				t.Fatalf("correspondents read back %+v, want %+v", got.Correspondents, want)
			}
		})
		t.Run("InTheLeafAndVerified", func(t *testing.T) {
			seal := readCert(t, filepath.Join(s.DataDir, "keys", "seal", "sealing.crt"))
			tsa := readCert(t, filepath.Join(s.DataDir, "keys", "tsa", "tsa.crt"))
			leaf := receiptOf(t, c, op, reg, seal, tsa)
			for _, want := range []string{`"ipa_code":"c_h501"`, `"aoo_code":"A1B2C3D"`, `"uo_code":"UF1234"`,
				`"digital_address":"protocollo@pec.comune.roma.it"`, `"v":3`} {
				if !strings.Contains(leaf, want) {
					t.Fatalf("leaf %s: want %s", leaf, want)
				}
			}
			if leaf := receiptOf(t, c, op, plain, seal, tsa); strings.Contains(leaf, "ipa_code") || !strings.Contains(leaf, `"v":1`) {
				t.Fatalf("leaf of a registration without codes %s: want version 1, unchanged", leaf)
			}
			report, err := s.Main.Audit(t.Context(), tlog.AuditOptions{Lag: time.Hour, Now: clock.Now})
			if err != nil || !report.OK() || report.Leaves < 2 {
				t.Fatalf("audit of the whole log: %+v, %v", report, err)
			}
		})
		for name, tc := range map[string]struct {
			correspondent map[string]any
			field, word   string
		}{
			"ErrIPACodeShape":          {with(map[string]any{"ipa_code": "c h501"}), "ipa_code", "IPA code"},
			"ErrAOOCodeShape":          {with(map[string]any{"aoo_code": "A1B2-C3D"}), "aoo_code", "IPA code"},
			"ErrUOCodeTooLong":         {with(map[string]any{"uo_code": strings.Repeat("U", 33)}), "uo_code", "IPA code"},
			"ErrAOOCodeWithoutIPACode": {with(map[string]any{"ipa_code": nil}), "ipa_code", "required"},
			"ErrCodesOnAPerson":        {with(map[string]any{"type": "person"}), "ipa_code", "administration"},
			"ErrDigitalAddressNotMail": {with(map[string]any{"digital_address": "protocollo.pec.it"}), "digital_address", "e-mail"},
			"ErrDigitalAddressNamed":   {with(map[string]any{"digital_address": "Protocollo <protocollo@pec.it>"}), "digital_address", "display name"},
			"ErrDigitalAddressNUL":     {with(map[string]any{"digital_address": "proto\x00collo@pec.it"}), "digital_address", "NUL"},
			"ErrDigitalAddressTab":     {with(map[string]any{"digital_address": "proto\tcollo@pec.it"}), "digital_address", "control"},
			"ErrDigitalAddressTooLong": {with(map[string]any{"digital_address": strings.Repeat("a", 64) + "@" + strings.Repeat("b", 190) + ".it"}), "digital_address", "254"},
		} {
			t.Run(name, func(t *testing.T) {
				p := c.register(op, outgoing(tc.correspondent), doc).problem(t, http.StatusUnprocessableEntity, "validation_failed")
				namesField(t, p, "correspondents[0]."+tc.field, tc.word)
			})
		}
		t.Run("DigitalAddressOfAPerson", func(t *testing.T) {
			person := map[string]any{"role": "recipient", "type": "person", "name": "Mario Rossi", "digital_address": "mario.rossi@pec.example.org"}
			var got api.Registration
			c.register(op, outgoing(person), doc).decode(t, http.StatusCreated, &got)
			if got.Correspondents[0].DigitalAddress != "mario.rossi@pec.example.org" {
				t.Fatalf("digital address of a person read back %+v", got.Correspondents[0])
			}
		})
	}, apptest.WithClock(clock.Now), fastCheckpoints)
}
