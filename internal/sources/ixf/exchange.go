package ixf

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Exchange is one IXP of an export, as a source of member addresses: what
// session derivation reads next to PeeringDB.
type Exchange struct {
	// File is the repository path of the export, for provenance.
	File      string
	Timestamp time.Time
	IXP       IXP
	ports     map[bgp.ASN][]Port
}

// Exchange selects the IXP of the export that id names (ixp_id), or, when
// id is nil, the only one the export lists. file is where the export was
// read from.
func (e *Export) Exchange(file string, id *int64) (*Exchange, error) {
	var x *IXP
	switch {
	case id != nil:
		for i := range e.IXPs {
			if e.IXPs[i].ID == *id {
				x = &e.IXPs[i]
			}
		}
		if x == nil {
			return nil, fmt.Errorf("%s lists no IXP with ixp_id %d; it lists %s", file, *id, e.ixpList())
		}
	case len(e.IXPs) == 1:
		x = &e.IXPs[0]
	case len(e.IXPs) == 0:
		return nil, fmt.Errorf("%s lists no IXP in ixp_list", file)
	default:
		return nil, fmt.Errorf("%s lists %d IXPs (%s); say which with ixf_ixp_id", file, len(e.IXPs), e.ixpList())
	}
	ex := &Exchange{File: file, Timestamp: e.Timestamp, IXP: *x, ports: map[bgp.ASN][]Port{}}
	for _, m := range e.Members {
		for _, p := range m.Ports {
			if p.IXPID == x.ID {
				ex.ports[m.ASN] = append(ex.ports[m.ASN], p)
			}
		}
	}
	return ex, nil
}

func (e *Export) ixpList() string {
	s := make([]string, len(e.IXPs))
	for i, x := range e.IXPs {
		s[i] = strconv.FormatInt(x.ID, 10)
		if x.Shortname != "" {
			s[i] += " (" + x.Shortname + ")"
		}
	}
	return "ixp_id " + strings.Join(s, ", ")
}

// Ports are the addresses the exchange lists for asn, in file order.
func (x *Exchange) Ports(asn bgp.ASN) []Port {
	if x == nil {
		return nil
	}
	return x.ports[asn]
}

// Members counts the members with at least one address at the exchange.
func (x *Exchange) Members() int { return len(x.ports) }

// String names the source in provenance and messages: "IX-F export
// data/ixf/doc-ix-ams.json (ixp_id 1, exported 2026-11-30T00:00:00Z)".
func (x *Exchange) String() string {
	return fmt.Sprintf("IX-F export %s (ixp_id %d, exported %s)", x.File, x.IXP.ID, x.Timestamp.Format(time.RFC3339))
}
