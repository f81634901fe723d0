package flows

import (
	"net/netip"
	"time"
)

// Record is one flow as the collector keeps it: addresses, interfaces and
// volume, with the sampling rate already applied (Bytes and Packets
// estimate what crossed the router, not what was sampled).
type Record struct {
	// Start and End bound the flow; sFlow samples have End = Start = the
	// time of receipt.
	Start, End time.Time
	// Exporter is the router that sent the record (the sFlow agent
	// address, else the datagram's source).
	Exporter netip.Addr
	// InIf and OutIf are the router's SNMP interface indexes (0 unknown).
	InIf, OutIf uint32
	Src, Dst    netip.Addr
	// NextHop is the BGP next hop the router reports, else its IP next
	// hop; invalid when not exported.
	NextHop netip.Addr
	// SrcAS and DstAS are the origin ASNs the router reports (0 unknown).
	SrcAS, DstAS uint32
	// Bytes and Packets are scaled by SamplingRate.
	Bytes, Packets uint64
	// SamplingRate is the 1-in-N rate applied (1 when unsampled).
	SamplingRate uint32
}
