package rpkitest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal kills the daemon if the test binary dies without
// running its cleanups (a panic, a -timeout), so no stray cache keeps
// running on the machine.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
