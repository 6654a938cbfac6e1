//go:build !linux

package extract

import "os/exec"

// startNiced starts cmd at the server's own priority: lowering it for one child, as on Linux,
// needs the niceness of a thread to be inherited by the processes it starts.
func startNiced(cmd *exec.Cmd) error { return cmd.Start() }
