package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// PeerView is a session as one of the lab's peers sees it.
type PeerView struct {
	Link
	Established bool
}

// PeerSessions reports, from the peers' side, the state of every session
// in the topology. It is independent of peerform's device drivers, so tests
// can use it to cross-check them.
func (l *Lab) PeerSessions(ctx context.Context) ([]PeerView, error) {
	up := map[string]bool{} // peer + "|" + neighbor address
	for _, pr := range l.Topology.Peers {
		if pr.Daemon == "bird" {
			out, err := l.Birdc(ctx, pr.Name, "show protocols")
			if err != nil {
				return nil, err
			}
			for _, ln := range l.Topology.Links() {
				if ln.Peer != pr.Name {
					continue
				}
				name := protoName(ln.Router) + "_" + ln.Family.String()
				for _, row := range strings.Split(out, "\n") {
					f := strings.Fields(row)
					if len(f) >= 6 && f[0] == name && f[1] == "BGP" && f[3] == "up" && strings.Contains(row, "Established") {
						up[pr.Name+"|"+ln.Local.String()] = true
					}
				}
			}
			continue
		}
		out, err := l.GoBGP(ctx, pr.Name, "neighbor", "-j")
		if err != nil {
			return nil, err
		}
		var ns []struct {
			Conf struct {
				NeighborAddress string `json:"neighbor_address"`
			} `json:"conf"`
			State struct {
				SessionState int `json:"session_state"`
			} `json:"state"`
		}
		if err := json.Unmarshal([]byte(out), &ns); err != nil {
			return nil, fmt.Errorf("lab: gobgp neighbor -j on %s: %w", pr.Name, err)
		}
		for _, n := range ns {
			if a, err := netip.ParseAddr(n.Conf.NeighborAddress); err == nil && n.State.SessionState == 6 {
				up[pr.Name+"|"+a.String()] = true
			}
		}
	}
	var out []PeerView
	for _, ln := range l.Topology.Links() {
		out = append(out, PeerView{Link: ln, Established: up[ln.Peer+"|"+ln.Local.String()]})
	}
	return out, nil
}

// WaitSessions waits until every listed link is Established as seen from
// the peer, and returns how long that took.
func (l *Lab) WaitSessions(ctx context.Context, links []Link, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	err := WaitFor(ctx, "BGP sessions", timeout, func() error {
		views, err := l.PeerSessions(ctx)
		if err != nil {
			return err
		}
		var down []string
		for _, want := range links {
			for _, v := range views {
				if v.Link == want && !v.Established {
					down = append(down, fmt.Sprintf("%s-%s/%s", want.Router, want.Peer, want.Family))
				}
			}
		}
		if len(down) > 0 {
			return fmt.Errorf("not Established: %s", strings.Join(down, ", "))
		}
		return nil
	})
	return time.Since(start), err
}

// LinksOf filters links by router and peer name (empty = any) and family
// (0 = any).
func LinksOf(links []Link, router, peer string, fam bgp.Family) []Link {
	var out []Link
	for _, ln := range links {
		if (router == "" || ln.Router == router) && (peer == "" || ln.Peer == peer) && (fam == 0 || ln.Family == fam) {
			out = append(out, ln)
		}
	}
	return out
}
