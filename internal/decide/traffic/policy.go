package traffic

import (
	"net/netip"
	"path/filepath"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/rib"
)

// StoreOf is the store a repository's traffic block names, relative to
// the repository at dir.
func StoreOf(t intent.Traffic, dir string) *Store {
	return &Store{Dir: filepath.Join(dir, t.Store), Retention: t.RetentionDays}
}

// NewAttributor classifies flows as a repository's policy says: its link
// blocks, the LANs its ixp blocks give and its own prefixes, with routes
// (nil: none).
func NewAttributor(repo *intent.Repo, routes *rib.Table) *Attributor {
	a := &Attributor{Routes: routes, Local: repo.Network.Prefixes}
	for _, x := range repo.IXPs {
		for _, p := range []netip.Prefix{x.IPv4LAN, x.IPv6LAN} {
			if p.IsValid() {
				a.IXPLANs = append(a.IXPLANs, p)
			}
		}
	}
	for _, l := range repo.Traffic.Links {
		c, _ := ParseClass(l.Class) // validated by intent
		a.Links = append(a.Links, Link{Name: l.Name, Class: c, Neighbor: l.NeighborASN, Exporter: l.Exporter,
			IfIndexes: l.IfIndexes, NextHops: l.NextHops})
	}
	return a
}
