package domain

import "time"

// UnloggedFact is a registration or an annulment that has no leaf in the transparency log yet.
// The sequencer logs each within moments of its commit; one that stays unlogged longer was
// never logged, and the register can no longer prove it.
type UnloggedFact struct {
	// Kind is the leaf kind that is missing: "registration" or "annulment".
	Kind       string
	EntityID   string
	Identifier string
	Register   string
	Year       int
	Number     int64
	// At is when the fact happened: the registration's or the annulment's time.
	At time.Time
}
