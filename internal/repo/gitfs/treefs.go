package gitfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// entry is one line of a git tree.
type entry struct {
	name string
	mode fs.FileMode
	hash Hash
	size int64 // bytes for blobs, 0 for trees and submodules
}

// objects reads trees and blobs; both backends implement it.
type objects interface {
	// readTree returns the entries of a tree object in any order.
	readTree(ctx context.Context, tree Hash) ([]entry, error)
	// readBlob returns a blob's content, or an error wrapping
	// ErrFileTooLarge when it is larger than max bytes.
	readBlob(ctx context.Context, blob Hash, max int64) ([]byte, error)
}

// Git's tree entry modes (the octal numbers of `git ls-tree`), mapped to
// io/fs modes.
const (
	gitModeTree       = 0o040000
	gitModeFile       = 0o100644
	gitModeExecutable = 0o100755
	gitModeSymlink    = 0o120000
	gitModeSubmodule  = 0o160000
)

// fsMode maps a git tree entry mode to an io/fs mode. Unknown modes become
// irregular files, which Open refuses.
func fsMode(gitMode uint32) fs.FileMode {
	switch gitMode {
	case gitModeTree:
		return fs.ModeDir | 0o755
	case gitModeFile, 0o100664: // 100664 appears in very old repositories
		return 0o644
	case gitModeExecutable:
		return 0o755
	case gitModeSymlink:
		return fs.ModeSymlink | 0o777
	}
	return fs.ModeIrregular
}

// treeFS is the tree of one commit as an io/fs.FS. io/fs has no context, so
// the one given to Repo.FS bounds every later read.
type treeFS struct {
	ctx  context.Context
	objs objects
	root Hash
	max  int64

	mu    sync.Mutex
	trees map[Hash]*dirListing
}

// dirListing is a tree's entries sorted by name, with an index.
type dirListing struct {
	entries []entry
	byName  map[string]int
}

var (
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
)

func newTreeFS(ctx context.Context, objs objects, root Hash, max int64) *treeFS {
	return &treeFS{ctx: ctx, objs: objs, root: root, max: max, trees: map[Hash]*dirListing{}}
}

func (t *treeFS) listing(h Hash) (*dirListing, error) {
	t.mu.Lock()
	l, ok := t.trees[h]
	t.mu.Unlock()
	if ok {
		return l, nil
	}
	entries, err := t.objs.readTree(t.ctx, h)
	if err != nil {
		return nil, err
	}
	// io/fs cannot name ".", ".." or a name with a slash inside a
	// directory; git refuses to write such trees, a crafted one is skipped.
	kept := entries[:0]
	for _, e := range entries {
		if e.name != "." && e.name != ".." && fs.ValidPath(e.name) && !strings.Contains(e.name, "/") {
			kept = append(kept, e)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].name < kept[j].name })
	l = &dirListing{entries: kept, byName: make(map[string]int, len(kept))}
	for i, e := range kept {
		l.byName[e.name] = i
	}
	t.mu.Lock()
	t.trees[h] = l
	t.mu.Unlock()
	return l, nil
}

// lookup finds the entry for a valid io/fs path; "." is the root tree.
func (t *treeFS) lookup(op, name string) (entry, error) {
	if !fs.ValidPath(name) {
		return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	cur := entry{name: ".", mode: fs.ModeDir | 0o755, hash: t.root}
	if name == "." {
		return cur, nil
	}
	for _, part := range strings.Split(name, "/") {
		if !cur.mode.IsDir() {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		l, err := t.listing(cur.hash)
		if err != nil {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
		i, ok := l.byName[part]
		if !ok {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		cur = l.entries[i]
	}
	return cur, nil
}

// Open opens a file or directory. Symbolic links and submodules cannot be
// opened; they appear in directory listings with their modes.
func (t *treeFS) Open(name string) (fs.File, error) {
	e, err := t.lookup("open", name)
	if err != nil {
		return nil, err
	}
	info := fileInfo{e: e, base: path.Base(name)}
	switch {
	case e.mode.IsDir():
		l, err := t.listing(e.hash)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &dirFile{info: info, entries: l.entries}, nil
	case e.mode.IsRegular():
		if e.size > t.max {
			return nil, &fs.PathError{Op: "open", Path: name,
				Err: fmt.Errorf("%w: %d bytes, the limit is %d", ErrFileTooLarge, e.size, t.max)}
		}
		data, err := t.objs.readBlob(t.ctx, e.hash, t.max)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &blobFile{info: info, r: bytes.NewReader(data)}, nil
	case e.mode&fs.ModeSymlink != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrSymlink}
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("a submodule or an unknown entry type")}
}

// ReadFile returns a file's content without an intermediate fs.File.
func (t *treeFS) ReadFile(name string) ([]byte, error) {
	f, err := t.Open(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errors.Unwrap(err)}
	}
	defer f.Close()
	bf, ok := f.(*blobFile)
	if !ok {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errors.New("is a directory")}
	}
	return io.ReadAll(bf.r)
}

// ReadDir lists a directory sorted by name.
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := t.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !e.mode.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	l, err := t.listing(e.hash)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, len(l.entries))
	for i, c := range l.entries {
		out[i] = fileInfo{e: c, base: c.name}
	}
	return out, nil
}

// Stat describes a path without reading a blob.
func (t *treeFS) Stat(name string) (fs.FileInfo, error) {
	e, err := t.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return fileInfo{e: e, base: path.Base(name)}, nil
}

// fileInfo is both the fs.FileInfo and the fs.DirEntry of a tree entry.
// Trees carry no times, so ModTime is the zero time.
type fileInfo struct {
	e    entry
	base string
}

func (fi fileInfo) Name() string               { return fi.base }
func (fi fileInfo) Size() int64                { return fi.e.size }
func (fi fileInfo) Mode() fs.FileMode          { return fi.e.mode }
func (fi fileInfo) ModTime() time.Time         { return time.Time{} }
func (fi fileInfo) IsDir() bool                { return fi.e.mode.IsDir() }
func (fi fileInfo) Sys() any                   { return nil }
func (fi fileInfo) Type() fs.FileMode          { return fi.e.mode.Type() }
func (fi fileInfo) Info() (fs.FileInfo, error) { return fi, nil }
func (fi fileInfo) String() string             { return fs.FormatFileInfo(fi) }

// blobFile is an open regular file; its content is already in memory
// (bounded by the size limit).
type blobFile struct {
	info fileInfo
	r    *bytes.Reader
}

func (f *blobFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *blobFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *blobFile) Close() error               { return nil }

// ReadAt and Seek let callers treat the file like an *os.File.
func (f *blobFile) ReadAt(p []byte, off int64) (int, error) { return f.r.ReadAt(p, off) }
func (f *blobFile) Seek(off int64, whence int) (int64, error) {
	return f.r.Seek(off, whence)
}

// dirFile is an open directory.
type dirFile struct {
	info    fileInfo
	entries []entry
	off     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.base, Err: errors.New("is a directory")}
}

// ReadDir follows fs.ReadDirFile: n <= 0 returns the rest, n > 0 at most n
// entries and io.EOF at the end.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := len(d.entries) - d.off
	if n > 0 && rest == 0 {
		return nil, io.EOF
	}
	if n <= 0 || n > rest {
		n = rest
	}
	out := make([]fs.DirEntry, n)
	for i := range out {
		c := d.entries[d.off+i]
		out[i] = fileInfo{e: c, base: c.name}
	}
	d.off += n
	return out, nil
}
