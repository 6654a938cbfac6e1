package domain

import (
	"testing"
	"time"
)

func TestRetentionDueOn(t *testing.T) {
	ten := 10
	rt := retention{years: map[string]*int{"VI.3": &ten, "I.1": nil}}
	for _, c := range []struct{ class, start, want string }{
		{"VI.3", "2026-03-02", "2036-03-02"},
		{"VI.3", "2028-02-29", "2038-03-01"}, // no 29 February in 2038
		{"I.1", "2026-03-02", ""},            // permanent
		{"IX.9", "2026-03-02", ""},           // unknown class: never due
	} {
		if got, _ := rt.dueOn(c.class, c.start); got != c.want {
			t.Errorf("dueOn(%s, %s) = %q, want %q", c.class, c.start, got, c.want)
		}
	}
}

func TestHoldCoversClass(t *testing.T) {
	h := Hold{Class: "VI.3"}
	for code, want := range map[string]bool{"VI.3": true, "VI.3.2": true, "VI.30": false, "VI": false, "": false} {
		if got := h.coversClass(code); got != want {
			t.Errorf("hold on VI.3 covers %q = %v, want %v", code, got, want)
		}
	}
}

// TestRetentionCutoffs: the cutoff of a period is exactly the last start date whose due date is
// not after the day, also across 29 February, and dossiers count by their closing day in Rome.
func TestRetentionCutoffs(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	one, four, ten := 1, 4, 10
	rt := retention{years: map[string]*int{"A": &one, "B": &four, "C": &ten, "P": nil}, loc: rome}
	for _, on := range []string{"2024-02-28", "2024-02-29", "2024-03-01", "2025-02-28", "2025-03-01", "2028-02-29", "2036-03-02"} {
		cut := rt.cutoffs(on)
		if len(cut) != 3 {
			t.Fatalf("cutoffs(%s) has %d periods, want 3 (permanent has none)", on, len(cut))
		}
		for class, years := range map[string]int{"A": one, "B": four, "C": ten} {
			c := cut[years]
			day, _ := time.Parse(time.DateOnly, c.DatedBy)
			for _, start := range []time.Time{day.AddDate(0, 0, -1), day, day.AddDate(0, 0, 1), day.AddDate(0, 0, 2)} {
				due, _ := rt.dueOn(class, start.Format(time.DateOnly))
				want := due <= on
				if got := start.Format(time.DateOnly) <= c.DatedBy; got != want {
					t.Errorf("on %s, %d years: start %s selected %v, due %s", on, years, start.Format(time.DateOnly), got, due)
				}
				closedLate := time.Date(start.Year(), start.Month(), start.Day(), 23, 30, 0, 0, rome)
				if got := closedLate.Before(c.ClosedBefore); got != want {
					t.Errorf("on %s, %d years: closed %s selected %v, due %s", on, years, closedLate, got, due)
				}
			}
		}
	}
}
