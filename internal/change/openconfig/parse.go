package openconfig

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
)

// MaxReplyBytes bounds the reply Parse reads. 2000 neighbors take about
// 320 KB, so this leaves room for two orders of magnitude more.
const MaxReplyBytes = 32 << 20

// Parse reads the module's data from a NETCONF reply (an <rpc-reply> with
// <data>, a bare <data>, or a <config>) and reports whether it held a <bgp>
// container of the module at all. The reply is untrusted router output: its
// size is bounded, every value is checked as Build checks it, and elements
// the module does not define are ignored.
func Parse(reply []byte) (Config, bool, error) {
	doc, found, err := findBGP(reply)
	if err != nil || !found {
		return Config{}, false, err
	}
	c, err := decode(doc)
	if err != nil {
		return Config{}, true, fmt.Errorf("reading peerform-bgp data: %w", err)
	}
	return c, true, nil
}

// findBGP decodes the module's <bgp> container from anywhere in reply.
func findBGP(reply []byte) (xmlBGP, bool, error) {
	var doc xmlBGP
	if len(reply) > MaxReplyBytes {
		return doc, false, fmt.Errorf("reading peerform-bgp data: reply of %d bytes exceeds %d", len(reply), MaxReplyBytes)
	}
	dec := xml.NewDecoder(bytes.NewReader(reply))
	found := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return doc, found, nil
		}
		if err != nil {
			return doc, false, fmt.Errorf("reading peerform-bgp data: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Space != Namespace || start.Name.Local != "bgp" {
			continue
		}
		if found {
			return doc, false, errors.New("reading peerform-bgp data: more than one <bgp> container")
		}
		if err := dec.DecodeElement(&doc, &start); err != nil {
			return doc, false, fmt.Errorf("reading peerform-bgp data: %w", err)
		}
		found = true
	}
}

func decode(doc xmlBGP) (Config, error) {
	var c Config
	if doc.Global == nil {
		return c, fmt.Errorf("%w: global/config/as is missing", ErrInvalid)
	}
	as, err := parseASN(doc.Global.Config.AS)
	if err != nil {
		return c, fmt.Errorf("%w: global/config/as: %v", ErrInvalid, err)
	}
	c.LocalAS = as
	if doc.Neighbors != nil {
		for _, xn := range doc.Neighbors.Neighbor {
			n, err := decodeNeighbor(xn)
			if err != nil {
				return c, err
			}
			c.Neighbors = append(c.Neighbors, n)
		}
	}
	return c, c.Validate()
}

func decodeNeighbor(x xmlNeighbor) (Neighbor, error) {
	var n Neighbor
	addr, err := netip.ParseAddr(strings.TrimSpace(x.Address))
	if err != nil {
		return n, fmt.Errorf("%w: neighbor-address: %v", ErrInvalid, err)
	}
	n.Address = addr
	fail := func(what string, err error) error {
		return fmt.Errorf("%w: neighbor %s: %s: %v", ErrInvalid, addr, what, err)
	}
	if n.PeerAS, err = parseASN(x.Config.PeerAS); err != nil {
		return n, fail("peer-as", err)
	}
	n.Description = x.Config.Description
	enabled, err := parseBool(x.Config.Enabled, true)
	if err != nil {
		return n, fail("enabled", err)
	}
	n.Shutdown = !enabled
	n.PeerGroup = strings.TrimSpace(x.Config.PeerGroup)
	n.AuthPassword = Secret(x.Config.AuthPassword)
	if x.AFISAFIs == nil {
		return n, nil
	}
	for _, xa := range x.AFISAFIs.AFISAFI {
		var a AFISAFI
		name := strings.TrimSpace(xa.Name)
		fam, ok := parseAFISAFIName(name)
		if !ok {
			return n, fail("afi-safi-name", fmt.Errorf("unknown value %q", name))
		}
		a.Family = fam
		on, err := parseBool(xa.Config.Enabled, false)
		if err != nil {
			return n, fail(name+" enabled", err)
		}
		a.Disabled = !on
		limit, err := strconv.ParseUint(strings.TrimSpace(xa.PrefixLimit.Config.MaxPrefixes), 10, 32)
		if err != nil {
			return n, fail(name+" max-prefixes", errors.Unwrap(err))
		}
		a.MaxPrefixes = uint32(limit)
		if s := strings.TrimSpace(xa.PrefixLimit.Config.ShutdownThresholdPct); s != "" {
			pct, err := strconv.ParseUint(s, 10, 8)
			if err != nil {
				return n, fail(name+" shutdown-threshold-pct", errors.Unwrap(err))
			}
			a.ShutdownThresholdPct = uint8(pct)
		}
		n.AFISAFIs = append(n.AFISAFIs, a)
	}
	return n, nil
}

// parseASN reads a YANG uint32 AS number: digits only, 1 to 2^32-1.
func parseASN(s string) (bgp.ASN, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not an AS number", s)
	}
	return bgp.ASN(n), nil
}

// parseBool reads a YANG boolean, with def for an absent leaf.
func parseBool(s string, def bool) (bool, error) {
	switch strings.TrimSpace(s) {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}
