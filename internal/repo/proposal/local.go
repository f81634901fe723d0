package proposal

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Author signs a local commit.
type Author struct {
	Name, Email string
	When        time.Time
}

// Local commits the change on a new branch of the repository at dir, whose
// parent is HEAD: the objects are written directly, so the working tree,
// the index and the checked-out branch stay as they are. It returns the
// commit's hash.
func Local(dir string, c Change, a Author) (string, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: false})
	if err != nil {
		return "", fmt.Errorf("%s: %w", dir, err)
	}
	ref := plumbing.NewBranchReferenceName(c.Branch)
	if _, err := r.Reference(ref, false); err == nil {
		return "", fmt.Errorf("branch %s already exists", c.Branch)
	}
	head, err := r.Head()
	if err != nil {
		return "", fmt.Errorf("HEAD: %w", err)
	}
	parent, err := r.CommitObject(head.Hash())
	if err != nil {
		return "", err
	}
	root, err := parent.Tree()
	if err != nil {
		return "", err
	}
	edits := map[string]*[]byte{}
	for _, p := range c.Remove {
		edits[p] = nil
	}
	for p, data := range c.Write {
		edits[p] = &data
	}
	tree, err := edit(r.Storer, root, "", edits)
	if err != nil {
		return "", err
	}
	if len(edits) > 0 {
		var missing []string
		for p := range edits {
			missing = append(missing, p)
		}
		slices.Sort(missing)
		return "", fmt.Errorf("not in HEAD's tree: %s", strings.Join(missing, ", "))
	}
	sig := object.Signature{Name: a.Name, Email: a.Email, When: a.When}
	commit := &object.Commit{Author: sig, Committer: sig, Message: c.message(), TreeHash: tree, ParentHashes: []plumbing.Hash{parent.Hash}}
	h, err := store(r.Storer, commit)
	if err != nil {
		return "", err
	}
	if err := r.Storer.SetReference(plumbing.NewHashReference(ref, h)); err != nil {
		return "", err
	}
	return h.String(), nil
}

// encodable is a git object go-git can encode.
type encodable interface {
	Encode(plumbing.EncodedObject) error
}

func store(s storer.EncodedObjectStorer, o encodable) (plumbing.Hash, error) {
	obj := s.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.SetEncodedObject(obj)
}

// edit returns the hash of tree with the edits under prefix applied: a
// nil value removes the file (which must exist), a value writes it. Edits
// it applied are deleted from the map; a removal that finds nothing stays
// in it, for the caller to report.
func edit(s storer.EncodedObjectStorer, tree *object.Tree, prefix string, edits map[string]*[]byte) (plumbing.Hash, error) {
	entries := slices.Clone(tree.Entries)
	sub := map[string]bool{} // subdirectories with edits
	for p, data := range edits {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if dir, _, nested := strings.Cut(rest, "/"); nested {
			sub[dir] = true
			continue
		}
		i := slices.IndexFunc(entries, func(e object.TreeEntry) bool { return e.Name == rest })
		if data == nil {
			if i < 0 || entries[i].Mode != filemode.Regular && entries[i].Mode != filemode.Executable {
				continue // reported by the caller
			}
			entries = slices.Delete(entries, i, i+1)
		} else {
			blob := s.NewEncodedObject()
			blob.SetType(plumbing.BlobObject)
			w, err := blob.Writer()
			if err != nil {
				return plumbing.ZeroHash, err
			}
			if _, err := w.Write(*data); err != nil {
				return plumbing.ZeroHash, err
			}
			w.Close()
			h, err := s.SetEncodedObject(blob)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			e := object.TreeEntry{Name: rest, Mode: filemode.Regular, Hash: h}
			if i >= 0 {
				if entries[i].Mode != filemode.Regular && entries[i].Mode != filemode.Executable {
					return plumbing.ZeroHash, fmt.Errorf("%s%s is not a regular file", prefix, rest)
				}
				entries[i] = e
			} else {
				entries = append(entries, e)
			}
		}
		delete(edits, p)
	}
	for dir := range sub {
		i := slices.IndexFunc(entries, func(e object.TreeEntry) bool { return e.Name == dir })
		child := &object.Tree{}
		if i >= 0 {
			if entries[i].Mode != filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("%s%s is not a directory", prefix, dir)
			}
			t, err := object.GetTree(s, entries[i].Hash)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			child = t
		}
		h, err := edit(s, child, prefix+dir+"/", edits)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		switch {
		case h == emptyTree && i >= 0:
			entries = slices.Delete(entries, i, i+1) // git has no empty directories
		case h == emptyTree:
		case i >= 0:
			entries[i].Hash = h
		default:
			entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
		}
	}
	// Git orders tree entries by name, directories as if they ended in "/".
	slices.SortFunc(entries, func(a, b object.TreeEntry) int {
		return strings.Compare(sortName(a), sortName(b))
	})
	return store(s, &object.Tree{Entries: entries})
}

// emptyTree is the hash of the tree with no entries.
var emptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

func sortName(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}
