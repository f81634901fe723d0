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
	n4 := 0
	for _, p := range prefixes {
		if p.Addr().Is4() {
			n4++
		}
	}
	// A trie of n prefixes has fewer than n glue nodes, and aggregation
	// adds few: sized once, the node slice is never copied.
	t4 := trie{nodes: make([]node, 1, 2*n4+2)}
	t6 := trie{nodes: make([]node, 1, 2*(len(prefixes)-n4)+2), v6: true}
	for _, p := range prefixes {
		if !p.IsValid() {
			continue
		}
		if p.Addr().Is4() {
			t4.insert(keyOf(p))
		} else {
			t6.insert(keyOf(p))
		}
	}
	out := make([]Range, 0, len(prefixes)/2)
	for _, t := range []*trie{&t4, &t6} {
		if t.root != 0 {
			t.aggregate(t.root)
			out = t.emit(t.root, out)
		}
	}
	return out
}

// key is a prefix as a 128-bit number, left-aligned (an IPv4 address sits
// in the top 32 bits), and its length: cheap to compare bit by bit.
type key struct {
	hi, lo uint64
	bits   uint8
}

func keyOf(p netip.Prefix) key {
	p = p.Masked()
	if p.Addr().Is4() {
		a := p.Addr().As4()
		return key{hi: uint64(binary.BigEndian.Uint32(a[:])) << 32, bits: uint8(p.Bits())}
	}
	a := p.Addr().As16()
	return key{hi: binary.BigEndian.Uint64(a[:8]), lo: binary.BigEndian.Uint64(a[8:]), bits: uint8(p.Bits())}
}

func (k key) prefix(v6 bool) netip.Prefix {
	if !v6 {
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], uint32(k.hi>>32))
		return netip.PrefixFrom(netip.AddrFrom4(a), int(k.bits))
	}
	var a [16]byte
	binary.BigEndian.PutUint64(a[:8], k.hi)
	binary.BigEndian.PutUint64(a[8:], k.lo)
	return netip.PrefixFrom(netip.AddrFrom16(a), int(k.bits))
}

// bit reports bit i (0 = most significant).
func (k key) bit(i uint8) bool {
	if i < 64 {
		return k.hi>>(63-i)&1 != 0
	}
	return k.lo>>(127-i)&1 != 0
}

// truncate keeps the first n bits.
func (k key) truncate(n uint8) key {
	switch {
	case n == 0:
		return key{}
	case n < 64:
		return key{hi: k.hi &^ (1<<(64-n) - 1), bits: n}
	case n == 64:
		return key{hi: k.hi, bits: n}
	default:
		return key{hi: k.hi, lo: k.lo &^ (1<<(128-n) - 1), bits: n}
	}
}

// commonBits counts the leading bits a and b share, up to the shorter
// length.
func commonBits(a, b key) uint8 {
	var n int
	if x := a.hi ^ b.hi; x != 0 {
		n = bits.LeadingZeros64(x)
	} else {
		n = 64 + bits.LeadingZeros64(a.lo^b.lo)
	}
	return min(uint8(n), a.bits, b.bits)
}

// trie is a path-compressed binary trie of prefixes. Besides the inserted
// prefixes it holds "glue" nodes where two branches part. The aggregation
// rules below depend on exactly this shape (a child is either one bit
// longer than its parent or further down a compressed path). Nodes live
// in one slice and refer to each other by index (0 = none), which keeps
// them free of pointers: cheap to allocate and invisible to the GC.
type trie struct {
	nodes []node
	root  int32
	v6    bool
	path  []step // see insert
}

type node struct {
	k      key
	glue   bool  // a branching point, not a prefix of the list
	agg    bool  // stands for the lengths lo..hi below k
	lo, hi uint8 // the range of an aggregate
	l, r   int32 // lower and upper half
	extra  int32 // a second range rooted at the same prefix
}

func (t *trie) add(n node) int32 {
	t.nodes = append(t.nodes, n)
	return int32(len(t.nodes) - 1)
}

// step is a node on the path to the last inserted prefix, with the link
// that holds it (its parent, and which half it is).
type step struct {
	idx, parent int32
	upper       bool
}

// insert adds k. The descent starts from the deepest node on the path to
// the previous prefix that contains k: for sorted input, which is what
// Aggregate gets, that is close by, and building the trie takes linear
// time instead of a walk from the root per prefix.
func (t *trie) insert(k key) {
	var parent int32 // 0: the link is t.root
	upper := false   // which child of parent the link is
	cur := t.root
	for len(t.path) > 0 {
		top := t.path[len(t.path)-1]
		t.path = t.path[:len(t.path)-1]
		if n := t.nodes[top.idx].k; n.bits <= k.bits && commonBits(k, n) == n.bits {
			parent, upper, cur = top.parent, top.upper, top.idx
			break
		}
	}
	link := func(i int32) {
		switch {
		case parent == 0:
			t.root = i
		case upper:
			t.nodes[parent].r = i
		default:
			t.nodes[parent].l = i
		}
		t.path = append(t.path, step{i, parent, upper})
	}
	for {
		if cur == 0 {
			link(t.add(node{k: k}))
			return
		}
		n := t.nodes[cur]
		common := commonBits(k, n.k)
		switch {
		case common < k.bits && common < n.k.bits:
			// k and n part below common: join them under a glue node.
			leaf := t.add(node{k: k})
			g := node{k: k.truncate(common), glue: true, l: leaf, r: cur}
			if k.bit(common) {
				g.l, g.r = cur, leaf
			}
			gi := t.add(g)
			link(gi)
			t.path = append(t.path, step{leaf, gi, k.bit(common)})
			return
		case common == k.bits && common < n.k.bits:
			// k contains n.
			nn := node{k: k, l: cur}
			if n.k.bit(common) {
				nn.l, nn.r = 0, cur
			}
			link(t.add(nn))
			return
		case common == n.k.bits && common < k.bits:
			// n contains k: descend.
			t.path = append(t.path, step{cur, parent, upper})
			parent, upper = cur, k.bit(common)
			if upper {
				cur = n.r
			} else {
				cur = n.l
			}
		default:
			t.nodes[cur].glue = false // same prefix, perhaps a former branching point
			t.path = append(t.path, step{cur, parent, upper})
			return
		}
	}
}

