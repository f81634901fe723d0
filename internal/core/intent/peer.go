package intent

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
)

func (v *validator) peers(raw []*rawPeer, repo *Repo) []*Peer {
	seen := map[bgp.ASN]*rawPeer{}
	var out []*Peer
	for _, r := range raw {
		p := v.peer(r, repo)
		if p == nil {
			continue
		}
		if prev, dup := seen[p.ASN]; dup {
			v.errorf(r.LabelRange, "Duplicate peer", "%s is already declared at %s; each peer has exactly one file.", p.ASN, prev.DefRange)
			continue
		}
		seen[p.ASN] = r
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ASN < out[j].ASN })
	return out
}

// peer validates one peer block. It returns nil only when the label is not
// an AS number, since nothing else about the peer can be keyed then.
func (v *validator) peer(r *rawPeer, repo *Repo) *Peer {
	asn, err := bgp.ParseASN(r.Label)
	if err != nil {
		v.errorf(r.LabelRange, "Invalid peer label", "The peer label is its AS number written as \"AS13335\": %s.", err)
		return nil
	}
	if r.Label != asn.String() {
		v.errorf(r.LabelRange, "Peer label not canonical", "Write the label as %q (and name the file peers/%s.hcl).", asn.String(), asn.String())
	}
	p := &Peer{
		ASN: asn, Name: r.Name, File: r.DefRange.Filename, DeclRange: r.DefRange,
		ranges: map[string]hcl.Range{
			"name": r.NameRange, "import": r.ImportRange, "export": r.ExportRange,
			"description": r.DescriptionRange, "ixps": r.IXPsRange, "local_pref": r.LocalPrefRange,
			"md5": r.MD5Range, "status": r.StatusRange, "role": r.RoleRange, "role_strict": r.RoleStrictRange,
		},
	}
	v.peerASN(asn, r.LabelRange, repo)

	if msg := CheckText(r.Name, MaxNameLen); msg != "" && written(r.NameRange) {
		v.errorf(r.NameRange, "Invalid peer name", "The name %s.", msg)
	}
	if r.Description != nil {
		if msg := CheckText(*r.Description, MaxDescLen); msg != "" {
			v.errorf(r.DescriptionRange, "Invalid description", "The description %s.", msg)
		} else {
			p.Description = *r.Description
		}
	}

	importRange := r.ImportRange
	importStr := r.Import
	if r.ASSet != nil {
		if r.Import != nil {
			v.errorf(r.ASSetRange, "Both import and as_set", "as_set is the old name of import; keep only import.")
		} else {
			v.warnf(r.ASSetRange, "Deprecated attribute", "as_set was renamed import; write import = %q.", *r.ASSet)
			importStr, importRange = r.ASSet, r.ASSetRange
			p.ranges["import"] = r.ASSetRange
		}
	}
	if importStr == nil {
		v.errorf(r.DefRange, "Missing required argument", "The argument \"import\" is required: the peer's AS-SET (\"AS-FOO\", \"RIPE::AS-FOO\") or its AS number (\"%s\").", asn)
	} else if ref, err := bgp.ParseObjectRef(*importStr); err != nil {
		v.errorf(importRange, "Invalid import", "%s.", err)
	} else {
		p.Import = ref
	}
	if !written(r.ExportRange) {
		// gohcl has already reported the missing attribute.
	} else if ref, err := bgp.ParseObjectRef(r.Export); err != nil {
		v.errorf(r.ExportRange, "Invalid export", "%s.", err)
	} else {
		p.Export = ref
		v.checkExport(ref, r.ExportRange, repo)
	}

	if r.IXPs != nil {
		for _, name := range *r.IXPs {
			if repo.IXP(name) == nil {
				v.errorf(r.IXPsRange, "Unknown IXP", "ixps names %q, which no ixp block in policies/ defines.%s", name, didYouMean(name, ixpNames(repo)))
				continue
			}
			p.IXPs = append(p.IXPs, name)
		}
	}
	if b := single(v, "max_prefix", r.MaxPrefix, func(b *rawAFILimits) hcl.Range { return b.DefRange }); b != nil {
		p.MaxPrefix = v.limits(b, AFILimits{})
		p.ranges["max_prefix.ipv4"] = b.IPv4Range
		p.ranges["max_prefix.ipv6"] = b.IPv6Range
	}
	p.Sessions = v.sessions(r, p, repo)
	if written(r.MD5Range) {
		p.MD5 = v.decodeSecret(r.MD5, "md5")
	}
	if written(r.PasswordRange) {
		v.errorf(r.PasswordRange, "Secret written in the repository",
			"password is not supported: write md5 = secret(\"%s\") and set PEERFORM_SECRET_%s in the deploy job's environment.", asn, asn)
	}
	if r.GTSM != nil {
		p.GTSM = *r.GTSM
	}
	if r.BFD != nil {
		p.BFD = *r.BFD
	}
	if r.Shutdown != nil {
		p.Shutdown = *r.Shutdown
	}
	if r.RouteServer != nil {
		p.RouteServer = *r.RouteServer
	}
	v.peerStatus(r, p)
	v.role(r, p)
	if p.GTSM && p.RouteServer {
		v.warnf(r.GTSMRange, "Suspicious GTSM", "Route servers rarely support GTSM (RFC 5082); the session may not come up.")
	}
	if r.LocalPref != nil {
		switch lp := *r.LocalPref; {
		case lp < 0 || lp > MaxLocalPref:
			v.errorf(r.LocalPrefRange, "Invalid local preference", "local_pref is between 0 and %d, the largest value every platform accepts.", MaxLocalPref)
		case lp > 1000:
			v.warnf(r.LocalPrefRange, "Suspicious local preference", "local_pref %d is far above the usual range; routes from this peer may win over customer routes.", lp)
			p.LocalPref = lp
		default:
			p.LocalPref = lp
		}
	}
	return p
}

