package irr

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// Range is a prefix-list entry: every prefix inside Prefix whose length is
// between Min and Max ("Prefix ge Min le Max"). An exact entry has
// Min == Max == Prefix.Bits().
type Range struct {
	Prefix   netip.Prefix
	Min, Max int
}

// Exact reports whether the range is the single prefix.
func (r Range) Exact() bool { return r.Min == r.Prefix.Bits() && r.Max == r.Prefix.Bits() }

// String prints the range the way Cisco-style prefix lists read:
// "10.0.0.0/23 ge 24 le 24", "10.0.0.0/23 le 24" or "10.0.0.0/24".
func (r Range) String() string {
	s := r.Prefix.String()
	switch {
	case r.Exact():
		return s
	case r.Min > r.Prefix.Bits():
		return s + " ge " + itoa(r.Min) + " le " + itoa(r.Max)
	default:
		return s + " le " + itoa(r.Max)
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Aggregate turns a prefix list into a shorter list of ranges that matches
// exactly the same prefixes, the way bgpq4 -A does, so that generated
// filters are identical to what operators get from bgpq4: sibling prefixes
// of equal length fold into their parent ("ge/le"), and a prefix whose two
// halves are both present absorbs them ("le"). Prefixes are masked and
// de-duplicated first; IPv4 ranges come before IPv6, each in address order.
// The input is not modified.
func Aggregate(prefixes []netip.Prefix) []Range {
	var t4, t6 trie
	for _, p := range prefixes {
		if !p.IsValid() {
			continue
		}
		p = p.Masked()
		if p.Addr().Is4() {
			t4.insert(p)
		} else {
			t6.insert(p)
		}
	}
	out := make([]Range, 0, len(prefixes)/2)
	for _, t := range []*trie{&t4, &t6} {
		if t.root != nil {
			t.root.aggregate()
			out = t.root.emit(out)
		}
	}
	return out
}

// trie is a path-compressed binary trie of prefixes. Besides the inserted
// prefixes it holds "glue" nodes where two branches part. The aggregation
// rules below depend on exactly this shape (a child is either one bit
// longer than its parent or further down a compressed path).
type trie struct {
	root *node
	free []node // nodes are allocated in chunks: far fewer, cheaper allocations
}

func (t *trie) newNode(n node) *node {
	if len(t.free) == 0 {
		t.free = make([]node, 1024)
	}
	p := &t.free[0]
	t.free = t.free[1:]
	*p = n
	return p
}

type node struct {
	p     netip.Prefix
	l, r  *node
	glue  bool // a branching point, not a prefix of the list
	agg   bool // stands for the lengths lo..hi below p
	lo    int
	hi    int
	extra *node // a second range rooted at the same prefix
}

func (t *trie) insert(p netip.Prefix) {
	link := &t.root
	for {
		n := *link
		if n == nil {
			*link = t.newNode(node{p: p})
			return
		}
		common := commonBits(p, n.p)
		switch {
		case common < p.Bits() && common < n.p.Bits():
			// p and n part below common: join them under a glue node.
			g := t.newNode(node{p: netip.PrefixFrom(p.Addr(), common).Masked(), glue: true})
			if bitAt(p.Addr(), common) {
				g.l, g.r = n, t.newNode(node{p: p})
			} else {
				g.l, g.r = t.newNode(node{p: p}), n
			}
			*link = g
			return
		case common == p.Bits() && common < n.p.Bits():
			// p contains n.
			nn := t.newNode(node{p: p})
			if bitAt(n.p.Addr(), common) {
				nn.r = n
			} else {
				nn.l = n
			}
			*link = nn
			return
		case common == n.p.Bits() && common < p.Bits():
			// n contains p: descend.
			if bitAt(p.Addr(), common) {
				link = &n.r
			} else {
				link = &n.l
			}
		default:
			n.glue = false // same prefix, perhaps a former branching point
			return
		}
	}
}

// commonBits counts the leading bits a and b share, up to the shorter
// length.
func commonBits(a, b netip.Prefix) int {
	limit := min(a.Bits(), b.Bits())
	var n int
	if a.Addr().Is4() {
		x, y := a.Addr().As4(), b.Addr().As4()
		n = bits.LeadingZeros32(binary.BigEndian.Uint32(x[:]) ^ binary.BigEndian.Uint32(y[:]))
	} else {
		x, y := a.Addr().As16(), b.Addr().As16()
		hi := binary.BigEndian.Uint64(x[:8]) ^ binary.BigEndian.Uint64(y[:8])
		if hi != 0 {
			n = bits.LeadingZeros64(hi)
		} else {
			n = 64 + bits.LeadingZeros64(binary.BigEndian.Uint64(x[8:])^binary.BigEndian.Uint64(y[8:]))
		}
	}
	return min(n, limit)
}

// bitAt reports bit i (0 = most significant) of a.
func bitAt(a netip.Addr, i int) bool {
	if a.Is4() {
		b := a.As4()
		return b[i/8]&(0x80>>(i%8)) != 0
	}
	b := a.As16()
	return b[i/8]&(0x80>>(i%8)) != 0
}

func sameRange(a, b *node) bool { return a.lo == b.lo && a.hi == b.hi }

func newRange(p netip.Prefix, lo, hi int) *node {
	return &node{p: p, agg: true, lo: lo, hi: hi}
}

// aggregate folds children into their parent, bottom up. A parent can
// absorb its two children only when both are exactly one bit longer; what
// the children stand for must then be the same range of lengths, or the
// fold would accept prefixes the list does not contain.
func (n *node) aggregate() {
	if n.l != nil {
		n.l.aggregate()
	}
	if n.r != nil {
		n.r.aggregate()
	}
	l, r := n.l, n.r
	if l == nil || r == nil {
		return
	}
	b := n.p.Bits()
	halves := l.p.Bits() == b+1 && r.p.Bits() == b+1
	switch {
	case !l.agg && !r.agg && !l.glue && !r.glue && l.p.Bits() == r.p.Bits():
		// Two plain prefixes of equal length.
		if r.p.Bits() == b+1 {
			n.agg, l.glue, r.glue = true, true, true
			n.hi = b + 1
			n.lo = b
			if n.glue {
				n.glue, n.lo = false, b+1
			}
		}
		if halves && l.extra != nil && r.extra != nil && l.extra.agg && r.extra.agg && sameRange(l.extra, r.extra) {
			n.extra = newRange(n.p, r.extra.lo, r.extra.hi)
			l.extra.glue, r.extra.glue = true, true
		}
	case l.agg && r.agg && sameRange(l, r):
		if !halves {
			return
		}
		switch {
		case n.glue:
			n.glue, n.agg, n.lo, n.hi = false, true, r.lo, r.hi
			l.glue, r.glue = true, true
		case r.lo == r.p.Bits():
			// The children start at their own length: the parent
			// continues them upwards.
			n.agg, n.lo, n.hi = true, b, r.hi
			l.glue, r.glue = true, true
		default:
			// The parent is a prefix of its own and the children start
			// lower: keep the parent exact and hang the range beside it.
			n.extra = newRange(n.p, r.lo, r.hi)
			l.glue, r.glue = true, true
			if l.extra != nil && r.extra != nil && sameRange(l.extra, r.extra) {
				n.extra.extra = newRange(n.p, r.extra.lo, r.extra.hi)
				l.extra.glue, r.extra.glue = true, true
			}
		}
	case l.extra != nil && r.agg && l.extra.agg && sameRange(r, l.extra):
		n.foldMixed(r, l.extra, halves)
	case r.extra != nil && l.agg && r.extra.agg && sameRange(l, r.extra):
		n.foldMixed(l, r.extra, halves)
	}
}

// foldMixed folds a child's range with the range hanging beside the other
// child.
func (n *node) foldMixed(child, extra *node, halves bool) {
	if !halves {
		return
	}
	if n.glue {
		n.glue, n.agg, n.lo, n.hi = false, true, child.lo, child.hi
	} else {
		n.extra = newRange(n.p, child.lo, child.hi)
	}
	child.glue, extra.glue = true, true
}

// emit appends the ranges in prefix order: a node, the ranges beside it,
// then its lower and upper halves.
func (n *node) emit(out []Range) []Range {
	for e := n; e != nil; e = e.extra {
		if e.glue {
			continue
		}
		if e.agg {
			out = append(out, Range{Prefix: e.p, Min: e.lo, Max: e.hi})
		} else {
			out = append(out, Range{Prefix: e.p, Min: e.p.Bits(), Max: e.p.Bits()})
		}
	}
	if n.l != nil {
		out = n.l.emit(out)
	}
	if n.r != nil {
		out = n.r.emit(out)
	}
	return out
}
