package peeringdb

// Origin says which input a derived value came from.
type Origin string

// Origins of derived values, shown in plans and PR comments.
const (
	// FromIntent: written in the peer file (explicit session, max_prefix,
	// import).
	FromIntent Origin = "intent"
	// FromPeeringDB: read from PeeringDB (netixlan, info_prefixes,
	// irr_as_set, ixpfx).
	FromPeeringDB Origin = "peeringdb"
	// FromIXF: read from the exchange's IX-F member export (a peer's
	// address on its LAN).
	FromIXF Origin = "ixf"
	// FromPolicy: a policy value (a LAN in policies/, a max-prefix floor).
	FromPolicy Origin = "policy"
	// FromDefault: nothing said otherwise; a built-in or policy default.
	FromDefault Origin = "default"
)

// Derived reports whether a value was derived from outside data
// (PeeringDB or an IX-F export) rather than written in the repository.
func (o Origin) Derived() bool { return o == FromPeeringDB || o == FromIXF }

// Provenance records where a derived value came from, precisely enough
// for a reviewer to check it: "peeringdb: netixlan 1234 …".
type Provenance struct {
	Origin Origin `json:"origin"`
	Detail string `json:"detail"`
}

func (p Provenance) String() string {
	if p.Detail == "" {
		return string(p.Origin)
	}
	return string(p.Origin) + ": " + p.Detail
}
