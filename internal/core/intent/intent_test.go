package intent

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/score"
)

// basePolicy is a small valid repository every case starts from.
const basePolicy = `
network {
  asn            = 64500
  name           = "Example Networks"
  as_set         = "AS-EXAMPLE"
  prefixes       = ["198.51.100.0/24", "2001:db8:100::/48"]
  allow_peer_asn = ["documentation"]
}
ixp "IX-A" {
  peeringdb_ix = 1
  ipv4_lan     = "192.0.2.0/25"
  ipv6_lan     = "2001:db8:ffff:1::/64"
}
ixp "IX-B" {
  ipv4_lan = "192.0.2.128/25"
}
router "r1" {
  platform = "frr"
  host     = "r1.example.net"
  ixp "IX-A" {
    ipv4 = "192.0.2.1"
    ipv6 = "2001:db8:ffff:1::1"
  }
}
router "r2" {
  platform = "bird2"
  host     = "192.0.2.250"
  ixp "IX-B" {
    ipv4 = "192.0.2.129"
  }
}
`

const basePeer = `peer "AS13335" {
  name   = "Cloudflare"
  import = "AS13335:AS-CLOUDFLARE"
  export = "AS-EXAMPLE"
  session "IX-A" {
    ipv4 = "192.0.2.10"
  }
}
`

// baseRPKI gives the routers an RTR cache (else each warns); a case
// replaces policies/rpki.hcl to test the block.
const baseRPKI = "rpki {\n  rtr = [\"198.51.100.10:8282\"]\n}\n"

func repoFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{
		"policies/base.hcl": {Data: []byte(basePolicy)},
		"policies/rpki.hcl": {Data: []byte(baseRPKI)},
		"peers/AS13335.hcl": {Data: []byte(basePeer)},
	}
	for name, src := range files {
		if src == "" {
			delete(fsys, name)
			continue
		}
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return fsys
}

