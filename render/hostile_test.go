package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/sources/irr"
)

// hostileStrings try to change the shape of a rendered config: end a
// line, a string, a statement or a block, open a comment, or look like
// something they are not.
var hostileStrings = []string{
	"x\n protocol static evil {",
	"Cloudflare\nneighbor 192.0.2.66 remote-as 666",
	"a\r\nb",
	"cr\rreturn",
	"tab\there",
	"form\ffeed",
	"nul\x00byte",
	"\x1b[31mred",
	"del\x7fete",
	`quote"inside`,
	`x"; } protocol bgp evil { neighbor 192.0.2.66 as 666; "`,
	`"`,
	"single'quote",
	`back\slash`,
	`a\nb`,
	`\"`,
	"brace{",
	"brace}",
	"{ }",
	"semi;colon",
	"; reject;",
	"then accept;",
	"# hash comment",
	"a # trailing comment",
	"! bang comment",
	"a ! b",
	"/* block comment */",
	"end */",
	"// double slash",
	"-- dash dash",
	"$(reboot)",
	"${var}",
	"%s%n%x",
	"`backtick`",
	"<angle>",
	"[bracket]",
	"a|b",
	"~tilde",
	"^caret$",
	"question?",
	"star*",
	"'; DROP TABLE peers; --",
	"  leading spaces",
	"trailing space ",
	"double  space",
	"",
	"Ехаmple Cyrillic look-alike",
	"ｆｕｌｌｗｉｄｔｈ",
	"zero\u200bwidth",
	"rtl\u202eevil",
	"line\u2028separator",
	"\ufeffbom",
	"e\u0301 combining",
	"rocket \U0001F680",
	"bad utf8 \xff\xfe",
	strings.Repeat("A", 65),
	strings.Repeat("long ", 1000),
	// Allowed text: must render without changing shape.
	"Good Networks",
	"AS64500 (ams) & co",
	"name=value: ok",
	"x.y/z+w, a@b",
	"end",
	"exit",
	"exit-address-family",
	"router bgp 666",
	"neighbor 192.0.2.66 remote-as 666",
	"description evil",
	"password hunter2",
	"no router bgp 64500",
	"reject",
	"A",
	strings.Repeat("A", 64),
	"AS-EVIL",
	"RIPE::AS-EVIL",
	"IX-ONE",
	"x_y-z",
}

// injection is one place a repository puts a string into configs.
type injection struct {
	name string
	// hcl renders the test repository with value at this place; the other
	// places get fixed benign values.
	hcl func(value string) fstest.MapFS
	// reached returns what of value ended up in the model (HCL may have
	// changed it), so the benign twin can be built from the same thing.
	reached func(r *intent.Repo) string
	// set puts value straight into a model, bypassing the loader.
	set func(m *model.Model, value string)
	// variants are the forms a value takes in a config.
	variants func(value string) []string
	// twin makes the benign value of the same length and word boundaries
	// (default benignTwin).
	twin func(value string) string
}

func hclString(s string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
}

type repoValues struct {
	network, ixp, router, name, desc, importRef, secret string
}

func benignValues() repoValues {
	return repoValues{"Test Networks", "IX-ONE", "r1", "Good Peer", "A good peer", "AS-GOOD", "GOOD"}
}

