//go:build !linux

package rpkitest

import "os/exec"

// setParentDeathSignal does nothing where the kernel offers no parent-death
// signal; test cleanups stop the daemon.
func setParentDeathSignal(*exec.Cmd) {}