func TestBaseRepositoryIsValid(t *testing.T) {
	repo, diags := Load(repoFS(nil))
	if len(diags) != 0 {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	if len(repo.Peers) != 1 || repo.Peers[0].ASN != 13335 || repo.Peers[0].Import.String() != "AS13335:AS-CLOUDFLARE" {
		t.Fatalf("peer not decoded: %+v", repo.Peers)
	}
	if repo.Filters.RPKI != "reject-invalid" || !repo.Filters.Bogons || repo.Deploy.Parallel != 1 {
		t.Errorf("defaults not applied: %+v %+v", repo.Filters, repo.Deploy)
	}
	if r := repo.Router("r1"); r == nil || r.Port != 22 || r.Transport != "ssh" || r.Environment != "production" {
		t.Errorf("router defaults: %+v", r)
	}
}

// wantDiag describes one expected diagnostic.
type wantDiag struct {
	severity hcl.DiagnosticSeverity
	summary  string
	file     string
	line     int
}

// TestValidationRules has, for each rule, a case that breaks it; the
// passing side of each rule is TestBaseRepositoryIsValid plus the "ok"
// cases here, which vary the base without breaking anything.
func TestValidationRules(t *testing.T) {
	E, W := hcl.DiagError, hcl.DiagWarning
	peer := func(body string) map[string]string {
		return map[string]string{"peers/AS13335.hcl": "peer \"AS13335\" {\n" + body + "\n}\n"}
	}
	const must = "  name = \"Cloudflare\"\n  import = \"AS-CF\"\n  export = \"AS-EXAMPLE\"\n"
	cases := []struct {
		name  string
		files map[string]string
		want  []wantDiag // empty: no diagnostics at all
	}{
		{"syntax error", peer(must + "  bfd = \n"), []wantDiag{{E, "Invalid expression", "peers/AS13335.hcl", 5}}},
		{"unknown attribute", peer(must + "  exprot = 1"), []wantDiag{{E, "Unsupported argument", "peers/AS13335.hcl", 5}}},
		{"missing attribute", peer("  name = \"x\"\n  import = \"AS-X\""), []wantDiag{{E, "Missing required argument", "peers/AS13335.hcl", 1}}},
		{"missing import", peer("  name = \"x\"\n  export = \"AS-EXAMPLE\""), []wantDiag{{E, "Missing required argument", "peers/AS13335.hcl", 1}}},
		{"duplicate peer across files", map[string]string{"peers/AS13335.hcl.json": `{"peer": {"AS13335": {"name": "CF", "import": "AS-CF", "export": "AS-EXAMPLE"}}}`},
			[]wantDiag{{E, "Duplicate peer", "peers/AS13335.hcl.json", 1}}},
		{"json peer ok", map[string]string{"peers/AS15169.hcl.json": `{"peer": {"AS15169": {"name": "Google", "import": "AS-GOOGLE", "export": "AS-EXAMPLE"}}}`}, nil},
		{"label mismatch", map[string]string{"peers/AS15169.hcl": "peer \"AS15170\" {\n" + must + "}\n"},
			[]wantDiag{{E, "Peer label does not match the file name", "peers/AS15169.hcl", 1}}},
		{"label not canonical", map[string]string{"peers/as15169.hcl": "peer \"as15169\" {\n" + must + "}\n"},
			[]wantDiag{{E, "Peer label not canonical", "peers/as15169.hcl", 1}}},
		{"label not an ASN", map[string]string{"peers/CF.hcl": "peer \"CF\" {\n" + must + "}\n"},
			[]wantDiag{{E, "Invalid peer label", "peers/CF.hcl", 1}}},
		{"two peers in one file", map[string]string{"peers/AS15169.hcl": "peer \"AS15169\" {\n" + must + "}\npeer \"AS15170\" {\n" + must + "}\n"},
			[]wantDiag{{E, "More than one peer in a file", "peers/AS15169.hcl", 6}}},
		{"no peer in file", map[string]string{"peers/AS15169.hcl": "# nothing\n"}, []wantDiag{{E, "No peer block", "peers/AS15169.hcl", 1}}},
		{"asn out of range", map[string]string{"peers/AS4294967296.hcl": "peer \"AS4294967296\" {\n" + must + "}\n"},
			[]wantDiag{{E, "Invalid peer label", "peers/AS4294967296.hcl", 1}}},
		{"reserved asn", map[string]string{"peers/AS23456.hcl": "peer \"AS23456\" {\n" + must + "}\n"},
			[]wantDiag{{E, "Reserved AS number", "peers/AS23456.hcl", 1}}},
		{"private asn forbidden", map[string]string{"peers/AS64512.hcl": "peer \"AS64512\" {\n" + must + "}\n"},
			[]wantDiag{{E, "Non-public AS number", "peers/AS64512.hcl", 1}}},
		{"documentation asn allowed", map[string]string{"peers/AS64501.hcl": "peer \"AS64501\" {\n" + must + "}\n"}, nil},
		{"own asn", map[string]string{"peers/AS64500.hcl": "peer \"AS64500\" {\n" + must + "}\n"},
			[]wantDiag{{E, "Peer is our own network", "peers/AS64500.hcl", 1}}},
		{"malformed as-set", peer("  name = \"x\"\n  import = \"AS-FOO;BAR\"\n  export = \"AS-EXAMPLE\""), []wantDiag{{E, "Invalid import", "peers/AS13335.hcl", 3}}},
		{"malformed export", peer("  name = \"x\"\n  import = \"AS-FOO\"\n  export = \"EXAMPLE\""), []wantDiag{{E, "Invalid export", "peers/AS13335.hcl", 4}}},
		{"source-qualified as-set ok", peer("  name = \"x\"\n  import = \"RIPE::AS-FOO\"\n  export = \"AS64500\""), nil},
		{"suspicious export", peer("  name = \"x\"\n  import = \"AS-FOO\"\n  export = \"AS-OTHER\""), []wantDiag{{W, "Suspicious export", "peers/AS13335.hcl", 4}}},
		{"deprecated as_set", peer("  name = \"x\"\n  as_set = \"AS-FOO\"\n  export = \"AS-EXAMPLE\""), []wantDiag{{W, "Deprecated attribute", "peers/AS13335.hcl", 3}}},
		{"bad ip", peer(must + "  session \"IX-A\" {\n    ipv4 = \"192.0.2.300\"\n  }"), []wantDiag{{E, "Invalid IP address", "peers/AS13335.hcl", 6}}},
		{"ip wrong family", peer(must + "  session \"IX-A\" {\n    ipv4 = \"2001:db8:ffff:1::5\"\n  }"), []wantDiag{{E, "Wrong address family", "peers/AS13335.hcl", 6}}},
		{"ip outside lan", peer(must + "  session \"IX-A\" {\n    ipv4 = \"192.0.2.200\"\n  }"), []wantDiag{{E, "Address outside the IXP LAN", "peers/AS13335.hcl", 6}}},
		{"ipv6 outside lan", peer(must + "  session \"IX-A\" {\n    ipv6 = \"2001:db8:ffff:2::5\"\n  }"), []wantDiag{{E, "Address outside the IXP LAN", "peers/AS13335.hcl", 6}}},
		{"ip with unknown lan ok", peer(must + "  session \"IX-B\" {\n    ipv6 = \"2001:db8:ffff:2::5\"\n  }"), nil},
		{"undefined ixp in session", peer(must + "  session \"IX-C\" {\n    ipv4 = \"192.0.2.10\"\n  }"), []wantDiag{{E, "Unknown IXP", "peers/AS13335.hcl", 5}}},
		{"undefined ixp in ixps", peer(must + "  ixps = [\"IX-Z\"]"), []wantDiag{{E, "Unknown IXP", "peers/AS13335.hcl", 5}}},
		{"undefined router in session", peer(must + "  session \"IX-A\" {\n    ipv4 = \"192.0.2.10\"\n    router = \"r9\"\n  }"), []wantDiag{{E, "Unknown router", "peers/AS13335.hcl", 7}}},
		{"router not at ixp", peer(must + "  session \"IX-A\" {\n    ipv4 = \"192.0.2.10\"\n    router = \"r2\"\n  }"), []wantDiag{{E, "Router not at this IXP", "peers/AS13335.hcl", 7}}},
		{"session without address", peer(must + "  session \"IX-A\" {\n  }"), []wantDiag{{E, "Session without address", "peers/AS13335.hcl", 5}}},
		{"undefined ixp in router", map[string]string{"policies/more.hcl": "router \"r3\" {\n  platform = \"eos\"\n  host = \"r3\"\n  ixp \"IX-Q\" {\n    ipv4 = \"192.0.2.2\"\n  }\n}\n"},
			[]wantDiag{{E, "Unknown IXP", "policies/more.hcl", 4}}},
		{"router rtr not host:port", map[string]string{"policies/more.hcl": "router \"r3\" {\n  platform = \"eos\"\n  host = \"r3\"\n  rtr = [\"192.0.2.126\"]\n}\n"},
			[]wantDiag{{E, "Invalid server address", "policies/more.hcl", 4}}},
		{"router rtr ok", map[string]string{"policies/more.hcl": "router \"r3\" {\n  platform = \"eos\"\n  host = \"r3\"\n  rtr = [\"192.0.2.126:8282\", \"[2001:db8::1]:323\"]\n}\n"}, nil},
		{"netconf transport on frr", map[string]string{"policies/more.hcl": "router \"r3\" {\n  platform = \"frr\"\n  host = \"r3\"\n  transport = \"netconf\"\n}\n"},
			[]wantDiag{{E, "No NETCONF for this platform", "policies/more.hcl", 4}}},
		{"junos over netconf ok", map[string]string{"policies/more.hcl": "router \"r3\" {\n  platform = \"junos\"\n  host = \"r3\"\n  transport = \"netconf\"\n}\n"}, nil},
		{"unknown platform", map[string]string{"policies/more.hcl": "router \"r3\" {\n  platform = \"bird\"\n  host = \"r3\"\n}\n"},
			[]wantDiag{{E, "Unknown platform", "policies/more.hcl", 2}}},
		{"duplicate router", map[string]string{"policies/more.hcl": "router \"r1\" {\n  platform = \"eos\"\n  host = \"r3\"\n}\n"},
			[]wantDiag{{E, "Duplicate router", "policies/more.hcl", 1}}},
		{"duplicate network block", map[string]string{"policies/more.hcl": "network {\n  asn = 1\n  name = \"x\"\n  prefixes = []\n}\n"},
			[]wantDiag{{E, "Duplicate network block", "policies/more.hcl", 1}}},
		{"ixf export ok", map[string]string{"policies/more.hcl": "ixp \"IX-X\" {\n  ipv4_lan = \"198.51.100.0/24\"\n  ixf_export = \"data/ixf/x.json\"\n  ixf_ixp_id = 0\n}\n"}, nil},
		{"ixf export outside the repository", map[string]string{"policies/more.hcl": "ixp \"IX-X\" {\n  ipv4_lan = \"198.51.100.0/24\"\n  ixf_export = \"../x.json\"\n}\n"},
			[]wantDiag{{E, "Invalid path", "policies/more.hcl", 3}}},
		{"ixf export absolute", map[string]string{"policies/more.hcl": "ixp \"IX-X\" {\n  ipv4_lan = \"198.51.100.0/24\"\n  ixf_export = \"/etc/passwd\"\n}\n"},
			[]wantDiag{{E, "Invalid path", "policies/more.hcl", 3}}},
		{"ixf export newline", map[string]string{"policies/more.hcl": "ixp \"IX-X\" {\n  ipv4_lan = \"198.51.100.0/24\"\n  ixf_export = \"a\\nb.json\"\n}\n"},
			[]wantDiag{{E, "Invalid path", "policies/more.hcl", 3}}},
		{"ixf ixp id alone", map[string]string{"policies/more.hcl": "ixp \"IX-X\" {\n  ipv4_lan = \"198.51.100.0/24\"\n  ixf_ixp_id = 3\n}\n"},
			[]wantDiag{{E, "ixf_ixp_id without ixf_export", "policies/more.hcl", 3}}},
		{"ixf ixp id negative", map[string]string{"policies/more.hcl": "ixp \"IX-X\" {\n  ipv4_lan = \"198.51.100.0/24\"\n  ixf_export = \"x.json\"\n  ixf_ixp_id = -1\n}\n"},
			[]wantDiag{{E, "Invalid ixp_id", "policies/more.hcl", 4}}},
		{"router address outside lan", map[string]string{"policies/more.hcl": "router \"r3\" {\n  platform = \"eos\"\n  host = \"r3\"\n  ixp \"IX-A\" {\n    ipv4 = \"192.0.2.129\"\n  }\n}\n"},
			[]wantDiag{{E, "Address outside the IXP LAN", "policies/more.hcl", 5}}},
		{"newline in name", peer("  name = \"x\\n protocol static evil {\"\n  import = \"AS-FOO\"\n  export = \"AS-EXAMPLE\""), []wantDiag{{E, "Invalid peer name", "peers/AS13335.hcl", 2}}},
		{"quote in description", peer(must + "  description = \"a\\\"b\""), []wantDiag{{E, "Invalid description", "peers/AS13335.hcl", 5}}},
		{"brace in name", peer("  name = \"x}\"\n  import = \"AS-FOO\"\n  export = \"AS-EXAMPLE\""), []wantDiag{{E, "Invalid peer name", "peers/AS13335.hcl", 2}}},
		{"semicolon in description", peer(must + "  description = \"a; b\""), []wantDiag{{E, "Invalid description", "peers/AS13335.hcl", 5}}},
		{"look-alike in name", peer("  name = \"Cl\u043eudflare\"\n  import = \"AS-FOO\"\n  export = \"AS-EXAMPLE\""), []wantDiag{{E, "Invalid peer name", "peers/AS13335.hcl", 2}}},
		{"control char in name", peer("  name = \"a\\u0007b\"\n  import = \"AS-FOO\"\n  export = \"AS-EXAMPLE\""), []wantDiag{{E, "Invalid peer name", "peers/AS13335.hcl", 2}}},
		{"plain description ok", peer(must + "  description = \"Content (CDN), AMS/FRA: 10G\""), nil},
		{"non-utf8 file", map[string]string{"peers/AS15169.hcl": "peer \"AS15169\" {\n  name = \"Caf\xe9\"\n}\n"},
			[]wantDiag{{E, "File is not UTF-8", "peers/AS15169.hcl", 2}}},
		{"oversize file", map[string]string{"peers/AS15169.hcl": strings.Repeat("#", MaxFileBytes+1)},
			[]wantDiag{{E, "Cannot read file", "peers/AS15169.hcl", 1}}},
		{"deep nesting", peer(must + "  ixps = " + strings.Repeat("[", 100) + strings.Repeat("]", 100)),
			[]wantDiag{{E, "Nesting too deep", "peers/AS13335.hcl", 5}}},
		{"deep nesting in a template", peer(must + "  description = \"${" + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "[0]}\""),
			[]wantDiag{{E, "Nesting too deep", "peers/AS13335.hcl", 5}}},
		{"deep nesting in a heredoc", peer(must + "  description = <<EOT\n${" + strings.Repeat("(", 40) + "1" + strings.Repeat(")", 40) + "}\nEOT"),
			[]wantDiag{{E, "Nesting too deep", "peers/AS13335.hcl", 6}}},
		{"interpolation", peer("  name = \"Cloud${\"flare\"}\"\n  import = \"AS-CF\"\n  export = \"AS-EXAMPLE\""),
			[]wantDiag{{E, "Expression not allowed", "peers/AS13335.hcl", 2}}},
		{"for directive", peer(must + "  description = \"%{ for a in [1, 2] }%{ for b in [1, 2] }x%{ endfor }%{ endfor }\""),
			[]wantDiag{{E, "Expression not allowed", "peers/AS13335.hcl", 5}}},
		{"for expression", peer(must + "  ixps = [for x in [\"A\"] : x]"), []wantDiag{{E, "Expression not allowed", "peers/AS13335.hcl", 5}}},
		{"operator", peer(must + "  local_pref = 100 + 50"), []wantDiag{{E, "Expression not allowed", "peers/AS13335.hcl", 5}}},
		{"conditional", peer(must + "  bfd = true ? false : true"), []wantDiag{{E, "Expression not allowed", "peers/AS13335.hcl", 5}}},
		{"other function", peer(must + "  description = upper(\"x\")"), []wantDiag{{E, "Expression not allowed", "peers/AS13335.hcl", 5}}},
		{"secret of a template", peer(must + "  md5 = secret(\"${\"X\"}\")"), []wantDiag{{E, "Expression not allowed", "peers/AS13335.hcl", 5}}},
		{"json template stays text", map[string]string{"peers/AS15169.hcl.json": `{"peer": {"AS15169": {"name": "${upper(\"x\")}", "import": "AS-GOOGLE", "export": "AS-EXAMPLE"}}}`},
			[]wantDiag{{E, "Invalid peer name", "peers/AS15169.hcl.json", 1}}},
		{"too many values", peer(must + "  ixps = [" + strings.Repeat("\"X\",", MaxItems) + "\"X\"]"), []wantDiag{{E, "Too many values", "peers/AS13335.hcl", 5}}},
		{"too many values in json", map[string]string{"peers/AS15169.hcl.json": `{"peer": {"AS15169": {"name": "Google", "import": "AS-GOOGLE", "export": "AS-EXAMPLE", "ixps": [` +
			strings.Repeat(`"X",`, MaxItems) + `"X"]}}}`}, []wantDiag{{E, "Too many values", "peers/AS15169.hcl.json", 1}}},
		{"json secret ok", map[string]string{"peers/AS15169.hcl.json": `{"peer": {"AS15169": {"name": "Google", "import": "AS-GOOGLE", "export": "AS-EXAMPLE", "md5": "${secret(\"GOOGLE\")}"}}}`}, nil},
		{"negative number is a literal", peer(must + "  local_pref = -1"), []wantDiag{{E, "Invalid local preference", "peers/AS13335.hcl", 5}}},
		{"plaintext password", peer(must + "  password = \"hunter2\""), []wantDiag{{E, "Secret written in the repository", "peers/AS13335.hcl", 5}}},
		{"md5 literal", peer(must + "  md5 = \"hunter2\""), []wantDiag{{E, "Secret written in the repository", "peers/AS13335.hcl", 5}}},
		{"md5 secret ok", peer(must + "  md5 = secret(\"CF_MD5\")"), nil},
		{"bad secret name", peer(must + "  md5 = secret(\"a b\")"), []wantDiag{{E, "Error in function call", "peers/AS13335.hcl", 5}}},
		{"secret object without a name", peer(must + "  md5 = { secret = \"\" }"), []wantDiag{{E, "Invalid secret name", "peers/AS13335.hcl", 5}}},
		{"secret object with a bad name", peer(must + "  md5 = { secret = \"AS1;x\" }"), []wantDiag{{E, "Invalid secret name", "peers/AS13335.hcl", 5}}},
		{"secret placeholder in a description", peer(must + "  description = \"see PEERFORM-SECRET-AS20940\""), []wantDiag{{E, "Invalid description", "peers/AS13335.hcl", 5}}},
		{"zero max prefix", peer(must + "  max_prefix {\n    ipv4 = 0\n  }"), []wantDiag{{E, "Invalid max-prefix", "peers/AS13335.hcl", 6}}},
		{"huge max prefix", peer(must + "  max_prefix {\n    ipv6 = 9000000\n  }"), []wantDiag{{W, "Suspicious max-prefix", "peers/AS13335.hcl", 6}}},
		{"high local pref", peer(must + "  local_pref = 5000"), []wantDiag{{W, "Suspicious local preference", "peers/AS13335.hcl", 5}}},
		{"gtsm on route server", peer(must + "  route_server = true\n  gtsm = true"), []wantDiag{{W, "Suspicious GTSM", "peers/AS13335.hcl", 6}}},
		{"rpki off", map[string]string{"policies/f.hcl": "filters {\n  rpki = \"off\"\n}\n"}, []wantDiag{{W, "RPKI origin validation is off", "policies/f.hcl", 2}}},
		{"rpki typo", map[string]string{"policies/f.hcl": "filters {\n  rpki = \"reject-invalids\"\n}\n"}, []wantDiag{{E, "Unknown RPKI mode", "policies/f.hcl", 2}}},
		{"prefix host bits", map[string]string{"policies/f.hcl": "filters {\n  bogon_exceptions = [\"203.0.113.1/24\"]\n}\n"}, []wantDiag{{E, "Prefix has host bits set", "policies/f.hcl", 2}}},
		{"deploy unknown router", map[string]string{"policies/d.hcl": "deploy {\n  order = [\"r1\", \"rr2\"]\n}\n"}, []wantDiag{{E, "Unknown router", "policies/d.hcl", 2}}},
		{"scoring profile typo", map[string]string{"policies/s.hcl": "scoring {\n  profile = \"papr\"\n}\n"}, []wantDiag{{E, "Unknown scoring profile", "policies/s.hcl", 2}}},
		{"scoring model escapes repository", map[string]string{"policies/s.hcl": "scoring {\n  model = \"../m.json\"\n}\n"}, []wantDiag{{E, "Invalid path", "policies/s.hcl", 2}}},
		{"scoring model with paper profile", map[string]string{"policies/s.hcl": "scoring {\n  profile = \"paper\"\n  model = \"m.json\"\n}\n"}, []wantDiag{{W, "Model without a likelihood profile", "policies/s.hcl", 2}}},
		{"scoring criterion typo", map[string]string{"policies/s.hcl": "scoring {\n  criterion = \"onw\"\n}\n"}, []wantDiag{{E, "Unknown criterion", "policies/s.hcl", 2}}},
		{"sros without templates", map[string]string{"policies/r.hcl": "router \"r3\" {\n  platform = \"sros\"\n  host     = \"r3.example.net\"\n}\n"}, []wantDiag{{E, "No templates for this platform", "policies/r.hcl", 2}}},
		{"sros with the repository's templates", map[string]string{"policies/r.hcl": "router \"r3\" {\n  platform = \"sros\"\n  host     = \"r3.example.net\"\n}\n", "templates/sros/router.tmpl": "{{define \"router\"}}{{end}}"}, nil},
		{"platform typo", map[string]string{"policies/r.hcl": "router \"r3\" {\n  platform = \"bird\"\n  host     = \"r3.example.net\"\n}\n"}, []wantDiag{{E, "Unknown platform", "policies/r.hcl", 2}}},
		{"scoring assumed ratio typo", map[string]string{"policies/s.hcl": "scoring {\n  assume_ratio = { \"AS174\" = \"Balanced-ish\" }\n}\n"}, []wantDiag{{E, "Unknown traffic ratio", "policies/s.hcl", 2}}},
		{"scoring assumed ratio not disclosed", map[string]string{"policies/s.hcl": "scoring {\n  assume_ratio = { \"AS174\" = \"Not Disclosed\" }\n}\n"}, []wantDiag{{E, "Unknown traffic ratio", "policies/s.hcl", 2}}},
		{"economics bad key", map[string]string{"policies/e.hcl": "economics {\n  port_usd_per_month = { \"ix26\" = 5 }\n}\n"}, []wantDiag{{E, "Invalid PoP key", "policies/e.hcl", 2}}},
		{"economics ok", map[string]string{"policies/e.hcl": "economics {\n  ixp_fee_usd_per_month = { \"ix:1\" = 100 }\n  transit \"up\" {\n    asn = 64496\n    usd_per_mbps = 0.4\n    commit_mbps = 1000\n    billed = \"sum\"\n  }\n  transit \"cloud\" {\n    egress_usd_per_gb = 0.05\n  }\n  paid_peering \"AS64504\" {\n    payer = \"them\"\n    usd_per_gb = 0.01\n  }\n}\n"}, nil},
		{"economics older transit spelling", map[string]string{"policies/e.hcl": "economics {\n  transit_usd_per_mbps = 0.4\n}\n"}, []wantDiag{{W, "Older spelling", "policies/e.hcl", 2}}},
		{"economics both transit spellings", map[string]string{"policies/e.hcl": "economics {\n  transit_usd_per_mbps = 0.4\n  transit \"up\" {\n    usd_per_mbps = 0.4\n  }\n}\n"}, []wantDiag{{E, "Two ways to price transit", "policies/e.hcl", 2}}},
		{"economics negative price", map[string]string{"policies/e.hcl": "economics {\n  transit \"up\" {\n    usd_per_mbps = -1\n  }\n}\n"}, []wantDiag{{E, "Invalid usd_per_mbps", "policies/e.hcl", 3}}},
		{"economics huge commit", map[string]string{"policies/e.hcl": "economics {\n  transit \"up\" {\n    usd_per_mbps = 1\n    commit_mbps = 1e300\n  }\n}\n"}, []wantDiag{{E, "Invalid commit_mbps", "policies/e.hcl", 4}}},
		{"economics billed typo", map[string]string{"policies/e.hcl": "economics {\n  transit \"up\" {\n    usd_per_mbps = 1\n    billed = \"maxx\"\n  }\n}\n"}, []wantDiag{{E, "Unknown billed direction", "policies/e.hcl", 4}}},
		{"economics two catch-all providers", map[string]string{"policies/e.hcl": "economics {\n  transit \"a\" {\n    usd_per_mbps = 1\n  }\n  transit \"b\" {\n    usd_per_mbps = 2\n  }\n}\n"}, []wantDiag{{E, "Two transit providers without asn", "policies/e.hcl", 5}}},
		{"economics same provider AS", map[string]string{"policies/e.hcl": "economics {\n  transit \"a\" {\n    asn = 64496\n    usd_per_mbps = 1\n  }\n  transit \"b\" {\n    asn = 64496\n    usd_per_mbps = 2\n  }\n}\n"}, []wantDiag{{E, "Duplicate transit provider", "policies/e.hcl", 7}}},
		{"economics provider without price", map[string]string{"policies/e.hcl": "economics {\n  transit \"a\" {\n    asn = 64496\n  }\n}\n"}, []wantDiag{{W, "Transit without a price", "policies/e.hcl", 2}}},
		{"economics paid label", map[string]string{"policies/e.hcl": "economics {\n  paid_peering \"ASX1\" {\n    flat_usd_per_month = 1\n  }\n}\n"}, []wantDiag{{E, "Invalid AS number", "policies/e.hcl", 2}}},
		{"economics paid payer typo", map[string]string{"policies/e.hcl": "economics {\n  paid_peering \"AS64504\" {\n    payer = \"theirs\"\n  }\n}\n"}, []wantDiag{{E, "Unknown payer", "policies/e.hcl", 3}}},
		{"economics duplicate offer", map[string]string{"policies/e.hcl": "economics {\n  paid_peering \"AS64504\" {\n  }\n  paid_peering \"AS64504\" {\n  }\n}\n"}, []wantDiag{{E, "Duplicate paid-peering offer", "policies/e.hcl", 4}}},
		{"economics fee at a facility", map[string]string{"policies/e.hcl": "economics {\n  ixp_fee_usd_per_month = { \"fac:1\" = 5 }\n}\n"}, []wantDiag{{E, "Not an exchange", "policies/e.hcl", 2}}},
		{"smtp ok", map[string]string{"policies/m.hcl": "smtp {\n  host = \"smtp.example.net\"\n  from = \"Peering <peering@example.net>\"\n  cc = [\"desk@example.net\"]\n  username = \"peering@example.net\"\n  password_env = \"SMTP_PASSWORD\"\n}\n"}, nil},
		{"smtp header injection in from", map[string]string{"policies/m.hcl": "smtp {\n  host = \"smtp.example.net\"\n  from = \"peering@example.net\\r\\nBcc: x@example.org\"\n}\n"}, []wantDiag{{E, "Invalid sender", "policies/m.hcl", 3}}},
		{"smtp display-name cc", map[string]string{"policies/m.hcl": "smtp {\n  host = \"smtp.example.net\"\n  from = \"peering@example.net\"\n  cc = [\"a@example.net, b@example.org\"]\n}\n"}, []wantDiag{{E, "Invalid address", "policies/m.hcl", 4}}},
		{"smtp password in plain text", map[string]string{"policies/m.hcl": "smtp {\n  host = \"smtp.example.net\"\n  from = \"peering@example.net\"\n  username = \"u\"\n  password_env = \"SMTP_PASSWORD\"\n  starttls = false\n}\n"}, []wantDiag{{E, "Password in plain text", "policies/m.hcl", 6}}},
		{"smtp plain text allowed", map[string]string{"policies/m.hcl": "smtp {\n  host = \"smtp.example.net\"\n  from = \"peering@example.net\"\n  username = \"u\"\n  password_env = \"SMTP_PASSWORD\"\n  starttls = false\n  allow_plaintext_auth = true\n}\n"}, nil},
		{"smtp login without password", map[string]string{"policies/m.hcl": "smtp {\n  host = \"smtp.example.net\"\n  from = \"peering@example.net\"\n  username = \"u\"\n}\n"}, []wantDiag{{E, "Incomplete SMTP login", "policies/m.hcl", 1}}},
		{"smtp bad env name and port", map[string]string{"policies/m.hcl": "smtp {\n  host = \"smtp.example.net\"\n  port = 0\n  from = \"peering@example.net\"\n  username = \"u\"\n  password_env = \"A-B\"\n}\n"}, []wantDiag{{E, "Invalid port", "policies/m.hcl", 3}, {E, "Invalid environment variable name", "policies/m.hcl", 6}}},
		{"traffic ok", map[string]string{"policies/t.hcl": "traffic {\n  rib = \"data/rib.mrt\"\n  link \"up\" {\n    class = \"transit\"\n    exporter = \"192.0.2.1\"\n    ifindex = [3]\n  }\n}\n"}, nil},
		{"traffic link class typo", map[string]string{"policies/t.hcl": "traffic {\n  link \"up\" {\n    class = \"tranist\"\n    neighbor_asn = 64496\n  }\n}\n"}, []wantDiag{{E, "Invalid link class", "policies/t.hcl", 3}}},
		{"traffic link matches nothing", map[string]string{"policies/t.hcl": "traffic {\n  link \"up\" {\n    class = \"pni\"\n  }\n}\n"}, []wantDiag{{E, "Link matches nothing", "policies/t.hcl", 2}}},
		{"traffic ifindex without exporter", map[string]string{"policies/t.hcl": "traffic {\n  link \"up\" {\n    class = \"pni\"\n    ifindex = [7]\n  }\n}\n"}, []wantDiag{{W, "Interface indexes without an exporter", "policies/t.hcl", 2}}},
		{"traffic bad next hop and rate", map[string]string{"policies/t.hcl": "traffic {\n  sampling_rate = 0\n  link \"up\" {\n    class = \"ixp\"\n    next_hops = [\"192.0.2.300\"]\n  }\n}\n"},
			[]wantDiag{{E, "Invalid sampling rate", "policies/t.hcl", 2}, {E, "Invalid next hop", "policies/t.hcl", 5}, {E, "Link matches nothing", "policies/t.hcl", 3}}},
		{"traffic store escapes repository", map[string]string{"policies/t.hcl": "traffic {\n  store = \"../flows\"\n}\n"}, []wantDiag{{E, "Invalid path", "policies/t.hcl", 2}}},
		{"path escapes repository", map[string]string{"policies/p.hcl": "peeringdb {\n  snapshot = \"../../etc\"\n}\n"}, []wantDiag{{E, "Invalid path", "policies/p.hcl", 2}}},
		{"irr snapshot escapes repository", map[string]string{"policies/i.hcl": "irr {\n  snapshot = [\"data/irr/a.rpsl\", \"/etc/passwd\"]\n}\n"}, []wantDiag{{E, "Invalid path", "policies/i.hcl", 2}}},
		{"irr snapshot empty", map[string]string{"policies/i.hcl": "irr {\n  snapshot = []\n}\n"}, []wantDiag{{E, "No IRR snapshot", "policies/i.hcl", 2}}},
		{"irr snapshot ok", map[string]string{"policies/i.hcl": "irr {\n  snapshot = [\"data/irr/ripe.db.route.gz\"]\n}\n"}, nil},
		{"missing policies", map[string]string{"policies/base.hcl": "", "policies/rpki.hcl": ""}, []wantDiag{{E, "Missing policies directory", "", 0}}},
		// The README promises RPKI-invalid = reject: a router without an
		// RTR cache cannot, and each one says so.
		{"no rpki block", map[string]string{"policies/rpki.hcl": ""},
			[]wantDiag{{W, "No RPKI origin validation", "policies/base.hcl", 17}, {W, "No RPKI origin validation", "policies/base.hcl", 25}}},
		{"empty rtr list", map[string]string{"policies/rpki.hcl": "rpki {\n  rtr = []\n}\n"},
			[]wantDiag{{W, "No RPKI origin validation", "policies/base.hcl", 17}, {W, "No RPKI origin validation", "policies/base.hcl", 25}}},
		{"rpki tag without caches", map[string]string{"policies/rpki.hcl": "filters {\n  rpki = \"tag\"\n}\n"},
			[]wantDiag{{W, "No RPKI origin validation", "policies/base.hcl", 17}, {W, "No RPKI origin validation", "policies/base.hcl", 25}}},
		{"rpki off is the explicit opt-out", map[string]string{"policies/rpki.hcl": "filters {\n  rpki = \"off\"\n}\n"},
			[]wantDiag{{W, "RPKI origin validation is off", "policies/rpki.hcl", 2}}},
		{"router's own caches", map[string]string{"policies/rpki.hcl": "",
			"policies/base.hcl": strings.ReplaceAll(basePolicy, "  platform", "  rtr      = [\"192.0.2.126:8282\"]\n  platform")}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Load(repoFS(tc.files))
			if len(tc.want) == 0 {
				if len(diags) != 0 {
					t.Fatalf("want no diagnostics, got:\n%v", describe(diags))
				}
				return
			}
			for _, w := range tc.want {
				if !hasDiag(diags, w) {
					t.Errorf("missing %v %q at %s:%d; got:\n%s", w.severity, w.summary, w.file, w.line, describe(diags))
				}
			}
			for _, d := range diags {
				if d.Subject == nil && tc.want[0].file != "" {
					t.Errorf("diagnostic without a location: %s", d.Summary)
				}
			}
		})
	}
}

