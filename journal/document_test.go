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
	if !strings.Contains(js, `"number":1,"registered_at":"2026-11-20T22:30:00.000000Z","status":"annulled"`) ||
		!strings.Contains(js, `"number":2,"registered_at":"2026-11-20T22:30:00.000000Z","status":"active"`) ||
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

// TestBuildReceivedOn: a registration's received_on is in the journal, which is then version 2;
// a day without one stays version 1.
func TestBuildReceivedOn(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	r := &domain.Registration{Register: "PG", Date: "2026-11-20", Number: 1, Identifier: "id-1",
		RegisteredAt: time.Date(2026, 11, 20, 10, 0, 0, 0, rome), Direction: domain.Incoming, Subject: "Oggetto",
		Document: domain.File{SHA256: strings.Repeat("ab", 32)}}
	d, err := Build("AOO", "PG", "2026-11-20", rome, []*domain.Registration{r})
	if err != nil {
		t.Fatal(err)
	}
	if js := string(d.JSON); strings.Contains(js, "received_on") || !strings.HasSuffix(js, `"v":1}`) {
		t.Fatalf("journal without received_on: %s", js)
	}
	r.ReceivedOn = "2026-11-18"
	if d, err = Build("AOO", "PG", "2026-11-20", rome, []*domain.Registration{r}); err != nil {
		t.Fatal(err)
	}
	if js := string(d.JSON); !strings.Contains(js, `"number":1,"received_on":"2026-11-18","registered_at"`) || !strings.HasSuffix(js, `"v":2}`) {
		t.Fatalf("journal with received_on: %s", js)
	}
}

// TestBuildEmergency: a registration loaded from the emergency register is in the journal with
// its emergency number, date and outage, in the JSON (version 3) and in the PDF's content.
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
		!strings.HasSuffix(js, `"v":3}`) {
		t.Fatalf("journal with an emergency entry: %s", js)
	}
	if got := d.Content.Entries[0].Emergency; got != "12 del 2026-11-19" {
		t.Errorf("PDF entry shows emergency %q", got)
	}
}

// TestBuildImageCopy: an image copy of a paper original is in the journal with its
// attestation, in the JSON (version 4, also beside an emergency entry of version 3, whichever
// comes first) and in the PDF's content; a day without one keeps its version.
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
		strings.Contains(js, `"identifier":"id-3","image_copy"`) || !strings.HasSuffix(js, `"v":4}`) {
		t.Fatalf("journal with image copies: %s", js)
	}
	want := []string{"attestata da Anna Verdi il 2026-11-19", "non attestata", ""}
	for i, e := range d.Content.Entries {
		if e.ImageCopy != want[i] {
			t.Errorf("PDF entry %d shows image copy %q, want %q", i, e.ImageCopy, want[i])
		}
	}
	if d, _ := Build("AOO", "PG", "2026-11-20", rome, []*domain.Registration{emergency}); !strings.HasSuffix(string(d.JSON), `"v":3}`) {
		t.Errorf("a day without image copies: %s", d.JSON)
	}
}
