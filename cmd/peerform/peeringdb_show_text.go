package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// writePeeringDBShow prints a network for people: its record, then its
// facilities, then its IXPs with one line per port.
func writePeeringDBShow(w io.Writer, r pdbShowResult) {
	if n := r.Net; n != nil {
		fmt.Fprintf(w, "%s  %s", r.ASN, n.Name)
		if n.AKA != "" {
			fmt.Fprintf(w, " (%s)", n.AKA)
		}
		fmt.Fprintf(w, "\n  type %s, ratio %s, traffic %s, scope %s, policy %s\n",
			pdbOrDash(n.InfoType), pdbOrDash(n.InfoRatio), pdbOrDash(n.InfoTraffic), pdbOrDash(n.InfoScope), pdbOrDash(n.PolicyGeneral))
		fmt.Fprintf(w, "  prefixes: IPv4 %s, IPv6 %s\n", pdbCount(n.InfoPrefixes4), pdbCount(n.InfoPrefixes6))
		fmt.Fprintf(w, "  AS-SET: %s (irr_as_set %q)\n", pdbOrDash(strings.Join(r.ASSets, " ")), n.IRRASSet)
		fmt.Fprintf(w, "  PeeringDB net %d, updated %s\n", n.ID, pdbDate(n.Updated))
	} else {
		fmt.Fprintf(w, "%s  (no net record in this snapshot)\n", r.ASN)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}

	var facs, ixs []pdbShowPoP
	total := 0
	for _, p := range r.PoPs {
		if p.Kind == peeringdb.KindFac {
			facs = append(facs, p)
		} else {
			ixs = append(ixs, p)
			total += p.SpeedMbps
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nFacilities (%d):\n", len(facs))
	for _, p := range facs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Key(), pdbTrunc(p.Name), pdbPlace(p.PoP), pdbCoords(p.PoP))
	}
	tw.Flush()
	// One line per port; the IXP's own columns only on its first port.
	fmt.Fprintf(tw, "\nIXPs (%d, %s in total):\n", len(ixs), pdbSpeed(total))
	if len(ixs) > 0 {
		fmt.Fprintln(tw, "  ix\tname\tplace\tcapacity\tIPv4\tIPv6\tport\t")
	}
	for _, p := range ixs {
		head := fmt.Sprintf("  %s\t%s\t%s\t%s", p.Key(), pdbTrunc(p.Name), pdbPlace(p.PoP), pdbSpeed(p.SpeedMbps))
		if len(p.Ports) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t\n", head)
		}
		for i, port := range p.Ports {
			if i > 0 {
				head = "  \t\t\t"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", head, pdbAddr(port.IPv4.String(), port.IPv4.IsValid()),
				pdbAddr(port.IPv6.String(), port.IPv6.IsValid()), pdbSpeed(port.SpeedMbps), pdbPortFlags(port))
		}
	}
	tw.Flush()
	m := r.Source
	fmt.Fprintf(w, "\nData: %s (generated %s, newest change %s", m.Source, pdbDate(m.Generated), pdbDate(m.Newest))
	if !m.Synced.IsZero() {
		fmt.Fprintf(w, ", synced %s", m.Synced.Format(time.RFC3339))
	}
	fmt.Fprintln(w, ")")
}

// pdbTrunc shortens long names so that one does not widen the whole table
// (--json has them in full).
func pdbTrunc(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:39]) + "…"
	}
	return s
}

func pdbPlace(p peeringdb.PoP) string {
	return strings.Trim(p.City+", "+p.Country, ", ")
}

func pdbCoords(p peeringdb.PoP) string {
	if !p.HasLocation {
		return "no location"
	}
	return fmt.Sprintf("%.4f, %.4f", p.Lat, p.Lon)
}

// speed prints Mbit/s the way port speeds are spoken of: 10G, 1.2T, 100M.
func pdbSpeed(mbps int) string {
	switch {
	case mbps >= 1_000_000:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", float64(mbps)/1e6), "0"), ".") + "T"
	case mbps >= 1000:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", float64(mbps)/1e3), "0"), ".") + "G"
	default:
		return fmt.Sprintf("%dM", mbps)
	}
}

func pdbPortFlags(p peeringdb.NetIXLAN) string {
	var f []string
	if p.IsRSPeer {
		f = append(f, "rs-peer")
	}
	if !p.Operational {
		f = append(f, "not operational")
	}
	return strings.Join(f, ", ")
}

func pdbOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func pdbCount(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func pdbAddr(s string, ok bool) string {
	if !ok {
		return "-"
	}
	return s
}

func pdbDate(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateOnly)
}
