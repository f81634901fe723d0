package main

import (
	"errors"
	"fmt"
)

// Exit codes, the contract scripts and CI rely on (see `peerform help exit-codes`).
const (
	exitOK       = 0 // success, nothing to report
	exitFindings = 1 // validation errors, sessions down, a failed deploy
	exitError    = 2 // usage error or internal failure
)

// findingsError makes a command exit 1: it ran correctly and found problems
// it has already reported. The message is printed only when it is not empty.
type findingsError struct{ msg string }

func (e *findingsError) Error() string { return e.msg }

// errFindings is a findingsError with nothing more to say.
var errFindings = &findingsError{}

// findingsf returns a findingsError with a message printed to stderr.
func findingsf(format string, args ...any) error {
	return &findingsError{msg: fmt.Sprintf(format, args...)}
}

// usageError marks a mistake in the command line; it exits 2 and shows usage.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitCode maps the error a command returned to the process exit code.
func exitCode(err error) int {
	var fe *findingsError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &fe):
		return exitFindings
	default:
		return exitError
	}
}
