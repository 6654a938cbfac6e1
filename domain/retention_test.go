package domain

import "testing"

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
