package rpki

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"slices"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Table is an immutable set of VRPs indexed for RFC 6811 origin validation.
// The zero value and a nil *Table are empty tables: every route is NotFound.
// A Table is safe for concurrent use.
//
// The index exploits that prefixes nest or are disjoint. Per address family,
// the distinct VRP prefixes form a forest (each prefix's parent is the
// nearest shorter prefix containing it), and the address space cuts into
// intervals, each knowing the deepest prefix that contains it. Validating
// route P is then a binary search for P's interval, a walk up the forest to
// the first prefix no longer than P, and a scan of the VRPs on the way up:
// exactly the VRPs covering P.
type Table struct {
	v4, v6 family
}

// NewTable indexes vrps. VRPs that fail [VRP.Check] are left out (loaders
// report them) and exact duplicates are kept once. vrps is not modified.
func NewTable(vrps []VRP) *Table {
	n4 := 0
	for _, v := range vrps {
		if v.Prefix.Addr().Is4() {
			n4++
		}
	}
	v4, v6 := make([]VRP, 0, n4), make([]VRP, 0, len(vrps)-n4)
	for _, v := range vrps {
		if v.Check() != nil {
			continue
		}
		if v.Prefix.Addr().Is4() {
			v4 = append(v4, v)
		} else {
			v6 = append(v6, v)
		}
	}
	t := &Table{}
	t.v4.build(v4, 32)
	t.v6.build(v6, 128)
	return t
}

// Len is the number of distinct VRPs in the table.
func (t *Table) Len() int { return t.Count(bgp.IPv4) + t.Count(bgp.IPv6) }

// Count is the number of distinct VRPs of one address family.
func (t *Table) Count(f bgp.Family) int {
	if t == nil {
		return 0
	}
	if f == bgp.IPv6 {
		return t.v6.count
	}
	return t.v4.count
}

// VRPs returns every VRP, IPv4 first, sorted by prefix, ASN and maxLength.
func (t *Table) VRPs() []VRP {
	if t == nil {
		return nil
	}
	out := make([]VRP, 0, t.Len())
	for _, f := range []*family{&t.v4, &t.v6} {
		for i := range f.nodes {
			out = f.appendVRPs(out, int32(i))
		}
	}
	return out
}

// Validate returns the RFC 6811 state of a route for prefix p originated by
// origin. Pass origin 0 when the AS_PATH ends in an AS_SET (the origin is
// NONE): such a route is never Valid. Host bits in p are ignored. An invalid
// p is NotFound. Validate does not allocate.
func (t *Table) Validate(p netip.Prefix, origin bgp.ASN) State {
	f, n := t.deepest(p)
	if n < 0 {
		return NotFound
	}
	if origin == 0 {
		return Invalid // covered, and no VRP can match origin NONE
	}
	plen := uint8(p.Bits())
	for ; n >= 0; n = f.nodes[n].parent {
		nd := &f.nodes[n]
		if nd.asn == origin && plen <= nd.maxLen {
			return Valid
		}
		for _, e := range f.extra[nd.first:nd.end] {
			if e.asn == origin && plen <= e.maxLen {
				return Valid
			}
		}
	}
	return Invalid
}

// ValidateAll validates a batch of routes; the result is parallel to routes.
func (t *Table) ValidateAll(routes []Route) []State {
	out := make([]State, len(routes))
	for i, r := range routes {
		out[i] = t.Validate(r.Prefix, r.Origin)
	}
	return out
}

// ValidateAny is Validate for a prefix that any of several ASes may
// originate, such as a prefix registered in the IRR for the members of an
// AS-SET: Valid when a covering VRP authorises one of origins at the
// prefix's length, Invalid when VRPs cover the prefix but authorise none of
// them (a filter entry no valid route can use), NotFound otherwise.
func (t *Table) ValidateAny(p netip.Prefix, origins []bgp.ASN) State {
	if !slices.IsSorted(origins) {
		origins = slices.Sorted(slices.Values(origins))
	}
	return t.validateAny(p, origins)
}

// ValidatePrefixes is ValidateAny for each of prefixes, with the same
// origins; the result is parallel to prefixes. It is how the per-peer
// model tags an AS-SET's IRR prefixes with their RPKI state.
func (t *Table) ValidatePrefixes(prefixes []netip.Prefix, origins []bgp.ASN) []State {
	if !slices.IsSorted(origins) {
		origins = slices.Sorted(slices.Values(origins))
	}
	out := make([]State, len(prefixes))
	for i, p := range prefixes {
		out[i] = t.validateAny(p, origins)
	}
	return out
}

