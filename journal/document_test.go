package journal

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sportello/sportello/domain"
)

// TestBuildAnnulledByEndOfDay: a registration is annulled in the journal only if it was
// annulled before the day ended in Rome, so that the journal does not depend on when it is
// produced; and the JSON is canonical, hence stable.
func TestBuildAnnulledByEndOfDay(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	reg := func(n int64, annulledAt time.Time) *domain.Registration {
		r := &domain.Registration{Register: "PG", Date: "2026-11-20", Number: n, Identifier: "id-" + string(rune('0'+n)),
			RegisteredAt: time.Date(2026, 11, 20, 23, 30, 0, 0, rome), Direction: domain.Incoming, Subject: "Oggetto <à>",
			Correspondents: []domain.Correspondent{{Name: "Mario Rossi"}}, Document: domain.File{SHA256: strings.Repeat("ab", 32)}}
		if !annulledAt.IsZero() {
			r.Annulment = &domain.Annulment{At: annulledAt, Authorization: "Det. 1", Reason: "errore"}
			r.Status = domain.StatusAnnulled
		}
		return r
	}
	rs := []*domain.Registration{
		reg(1, time.Date(2026, 11, 20, 23, 59, 0, 0, rome)), // that day: annulled in the journal
		reg(2, time.Date(2026, 11, 21, 0, 0, 0, 0, rome)),   // the next day: not
	}
	d, err := Build("AOO", "PG", "2026-11-20", rome, rs)
	if err != nil {
		t.Fatal(err)
	}
	js := string(d.JSON)
	if !strings.Contains(js, `"number":1,"offices":[],"registered_at":"2026-11-20T22:30:00.000000Z","sender_reference":null,"status":"annulled"`) ||
		!strings.Contains(js, `"number":2,"offices":[],"registered_at":"2026-11-20T22:30:00.000000Z","sender_reference":null,"status":"active"`) ||
		!strings.HasPrefix(js, `{"count":2,"date":"2026-11-20","kind":"journal","register":"PG","registrations":[{"annulment":{"at":"2026-11-20T22:59:00.000000Z"`) {
		t.Fatalf("journal JSON %s", js)
	}
	if d.Content.Entries[0].Annulment == nil || d.Content.Entries[1].Annulment != nil {
		t.Fatal("PDF content does not match the JSON's annulments")
	}
	again, _ := Build("AOO", "PG", "2026-11-20", rome, rs)
	if string(again.JSON) != js || again.JSONSHA256 != d.JSONSHA256 {
		t.Fatal("the same day builds different JSON")
	}
	if _, err := Build("AOO", "PG", "2026-11-21", rome, rs); err == nil {
		t.Fatal("registrations of another day accepted")
	}
}

// TestBuildReceivedOn: a registration's received_on is in the journal; one without has no such
// key. Both are written in the current version.
func TestBuildReceivedOn(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	r := &domain.Registration{Register: "PG", Date: "2026-11-20", Number: 1, Identifier: "id-1",
		RegisteredAt: time.Date(2026, 11, 20, 10, 0, 0, 0, rome), Direction: domain.Incoming, Subject: "Oggetto",
		Document: domain.File{SHA256: strings.Repeat("ab", 32)}}
	d, err := Build("AOO", "PG", "2026-11-20", rome, []*domain.Registration{r})
	if err != nil {
		t.Fatal(err)
	}
	if js := string(d.JSON); strings.Contains(js, "received_on") || !strings.HasSuffix(js, `"v":5}`) {
		t.Fatalf("journal without received_on: %s", js)
	}
	r.ReceivedOn = "2026-11-18"
	if d, err = Build("AOO", "PG", "2026-11-20", rome, []*domain.Registration{r}); err != nil {
		t.Fatal(err)
	}
	if js := string(d.JSON); !strings.Contains(js, `"offices":[],"received_on":"2026-11-18","registered_at"`) || !strings.HasSuffix(js, `"v":5}`) {
		t.Fatalf("journal with received_on: %s", js)
	}
}

// TestBuildEmergency: a registration loaded from the emergency register is in the journal with
// its emergency number, date and outage, in the JSON and in the PDF's content.
func TestBuildEmergency(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	r := &domain.Registration{Register: "PG", Date: "2026-11-20", Number: 1, Identifier: "id-1",
		RegisteredAt: time.Date(2026, 11, 20, 10, 0, 0, 0, rome), Direction: domain.Incoming, Subject: "Oggetto",
		Document: domain.File{SHA256: strings.Repeat("ab", 32)}, ReceivedOn: "2026-11-18",
		Emergency: &domain.Emergency{Register: "outage-1", Number: 12, Date: "2026-11-19"}}
	d, err := Build("AOO", "PG", "2026-11-20", rome, []*domain.Registration{r})
	if err != nil {
		t.Fatal(err)
	}
	js := string(d.JSON)
	if !strings.Contains(js, `"document":"`+strings.Repeat("ab", 32)+`","emergency":{"date":"2026-11-19","number":12,"register":"outage-1"},"identifier":"id-1"`) ||
		!strings.HasSuffix(js, `"v":5}`) {
		t.Fatalf("journal with an emergency entry: %s", js)
	}
	if got := d.Content.Entries[0].Emergency; got != "12 del 2026-11-19" {
		t.Errorf("PDF entry shows emergency %q", got)
	}
}