func (v repoValues) fs() fstest.MapFS {
	policy := fmt.Sprintf(`network {
  asn            = 64500
  name           = %s
  prefixes       = ["198.51.100.0/24", "2001:db8:100::/48"]
  allow_peer_asn = ["documentation"]
}
ixp %s {
  ipv4_lan  = "192.0.2.0/25"
  ipv6_lan  = "2001:db8:ffff:1::/64"
  community = 5
}
router %s {
  platform  = "frr"
  host      = "r1.example.net"
  router_id = "198.51.100.1"
  ixp %s {
    ipv4 = "192.0.2.1"
    ipv6 = "2001:db8:ffff:1::1"
  }
}
rpki {
  rtr = ["127.0.0.1:3323"]
}
`, hclString(v.network), hclString(v.ixp), hclString(v.router), hclString(v.ixp))
	peer := fmt.Sprintf(`peer "AS64501" {
  name        = %s
  description = %s
  import      = %s
  export      = "AS64500"
  md5         = secret(%s)
  gtsm        = true
  session %s {
    ipv4 = "192.0.2.11"
    ipv6 = "2001:db8:ffff:1::11"
  }
}
`, hclString(v.name), hclString(v.desc), hclString(v.importRef), hclString(v.secret), hclString(v.ixp))
	return fstest.MapFS{
		"policies/policy.hcl": {Data: []byte(policy)},
		"peers/AS64501.hcl":   {Data: []byte(peer)},
	}
}

func injections() []injection {
	same := func(s string) []string { return []string{s} }
	return []injection{
		{
			name:     "peer name",
			hcl:      func(s string) fstest.MapFS { v := benignValues(); v.name = s; return v.fs() },
			reached:  func(r *intent.Repo) string { return r.Peers[0].Name },
			set:      func(m *model.Model, s string) { m.Peers[0].Name = s },
			variants: same,
		},
		{
			name:     "peer description",
			hcl:      func(s string) fstest.MapFS { v := benignValues(); v.desc = s; return v.fs() },
			reached:  func(r *intent.Repo) string { return r.Peers[0].Description },
			set:      func(m *model.Model, s string) { m.Peers[0].Description = s },
			variants: same,
		},
		{
			name:     "network name",
			hcl:      func(s string) fstest.MapFS { v := benignValues(); v.network = s; return v.fs() },
			reached:  func(r *intent.Repo) string { return r.Network.Name },
			set:      func(m *model.Model, s string) { m.Network.Name = s },
			variants: same,
		},
		{
			name:    "IXP name",
			hcl:     func(s string) fstest.MapFS { v := benignValues(); v.ixp = s; return v.fs() },
			reached: func(r *intent.Repo) string { return r.IXPs[0].Name },
			set: func(m *model.Model, s string) {
				for _, r := range m.Routers {
					for i := range r.Ports {
						r.Ports[i].IXP = s
					}
					for _, ss := range r.Sessions {
						ss.IXP = s
					}
				}
			},
			variants: func(s string) []string { return []string{s, intent.ConfigSymbol(s)} },
		},
		{
			name:     "router name",
			hcl:      func(s string) fstest.MapFS { v := benignValues(); v.router = s; return v.fs() },
			reached:  func(r *intent.Repo) string { return r.Routers[0].Name },
			set:      func(m *model.Model, s string) { m.Routers[0].Name = s },
			variants: same,
		},
		{
			name:     "import",
			hcl:      func(s string) fstest.MapFS { v := benignValues(); v.importRef = s; return v.fs() },
			reached:  func(r *intent.Repo) string { return r.Peers[0].Import.String() },
			set:      func(m *model.Model, s string) { m.Peers[0].Import = bgp.ObjectRef{Name: s} },
			variants: same,
			twin:     importTwin,
		},
		{
			name: "MD5 secret name",
			hcl:  func(s string) fstest.MapFS { v := benignValues(); v.secret = s; return v.fs() },
			reached: func(r *intent.Repo) string {
				if r.Peers[0].MD5 == nil {
					return ""
				}
				return r.Peers[0].MD5.Name
			},
			set:      func(m *model.Model, s string) { m.Peers[0].MD5 = &intent.SecretRef{Name: s} },
			variants: same,
		},
	}
}

// benignTwin maps every byte of s to 'x' except spaces (and '-' inside
// identifiers, which symbol() turns into '_' as it does every '-'): a
// value of the same length and the same word boundaries, made of nothing
// any platform treats specially.
func benignTwin(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c != ' ' {
			b[i] = 'x'
		}
	}
	return string(b)
}

