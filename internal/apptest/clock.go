package apptest

import (
	"sync/atomic"
	"time"
)

// Clock is a settable clock for servers under test: start them WithClock(c.Now) and move time
// with Set, from any goroutine.
type Clock struct{ t atomic.Pointer[time.Time] }

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.Set(t)
	return c
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.t.Store(&t) }

// Now reads the clock.
func (c *Clock) Now() time.Time { return *c.t.Load() }

// SetDay moves the clock to 10:00 UTC of day (YYYY-MM-DD): the same calendar day in Rome.
func (c *Clock) SetDay(day string) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic("apptest: SetDay(" + day + "): " + err.Error())
	}
	c.Set(d.Add(10 * time.Hour))
}
