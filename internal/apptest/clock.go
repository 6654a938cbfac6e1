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