// importTwin is a benign AS-SET name of the same length.
func importTwin(s string) string {
	if len(s) < 4 {
		return "AS" + strings.Repeat("1", max(len(s)-2, 1))
	}
	return "AS-" + strings.Repeat("X", len(s)-3)
}

func buildModel(t *testing.T, fsys fstest.MapFS) (*model.Model, bool) {
	t.Helper()
	repo, diags := intent.Load(fsys)
	if diags.HasErrors() {
		return nil, false
	}
	in := model.Inputs{IRR: map[bgp.ObjectRef]irr.Result{}}
	for _, ref := range model.ImportRefs(repo) {
		in.IRR[ref] = irr.Result{ASNs: []bgp.ASN{64501},
			V4: []netip.Prefix{netip.MustParsePrefix("198.18.0.0/24")},
			V6: []netip.Prefix{netip.MustParsePrefix("2001:db8:a000::/40")}}
	}
	m, _ := model.Build(repo, in)
	return m, true
}

// TestHostileInputs shows, for every hostile string at every place a
// repository can put text into a config, that the string either never
// gets past validation or renders with exactly the config shape of a
// benign value: on every platform the outputs differ only inside the
// value's own occurrences, and the platform's lexer sees the same tokens.
// The same holds with validation bypassed: NewView refuses the string or
// the shape is unchanged.
func TestHostileInputs(t *testing.T) {
	if len(hostileStrings) < 50 {
		t.Fatalf("only %d hostile strings", len(hostileStrings))
	}
	tm := defaultTemplates(t)
	counts := map[string]int{}
	parse := parseQueue{}
	for _, inj := range injections() {
		twin := inj.twin
		if twin == nil {
			twin = benignTwin
		}
		for i, h := range hostileStrings {
			label := fmt.Sprintf("%s/%d:%.20q", inj.name, i, h)

			// Through the loader.
			if m, ok := buildModel(t, inj.hcl(h)); !ok {
				counts["rejected by validation"]++
			} else {
				repo, _ := intent.Load(inj.hcl(h))
				reached := inj.reached(repo)
				benign, ok := buildModel(t, inj.hcl(twin(reached)))
				if !ok {
					t.Fatalf("%s: the benign twin %q does not validate", label, twin(reached))
				}
				if err := sameShape(tm, m, benign, reached, twin(reached), inj.variants, parse); err != nil {
					t.Errorf("%s: validated, and %v", label, err)
				}
				counts["validated, same shape"]++
			}

			// Straight into the model.
			m, ok := buildModel(t, benignValues().fs())
			if !ok {
				t.Fatal("benign repository does not validate")
			}
			benign, _ := buildModel(t, benignValues().fs())
			inj.set(m, h)
			inj.set(benign, twin(h))
			if _, err := NewView(m, m.Routers[0].Name); err != nil {
				counts["refused by render"]++
				continue
			}
			if err := sameShape(tm, m, benign, h, twin(h), inj.variants, parse); err != nil {
				t.Errorf("%s: reached the templates unvalidated, and %v", label, err)
			}
			counts["unvalidated, same shape"]++
		}
	}
	t.Logf("%d strings × %d places: %v", len(hostileStrings), len(injections()), counts)

	// Whatever rendered goes through the real parsers too: each BIRD
	// config on its own, the FRR configs in one vtysh run (FRR commands
	// may be repeated, so the concatenation is a valid config exactly
	// when each part is).
	for i, conf := range parse["bird2"] {
		checkBIRD(t, fmt.Sprintf("hostile bird2 config %d", i), conf)
	}
	if frr := parse["frr"]; len(frr) > 0 {
		checkFRRSyntax(t, fmt.Sprintf("%d hostile frr configs", len(frr)), bytes.Join(frr, []byte("!\n")))
	}
}