// TestBuildImageCopy: an image copy of a paper original is in the journal with its
// attestation, in the JSON (also beside an emergency entry) and in the PDF's content; a
// registration without one has no such key.
func TestBuildImageCopy(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	reg := func(n int64, edit func(*domain.Registration)) *domain.Registration {
		r := &domain.Registration{Register: "PG", Date: "2026-11-20", Number: n, Identifier: fmt.Sprintf("id-%d", n),
			RegisteredAt: time.Date(2026, 11, 20, 10, 0, 0, 0, rome), Direction: domain.Incoming, Subject: "Oggetto",
			Document: domain.File{SHA256: strings.Repeat("ab", 32)}}
		edit(r)
		return r
	}
	scanned := reg(1, func(r *domain.Registration) {
		r.ImageCopy = &domain.ImageCopy{AttestedBy: "Anna Verdi", AttestedOn: "2026-11-19"}
	})
	bare := reg(2, func(r *domain.Registration) { r.ImageCopy = &domain.ImageCopy{} })
	emergency := reg(3, func(r *domain.Registration) {
		r.Emergency = &domain.Emergency{Register: "outage-1", Number: 12, Date: "2026-11-19"}
	})
	d, err := Build("AOO", "PG", "2026-11-20", rome, []*domain.Registration{scanned, bare, emergency})
	if err != nil {
		t.Fatal(err)
	}
	js := string(d.JSON)
	if !strings.Contains(js, `"identifier":"id-1","image_copy":{"attested_by":"Anna Verdi","attested_on":"2026-11-19"},"number":1`) ||
		!strings.Contains(js, `"identifier":"id-2","image_copy":{"attested_by":"","attested_on":""},"number":2`) ||
		strings.Contains(js, `"identifier":"id-3","image_copy"`) || !strings.HasSuffix(js, `"v":5}`) {
		t.Fatalf("journal with image copies: %s", js)
	}
	want := []string{"attestata da Anna Verdi il 2026-11-19", "non attestata", ""}
	for i, e := range d.Content.Entries {
		if e.ImageCopy != want[i] {
			t.Errorf("PDF entry %d shows image copy %q, want %q", i, e.ImageCopy, want[i])
		}
	}
	if d, _ := Build("AOO", "PG", "2026-11-20", rome, []*domain.Registration{emergency}); strings.Contains(string(d.JSON), "image_copy") {
		t.Errorf("a day without image copies: %s", d.JSON)
	}
}

// TestBuildSaysEverything: version 5 lists for every registration its sender reference, its
// attachments with their digests, its class and offices, and an annulment with the
// authorising act as given, in the JSON and in the PDF's content; a registration without them
// says so with null, [] and "".
func TestBuildSaysEverything(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	full := &domain.Registration{Register: "PG", Date: "2026-11-20", Number: 1, Identifier: "id-1",
		RegisteredAt: time.Date(2026, 11, 20, 10, 0, 0, 0, rome), Direction: domain.Incoming, Subject: "Oggetto",
		Document:        domain.File{SHA256: strings.Repeat("ab", 32)},
		SenderReference: &domain.SenderReference{Number: "77/A", Date: "2026-11-19"},
		Attachments: []domain.File{{Filename: "pianta.png", SHA256: strings.Repeat("01", 32)},
			{Filename: "relazione.txt", SHA256: strings.Repeat("02", 32)}},
		Class: "VI.3", Offices: []string{"TEC", "URP"}, Status: domain.StatusAnnulled,
		Annulment: &domain.Annulment{At: time.Date(2026, 11, 20, 18, 0, 0, 0, rome), Authorization: "Determina n. 12 del 2026-11-02", Reason: "doppia"}}
	bare := &domain.Registration{Register: "PG", Date: "2026-11-20", Number: 2, Identifier: "id-2",
		RegisteredAt: time.Date(2026, 11, 20, 11, 0, 0, 0, rome), Direction: domain.Outgoing, Subject: "Altro",
		Document: domain.File{SHA256: strings.Repeat("cd", 32)}}
	d, err := Build("AOO", "PG", "2026-11-20", rome, []*domain.Registration{full, bare})
	if err != nil {
		t.Fatal(err)
	}
	js := string(d.JSON)
	for _, want := range []string{
		`{"annulment":{"at":"2026-11-20T17:00:00.000000Z","authorization":"Determina n. 12 del 2026-11-02","reason":"doppia"},` +
			`"attachments":[{"filename":"pianta.png","sha256":"` + strings.Repeat("01", 32) + `"},{"filename":"relazione.txt","sha256":"` + strings.Repeat("02", 32) + `"}],"class":"VI.3",`,
		`"identifier":"id-1","number":1,"offices":["TEC","URP"],"registered_at":"2026-11-20T09:00:00.000000Z","sender_reference":{"date":"2026-11-19","number":"77/A"},"status":"annulled"`,
		`{"annulment":null,"attachments":[],"class":"","correspondents":[]`,
		`"identifier":"id-2","number":2,"offices":[],"registered_at":"2026-11-20T10:00:00.000000Z","sender_reference":null,"status":"active"`,
	} {
		if !strings.Contains(js, want) {
			t.Errorf("journal JSON lacks %s\n%s", want, js)
		}
	}
	if !strings.HasSuffix(js, `"v":5}`) {
		t.Errorf("journal version: %s", js)
	}
	e := d.Content.Entries[0]
	if e.SenderNumber != "77/A" || e.SenderDate != "2026-11-19" || len(e.Attachments) != 2 || e.Attachments[1].SHA256 != strings.Repeat("02", 32) ||
		e.Class != "VI.3" || len(e.Offices) != 2 || e.Annulment == nil || e.Annulment.Authorization != "Determina n. 12 del 2026-11-02" {
		t.Errorf("PDF entry %+v", e)
	}
	if e := d.Content.Entries[1]; e.SenderNumber != "" || len(e.Attachments) != 0 || e.Class != "" || len(e.Offices) != 0 {
		t.Errorf("PDF entry of a bare registration %+v", e)
	}
}

