// Package repofs reads the files of a peering repository the way files
// from a pull request must be read: only regular files and directories,
// only inside the repository, never through a symbolic link (one in any
// part of the path is refused, wherever it points), and never blocking:
// a FIFO or a device is refused, not opened for reading.
//
// Whoever writes the repository writes its symbolic links too: a link
// named peers/AS64504.hcl pointing at /proc/self/environ would otherwise
// print the deploy job's environment, secrets included, in diagnostics.
package repofs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// ErrNotRegular marks a path that is a symbolic link, a FIFO, a device or
// a socket, or crosses a symbolic link: not a file of the repository.
var ErrNotRegular = errors.New("not a regular file of the repository")

// Dir returns the repository rooted at dir as an fs.FS whose Open follows
// the rules of the package. fs.ReadDir on it lists entries as they are
// (symbolic links included); only opening is refused.
func Dir(dir string) fs.FS { return dirFS(dir) }

type dirFS string

func (d dirFS) Open(name string) (fs.File, error) {
	f, err := open(string(d), name, true)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Open opens the regular file name, a slash-separated path relative to the
// repository at dir, for reading.
func Open(dir, name string) (*os.File, error) { return open(dir, name, false) }

func open(dir, name string, dirOK bool) (*os.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: the path must stay inside the repository", fs.ErrInvalid)}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if err := check(root, name, dirOK); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	// O_NONBLOCK: should a FIFO replace the file after the check, opening
	// it returns at once, and the check below refuses it. os.Root refuses
	// a symbolic link swapped in that leads out of the repository.
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = kind(fi.Mode(), dirOK)
	}
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f, nil
}

// check refuses a path with a symbolic link in any part, or that ends in
// something other than a regular file (or a directory, when dirOK).
func check(root *os.Root, name string, dirOK bool) error {
	if name == "." {
		return kind(fs.ModeDir, dirOK)
	}
	parts := strings.Split(name, "/")
	for i := range parts {
		fi, err := root.Lstat(path.Join(parts[:i+1]...))
		if err != nil {
			return errors.Unwrap(err) // the PathError's cause; the caller names the path
		}
		if i < len(parts)-1 {
			if fi.Mode()&fs.ModeSymlink != 0 {
				return fmt.Errorf("%w: %s is a symbolic link", ErrNotRegular, path.Join(parts[:i+1]...))
			}
			continue
		}
		return kind(fi.Mode(), dirOK)
	}
	return nil
}

// kind accepts regular files, and directories when dirOK.
func kind(m fs.FileMode, dirOK bool) error {
	switch {
	case m.IsRegular(), dirOK && m.IsDir():
		return nil
	case m&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: a symbolic link", ErrNotRegular)
	case m.IsDir():
		return fmt.Errorf("%w: a directory", ErrNotRegular)
	case m&fs.ModeNamedPipe != 0:
		return fmt.Errorf("%w: a FIFO", ErrNotRegular)
	case m&fs.ModeDevice != 0:
		return fmt.Errorf("%w: a device", ErrNotRegular)
	case m&fs.ModeSocket != 0:
		return fmt.Errorf("%w: a socket", ErrNotRegular)
	}
	return fmt.Errorf("%w: file type %s", ErrNotRegular, m.Type())
}
