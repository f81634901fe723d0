package main

import (
	"errors"
	"fmt"

	"github.com/peerform/peerform/internal/pipeline"
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

// isUsage reports whether err is a mistake in the command line: the
// command's own, or a request the pipeline found does not fit the
// repository (a router or environment it does not have).
func isUsage(err error) bool {
	var ue *usageError
	var pe *pipeline.UsageError
	return errors.As(err, &ue) || errors.As(err, &pe)
}

// exitCode maps the error a command returned to the process exit code:
// the command's findings, and those the pipeline returns (a repository
// with errors, a secret a router cannot take), exit 1.
func exitCode(err error) int {
	var fe *findingsError
	var pe *pipeline.FindingsError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &fe), errors.As(err, &pe):
		return exitFindings
	default:
		return exitError
	}
}
