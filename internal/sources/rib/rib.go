package rib

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gaissmai/bart"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"github.com/osrg/gobgp/v3/pkg/packet/mrt"

	pbgp "github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/repo/repofs"
)

// Route is the route a prefix follows.
type Route struct {
	Prefix netip.Prefix
	// Path is the AS path as received, neighbor first, origin last;
	// AS_SETs are left out. Empty for our own routes.
	Path    []pbgp.ASN
	NextHop netip.Addr
}

// Neighbor is the AS the route was learnt from (0 for our own routes).
func (r Route) Neighbor() pbgp.ASN {
	if len(r.Path) == 0 {
		return 0
	}
	return r.Path[0]
}

// Origin is the AS that originates the prefix (0 for our own routes).
func (r Route) Origin() pbgp.ASN {
	if len(r.Path) == 0 {
		return 0
	}
	return r.Path[len(r.Path)-1]
}

// Table is a read-only routing table. The zero value is empty.
type Table struct {
	lpm    bart.Table[int32]
	routes []Route
}

// Lookup returns the route of the longest prefix that contains a.
func (t *Table) Lookup(a netip.Addr) (Route, bool) {
	i, ok := t.lpm.Lookup(a.Unmap())
	if !ok {
		return Route{}, false
	}
	return t.routes[i], true
}

// Len is the number of prefixes.
func (t *Table) Len() int { return len(t.routes) }

// Routes lists every route, in the order of the dump.
func (t *Table) Routes() []Route { return t.routes }

// Options bound and steer loading.
type Options struct {
	// Peer, when valid, takes each prefix's route from the entry of this
	// peer (the router whose view we want) instead of the first entry.
	Peer netip.Addr
	// MaxRoutes (default 4,000,000: two full tables with room), MaxRecord
	// bytes per MRT record (default 4 MiB) and MaxPath ASNs per path
	// (default 256) bound memory whatever the file holds.
	MaxRoutes int
	MaxRecord int
	MaxPath   int
}

func (o Options) withDefaults() Options {
	if o.MaxRoutes <= 0 {
		o.MaxRoutes = 4_000_000
	}
	if o.MaxRecord <= 0 {
		o.MaxRecord = 4 << 20
	}
	if o.MaxPath <= 0 {
		o.MaxPath = 256
	}
	return o
}

// Report says what a load read and skipped.
type Report struct {
	Records int `json:"records"`
	Routes  int `json:"routes"`
	// Skipped counts records that are not TABLE_DUMP_V2 unicast RIBs
	// (BGP4MP updates, multicast, a GoBGP parse failure) and RIB records
	// with no entry to take.
	Skipped int `json:"skipped"`
}

// ErrTooLarge means the dump exceeds Options' bounds.
var ErrTooLarge = errors.New("routing table too large")

// LoadFile reads an MRT dump from a regular file, plain, gzip or bzip2.
func LoadFile(path string, o Options) (*Table, Report, error) {
	f, err := repofs.Open(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return nil, Report{}, fmt.Errorf("reading routes from %s: %w", path, err)
	}
	defer f.Close()
	t, rep, err := Load(f, o)
	if err != nil {
		return nil, rep, fmt.Errorf("reading routes from %s: %w", path, err)
	}
	return t, rep, nil
}

// Load reads an MRT dump, plain, gzip or bzip2 (recognised by their magic
// numbers).
func Load(r io.Reader, o Options) (*Table, Report, error) {
	o = o.withDefaults()
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(3)
	var in io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, Report{}, fmt.Errorf("gzip: %w", err)
		}
		in = bufio.NewReaderSize(z, 64<<10)
	case bytes.HasPrefix(magic, []byte("BZh")):
		in = bufio.NewReaderSize(bzip2.NewReader(br), 64<<10)
	}
	var rep Report
	var peers []netip.Addr // the current peer index table
	// A file may hold several dumps: BIRD's periodic mrt protocol
	// appends one per period to the same file, one per table (view).
	// A later dump of a view replaces the earlier one; views add up.
	views := map[string][]Route{}
	var order []string
	view, total := "", 0
	interned := map[string][]pbgp.ASN{}
	hdr := make([]byte, mrt.MRT_COMMON_HEADER_LEN)
	var body []byte
	for {
		if _, err := io.ReadFull(in, hdr); err != nil {
			if err == io.EOF {
				break
			}
			return nil, rep, fmt.Errorf("MRT record %d: header: %w", rep.Records+1, err)
		}
		rep.Records++
		n := binary.BigEndian.Uint32(hdr[8:])
		if int64(n) > int64(o.MaxRecord) {
			return nil, rep, fmt.Errorf("MRT record %d: %d bytes: %w (limit %d)", rep.Records, n, ErrTooLarge, o.MaxRecord)
		}
		body = slices.Grow(body[:0], int(n))[:n]
		if _, err := io.ReadFull(in, body); err != nil {
			return nil, rep, fmt.Errorf("MRT record %d: truncated: %w", rep.Records, err)
		}
		msg, err := parse(hdr, body)
		if err != nil {
			rep.Skipped++
			continue
		}
		switch b := msg.Body.(type) {
		case *mrt.PeerIndexTable:
			peers = peers[:0]
			for _, p := range b.Peers {
				a, _ := netip.AddrFromSlice(p.IpAddress)
				peers = append(peers, a.Unmap())
			}
			view = b.ViewName
			if _, seen := views[view]; !seen {
				order = append(order, view)
			}
			total -= len(views[view])
			views[view] = views[view][:0]
		case *mrt.Rib:
			if b.RouteFamily != bgp.RF_IPv4_UC && b.RouteFamily != bgp.RF_IPv6_UC {
				rep.Skipped++
				continue
			}
			rt, ok := route(b, peers, o, interned)
			if !ok {
				rep.Skipped++
				continue
			}
			if total >= o.MaxRoutes {
				return nil, rep, fmt.Errorf("%w: more than %d routes", ErrTooLarge, o.MaxRoutes)
			}
			if _, seen := views[view]; !seen {
				order = append(order, view)
			}
			views[view] = append(views[view], rt)
			total++
		default:
			rep.Skipped++
		}
	}
	t := &Table{routes: make([]Route, 0, total)}
	for _, v := range order {
		for _, rt := range views[v] {
			if _, dup := t.lpm.Get(rt.Prefix); dup {
				continue // a prefix dumped twice (ADD-PATH, two views): keep the first
			}
			t.lpm.Insert(rt.Prefix, int32(len(t.routes)))
			t.routes = append(t.routes, rt)
		}
	}
	rep.Routes = len(t.routes)
	return t, rep, nil
}

