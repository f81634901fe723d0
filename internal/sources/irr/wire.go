package irr

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Kind is the first letter of an IRRd reply.
type Kind byte

const (
	// KindData is "A<n>": n bytes of data follow, then "C".
	KindData Kind = 'A'
	// KindOK is "C": success without data.
	KindOK Kind = 'C'
	// KindNotFound is "D": key not found (IRRd also sends it for an empty
	// result).
	KindNotFound Kind = 'D'
	// KindMultiple is "E": multiple keys match.
	KindMultiple Kind = 'E'
	// KindError is "F <message>": the server refused the query.
	KindError Kind = 'F'
)

// reply is one parsed server answer.
type reply struct {
	Kind Kind
	Data []byte // KindData only, without the trailing newline
	Msg  string // KindError only
}

// ErrProtocol marks a reply that does not follow the IRRd framing; the
// connection cannot be used after it.
var ErrProtocol = errors.New("IRR protocol error")

// maxHeaderLen bounds a status line ("A123456", "F <message>").
const maxHeaderLen = 1024

// readReply reads one reply. Data longer than maxData is refused before it
// is read, so a hostile server cannot make us allocate without bound.
func readReply(br *bufio.Reader, maxData int) (reply, error) {
	line, err := readHeader(br)
	if err != nil {
		return reply{}, err
	}
	if line == "" {
		return reply{}, fmt.Errorf("%w: empty status line", ErrProtocol)
	}
	switch Kind(line[0]) {
	case KindOK, KindNotFound, KindMultiple:
		return reply{Kind: Kind(line[0])}, nil
	case KindError:
		return reply{Kind: KindError, Msg: strings.TrimSpace(line[1:])}, nil
	case KindData:
	default:
		return reply{}, fmt.Errorf("%w: unexpected status line %q", ErrProtocol, clip(line))
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 1 || line[1] == '+' {
		return reply{}, fmt.Errorf("%w: bad length in %q", ErrProtocol, clip(line))
	}
	if n > maxData {
		return reply{}, fmt.Errorf("%w: reply of %d bytes exceeds the limit of %d", ErrProtocol, n, maxData)
	}
	data, err := readData(br, n)
	if err != nil {
		return reply{}, fmt.Errorf("reading %d bytes of reply data: %w", n, noEOF(err))
	}
	// The length counts the data's trailing newline.
	if data[n-1] != '\n' {
		return reply{}, fmt.Errorf("%w: reply data does not end with a newline", ErrProtocol)
	}
	end, err := readHeader(br)
	if err != nil {
		return reply{}, err
	}
	if end != "C" {
		return reply{}, fmt.Errorf("%w: expected \"C\" after reply data, got %q", ErrProtocol, clip(end))
	}
	return reply{Kind: KindData, Data: data[:n-1]}, nil
}

// readData reads n bytes. Up to a few MiB they are allocated at once;
// beyond, the buffer grows with what actually arrives, so that a length
// alone cannot make us allocate it.
func readData(br *bufio.Reader, n int) ([]byte, error) {
	const upfront = 4 << 20
	if n <= upfront {
		data := make([]byte, n)
		_, err := io.ReadFull(br, data)
		return data, err
	}
	buf := bytes.NewBuffer(make([]byte, 0, upfront))
	_, err := io.CopyN(buf, br, int64(n))
	return buf.Bytes(), err
}

// readHeader reads a status line without its line ending.
func readHeader(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			return "", noEOF(err)
		}
		b = append(b, chunk...)
		if len(b) > maxHeaderLen {
			return "", fmt.Errorf("%w: status line longer than %d bytes", ErrProtocol, maxHeaderLen)
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}

// noEOF turns a clean EOF in the middle of a reply into an unexpected one:
// the server closed the connection while we still waited for an answer.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// fields splits reply data on whitespace without copying it.
func fields(data []byte, fn func(tok []byte)) {
	i := 0
	for i < len(data) {
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		j := i
		for j < len(data) && !isSpace(data[j]) {
			j++
		}
		if j > i {
			fn(data[i:j])
		}
		i = j
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// parseASNList parses the answer to a recursive "!i<set>,1": AS numbers.
// Tokens that are not AS numbers are counted in bad and skipped.
func parseASNList(data []byte) (asns []bgp.ASN, bad badTokens) {
	fields(data, func(tok []byte) {
		if a, ok := parseASNToken(tok); ok {
			asns = append(asns, a)
		} else {
			bad.add(tok)
		}
	})
	return asns, bad
}

// parseASNToken accepts "AS<digits>" (any case), the way IRRd prints
// members.
func parseASNToken(tok []byte) (bgp.ASN, bool) {
	if len(tok) < 3 || len(tok) > 12 || tok[0]|0x20 != 'a' || tok[1]|0x20 != 's' {
		return 0, false
	}
	var n uint64
	for _, c := range tok[2:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > 1<<32-1 {
		return 0, false
	}
	return bgp.ASN(n), true
}

// member is one entry of a non-recursive "!i<set>" answer: an AS number
// or the name of another set.
type member struct {
	ASN bgp.ASN
	Set string // upper case; empty for an ASN
}

// parseMembers parses the answer to a non-recursive "!i<set>": AS numbers
// and set names (AS-SETs, possibly hierarchical like "AS64500:AS-FOO").
// Anything else (route-sets, garbage) is returned in bad.
func parseMembers(data []byte) (ms []member, bad badTokens) {
	fields(data, func(tok []byte) {
		if a, ok := parseASNToken(tok); ok {
			ms = append(ms, member{ASN: a})
			return
		}
		ref, err := bgp.ParseObjectRef(string(tok))
		if err != nil || ref.Source != "" || ref.IsASN() {
			bad.add(tok)
			return
		}
		ms = append(ms, member{Set: ref.Name})
	})
	return ms, bad
}

// parsePrefixList parses an answer to "!g", "!6" or "!a": prefixes of the
// wanted family (4 or 6). Host bits are cleared ("10.0.0.1/8" becomes
// "10.0.0.0/8", as bgpq4 does); tokens of the other family or that are not
// prefixes are returned in bad.
func parsePrefixList(data []byte, family int, out []netip.Prefix) (_ []netip.Prefix, bad badTokens) {
	fields(data, func(tok []byte) {
		p, err := parsePrefix(tok)
		if err != nil || (family == 4) != p.Addr().Is4() {
			bad.add(tok)
			return
		}
		out = append(out, p.Masked())
	})
	return out, bad
}

// parsePrefix is netip.ParsePrefix with a fast path for plain IPv4, which
// is most of what a large expansion returns.
func parsePrefix(tok []byte) (netip.Prefix, error) {
	var a [4]byte
	oct, digits, val, i := 0, 0, 0, 0
	for ; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= '0' && c <= '9':
			if digits > 0 && val == 0 { // leading zero
				return netip.ParsePrefix(string(tok))
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return netip.ParsePrefix(string(tok))
			}
		case c == '.' && oct < 3 && digits > 0:
			a[oct] = byte(val)
			oct, digits, val = oct+1, 0, 0
		case c == '/' && oct == 3 && digits > 0:
			a[3] = byte(val)
			bits := 0
			rest := tok[i+1:]
			if len(rest) == 0 || len(rest) > 2 || (len(rest) == 2 && rest[0] == '0') {
				return netip.ParsePrefix(string(tok))
			}
			for _, d := range rest {
				if d < '0' || d > '9' {
					return netip.ParsePrefix(string(tok))
				}
				bits = bits*10 + int(d-'0')
			}
			if bits > 32 {
				return netip.ParsePrefix(string(tok))
			}
			return netip.PrefixFrom(netip.AddrFrom4(a), bits), nil
		default:
			return netip.ParsePrefix(string(tok))
		}
	}
	return netip.ParsePrefix(string(tok))
}

// badTokens counts the tokens of a reply that could not be used and keeps
// the first few for a warning.
type badTokens struct {
	n     int
	first []string
}

func (b *badTokens) add(tok []byte) {
	b.n++
	if len(b.first) < 3 {
		b.first = append(b.first, strconv.Quote(clip(string(tok))))
	}
}

func (b badTokens) String() string {
	if b.n == 0 {
		return ""
	}
	more := ""
	if b.n > len(b.first) {
		more = ", …"
	}
	return fmt.Sprintf("%d unusable item(s) ignored: %s%s", b.n, strings.Join(b.first, ", "), more)
}

// appendReply frames r the way IRRd 4 sends it: "A<n>\n<data>\nC\n", where
// n counts the data and its trailing newline, or "C\n", "D\n", "E\n", or
// "F <message>\n".
func appendReply(b []byte, r reply) []byte {
	switch r.Kind {
	case KindData:
		b = append(b, 'A')
		b = strconv.AppendInt(b, int64(len(r.Data)+1), 10)
		b = append(b, '\n')
		b = append(b, r.Data...)
		return append(b, "\nC\n"...)
	case KindError:
		return append(append(append(b, "F "...), r.Msg...), '\n')
	default:
		return append(b, byte(r.Kind), '\n')
	}
}
