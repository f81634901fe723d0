package rpki

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	rtr "github.com/bgp/stayrtr/lib"

	"github.com/peerform/peerform/internal/core/bgp"
)

// RTR version 2 (draft-ietf-sidrops-8210bis) adds the ASPA PDU, type 11:
//
//	0          8          16         24        31
//	| version  | type 11  |  flags   |   zero   |
//	|                 length                    |
//	|        customer AS number                 |
//	|        provider AS numbers ...            |
//
// Flag bit 0 is 1 for an announcement and 0 for a withdrawal, which
// carries no providers. stayrtr's decoder (v0.6.0) knows protocol
// versions 0 and 1 only, so the ASPA PDU is decoded here.
const (
	rtrVersion2  = 2
	pduTypeASPA  = 11
	aspaHeader   = 12
	flagAnnounce = 1
	// maxASPAPDU is the longest ASPA PDU accepted.
	maxASPAPDU = aspaHeader + 4*MaxASPAProviders
)

// ASPAPDU is a decoded ASPA PDU.
type ASPAPDU struct {
	Announce bool
	// ASPA holds the customer and, in an announcement, its providers
	// (sorted, distinct).
	ASPA ASPA
}

// ErrBadASPAPDU is wrapped by every decoding error of an ASPA PDU.
var ErrBadASPAPDU = errors.New("bad ASPA PDU")

// DecodeASPAPDU decodes one complete ASPA PDU. It is strict: version 2,
// the length field equal to the bytes given, no withdrawal with
// providers, no announcement without, no customer among its own
// providers, at most MaxASPAProviders.
func DecodeASPAPDU(b []byte) (ASPAPDU, error) {
	bad := func(format string, args ...any) (ASPAPDU, error) {
		return ASPAPDU{}, fmt.Errorf("%w: %s", ErrBadASPAPDU, fmt.Sprintf(format, args...))
	}
	if len(b) < aspaHeader {
		return bad("%d bytes, less than the %d-byte header", len(b), aspaHeader)
	}
	if b[0] != rtrVersion2 || b[1] != pduTypeASPA {
		return bad("version %d type %d, want version 2 type 11", b[0], b[1])
	}
	if n := binary.BigEndian.Uint32(b[4:8]); int64(n) != int64(len(b)) {
		return bad("length field %d for %d bytes", n, len(b))
	}
	if len(b) > maxASPAPDU || (len(b)-aspaHeader)%4 != 0 {
		return bad("length %d is not 12 plus 4 per provider, up to %d providers", len(b), MaxASPAProviders)
	}
	p := ASPAPDU{Announce: b[2]&flagAnnounce != 0, ASPA: ASPA{Customer: bgp.ASN(binary.BigEndian.Uint32(b[8:12]))}}
	n := (len(b) - aspaHeader) / 4
	switch {
	case p.Announce && n == 0:
		return bad("announcement of %s without providers", p.ASPA.Customer)
	case !p.Announce && n > 0:
		return bad("withdrawal of %s with %d providers", p.ASPA.Customer, n)
	}
	for i := 0; i < n; i++ {
		a := bgp.ASN(binary.BigEndian.Uint32(b[aspaHeader+4*i:]))
		if a == p.ASPA.Customer {
			return bad("%s among its own providers", a)
		}
		p.ASPA.Providers = append(p.ASPA.Providers, a)
	}
	slices.Sort(p.ASPA.Providers)
	p.ASPA.Providers = slices.Compact(p.ASPA.Providers)
	return p, nil
}

// Bytes encodes the PDU, for tests and caches written in Go.
func (p ASPAPDU) Bytes() []byte {
	n := 0
	if p.Announce {
		n = len(p.ASPA.Providers)
	}
	b := make([]byte, aspaHeader+4*n)
	b[0], b[1] = rtrVersion2, pduTypeASPA
	if p.Announce {
		b[2] = flagAnnounce
	}
	binary.BigEndian.PutUint32(b[4:], uint32(len(b)))
	binary.BigEndian.PutUint32(b[8:], uint32(p.ASPA.Customer))
	for i := 0; i < n; i++ {
		binary.BigEndian.PutUint32(b[aspaHeader+4*i:], uint32(p.ASPA.Providers[i]))
	}
	return b
}

// readPDU reads the next PDU from a cache: ASPA PDUs here, every other
// type through stayrtr's decoder. An ASPA PDU's length is checked
// before its body is read, so a hostile length cannot make the client
// allocate more than maxASPAPDU bytes.
func readPDU(br *bufio.Reader) (rtr.PDU, *ASPAPDU, error) {
	hdr, err := br.Peek(8)
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) || (len(hdr) > 0 && errors.Is(err, io.EOF)) {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, err
	}
	if hdr[1] != pduTypeASPA {
		p, err := rtr.Decode(br)
		if err == nil && p == nil {
			err = errors.New("undecodable PDU")
		}
		return p, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[4:8])
	if n < aspaHeader || n > maxASPAPDU {
		return nil, nil, fmt.Errorf("%w: length %d", ErrBadASPAPDU, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		return nil, nil, err
	}
	p, err := DecodeASPAPDU(b)
	if err != nil {
		return nil, nil, err
	}
	return nil, &p, nil
}
