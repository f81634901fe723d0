package flows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// maxDatagram is the largest UDP payload; maxSnaplen libpcap's largest
// snap length.
const (
	maxDatagram = 65535
	maxSnaplen  = 262144
)

// Serve receives datagrams on conn until ctx ends (or conn fails),
// decoding each with d and passing every record to emit, which runs on
// the receiving goroutine. Serve closes conn when ctx ends.
func Serve(ctx context.Context, conn *net.UDPConn, d *Decoder, emit func(Record)) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	buf := make([]byte, maxDatagram)
	for {
		n, src, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("receiving flows: %w", err)
		}
		d.Decode(buf[:n], src, time.Now(), emit)
	}
}

// Replay decodes the UDP datagrams of a packet capture (pcap, as tcpdump
// writes it) sent to port (0: any), as if they were received at the times
// the capture recorded. Packets that are not UDP over IPv4 or IPv6 are
// skipped; a capture that cannot be read is an error.
func Replay(r io.Reader, port uint16, d *Decoder, emit func(Record)) (int, error) {
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("reading capture: %w", err)
	}
	// pcapgo sizes its packet buffer from the header's snap length, which
	// the file says: bound it by libpcap's own maximum.
	if pr.Snaplen() > maxSnaplen {
		return 0, fmt.Errorf("reading capture: snap length %d exceeds %d", pr.Snaplen(), maxSnaplen)
	}
	n := 0
	for {
		data, ci, err := pr.ReadPacketData()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("reading capture, packet %d: %w", n+1, err)
		}
		pkt := gopacket.NewPacket(data, pr.LinkType(), gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if !ok || (port != 0 && uint16(udp.DstPort) != port) {
			continue
		}
		var src netip.Addr
		switch ip := pkt.NetworkLayer().(type) {
		case *layers.IPv4:
			src, _ = netip.AddrFromSlice(ip.SrcIP)
		case *layers.IPv6:
			src, _ = netip.AddrFromSlice(ip.SrcIP)
		default:
			continue
		}
		n++
		d.Decode(udp.Payload, netip.AddrPortFrom(src.Unmap(), uint16(udp.SrcPort)), ci.Timestamp, emit)
	}
}