// sameShape renders both models on every platform and requires the
// configs to differ only where the value (in one of its variants) sits,
// and to lex into the same token kinds.
func sameShape(tm *Templates, hostile, benign *model.Model, value, twin string, variants func(string) []string, parse parseQueue) error {
	for _, p := range tm.Platforms() {
		hm, bm := withPlatform(hostile, p), withPlatform(benign, p)
		ho, err := Render(hm, hm.Routers[0].Name, tm)
		if err != nil {
			return fmt.Errorf("%s: hostile: %v", p, err)
		}
		bo, err := Render(bm, bm.Routers[0].Name, tm)
		if err != nil {
			return fmt.Errorf("%s: benign: %v", p, err)
		}
		hs, bs := string(ho), string(bo)
		if p == platform.NETCONF {
			// Compared as the server reads them: escaping (& as &amp;)
			// changes a value's length, not what it says.
			hs, bs = xmlText(hs), xmlText(bs)
		}
		if err := onlyValuesDiffer(hs, bs, variants(value), variants(twin)); err != nil {
			return fmt.Errorf("%s: %v", p, err)
		}
		if hk, bk := tokenKinds(p, string(ho)), tokenKinds(p, string(bo)); !equalStrings(hk, bk) {
			return fmt.Errorf("%s: the config lexes differently: %s", p, firstDifference(hk, bk))
		}
		parse[p] = append(parse[p], ho)
	}
	return nil
}

// parseQueue collects rendered configs per platform for the real parsers.
type parseQueue map[platform.Name][][]byte

// onlyValuesDiffer checks that hostile and benign have the same length
// and that every byte where they differ lies inside an occurrence of a
// hostile variant whose benign twin sits at the same place.
func onlyValuesDiffer(hostile, benign string, hv, bv []string) error {
	if len(hostile) != len(benign) {
		return fmt.Errorf("the config is %d bytes with the value, %d with its benign twin", len(hostile), len(benign))
	}
	covered := make([]bool, len(hostile))
	for k, v := range hv {
		if v == "" || v == bv[k] {
			continue
		}
		for start := 0; ; {
			i := strings.Index(hostile[start:], v)
			if i < 0 {
				break
			}
			i += start
			if benign[i:i+len(v)] == bv[k] {
				for j := i; j < i+len(v); j++ {
					covered[j] = true
				}
			}
			start = i + 1
		}
	}
	for i := range hostile {
		if hostile[i] != benign[i] && !covered[i] {
			lo, hi := max(0, i-40), min(len(hostile), i+40)
			return fmt.Errorf("the configs differ outside the value at byte %d: %q vs %q", i, hostile[lo:hi], benign[lo:hi])
		}
	}
	return nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func firstDifference(a, b []string) string {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("token %d is %s, not %s", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("%d tokens, not %d", len(a), len(b))
}

// tokenKinds lexes a config the way its platform does, as far as shape
// goes: for BIRD and Junos, free-form statements of words, punctuation,
// "strings", # and /* */ comments; for FRR, EOS and IOS-XR, lines with an
// indentation, a comment marker or words, where quotes, comment and
// escape characters, control and non-ASCII bytes are significant; for the
// netconf payload, XML elements, attributes, text and comments.
func tokenKinds(p platform.Name, s string) []string {
	switch p {
	case platform.BIRD2, platform.Junos:
		return braceTokens(s)
	case platform.NETCONF:
		return xmlTokens(s)
	default:
		return lineTokens(s)
	}
}

// xmlTokens lists the XML structure of s: elements with their attribute
// names, text, comments, and where the XML breaks.
func xmlTokens(s string) []string {
	var out []string
	dec := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return append(out, "error")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			out = append(out, "start("+t.Name.Space+" "+t.Name.Local+")")
			for _, a := range t.Attr {
				out = append(out, "attr("+a.Name.Space+" "+a.Name.Local+")")
			}
		case xml.EndElement:
			out = append(out, "end("+t.Name.Local+")")
		case xml.CharData:
			out = append(out, "text")
		case xml.Comment:
			out = append(out, "comment")
		default:
			out = append(out, fmt.Sprintf("%T", t))
		}
	}
}

