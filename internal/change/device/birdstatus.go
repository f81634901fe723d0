package device

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// birdProto is one protocol block of `birdc show protocols all`.
type birdProto struct {
	Name, Proto, Table, State, Since, Info string
	Description                            string
	BGPState                               string
	Neighbor                               netip.Addr
	NeighborAS                             bgp.ASN
	LastError                              string
	Channels                               []birdChannel
}

type birdChannel struct {
	Name     string // ipv4, ipv6, roa4, …
	Table    string
	Imported int
	LimitHit bool
}

const birdMaxOutput = 64 << 20

// parseBIRDProtocols reads `show protocols all`: a header line per
// protocol (name, protocol, table, state, since, info), then indented
// "Key: value" lines and "Channel <name>" sections. Unknown lines are
// ignored, so that other BIRD 2 versions parse too.
func parseBIRDProtocols(out string) ([]birdProto, error) {
	if len(out) > birdMaxOutput {
		return nil, fmt.Errorf("show protocols output of %d bytes is too large", len(out))
	}
	var protos []birdProto
	var cur *birdProto
	var ch *birdChannel
	for _, raw := range strings.Split(out, "\n") {
		line := strings.TrimRight(raw, "\r ")
		if line == "" || strings.HasPrefix(line, "BIRD ") || strings.HasPrefix(line, "Name ") {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			f := strings.Fields(line)
			if len(f) < 4 {
				continue
			}
			protos = append(protos, birdProto{Name: f[0], Proto: f[1], Table: f[2], State: f[3]})
			cur, ch = &protos[len(protos)-1], nil
			if len(f) > 4 {
				cur.Since = f[4]
				rest := f[5:]
				// `timeformat protocol iso long` prints a date and a time.
				if len(rest) > 0 && strings.Count(f[4], "-") == 2 && strings.Count(rest[0], ":") == 2 {
					cur.Since += " " + rest[0]
					rest = rest[1:]
				}
				cur.Info = strings.Join(rest, " ")
			}
			continue
		}
		if cur == nil {
			continue
		}
		text := strings.TrimSpace(line)
		if name, ok := strings.CutPrefix(text, "Channel "); ok {
			cur.Channels = append(cur.Channels, birdChannel{Name: strings.TrimSpace(name)})
			ch = &cur.Channels[len(cur.Channels)-1]
			continue
		}
		key, val, ok := strings.Cut(text, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "Description":
			cur.Description = val
		case "BGP state":
			cur.BGPState = val
		case "Neighbor address":
			if a, err := netip.ParseAddr(strings.Fields(val + " x")[0]); err == nil {
				cur.Neighbor = a.WithZone("").Unmap()
			}
		case "Neighbor AS":
			if a, err := bgp.ParseASN(val); err == nil {
				cur.NeighborAS = a
			}
		case "Last error":
			cur.LastError = val
		case "Table":
			if ch != nil {
				ch.Table = val
			}
		case "Routes":
			if ch != nil {
				if n, err := strconv.Atoi(strings.Fields(val + " x")[0]); err == nil && n >= 0 {
					ch.Imported = n
				}
			}
		case "Import limit", "Receive limit":
			if ch != nil && strings.Contains(val, "[HIT]") {
				ch.LimitHit = true
			}
		}
	}
	return protos, nil
}

// session turns a BGP protocol into a Session; now is BIRD's clock.
func (p birdProto) session(now time.Time) Session {
	s := Session{Neighbor: p.Neighbor, PeerASN: p.NeighborAS, State: p.BGPState, Description: p.Description,
		Received: map[bgp.Family]int{}}
	if s.State == "" {
		s.State = "Idle"
	}
	hit := false
	for _, ch := range p.Channels {
		switch ch.Name {
		case "ipv4":
			s.Received[bgp.IPv4] += ch.Imported
		case "ipv6":
			s.Received[bgp.IPv6] += ch.Imported
		}
		hit = hit || ch.LimitHit
	}
	switch {
	case s.Established():
		if since, err := birdSince(p.Since, now); err == nil {
			s.Uptime = now.Sub(since)
		}
	case hit || strings.Contains(p.LastError, "limit exceeded"):
		s.Reason = ReasonMaxPrefix
	case p.LastError != "":
		s.Reason = p.LastError
	case p.State == "down":
		s.Reason = "disabled"
	}
	return s
}

// birdServerTime reads "Current server time is 2026-11-22 01:33:32.842"
// from `show status`.
func birdServerTime(status string) (time.Time, error) {
	for _, l := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Current server time is "); ok {
			if t, err := time.ParseInLocation("2006-01-02 15:04:05.999", v, time.Local); err == nil {
				return t, nil
			}
			return time.ParseInLocation("2006-01-02 15:04:05", v, time.Local)
		}
	}
	return time.Time{}, errors.New("show status: no server time")
}

// birdSince reads a protocol's "since" column: a time of day when it is
// today, a date before, or both with `timeformat protocol iso long`.
func birdSince(s string, now time.Time) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05.999", "15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			y, m, d := now.Date()
			t = time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), now.Location())
			switch {
			case !t.After(now):
			case t.Sub(now) < time.Hour:
				// A state change just after now was read: not a day
				// ago, which would make a new session look old.
				t = now
			default:
				t = t.AddDate(0, 0, -1) // a time of day later than now is yesterday's
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unknown time %q", s)
}