func (t *trie) sameRange(a, b int32) bool {
	return t.nodes[a].lo == t.nodes[b].lo && t.nodes[a].hi == t.nodes[b].hi
}

// newRange adds an aggregate at the same prefix as i, with j's range.
func (t *trie) newRange(i, j int32) int32 {
	return t.add(node{k: t.nodes[i].k, agg: true, lo: t.nodes[j].lo, hi: t.nodes[j].hi})
}

// aggregate folds children into their parent, bottom up. A parent can
// absorb its two children only when both are exactly one bit longer; what
// the children stand for must then be the same range of lengths, or the
// fold would accept prefixes the list does not contain.
func (t *trie) aggregate(i int32) {
	if l := t.nodes[i].l; l != 0 {
		t.aggregate(l)
	}
	if r := t.nodes[i].r; r != 0 {
		t.aggregate(r)
	}
	ns := t.nodes
	l, r := ns[i].l, ns[i].r
	if l == 0 || r == 0 {
		return
	}
	b := ns[i].k.bits
	halves := ns[l].k.bits == b+1 && ns[r].k.bits == b+1
	le, re := ns[l].extra, ns[r].extra
	switch {
	case !ns[l].agg && !ns[r].agg && !ns[l].glue && !ns[r].glue && ns[l].k.bits == ns[r].k.bits:
		// Two plain prefixes of equal length.
		if ns[r].k.bits == b+1 {
			n := &ns[i]
			n.agg, n.lo, n.hi = true, b, b+1
			if n.glue {
				n.glue, n.lo = false, b+1
			}
			ns[l].glue, ns[r].glue = true, true
		}
		if halves && le != 0 && re != 0 && ns[le].agg && ns[re].agg && t.sameRange(le, re) {
			x := t.newRange(i, re)
			t.nodes[i].extra = x
			t.nodes[le].glue, t.nodes[re].glue = true, true
		}
	case ns[l].agg && ns[r].agg && t.sameRange(l, r):
		if !halves {
			return
		}
		switch {
		case ns[i].glue:
			n := &ns[i]
			n.glue, n.agg, n.lo, n.hi = false, true, ns[r].lo, ns[r].hi
			ns[l].glue, ns[r].glue = true, true
		case ns[r].lo == ns[r].k.bits:
			// The children start at their own length: the parent
			// continues them upwards.
			n := &ns[i]
			n.agg, n.lo, n.hi = true, b, ns[r].hi
			ns[l].glue, ns[r].glue = true, true
		default:
			// The parent is a prefix of its own and the children start
			// lower: keep the parent exact and hang the range beside it.
			x := t.newRange(i, r)
			ns = t.nodes
			ns[i].extra = x
			ns[l].glue, ns[r].glue = true, true
			if le != 0 && re != 0 && t.sameRange(le, re) {
				y := t.newRange(i, re)
				t.nodes[x].extra = y
				t.nodes[le].glue, t.nodes[re].glue = true, true
			}
		}
	case le != 0 && ns[r].agg && ns[le].agg && t.sameRange(r, le):
		t.foldMixed(i, r, le, halves)
	case re != 0 && ns[l].agg && ns[re].agg && t.sameRange(l, re):
		t.foldMixed(i, l, re, halves)
	}
}

// foldMixed folds a child's range with the range hanging beside the other
// child.
func (t *trie) foldMixed(i, child, extra int32, halves bool) {
	if !halves {
		return
	}
	if t.nodes[i].glue {
		n := &t.nodes[i]
		n.glue, n.agg, n.lo, n.hi = false, true, t.nodes[child].lo, t.nodes[child].hi
	} else {
		x := t.newRange(i, child)
		t.nodes[i].extra = x
	}
	t.nodes[child].glue, t.nodes[extra].glue = true, true
}

// emit appends the ranges in prefix order: a node, the ranges beside it,
// then its lower and upper halves.
func (t *trie) emit(i int32, out []Range) []Range {
	for e := i; e != 0; e = t.nodes[e].extra {
		n := t.nodes[e]
		if n.glue {
			continue
		}
		r := Range{Prefix: n.k.prefix(t.v6), Min: int(n.k.bits), Max: int(n.k.bits)}
		if n.agg {
			r.Min, r.Max = int(n.lo), int(n.hi)
		}
		out = append(out, r)
	}
	if l := t.nodes[i].l; l != 0 {
		out = t.emit(l, out)
	}
	if r := t.nodes[i].r; r != 0 {
		out = t.emit(r, out)
	}
	return out
}
