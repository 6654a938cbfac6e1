//go:build unix

package search

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used so far, user and system, every goroutine
// included (bleve's background persister and merger too).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
