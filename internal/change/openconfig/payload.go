package openconfig

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"

	"github.com/peerform/peerform/internal/core/bgp"
)

// The XML shape of the module. Element names follow the YANG module; the
// namespace sits on <bgp> and is inherited by everything below it.
type (
	xmlConfig struct {
		XMLName xml.Name `xml:"urn:ietf:params:xml:ns:netconf:base:1.0 config"`
		BGP     xmlBGP
	}
	xmlBGP struct {
		XMLName   xml.Name      `xml:"urn:peerform:params:xml:ns:yang:peerform-bgp bgp"`
		Attrs     []xml.Attr    `xml:",any,attr"`
		Global    *xmlGlobal    `xml:"global"`
		Neighbors *xmlNeighbors `xml:"neighbors"`
	}
	xmlGlobal struct {
		Config struct {
			AS string `xml:"as"`
		} `xml:"config"`
	}
	xmlNeighbors struct {
		Neighbor []xmlNeighbor `xml:"neighbor"`
	}
	xmlNeighbor struct {
		Address string `xml:"neighbor-address"`
		Config  struct {
			PeerAS       string `xml:"peer-as"`
			Description  string `xml:"description,omitempty"`
			Enabled      string `xml:"enabled,omitempty"`
			PeerGroup    string `xml:"peer-group,omitempty"`
			AuthPassword string `xml:"auth-password,omitempty"`
		} `xml:"config"`
		AFISAFIs *xmlAFISAFIs `xml:"afi-safis"`
		State    *struct {
			SessionState    string `xml:"session-state"`
			LastEstablished string `xml:"last-established"`
		} `xml:"state"`
	}
	xmlAFISAFIs struct {
		AFISAFI []xmlAFISAFI `xml:"afi-safi"`
	}
	xmlAFISAFI struct {
		Name   string `xml:"afi-safi-name"`
		Config struct {
			Enabled string `xml:"enabled,omitempty"`
		} `xml:"config"`
		PrefixLimit struct {
			Config struct {
				MaxPrefixes          string `xml:"max-prefixes"`
				ShutdownThresholdPct string `xml:"shutdown-threshold-pct,omitempty"`
			} `xml:"config"`
		} `xml:"prefix-limit"`
		State *struct {
			Received string `xml:"prefixes>received"`
		} `xml:"state"`
	}
)

// operationAttrs mark <bgp> with a NETCONF edit operation (RFC 6241 §7.2).
func operationAttrs(op string) []xml.Attr {
	return []xml.Attr{
		{Name: xml.Name{Local: "xmlns:nc"}, Value: baseNamespace},
		{Name: xml.Name{Local: "nc:operation"}, Value: op},
	}
}

// Build returns the <config> element of an edit-config that makes the
// router's BGP configuration exactly local plus neighbors: the <bgp>
// container carries nc:operation="replace", so neighbors missing from the
// list are removed. The neighbors are sorted by address and their families
// by family, so equal inputs give byte-identical payloads. Every value is
// checked against the YANG module first (see Config.Validate) and escaped
// by encoding/xml.
func Build(local bgp.ASN, neighbors []Neighbor) (string, error) {
	c := Config{LocalAS: local, Neighbors: neighbors}
	if err := c.Validate(); err != nil {
		return "", err
	}
	doc := xmlConfig{BGP: xmlBGP{Attrs: operationAttrs("replace"), Global: &xmlGlobal{}}}
	doc.BGP.Global.Config.AS = strconv.FormatUint(uint64(local), 10)

	sorted := slices.Clone(neighbors)
	slices.SortFunc(sorted, func(a, b Neighbor) int { return a.Address.Compare(b.Address) })
	if len(sorted) > 0 {
		doc.BGP.Neighbors = &xmlNeighbors{}
	}
	for _, n := range sorted {
		doc.BGP.Neighbors.Neighbor = append(doc.BGP.Neighbors.Neighbor, encodeNeighbor(n))
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding peerform-bgp payload: %w", err)
	}
	return string(out) + "\n", nil
}

func encodeNeighbor(n Neighbor) xmlNeighbor {
	var x xmlNeighbor
	x.Address = n.Address.String()
	x.Config.PeerAS = strconv.FormatUint(uint64(n.PeerAS), 10)
	x.Config.Description = n.Description
	x.Config.Enabled = strconv.FormatBool(!n.Shutdown)
	x.Config.PeerGroup = n.PeerGroup
	x.Config.AuthPassword = string(n.AuthPassword)

	afs := slices.Clone(n.AFISAFIs)
	slices.SortFunc(afs, func(a, b AFISAFI) int { return int(a.Family) - int(b.Family) })
	if len(afs) > 0 {
		x.AFISAFIs = &xmlAFISAFIs{}
	}
	for _, a := range afs {
		var xa xmlAFISAFI
		xa.Name = afiSAFIName(a.Family)
		xa.Config.Enabled = strconv.FormatBool(!a.Disabled)
		xa.PrefixLimit.Config.MaxPrefixes = strconv.FormatUint(uint64(a.MaxPrefixes), 10)
		if a.ShutdownThresholdPct != 0 {
			xa.PrefixLimit.Config.ShutdownThresholdPct = strconv.Itoa(int(a.ShutdownThresholdPct))
		}
		x.AFISAFIs.AFISAFI = append(x.AFISAFIs.AFISAFI, xa)
	}
	return x
}

// Remove returns the <config> element of an edit-config that deletes the
// whole BGP configuration, and does nothing where there is none. It uses
// the "remove" operation, which needs a NETCONF 1.1 session.
func Remove() string {
	return `<config xmlns="` + baseNamespace + `">
  <bgp xmlns="` + Namespace + `" xmlns:nc="` + baseNamespace + `" nc:operation="remove"/>
</config>
`
}

// Filter is the get-config subtree filter that selects the module's data.
func Filter() string { return `<bgp xmlns="` + Namespace + `"/>` }