func hasDiag(diags hcl.Diagnostics, w wantDiag) bool {
	for _, d := range diags {
		if d.Severity != w.severity || d.Summary != w.summary {
			continue
		}
		if w.file == "" {
			return true
		}
		if d.Subject != nil && d.Subject.Filename == w.file && d.Subject.Start.Line == w.line {
			return true
		}
	}
	return false
}

func describe(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		loc := "(no location)"
		if d.Subject != nil {
			loc = d.Subject.String()
		}
		b.WriteString("  " + loc + ": " + d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

func TestPeerRanges(t *testing.T) {
	repo, _ := Load(repoFS(nil))
	p := repo.Peer(bgp.ASN(13335))
	if r := p.Range("session.IX-A.ipv4"); r.Start.Line != 6 {
		t.Errorf("session range = %v", r)
	}
	if r := p.Range("no-such-attribute"); r != p.DeclRange {
		t.Errorf("fallback range = %v", r)
	}
}

func TestFormat(t *testing.T) {
	src := []byte("peer \"AS1\" {\n# keep me\n      name = \"x\" # and me\n  import=\"AS-X\"\n}\n")
	need, diags := NeedsFormat(src, "a.hcl")
	if diags.HasErrors() || !need {
		t.Fatalf("NeedsFormat = %v, %v", need, diags)
	}
	out, _ := Format(src, "a.hcl")
	want := "peer \"AS1\" {\n  # keep me\n  name   = \"x\" # and me\n  import = \"AS-X\"\n}\n"
	if string(out) != want {
		t.Errorf("Format =\n%s\nwant\n%s", out, want)
	}
	if need, _ := NeedsFormat(out, "a.hcl"); need {
		t.Error("formatted output is not stable")
	}
	if _, diags := Format([]byte("peer {"), "b.hcl"); !diags.HasErrors() {
		t.Error("a file with syntax errors must be refused")
	}
}

func TestGitHubCommandEscapes(t *testing.T) {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Bad, very: bad", Detail: "line1\nline2 100%",
		Subject: &hcl.Range{Filename: "peers/a,b.hcl", Start: hcl.Pos{Line: 3, Column: 2}, End: hcl.Pos{Line: 3, Column: 9}}}
	got := GitHubCommand(d)
	want := "::error file=peers/a%2Cb.hcl,line=3,col=2,endLine=3,endColumn=9,title=Bad%2C very%3A bad::Bad, very: bad: line1%0Aline2 100%25"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestCheckText(t *testing.T) {
	for _, s := range []string{"Cloudflare", "Hurricane Electric", "Doc (AMS) 10G/100G", "A+B & C, Inc.", "x=y:z@w"} {
		if msg := CheckText(s, MaxNameLen); msg != "" {
			t.Errorf("CheckText(%q) = %s", s, msg)
		}
	}
	for _, s := range []string{"", " lead", "trail ", "a\nb", "a\"b", "a'b", "a{b", "a}b", "a;b", "a#b", "a!b", "a/*b", "a\\b", "a$b", "a`b", "a\tb", "Сloudflare", "a  b", strings.Repeat("x", MaxNameLen+1)} {
		if msg := CheckText(s, MaxNameLen); msg == "" {
			t.Errorf("CheckText(%q) accepted", s)
		}
	}
}

// The scoring block's criteria and assumed ratios arrive as the scoring
// package's own types; the ratio is read as leniently as PeeringDB's.
func TestScoringTypes(t *testing.T) {
	repo, diags := Load(repoFS(map[string]string{"policies/s.hcl": "scoring {\n  criterion = \"diff\"\n  candidate_criterion = \"ratio\"\n  assume_ratio = { \"AS174\" = \"mostly-outbound\" }\n}\n"}))
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	s := repo.Scoring
	if s.Criterion != score.ByDiff || s.CandidateCriterion != score.ByRatio || s.AssumeRatio[174] != score.MostlyOutbound {
		t.Errorf("scoring %+v", s)
	}
	if d, _ := Load(repoFS(nil)); d.Scoring.Criterion != score.ByOwn || d.Scoring.CandidateCriterion != score.ByOwn {
		t.Errorf("default criteria %v %v, want own", d.Scoring.Criterion, d.Scoring.CandidateCriterion)
	}
}

// TestEconomicsDefaults: what the economics block leaves out takes the
// stated defaults, and the older spelling is one transit provider.
func TestEconomicsDefaults(t *testing.T) {
	repo, diags := Load(repoFS(map[string]string{"policies/e.hcl": `economics {
  transit "up" {
    asn          = 64496
    usd_per_mbps = 0.4
    commit_mbps  = 1000
  }
  transit "cloud" {
    egress_usd_per_gb = 0.05
    billed            = "out"
  }
  paid_peering "AS64504" {
    usd_per_mbps = 0.1
  }
}
`}))
	if diags.HasErrors() {
		t.Fatal(describe(diags))
	}
	e := repo.Economics
	want := []billing.Transit{
		// burst defaults to usd_per_mbps, billed to "max".
		{Name: "up", ASN: 64496, USDPerMbps: 0.4, CommitMbps: 1000, BurstUSDPerMbps: 0.4, Billed: billing.Max},
		{Name: "cloud", EgressUSDPerGB: 0.05, Billed: billing.Out},
	}
	if !reflect.DeepEqual(e.Transit, want) {
		t.Errorf("transit %+v, want %+v", e.Transit, want)
	}
	// payer defaults to us, billed to "max".
	if p, ok := e.Paid[64504]; !ok || !p.WePay || p.USDPerMbps != 0.1 || p.Billed != billing.Max {
		t.Errorf("paid %+v", e.Paid)
	}
	old, _ := Load(repoFS(map[string]string{"policies/e.hcl": "economics {\n  transit_usd_per_mbps = 0.5\n}\n"}))
	if got := old.Economics.Transit; len(got) != 1 || got[0].USDPerMbps != 0.5 || got[0].BurstUSDPerMbps != 0.5 || got[0].ASN != 0 {
		t.Errorf("older spelling read as %+v", got)
	}
	if none, _ := Load(repoFS(nil)); none.Economics.Priced() {
		t.Errorf("no economics block is priced: %+v", none.Economics)
	}
}
