package extract

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startNiced starts cmd toolNice below the server's priority. A process inherits the niceness of
// the thread that forks it, so cmd is started from a thread of its own, niced first, which is
// never unlocked and so ends with its goroutine. This replaces running the tool through
// coreutils' nice, whose own start (a second exec and its dynamic linking) cost 3.5 ms of CPU per
// document, a third of a small PDF's extraction.
func startNiced(cmd *exec.Cmd) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the niced thread must not run anything else
		tid := syscall.Gettid()
		// The system call returns 20 minus the niceness.
		if prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(20-prio+toolNice, 19))
		}
		started <- cmd.Start()
	}()
	return <-started
}
