package tlog_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/sportello/sportello/domain"
	"github.com/sportello/sportello/signing/tlog"
)

func TestRegistrationLeaf(t *testing.T) {
	r := newRegistration(7)
	r.Identifier, r.Number = "c_h501-A1B2C3D-PG-2026-0000007", 7
	leaf, err := tlog.RegistrationLeaf(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Golden", func(t *testing.T) {
		want := `{"attachments":["cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"],"channel":"web",` +
			`"correspondents":[{"address":"","email":"mario@example.org","name":"Mario Rossi","role":"sender","tax_code":"RSSMRA80A01H501U","type":"person"}],` +
			`"created_by":"operator","date":"2026-11-28","direction":"incoming",` +
			`"document":"abababababababababababababababababababababababababababababababab",` +
			`"identifier":"c_h501-A1B2C3D-PG-2026-0000007","kind":"registration","number":7,"register":"PG",` +
			`"registered_at":"2026-11-28T20:01:02.123456Z","sender_reference":{"date":"2026-11-20","number":"42/2026"},` +
			`"subject_sha256":"` + sha256Hex(r.Subject) + `","v":1,"year":2026}`
		if string(leaf) != want {
			t.Fatalf("leaf\n%s\nwant\n%s", leaf, want)
		}
	})
	t.Run("ReceivedOnIsVersion2", func(t *testing.T) {
		r2 := *r
		r2.ReceivedOn = "2026-11-27"
		got, err := tlog.RegistrationLeaf(&r2)
		if err != nil {
			t.Fatal(err)
		}
		// The golden version 1 leaf above, with one key more: nothing else moves.
		want := strings.Replace(strings.Replace(string(leaf), `"register":"PG",`, `"received_on":"2026-11-27","register":"PG",`, 1), `"v":1`, `"v":2`, 1)
		if string(got) != want {
			t.Fatalf("leaf\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("AdministrationCodesAreVersion3", func(t *testing.T) {
		r3 := *r
		r3.ReceivedOn = "2026-11-27"
		r3.Correspondents = append(slices.Clone(r.Correspondents), domain.Correspondent{Role: "recipient",
			Type: "administration", Name: "Comune di Roma", IPACode: "c_h501", AOOCode: "A1B2C3D",
			DigitalAddress: "protocollo@pec.comune.roma.it"})
		got, err := tlog.RegistrationLeaf(&r3)
		if err != nil {
			t.Fatal(err)
		}
		// The golden version 1 leaf with received_on and the administration: only the codes set
		// are written, and the person's entry is unchanged.
		administration := `,{"address":"","aoo_code":"A1B2C3D","digital_address":"protocollo@pec.comune.roma.it",` +
			`"email":"","ipa_code":"c_h501","name":"Comune di Roma","role":"recipient","tax_code":"","type":"administration"}]`
		want := strings.NewReplacer(`"type":"person"}]`, `"type":"person"}`+administration,
			`"register":"PG",`, `"received_on":"2026-11-27","register":"PG",`, `"v":1`, `"v":3`).Replace(string(leaf))
		if string(got) != want {
			t.Fatalf("leaf\n%s\nwant\n%s", got, want)
		}
		b, _ := json.Marshal(&r3)
		if again, err := tlog.LeafFromJSON(tlog.KindRegistration, b); err != nil || string(again) != want {
			t.Fatalf("from JSON:\n%s\n%v", again, err)
		}
	})
	t.Run("EmergencyIsVersion4", func(t *testing.T) {
		r4 := *r
		r4.ReceivedOn = "2026-11-27"
		r4.Emergency = &domain.Emergency{Register: "0193a1b2-outage", Number: 12, Date: "2026-11-27"}
		got, err := tlog.RegistrationLeaf(&r4)
		if err != nil {
			t.Fatal(err)
		}
		// The golden version 1 leaf with received_on and the emergency entry: nothing else moves.
		want := strings.NewReplacer(`"identifier":`, `"emergency":{"date":"2026-11-27","number":12,"register":"0193a1b2-outage"},"identifier":`,
			`"register":"PG",`, `"received_on":"2026-11-27","register":"PG",`, `"v":1`, `"v":4`).Replace(string(leaf))
		if string(got) != want {
			t.Fatalf("leaf\n%s\nwant\n%s", got, want)
		}
		b, _ := json.Marshal(&r4)
		if again, err := tlog.LeafFromJSON(tlog.KindRegistration, b); err != nil || string(again) != want {
			t.Fatalf("from JSON:\n%s\n%v", again, err)
		}
	})
	t.Run("InReplyToIsVersion5", func(t *testing.T) {
		r5 := *r
		r5.Emergency = &domain.Emergency{Register: "0193a1b2-outage", Number: 12, Date: "2026-11-27"}
		r5.InReplyTo = "c_h501-A1B2C3D-PG-2026-0000003"
		got, err := tlog.RegistrationLeaf(&r5)
		if err != nil {
			t.Fatal(err)
		}
		// The golden version 1 leaf with the emergency entry and in_reply_to: nothing else moves.
		want := strings.NewReplacer(`"identifier":`, `"emergency":{"date":"2026-11-27","number":12,"register":"0193a1b2-outage"},"identifier":`,
			`"kind":`, `"in_reply_to":"c_h501-A1B2C3D-PG-2026-0000003","kind":`, `"v":1`, `"v":5`).Replace(string(leaf))
		if string(got) != want {
			t.Fatalf("leaf\n%s\nwant\n%s", got, want)
		}
		b, _ := json.Marshal(&r5)
		if again, err := tlog.LeafFromJSON(tlog.KindRegistration, b); err != nil || string(again) != want {
			t.Fatalf("from JSON:\n%s\n%v", again, err)
		}
	})
	t.Run("ImageCopyIsVersion6", func(t *testing.T) {
		r6 := *r
		r6.Emergency = &domain.Emergency{Register: "0193a1b2-outage", Number: 12, Date: "2026-11-27"}
		r6.ImageCopy = &domain.ImageCopy{AttestedBy: "Anna Verdi"}
		got, err := tlog.RegistrationLeaf(&r6)
		if err != nil {
			t.Fatal(err)
		}
		// The golden version 1 leaf with the emergency entry and the image copy: nothing else moves.
		want := strings.NewReplacer(`"identifier":`, `"emergency":{"date":"2026-11-27","number":12,"register":"0193a1b2-outage"},"identifier":`,
			`"kind":`, `"image_copy":{"attested_by":"Anna Verdi","attested_on":""},"kind":`, `"v":1`, `"v":6`).Replace(string(leaf))
		if string(got) != want {
			t.Fatalf("leaf\n%s\nwant\n%s", got, want)
		}
		b, _ := json.Marshal(&r6)
		if again, err := tlog.LeafFromJSON(tlog.KindRegistration, b); err != nil || string(again) != want {
			t.Fatalf("from JSON:\n%s\n%v", again, err)
		}
	})
	t.Run("RecomputedFromAPIJSON", func(t *testing.T) {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		again, err := tlog.LeafFromJSON(tlog.KindRegistration, b)
		if err != nil || string(again) != string(leaf) {
			t.Fatalf("from JSON:\n%s\n%v", again, err)
		}
	})
	t.Run("MutableFieldsDoNotChangeIt", func(t *testing.T) {
		r2 := *r
		r2.Class, r2.Offices, r2.Dossiers = "I.1", []string{"RAG"}, []string{"D1"}
		if again, _ := tlog.RegistrationLeaf(&r2); string(again) != string(leaf) {
			t.Fatal("leaf changed with class, offices or dossiers")
		}
	})
	t.Run("EveryImmutableFieldChangesIt", func(t *testing.T) {
		for name, change := range map[string]func(r *domain.Registration){
			"subject":          func(r *domain.Registration) { r.Subject += "." },
			"document":         func(r *domain.Registration) { r.Document.SHA256 = r.Attachments[0].SHA256 },
			"attachments":      func(r *domain.Registration) { r.Attachments = nil },
			"correspondents":   func(r *domain.Registration) { r.Correspondents = []domain.Correspondent{{Name: "X"}} },
			"registered_at":    func(r *domain.Registration) { r.RegisteredAt = r.RegisteredAt.Add(1000) },
			"sender_reference": func(r *domain.Registration) { r.SenderReference = nil },
			"received_on":      func(r *domain.Registration) { r.ReceivedOn = "2026-11-27" },
			"emergency": func(r *domain.Registration) {
				r.Emergency = &domain.Emergency{Register: "o", Number: 1, Date: "2026-11-27"}
			},
			"image_copy":      func(r *domain.Registration) { r.ImageCopy = &domain.ImageCopy{} },
			"digital_address": func(r *domain.Registration) { r.Correspondents[0].DigitalAddress = "mario@pec.example.org" },
			"ipa_code":        func(r *domain.Registration) { r.Correspondents[0].IPACode = "c_h501" },
			"aoo_code":        func(r *domain.Registration) { r.Correspondents[0].AOOCode = "A1B2C3D" },
			"uo_code":         func(r *domain.Registration) { r.Correspondents[0].UOCode = "UF1234" },
			"in_reply_to":     func(r *domain.Registration) { r.InReplyTo = "c_h501-A1B2C3D-PG-2026-0000003" },
		} {
			r2 := *r
			r2.Correspondents = slices.Clone(r.Correspondents)
			change(&r2)
			if again, _ := tlog.RegistrationLeaf(&r2); string(again) == string(leaf) {
				t.Errorf("%s: leaf unchanged", name)
			}
		}
	})
}

func TestAnnulmentLeaf(t *testing.T) {
	r := newRegistration(1)
	r.Identifier = "c_h501-A1B2C3D-PG-2026-0000001"
	t.Run("ErrNotAnnulled", func(t *testing.T) {
		if _, err := tlog.AnnulmentLeaf(r); err == nil {
			t.Fatal("leaf of an active registration")
		}
	})
	t.Run("Golden", func(t *testing.T) {
		r.Annulment = &domain.Annulment{Reason: "errore\tmateriale \u2028<x>", Authorization: "det. 12/2026", By: "officer",
			At: testNow}
		leaf, err := tlog.AnnulmentLeaf(r)
		want := `{"annulled_at":"2026-11-28T20:01:02.123456Z","annulled_by":"officer","authorization":"det. 12/2026",` +
			`"identifier":"c_h501-A1B2C3D-PG-2026-0000001","kind":"annulment","reason":"errore\tmateriale ` + "\u2028" + `<x>","v":1}`
		if err != nil || string(leaf) != want {
			t.Fatalf("leaf\n%s\nwant\n%s\n%v", leaf, want, err)
		}
	})
}
