package request

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/repo/skeleton"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// ErrAlreadyPeer is returned (wrapped) when the network has a peer file
// with a status other than requested.
var ErrAlreadyPeer = errors.New("already a peer")

// WithPeer returns the repository with the network requested. When its
// peer file exists with status requested, that is repo itself and file is
// nil; otherwise file is the new peers/AS<n>.hcl (skeleton.PeerFile, with
// notes on what PeeringDB gave that could not be used) and the repository
// is loaded again from fsys with it added, so that it is validated with
// everything else. diags are that load's, when it failed.
func WithPeer(fsys fs.FS, repo *intent.Repo, net peeringdb.Net) (withPeer *intent.Repo, file *skeleton.File, notes []string, diags hcl.Diagnostics, err error) {
	if p := repo.Peer(net.ASN); p != nil {
		if p.Status != intent.StatusRequested {
			return nil, nil, nil, nil, fmt.Errorf("%s is %w (%s, status %s)", net.ASN, ErrAlreadyPeer, p.File, p.Status)
		}
		return repo, nil, nil, nil, nil
	}
	f, notes := skeleton.PeerFile(net, repo.Network, intent.StatusRequested)
	withPeer, diags = intent.Load(overlayFS{FS: fsys, name: f.Path, data: f.Data})
	if diags.HasErrors() {
		return withPeer, nil, notes, diags, fmt.Errorf("the requested peer file %s does not validate with the repository", f.Path)
	}
	return withPeer, &f, notes, nil, nil
}

// overlayFS is a repository with one more file.
type overlayFS struct {
	fs.FS
	name string
	data []byte
}

func (o overlayFS) Open(name string) (fs.File, error) {
	if name == o.name {
		return o.file().Open(name)
	}
	return o.FS.Open(name)
}

func (o overlayFS) ReadDir(dir string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(o.FS, dir)
	if dir != path.Dir(o.name) || err != nil && !errors.Is(err, fs.ErrNotExist) {
		return entries, err
	}
	mine, err := fs.ReadDir(o.file(), dir)
	if err != nil {
		return nil, err
	}
	entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return e.Name() == path.Base(o.name) })
	entries = append(entries, mine...)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// file is the added file alone; fstest.MapFS is the standard library's
// in-memory file system (it does not depend on package testing).
func (o overlayFS) file() fs.FS { return fstest.MapFS{o.name: {Data: o.data, Mode: 0o644}} }
