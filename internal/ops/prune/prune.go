// Package prune finds peers whose peer file has outlived the peering:
// every session down for weeks (from the session history that peerform
// monitor keeps), the network gone from every exchange we share in
// PeeringDB, or its PeeringDB record gone. Each finding carries the
// evidence a reviewer checks before the file is removed.
package prune

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/ops/history"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// Reason is why a peer is proposed for removal.
type Reason string

const (
	// SessionsDown: every session monitored lately has been down for at
	// least the threshold.
	SessionsDown Reason = "sessions-down"
	// LeftIXPs: PeeringDB lists the network at none of our exchanges.
	LeftIXPs Reason = "left-ixps"
	// NoRecord: PeeringDB has no record of the network any more.
	NoRecord Reason = "no-peeringdb-record"
)

// Candidate is a peer file proposed for removal.
type Candidate struct {
	ASN      bgp.ASN  `json:"asn"`
	Name     string   `json:"name"`
	File     string   `json:"file"`
	Reasons  []Reason `json:"reasons"`
	Evidence []string `json:"evidence"`
}

// PeeringDB is what prune asks PeeringDB: whether a network has a record,
// and its ports at an exchange.
type PeeringDB interface {
	Net(asn bgp.ASN) (peeringdb.Net, bool)
	NetIXLANs(asn bgp.ASN, ixID int) []peeringdb.NetIXLAN
}

// Inputs are what Find judges from. History and PeeringDB may be nil: the
// criteria that need them are then not applied.
type Inputs struct {
	Repo      *intent.Repo
	History   *history.History
	PeeringDB PeeringDB
	// Complete says PeeringDB is a full copy (a sync of the API), in
	// which a missing record means the network is gone. A snapshot may
	// hold only part of PeeringDB: a peer it lacks is not judged by it.
	Complete bool
	Now      time.Time
	// DownFor is the threshold of SessionsDown.
	DownFor time.Duration
}

// Find returns the candidates by AS number. Peers that are requested or
// declined have no sessions and are never candidates; a peer can have
// several reasons.
func Find(in Inputs) []Candidate {
	var out []Candidate
	for _, p := range in.Repo.Peers {
		if !p.Status.Renders() {
			continue
		}
		c := Candidate{ASN: p.ASN, Name: p.Name, File: p.File}
		if ev := sessionsDown(in, p.ASN); ev != nil {
			c.Reasons = append(c.Reasons, SessionsDown)
			c.Evidence = append(c.Evidence, ev...)
		}
		if in.PeeringDB != nil {
			_, known := in.PeeringDB.Net(p.ASN)
			switch {
			case !known && in.Complete:
				c.Reasons = append(c.Reasons, NoRecord)
				c.Evidence = append(c.Evidence, fmt.Sprintf("PeeringDB has no network record for %s", p.ASN))
			case !known: // not in this partial copy: no judgement
			default:
				ev := leftIXPs(in, p)
				if ev == "" {
					break
				}
				c.Reasons = append(c.Reasons, LeftIXPs)
				c.Evidence = append(c.Evidence, ev)
			}
		}
		if len(c.Reasons) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// sessionsDown returns the evidence that every session of the peer
// monitored within the threshold has been down for at least the
// threshold, or nil. Sessions the monitor has not seen for that long
// (removed ones, or a monitor that stopped) prove nothing either way.
func sessionsDown(in Inputs, asn bgp.ASN) []string {
	if in.History == nil || in.DownFor <= 0 {
		return nil
	}
	var ev []string
	for _, s := range in.History.Peer(asn) {
		if in.Now.Sub(s.LastSeen) > in.DownFor {
			continue
		}
		if s.DownFor(in.Now) < in.DownFor {
			return nil
		}
		last := "never seen up"
		if !s.LastUp.IsZero() {
			last = "last up " + s.LastUp.UTC().Format(time.DateOnly)
		}
		e := fmt.Sprintf("%s %s: down since %s (%d days, %s), last seen %s", s.Router, s.Neighbor,
			s.DownSince.UTC().Format(time.DateOnly), int(s.DownFor(in.Now).Hours()/24), last, s.LastSeen.UTC().Format(time.DateOnly))
		if s.LastError != "" {
			e += ", last error: " + oneLine(s.LastError)
		}
		ev = append(ev, e)
	}
	return ev
}

// leftIXPs says which of our PeeringDB exchanges the peer is at none of,
// or "" when it is at one, or when we have none known to PeeringDB.
func leftIXPs(in Inputs, p *intent.Peer) string {
	var ours []string
	for _, x := range in.Repo.IXPs {
		if x.PeeringDBIX == 0 || (len(p.IXPs) > 0 && !slices.Contains(p.IXPs, x.Name)) {
			continue
		}
		if len(in.PeeringDB.NetIXLANs(p.ASN, x.PeeringDBIX)) > 0 {
			return ""
		}
		ours = append(ours, fmt.Sprintf("%s (ix %d)", x.Name, x.PeeringDBIX))
	}
	if len(ours) == 0 {
		return ""
	}
	return fmt.Sprintf("PeeringDB lists %s at none of our exchanges: %s", p.ASN, strings.Join(ours, ", "))
}

// oneLine keeps router text to one bounded line for the evidence.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = strings.ToValidUTF8(s[:120], "") + "…"
	}
	return s
}

// Body is the pull request or commit message body: one section per
// candidate with its evidence, and how to keep a peer instead.
func Body(cs []Candidate, downFor time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "peerform prune proposes removing %d peer file(s). Sessions down counts from the session history of `peerform monitor` (threshold %s); exchanges and records from PeeringDB.\n\n", len(cs), days(downFor))
	for _, c := range cs {
		fmt.Fprintf(&b, "### %s %s (`%s`)\n\n", c.ASN, oneLine(c.Name), c.File)
		for _, e := range c.Evidence {
			fmt.Fprintf(&b, "- %s\n", e)
		}
		b.WriteString("\n")
	}
	b.WriteString("To keep a peer, restore its file in this branch before merging. A peer whose sessions are still configured is better decommissioned first (status = \"decommissioning\"), so deploy shuts its sessions down and checks them.\n")
	return b.String()
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	return d.String()
}