// peerASN applies the AS number rules: never reserved, never our own,
// private and documentation numbers only where policy allows them.
func (v *validator) peerASN(asn bgp.ASN, rng hcl.Range, repo *Repo) {
	if asn == repo.Network.ASN && asn != 0 {
		v.errorf(rng, "Peer is our own network", "%s is our own AS number; peers are other networks.", asn)
		return
	}
	switch c := asn.Class(); c {
	case bgp.Public:
	case bgp.Reserved:
		v.errorf(rng, "Reserved AS number", "%s is reserved and cannot be a peer.", asn)
	default:
		for _, ok := range repo.Network.AllowPeerASN {
			if ok == c {
				return
			}
		}
		v.errorf(rng, "Non-public AS number", "%s is a %s AS number; allow it with network { allow_peer_asn = [%q] } if this is intended.", asn, c, c.String())
	}
}

// checkExport warns when we would announce something other than our own
// network to a peer, which usually means a copy-paste mistake that would
// leak routes.
func (v *validator) checkExport(ref bgp.ObjectRef, rng hcl.Range, repo *Repo) {
	own := repo.Network
	if own.ASN == 0 {
		return
	}
	if ref.Name == own.ASN.String() || (own.ASSet.Name != "" && ref.Name == own.ASSet.Name) {
		return
	}
	want := own.ASN.String()
	if own.ASSet.Name != "" {
		want = own.ASSet.String()
	}
	v.warnf(rng, "Suspicious export", "We would announce %s to this peer, but our network is %s; exporting someone else's routes is a route leak.", ref, want)
}

func (v *validator) sessions(r *rawPeer, p *Peer, repo *Repo) []Session {
	var out []Session
	type key struct{ ixp, router string }
	seen := map[key]bool{}
	for _, s := range r.Sessions {
		x := repo.IXP(s.IXP)
		if x == nil {
			v.errorf(s.LabelRange, "Unknown IXP", "session %q names an IXP that no ixp block in policies/ defines.%s", s.IXP, didYouMean(s.IXP, ixpNames(repo)))
			continue
		}
		sess := Session{IXP: s.IXP}
		if s.Router != nil {
			rt := repo.Router(*s.Router)
			switch {
			case rt == nil:
				v.errorf(s.RouterRng, "Unknown router", "router %q is not defined in policies/.%s", *s.Router, didYouMean(*s.Router, routerNames(repo)))
			default:
				if _, ok := rt.PortAt(s.IXP); !ok {
					v.errorf(s.RouterRng, "Router not at this IXP", "Router %q has no port at %s.", *s.Router, s.IXP)
				}
				sess.Router = *s.Router
			}
		}
		k := key{s.IXP, sess.Router}
		if seen[k] {
			v.errorf(s.LabelRange, "Duplicate session", "There is already a session block for %s%s.", s.IXP, routerSuffix(sess.Router))
			continue
		}
		seen[k] = true
		prefix := "session." + s.IXP
		if s.IPv4 != nil {
			if a, ok := v.addr(*s.IPv4, bgp.IPv4, s.IPv4Range, "ipv4"); ok {
				v.inLAN(x, a, s.IPv4Range, "Neighbor address")
				sess.IPv4, sess.rng4 = a, s.IPv4Range
			}
			p.ranges[prefix+".ipv4"] = s.IPv4Range
		}
		if s.IPv6 != nil {
			if a, ok := v.addr(*s.IPv6, bgp.IPv6, s.IPv6Range, "ipv6"); ok {
				v.inLAN(x, a, s.IPv6Range, "Neighbor address")
				sess.IPv6, sess.rng6 = a, s.IPv6Range
			}
			p.ranges[prefix+".ipv6"] = s.IPv6Range
		}
		if s.IPv4 == nil && s.IPv6 == nil {
			v.errorf(s.DefRange, "Session without address", "Give the peer's ipv4 and/or ipv6 address on %s.", s.IXP)
		}
		p.ranges[prefix] = s.DefRange
		out = append(out, sess)
	}
	if len(p.IXPs) > 0 {
		for _, s := range out {
			if !contains(p.IXPs, s.IXP) {
				v.warnf(p.Range("session."+s.IXP), "Session outside ixps", "The session at %s is kept, but %s is not in this peer's ixps list.", s.IXP, s.IXP)
			}
		}
	}
	return out
}

func routerSuffix(r string) string {
	if r == "" {
		return ""
	}
	return fmt.Sprintf(" on router %q", r)
}
