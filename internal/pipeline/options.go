package pipeline

import (
	"fmt"
	"io"
	"log/slog"
)

// Options are what every step of the pipeline shares: where the peering
// repository is, where its outside data comes from, and where to say what
// is going on. The zero value of each writer and of Logger is silence.
type Options struct {
	// Dir is the peering repository (peers/ and policies/): its working
	// tree, and the base of the repository-relative paths of its policies.
	Dir string
	// PeeringDB is a snapshot directory or file, or "api" for the live API
	// (with the local cache); empty means the repository's default.
	PeeringDB string
	// Offline forbids every network access to PeeringDB and the IRR.
	Offline bool
	Logger  *slog.Logger
	// Progress gets one line per slow step (PeeringDB syncs, IRR
	// expansions); set it for a person at a terminal, not for a log.
	Progress io.Writer
	// Warnings gets warnings that belong to no repository file, such as a
	// secret read from its deprecated variable name.
	Warnings io.Writer
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

func (o Options) warnings() io.Writer {
	if o.Warnings == nil {
		return io.Discard
	}
	return o.Warnings
}

// UsageError is a request that does not fit the repository: a router or
// an environment it does not have, templates that cannot be loaded. The
// caller's command line is wrong, not the repository.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// FindingsError says that the repository has problems: the pipeline ran
// correctly and its findings are in Msg, or were reported already when
// Msg is empty.
type FindingsError struct{ Msg string }

func (e *FindingsError) Error() string { return e.Msg }

func findingsf(format string, args ...any) error {
	return &FindingsError{Msg: fmt.Sprintf(format, args...)}
}
