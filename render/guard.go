package render

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
)

// guard checks every string on its way into a View, again: the intent
// loader already refused anything outside its allow-lists, but a model can
// also be built by hand or by a future loader, and a config that changes
// shape because of one bad value is the failure this package must never
// have. Problems are collected; err reports them all.
type guard struct {
	problems []string
}

func (g *guard) failf(format string, args ...any) {
	g.problems = append(g.problems, fmt.Sprintf(format, args...))
}

func (g *guard) err() error {
	if len(g.problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(g.problems, "; "))
}

// text checks free text against the intent loader's allow-list
// (intent.CheckText), at most max bytes.
func (g *guard) text(field, s string, max int) string {
	if msg := intent.CheckText(s, max); msg != "" {
		g.failf("%s %q %s", field, s, msg)
		return ""
	}
	return s
}

// identifier checks a router, IXP or platform name (intent.CheckIdentifier).
func (g *guard) identifier(field, s string) string {
	if msg := intent.CheckIdentifier(s); msg != "" {
		g.failf("%s %q %s", field, s, msg)
		return ""
	}
	return s
}

// word checks a token made of ASCII letters, digits and the given extra
// characters.
func (g *guard) word(field, s, extra string) string {
	ok := s != "" && len(s) <= 128
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(extra, r)) {
			ok = false
		}
	}
	if !ok {
		g.failf("%s %q contains characters that may not reach a router config", field, s)
		return ""
	}
	return s
}

// objectRef checks an IRR reference ("RIPE::AS-FOO", "AS64500:AS-BAR")
// as validation does: bgp.ParseObjectRef admits letters, digits, '-', '_'
// and ':' only, within its own length bounds.
func (g *guard) objectRef(field string, r bgp.ObjectRef) string {
	parsed, err := bgp.ParseObjectRef(r.String())
	if err != nil || parsed != r {
		g.failf("%s %q is not an AS-SET or AS reference: %v", field, r, err)
		return ""
	}
	return r.String()
}

// rtrCaches parses the RTR caches ("host:port", "[v6]:port") as
// validation does (intent.ParseServer).
func rtrCaches(g *guard, list []string) []RTRCache {
	var out []RTRCache
	for i, s := range list {
		host, port, err := intent.ParseServer(s)
		if err != nil {
			g.failf("RTR cache %q %v", s, err)
			continue
		}
		c := RTRCache{Name: fmt.Sprintf("PEERFORM_RTR_%d", i+1), Host: host, Port: port, Preference: i + 1}
		if a, err := netip.ParseAddr(host); err == nil {
			c.Host, c.IsAddr = a.String(), true
		}
		out = append(out, c)
	}
	return out
}