// xmlText writes s again with its text and attribute values unescaped, so
// that a value and its benign twin have the same length.
func xmlText(s string) string {
	var b strings.Builder
	dec := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := dec.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				b.WriteString("<error>")
			}
			return b.String()
		}
		switch t := tok.(type) {
		case xml.StartElement:
			b.WriteString("<" + t.Name.Local)
			for _, a := range t.Attr {
				b.WriteString(" " + a.Name.Local + "=" + a.Value)
			}
			b.WriteString(">")
		case xml.EndElement:
			b.WriteString("</" + t.Name.Local + ">")
		case xml.CharData:
			b.Write(t)
		case xml.Comment:
			b.WriteString("<!--" + string(t) + "-->")
		}
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func braceTokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t':
			i++
		case c == '#':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				j = len(s) - i
			}
			out = append(out, "comment")
			i += j
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return append(out, "unterminated-comment")
			}
			out = append(out, "comment")
			i += j + 4
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' && s[j] != '\n' {
				if s[j] == '\\' {
					out = append(out, "escape")
					j++
				}
				j++
			}
			if j >= len(s) || s[j] != '"' {
				return append(out, "unterminated-string")
			}
			out = append(out, "string")
			i = j + 1
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, "word")
			i = j
		default:
			out = append(out, fmt.Sprintf("punct(%q)", c))
			i++
		}
	}
	return out
}

func lineTokens(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		out = append(out, fmt.Sprintf("line(indent %d)", len(line)-len(trimmed)))
		if strings.HasPrefix(trimmed, "!") || strings.HasPrefix(trimmed, "#") {
			out = append(out, "comment")
			trimmed = trimmed[1:]
		}
		for _, w := range strings.Split(trimmed, " ") {
			kind := "word"
			for i := 0; i < len(w); i++ {
				if c := w[i]; c < 0x20 || c >= 0x7f || strings.IndexByte("\"'!#?\\{};|<>`$*", c) >= 0 {
					kind += fmt.Sprintf("+%q", c)
				}
			}
			out = append(out, kind)
		}
	}
	return out
}

// TestShapeDetectsInjection makes sure the shape check above is not
// blind: values spliced into rendered configs behind the templates' back
// are caught.
func TestShapeDetectsInjection(t *testing.T) {
	tm := defaultTemplates(t)
	m, ok := buildModel(t, benignValues().fs())
	if !ok {
		t.Fatal("benign repository does not validate")
	}
	for _, c := range []struct {
		platform platform.Name
		value    string
	}{
		{"bird2", `x"; } protocol static evil { "`},
		{"bird2", "x\n# y"},
		{"junos", `a" ; evil "`},
		{"frr", "Good Peer\nneighbor 192.0.2.66 remote-as 666"},
		{"frr", "Good Peer ! trailing"},
		{"eos", "Good Peer 'q'"},
		{"iosxr", "Good Peer #x"},
		{platform.NETCONF, "Good Peer</description><enabled>false</enabled><description>x"},
		{platform.NETCONF, "Good Peer<!-- x -->"},
	} {
		pm := withPlatform(m, c.platform)
		out, err := Render(pm, pm.Routers[0].Name, tm)
		if err != nil {
			t.Fatal(err)
		}
		benign := string(out)
		hostile := strings.ReplaceAll(benign, "Good Peer", c.value)
		twin := strings.ReplaceAll(benign, "Good Peer", benignTwin(c.value))
		hs, ts := hostile, twin
		if c.platform == platform.NETCONF {
			hs, ts = xmlText(hs), xmlText(ts)
		}
		lenOK := onlyValuesDiffer(hs, ts, []string{c.value}, []string{benignTwin(c.value)}) == nil
		if lenOK && equalStrings(tokenKinds(c.platform, hostile), tokenKinds(c.platform, twin)) {
			t.Errorf("%s: %q spliced into the config was not noticed", c.platform, c.value)
		}
	}
}
