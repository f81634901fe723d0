// Package regular opens files that come from outside (a repository, a
// command line, a flow store) only when they are regular files: a
// symbolic link could lead anywhere, and opening a FIFO or a device
// blocks or never ends.
package regular

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Open opens name for reading if it is a regular file itself. Errors
// do not repeat the name: callers say which file they were reading.
func Open(name string) (*os.File, error) {
	if info, err := os.Lstat(name); err != nil {
		return nil, err
	} else if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", info.Mode().Type())
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	// The check before opening keeps a FIFO from blocking us; this one
	// catches a swap in between.
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file")
	}
	return f, nil
}

// ReadFile reads a regular file of at most max bytes.
func ReadFile(name string, max int64) ([]byte, error) {
	f, err := Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Sized from the file: a growing buffer costs more than the read.
	var size int64
	if info, err := f.Stat(); err == nil {
		size = min(info.Size(), max) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err = buf.ReadFrom(io.LimitReader(f, max+1))
	if err == nil && int64(buf.Len()) > max {
		err = fmt.Errorf("larger than %d bytes", max)
	}
	return buf.Bytes(), err
}