// validateAny is ValidateAny with origins sorted.
func (t *Table) validateAny(p netip.Prefix, origins []bgp.ASN) State {
	f, n := t.deepest(p)
	if n < 0 {
		return NotFound
	}
	matches := func(e entry, plen uint8) bool {
		if e.asn == 0 || plen > e.maxLen {
			return false
		}
		_, found := slices.BinarySearch(origins, e.asn)
		return found
	}
	plen := uint8(p.Bits())
	for ; n >= 0; n = f.nodes[n].parent {
		nd := &f.nodes[n]
		if matches(nd.entry, plen) {
			return Valid
		}
		for _, e := range f.extra[nd.first:nd.end] {
			if matches(e, plen) {
				return Valid
			}
		}
	}
	return Invalid
}

// Result is a validation state with the VRPs that decided it.
type Result struct {
	Route
	State State `json:"state"`
	// Covering lists every VRP covering the prefix, most specific first.
	// Empty means NotFound; non-empty with no match means Invalid.
	Covering []VRP `json:"covering"`
	// Matched lists the covering VRPs that make the route Valid.
	Matched []VRP `json:"matched"`
}

// Explain validates like Validate and also returns the VRPs involved, for
// messages such as "invalid: 192.0.2.0/24-24 AS64501 authorises AS64501, not
// AS64500". Covering and Matched are never nil.
func (t *Table) Explain(p netip.Prefix, origin bgp.ASN) Result {
	res := Result{Route: Route{Prefix: p.Masked(), Origin: origin}, Covering: []VRP{}, Matched: []VRP{}}
	f, n := t.deepest(p)
	for ; n >= 0; n = f.nodes[n].parent {
		res.Covering = f.appendVRPs(res.Covering, n)
	}
	for _, v := range res.Covering {
		if v.Matches(res.Prefix, origin) {
			res.Matched = append(res.Matched, v)
		}
	}
	switch {
	case len(res.Matched) > 0:
		res.State = Valid
	case len(res.Covering) > 0:
		res.State = Invalid
	}
	return res
}

// deepest returns the family of p and the most specific VRP prefix node
// covering p, or -1 when no VRP covers it.
func (t *Table) deepest(p netip.Prefix) (*family, int32) {
	if t == nil || !p.IsValid() {
		return nil, -1
	}
	f := &t.v4
	if !p.Addr().Is4() {
		f = &t.v6
	}
	if len(f.nodes) == 0 {
		return f, -1
	}
	plen := uint8(p.Bits())
	n := f.innermost(addrOf(p.Addr()))
	for n >= 0 && f.nodes[n].bits > plen {
		n = f.nodes[n].parent
	}
	return f, n
}

// addr128 is an address as a 128-bit number; IPv4 addresses sit in the top
// 32 bits so that both families share one set of bit operations.
type addr128 struct{ hi, lo uint64 }

