package journal

import (
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
