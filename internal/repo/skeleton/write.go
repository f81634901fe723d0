package skeleton

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Write creates the files under dir (creating dir if needed). It never
// overwrites: when any of the files exists, it writes nothing. Files are
// created through an os.Root, so no symbolic link leads them out of dir,
// and each with O_EXCL, so a file appearing meanwhile is not replaced.
func Write(dir string, files []File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	var exist []string
	for _, f := range files {
		if _, err := root.Lstat(f.Path); err == nil {
			exist = append(exist, f.Path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
	}
	if len(exist) > 0 {
		return fmt.Errorf("%s already has %s; nothing was written (init never overwrites)", dir, strings.Join(exist, ", "))
	}
	for _, f := range files {
		if err := root.MkdirAll(path.Dir(f.Path), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", path.Dir(f.Path), err)
		}
		w, err := root.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		_, err = w.Write(f.Data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
	}
	return nil
}