func addrOf(a netip.Addr) addr128 {
	if a.Is4() {
		b := a.As4()
		return addr128{hi: uint64(binary.BigEndian.Uint32(b[:])) << 32}
	}
	b := a.As16()
	return addr128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (a addr128) less(b addr128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

func (a addr128) or(b addr128) addr128 { return addr128{a.hi | b.hi, a.lo | b.lo} }

func (a addr128) andNot(b addr128) addr128 { return addr128{a.hi &^ b.hi, a.lo &^ b.lo} }

// ones returns a number with its top n bits set.
func ones(n int) addr128 {
	if n <= 64 {
		return addr128{hi: ^uint64(0) << (64 - n)}
	}
	return addr128{hi: ^uint64(0), lo: ^uint64(0) << (128 - n)}
}

// node is one distinct VRP prefix. It holds only what the walk up the
// forest needs (the prefix's address is in family.starts), and the first of
// the prefix's VRPs inline: most prefixes have one, and at full-table sizes
// each extra memory read is a cache miss.
type node struct {
	parent int32 // nearest shorter VRP prefix containing this one, or -1
	entry        // the prefix's first VRP
	// first and end delimit the prefix's other VRPs in family.extra.
	first, end int32
	bits       uint8
}

// entry is the part of a VRP that is not the prefix.
type entry struct {
	asn    bgp.ASN
	maxLen uint8
}

// cut is where an interval of the address space begins; it runs to the next
// cut. inner is the deepest VRP prefix containing the interval (-1: none).
type cut struct {
	at    addr128
	inner int32
}

// family indexes the VRPs of one address family.
type family struct {
	width  int // address bits: 32 or 128
	nodes  []node
	starts []addr128 // first address of each node's prefix
	extra  []entry   // VRPs after the first of each prefix
	count  int       // VRPs in all
	cuts   []cut
	// bucket[k] is the first cut whose address has top bits >= k (the top
	// 64-shift bits), so a search looks only at the cuts near the address.
	bucket []int32
	shift  uint
}

func (f *family) build(vrps []VRP, width int) {
	f.width = width
	if len(vrps) == 0 {
		return
	}
	slices.SortFunc(vrps, compareVRP) // vrps is NewTable's copy
	vrps = slices.Compact(vrps)

	f.count = len(vrps)
	f.nodes = make([]node, 0, len(vrps))
	f.starts = make([]addr128, 0, len(vrps))
	f.cuts = make([]cut, 0, 2*len(vrps))
	for i, v := range vrps {
		e := entry{asn: v.ASN, maxLen: v.MaxLen}
		if i == 0 || v.Prefix != vrps[i-1].Prefix {
			at := int32(len(f.extra))
			f.nodes = append(f.nodes, node{entry: e, bits: uint8(v.Prefix.Bits()), first: at, end: at})
			f.starts = append(f.starts, addrOf(v.Prefix.Addr()))
			continue
		}
		f.extra = append(f.extra, e)
		f.nodes[len(f.nodes)-1].end++
	}

	// Sorted by address then length, the prefixes come in depth-first
	// order: a prefix right after the prefixes that contain it. A stack of
	// open prefixes gives each its parent and each interval its deepest
	// prefix.
	mark := func(at addr128, n int32) {
		if k := len(f.cuts); k > 0 && f.cuts[k-1].at == at {
			f.cuts[k-1].inner = n // a deeper (or the enclosing) prefix from the same address on
			return
		}
		f.cuts = append(f.cuts, cut{at, n})
	}
	space := ones(width)
	var stack []int32
	closeTop := func() {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		last := f.last(top)
		if last == space {
			return // runs to the end of the address space
		}
		parent := int32(-1)
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		mark(f.next(last), parent)
	}
	for i := range f.nodes {
		for len(stack) > 0 && f.last(stack[len(stack)-1]).less(f.starts[i]) {
			closeTop()
		}
		f.nodes[i].parent = -1
		if len(stack) > 0 {
			f.nodes[i].parent = stack[len(stack)-1]
		}
		stack = append(stack, int32(i))
		mark(f.starts[i], int32(i))
	}
	for len(stack) > 0 {
		closeTop()
	}

	// About one cut per bucket: a lookup then reads one bucket entry and
	// one or two cuts, which matters more than the search's arithmetic
	// because at full-table sizes every read is a cache miss.
	bucketBits := min(max(bits.Len(uint(len(f.cuts))), 4), 20)
	f.shift = uint(64 - bucketBits)
	f.bucket = make([]int32, 1<<bucketBits+1)
	j := 0
	for k := range 1 << bucketBits {
		for j < len(f.cuts) && f.cuts[j].at.hi>>f.shift < uint64(k) {
			j++
		}
		f.bucket[k] = int32(j)
	}
	f.bucket[1<<bucketBits] = int32(len(f.cuts))
}

// last is the highest address inside node n's prefix.
func (f *family) last(n int32) addr128 {
	return f.starts[n].or(ones(f.width).andNot(ones(int(f.nodes[n].bits))))
}

// next is the address after a (which is not the last of the space).
func (f *family) next(a addr128) addr128 {
	if f.width == 32 {
		return addr128{hi: a.hi + 1<<32}
	}
	lo := a.lo + 1
	hi := a.hi
	if lo == 0 {
		hi++
	}
	return addr128{hi, lo}
}

// innermost returns the deepest VRP prefix containing address a, or -1.
func (f *family) innermost(a addr128) int32 {
	k := a.hi >> f.shift
	lo, hi := f.bucket[k], f.bucket[k+1]
	for lo < hi {
		mid := int32(uint32(lo+hi) >> 1)
		if a.less(f.cuts[mid].at) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo == 0 {
		return -1
	}
	return f.cuts[lo-1].inner
}

// appendVRPs appends node n's VRPs to out.
func (f *family) appendVRPs(out []VRP, n int32) []VRP {
	nd := &f.nodes[n]
	start := f.starts[n]
	var addr netip.Addr
	if f.width == 32 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(start.hi>>32))
		addr = netip.AddrFrom4(b)
	} else {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], start.hi)
		binary.BigEndian.PutUint64(b[8:], start.lo)
		addr = netip.AddrFrom16(b)
	}
	p := netip.PrefixFrom(addr, int(nd.bits))
	out = append(out, VRP{Prefix: p, MaxLen: nd.maxLen, ASN: nd.asn})
	for _, e := range f.extra[nd.first:nd.end] {
		out = append(out, VRP{Prefix: p, MaxLen: e.maxLen, ASN: e.asn})
	}
	return out
}