// TestAsAtEndOfDay: the journal takes class and offices as they were when the day ended: a
// change made that day counts, one made after does not, and the registration itself is left
// as it is.
func TestAsAtEndOfDay(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	end := time.Date(2026, 11, 21, 0, 0, 0, 0, rome)
	r := &domain.Registration{ID: "r1", Identifier: "id-1", Class: "I.2", Offices: []string{"URP", "TEC"}}
	ev := func(at time.Time, field, old, new string) domain.AuditEvent {
		return domain.AuditEvent{At: at, EntityKind: domain.KindRegistration, EntityID: "r1", Field: field,
			Action: "registration.changed", Old: []byte(old), New: []byte(new)}
	}
	events := []domain.AuditEvent{
		{At: end.Add(-2 * time.Hour), EntityKind: domain.KindRegistration, EntityID: "r1", Action: "registration.created"},
		ev(end.Add(-time.Hour), "class", `""`, `"VI.3"`),       // that day: in the journal
		ev(end, "class", `"VI.3"`, `"I.1"`),                    // at midnight: the next day's
		ev(end.Add(time.Hour), "class", `"I.1"`, `"I.2"`),      // later still
		ev(end.Add(2*time.Hour), "offices", `null`, `["URP"]`), // the day ended with none
		ev(end.Add(3*time.Hour), "offices", `["URP"]`, `["URP","TEC"]`),
		ev(end.Add(4*time.Hour), "status", `"active"`, `"annulled"`),
	}
	got, err := AsAtEndOfDay(r, events, end)
	if err != nil {
		t.Fatal(err)
	}
	if got.Class != "VI.3" || len(got.Offices) != 0 {
		t.Errorf("as at the end of the day: class %q, offices %v", got.Class, got.Offices)
	}
	if r.Class != "I.2" || len(r.Offices) != 2 {
		t.Errorf("the registration itself changed: %+v", r)
	}
	if same, _ := AsAtEndOfDay(r, events[:2], end); same.Class != "I.2" || len(same.Offices) != 2 {
		t.Errorf("without later changes: %+v", same)
	}
	if _, err := AsAtEndOfDay(r, []domain.AuditEvent{ev(end, "class", `{`, `""`)}, end); err == nil {
		t.Error("a malformed history entry accepted")
	}
}

// TestBuildConfidentialSubject: a confidential registration's subject is "riservato" in the
// journal's JSON and PDF content, never in clear; another's subject is shown as it is.
func TestBuildConfidentialSubject(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	reg := func(n int64, subject string, confidential bool) *domain.Registration {
		return &domain.Registration{Register: "PG", Date: "2026-11-20", Number: n, Identifier: fmt.Sprintf("id-%d", n),
			RegisteredAt: time.Date(2026, 11, 20, 10, 0, 0, 0, rome), Direction: domain.Incoming, Subject: subject,
			Confidential: confidential, Document: domain.File{SHA256: strings.Repeat("ab", 32)}}
	}
	d, err := Build("AOO", "PG", "2026-11-20", rome, []*domain.Registration{
		reg(1, "Certificato medico di Mario Rossi", true), reg(2, "Richiesta di accesso", false)})
	if err != nil {
		t.Fatal(err)
	}
	js := string(d.JSON)
	if strings.Contains(js, "Mario Rossi") || !strings.Contains(js, `"subject":"riservato"`) ||
		!strings.Contains(js, `"subject":"Richiesta di accesso"`) {
		t.Fatalf("journal JSON %s", js)
	}
	if d.Content.Entries[0].Subject != Confidential || d.Content.Entries[1].Subject != "Richiesta di accesso" {
		t.Fatalf("PDF subjects %q, %q", d.Content.Entries[0].Subject, d.Content.Entries[1].Subject)
	}
}