// parse runs GoBGP's MRT parser on one record. GoBGP slices its input
// without checking lengths in places, so a crafted record can make it
// panic; that is a malformed record like any other.
func parse(hdr, body []byte) (msg *mrt.MRTMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, fmt.Errorf("malformed MRT record: %v", r)
		}
	}()
	var h mrt.MRTHeader
	if err := h.DecodeFromBytes(hdr); err != nil {
		return nil, err
	}
	if h.Type != mrt.TABLE_DUMPv2 {
		return nil, fmt.Errorf("MRT type %d is not TABLE_DUMP_V2", h.Type)
	}
	if h.SubType == uint16(mrt.RIB_IPV4_UNICAST) || h.SubType == uint16(mrt.RIB_IPV6_UNICAST) {
		body = fixWellKnownFlags(body)
	}
	return mrt.ParseMRTBody(&h, body)
}

// fixWellKnownFlags returns a RIB_IPV4/IPV6_UNICAST body with the flags
// of well-known attributes (ORIGIN, AS_PATH, NEXT_HOP, LOCAL_PREF,
// ATOMIC_AGGREGATE) set to transitive, as RFC 4271 has them. BIRD 2.0
// writes NEXT_HOP and LOCAL_PREF with no flags in its MRT dumps, and GoBGP
// refuses the whole record for it. A body that does not add up is
// returned as it is, for GoBGP to judge.
func fixWellKnownFlags(body []byte) []byte {
	if len(body) < 5 {
		return body
	}
	i := 5 + (int(body[4])+7)/8
	if i+2 > len(body) {
		return body
	}
	out := slices.Clone(body)
	entries := int(binary.BigEndian.Uint16(out[i:]))
	i += 2
	for range entries {
		if i+8 > len(out) {
			return body
		}
		alen := int(binary.BigEndian.Uint16(out[i+6:]))
		i += 8
		end := i + alen
		if end > len(out) {
			return body
		}
		for i < end {
			if i+3 > end {
				return body
			}
			flags, typ := out[i], out[i+1]
			n, hl := int(out[i+2]), 3
			if flags&0x10 != 0 {
				if i+4 > end {
					return body
				}
				n, hl = int(binary.BigEndian.Uint16(out[i+2:])), 4
			}
			switch typ {
			case 1, 2, 3, 5, 6:
				out[i] = 0x40 | flags&0x10
			}
			i += hl + n
		}
		if i != end {
			return body
		}
	}
	return out
}

// route picks the entry of a RIB record and reads its path and next hop.
func route(b *mrt.Rib, peers []netip.Addr, o Options, interned map[string][]pbgp.ASN) (Route, bool) {
	pfx, err := netip.ParsePrefix(b.Prefix.String())
	if err != nil {
		return Route{}, false
	}
	var e *mrt.RibEntry
	for _, c := range b.Entries {
		if !o.Peer.IsValid() || (int(c.PeerIndex) < len(peers) && peers[c.PeerIndex] == o.Peer) {
			e = c
			break
		}
	}
	if e == nil {
		return Route{}, false
	}
	rt := Route{Prefix: pfx.Masked()}
	var key strings.Builder
	for _, a := range e.PathAttributes {
		switch v := a.(type) {
		case *bgp.PathAttributeAsPath:
			for _, seg := range v.Value {
				if seg.GetType() == bgp.BGP_ASPATH_ATTR_TYPE_SET {
					continue
				}
				for _, as := range seg.GetAS() {
					if len(rt.Path) < o.MaxPath {
						rt.Path = append(rt.Path, pbgp.ASN(as))
						key.WriteString(strconv.FormatUint(uint64(as), 10))
						key.WriteByte(' ')
					}
				}
			}
		case *bgp.PathAttributeNextHop:
			if nh, ok := netip.AddrFromSlice(v.Value); ok {
				rt.NextHop = nh.Unmap()
			}
		case *bgp.PathAttributeMpReachNLRI:
			if nh, ok := netip.AddrFromSlice(v.Nexthop); ok && !rt.NextHop.IsValid() {
				rt.NextHop = nh.Unmap()
			}
		}
	}
	// Full tables repeat a few hundred thousand paths over a million
	// prefixes: share them.
	if p, ok := interned[key.String()]; ok {
		rt.Path = p
	} else if len(interned) < o.MaxRoutes {
		interned[key.String()] = rt.Path
	}
	return rt, true
}
