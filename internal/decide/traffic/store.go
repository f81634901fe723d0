package traffic

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/peerform/peerform/internal/repo/repofs"
)

// Store is a directory of day files, YYYY-MM-DD.ptd. Writers (the
// collector, importers) hold its lock; readers need none, since a day
// file is replaced whole by a rename.
type Store struct {
	Dir string
	// Retention is how many days are kept (default 400, more than a
	// year so that a month can be compared with the same one a year
	// before); MaxBytes bounds the directory (default 4 GiB): the oldest
	// days go first. MaxFileBytes bounds a file read back (default 256
	// MiB).
	Retention    int
	MaxBytes     int64
	MaxFileBytes int64
	// MaxKeys bounds the series of a day (default 50,000).
	MaxKeys int
}

const dayExt = ".ptd"

func (s *Store) retention() int {
	if s.Retention > 0 {
		return s.Retention
	}
	return 400
}

func (s *Store) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return 4 << 30
}

func (s *Store) maxFileBytes() int64 {
	if s.MaxFileBytes > 0 {
		return s.MaxFileBytes
	}
	return 256 << 20
}

// KeyLimit is the bound on a day's series.
func (s *Store) KeyLimit() int {
	if s.MaxKeys > 0 {
		return s.MaxKeys
	}
	return 50_000
}

func (s *Store) path(day time.Time) string {
	return filepath.Join(s.Dir, DayOf(day).Format(time.DateOnly)+dayExt)
}

// Lock takes the store's writer lock (creating the directory), failing
// at once if another process holds it.
func (s *Store) Lock() (unlock func(), err error) {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("traffic store: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.Dir, ".lock"), os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("traffic store %s: %w", s.Dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("traffic store %s is in use by another collector or import: %w", s.Dir, err)
	}
	return func() { f.Close() }, nil
}

// Write replaces d's file atomically (write, sync, rename).
func (s *Store) Write(d *Day) error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("traffic store: %w", err)
	}
	final := s.path(d.Date)
	tmp, err := os.CreateTemp(s.Dir, ".day-*")
	if err != nil {
		return fmt.Errorf("traffic store: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(encode(d)); err != nil {
		tmp.Close()
		return fmt.Errorf("traffic store: writing %s: %w", final, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("traffic store: writing %s: %w", final, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("traffic store: writing %s: %w", final, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), final)
}

// Read opens one day: its index and paths are read, its series when
// asked for. A day without a file is (nil, nil). Close the result.
func (s *Store) Read(day time.Time) (*DayFile, error) {
	p := s.path(day)
	fh, err := repofs.Open(filepath.Dir(p), filepath.Base(p))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("traffic store: %s: %w", p, err)
	}
	info, err := fh.Stat()
	if err == nil && info.Size() > s.maxFileBytes() {
		err = fmt.Errorf("larger than %d bytes", s.maxFileBytes())
	}
	var f *DayFile
	if err == nil {
		f, err = openDay(fh, info.Size())
	}
	if err == nil && !f.Date.Equal(DayOf(day)) {
		err = fmt.Errorf("holds %s: %w", f.Date.Format(time.DateOnly), ErrCorrupt)
	}
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("traffic store: %s: %w", p, err)
	}
	f.closer = fh
	return f, nil
}

// Load returns day's data as a Day that can take more (empty if none).
func (s *Store) Load(day time.Time) (*Day, error) {
	f, err := s.Read(day)
	if err != nil || f == nil {
		return NewDay(day, s.KeyLimit()), err
	}
	defer f.Close()
	return f.Day(s.KeyLimit())
}

// Days lists the days the store holds, oldest first.
func (s *Store) Days() ([]time.Time, error) {
	ents, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("traffic store: %w", err)
	}
	var days []time.Time
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), dayExt)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if d, err := time.Parse(time.DateOnly, name); err == nil {
			days = append(days, d)
		}
	}
	slices.SortFunc(days, time.Time.Compare)
	return days, nil
}

// Rotate deletes the days before now's retention window, then the oldest
// days while the store is over MaxBytes (never the newest).
func (s *Store) Rotate(now time.Time) error {
	days, err := s.Days()
	if err != nil {
		return err
	}
	cutoff := DayOf(now).AddDate(0, 0, -s.retention()+1)
	var total int64
	sizes := make([]int64, len(days))
	for i, d := range days {
		if fi, err := os.Lstat(s.path(d)); err == nil {
			sizes[i] = fi.Size()
			total += fi.Size()
		}
	}
	var errs []error
	for i, d := range days {
		if i == len(days)-1 || (!d.Before(cutoff) && total <= s.maxBytes()) {
			break
		}
		if err := os.Remove(s.path(d)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		total -= sizes[i]
	}
	return errors.Join(errs...)
}
