package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// ioStreams carries where a command reads and writes. Results go to Out,
// progress and diagnostics to ErrOut, so `peerform … --json | jq` works.
type ioStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrTTY is true when ErrOut is a terminal: progress bars and colour
	// are shown only then.
	ErrTTY bool
	// OutTTY is true when Out is a terminal.
	OutTTY bool
}

func newSystemIO() *ioStreams {
	return &ioStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}
