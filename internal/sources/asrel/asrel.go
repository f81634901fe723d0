// Package asrel reads AS-relationship files in CAIDA's serial-1 and serial-2
// formats ("a|b|rel" and "a|b|rel|source", '#' comments; rel −1 means a is b's
// provider, 0 peers, 1 siblings in some data sets), plain, gzip or bzip2. It is
// the ground truth for evaluating peer selection (docs/scoring.md, "Beyond the
// paper"). Input is untrusted: lines are bounded, numbers checked, and the
// number of links capped.
package asrel

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Limits on input.
const (
	// MaxLineBytes bounds one line (real lines are under 100 bytes).
	MaxLineBytes = 4096
	// MaxLinks bounds the links read (CAIDA's files hold about 600,000).
	MaxLinks = 20_000_000
)

// Rel is the relationship of a to b in a link, as written in the file.
type Rel int8

const (
	// ProviderToCustomer (−1): a is b's transit provider.
	ProviderToCustomer Rel = -1
	// PeerToPeer (0): settlement-free peers.
	PeerToPeer Rel = 0
	// Sibling (1): the same organisation (some data sets only).
	Sibling Rel = 1
	// CustomerToProvider is ProviderToCustomer seen from b; Lookup returns
	// it, files never contain it.
	CustomerToProvider Rel = 2
)

func (r Rel) String() string {
	switch r {
	case ProviderToCustomer:
		return "provider"
	case PeerToPeer:
		return "peer"
	case Sibling:
		return "sibling"
	case CustomerToProvider:
		return "customer"
	}
	return "Rel(" + strconv.Itoa(int(r)) + ")"
}

// Set holds the links of one file. It is read-only after Read.
type Set struct {
	links map[[2]bgp.ASN]Rel // keyed with the smaller ASN first
}

// Len is the number of distinct links.
func (s *Set) Len() int { return len(s.links) }

// Lookup returns how a relates to b: ProviderToCustomer when a is b's
// provider, CustomerToProvider when b is a's, PeerToPeer or Sibling.
func (s *Set) Lookup(a, b bgp.ASN) (Rel, bool) {
	if a <= b {
		r, ok := s.links[[2]bgp.ASN{a, b}]
		return r, ok
	}
	r, ok := s.links[[2]bgp.ASN{b, a}]
	if ok && r == ProviderToCustomer {
		return CustomerToProvider, true
	}
	if ok && r == CustomerToProvider {
		return ProviderToCustomer, true
	}
	return r, ok
}

// Load reads a file (plain, .gz or .bz2, detected by content).
func Load(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("AS relationships: %w", err)
	}
	defer f.Close()
	s, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("AS relationships %s: %w", path, err)
	}
	return s, nil
}

// Read parses serial-1 or serial-2 lines from r, decompressing gzip or
// bzip2 input. A later line for the same pair replaces an earlier one.
func Read(r io.Reader) (*Set, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(3)
	var in io.Reader = br
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		in = zr
	case bytes.Equal(head, []byte("BZh")):
		in = bzip2.NewReader(br)
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 4096), MaxLineBytes)
	s := &Set{links: make(map[[2]bgp.ASN]Rel)}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		a, c, rel, err := parseLine(b)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if len(s.links) >= MaxLinks {
			return nil, fmt.Errorf("more than %d links", MaxLinks)
		}
		if a > c {
			a, c = c, a
			if rel == ProviderToCustomer {
				rel = CustomerToProvider
			}
		}
		s.links[[2]bgp.ASN{a, c}] = rel
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d is longer than %d bytes", line+1, MaxLineBytes)
		}
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return s, nil
}

func parseLine(b []byte) (a, c bgp.ASN, rel Rel, err error) {
	f := bytes.Split(b, []byte("|"))
	if len(f) != 3 && len(f) != 4 {
		return 0, 0, 0, fmt.Errorf("want a|b|rel or a|b|rel|source, got %d fields", len(f))
	}
	a, err1 := parseASN(f[0])
	c, err2 := parseASN(f[1])
	if err1 != nil || err2 != nil {
		return 0, 0, 0, fmt.Errorf("invalid AS number in %q", b)
	}
	if a == c {
		return 0, 0, 0, fmt.Errorf("AS%d related to itself", a)
	}
	switch string(f[2]) {
	case "-1":
		rel = ProviderToCustomer
	case "0":
		rel = PeerToPeer
	case "1":
		rel = Sibling
	default:
		return 0, 0, 0, fmt.Errorf("unknown relationship %q (want -1, 0 or 1)", f[2])
	}
	return a, c, rel, nil
}

// parseASN accepts plain decimal numbers only, as CAIDA writes them.
func parseASN(b []byte) (bgp.ASN, error) {
	if len(b) == 0 || len(b) > 10 {
		return 0, errors.New("bad length")
	}
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, errors.New("not a number")
		}
	}
	n, err := strconv.ParseUint(string(b), 10, 32)
	return bgp.ASN(n), err
}
