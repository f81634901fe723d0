package device

import (
	"slices"
	"testing"
)

// TestSecrets: every driver finds the keys of its platform's config,
// whatever they hold, and nothing else.
func TestSecrets(t *testing.T) {
	for _, tc := range []struct {
		d    SecretFinder
		cfg  string
		want []string
	}{
		{&FRR{}, " neighbor 192.0.2.142 password s3cr&t\n neighbor 192.0.2.142 remote-as 20940\n", []string{"s3cr&t"}},
		{&BIRD{}, "protocol bgp a {\n  password \"s3cr t\";\n  description \"password\";\n}\n", []string{"s3cr t"}},
		{&Netconf{}, "  <auth-password>a&amp;b&lt;c</auth-password>\n  <description>x</description>", []string{"a&amp;b&lt;c", "a&b<c"}},
		{&Junos{}, `set protocols bgp group g neighbor 192.0.2.1 authentication-key "$9$abc"`, []string{"$9$abc"}},
		{&JunosNetconf{}, "    authentication-key \"s3cret md5\"; ## SECRET-DATA\n", []string{"s3cret md5"}},
		{&Junos{}, `authentication-key bare;`, []string{"bare"}},
		{&SROS{}, `                authentication-key "hashed" hash2`, []string{"hashed"}},
		{&EOS{}, "   neighbor 192.0.2.1 password 7 AbC/dE==\n   neighbor 192.0.2.2 password 0 clear\n", []string{"AbC/dE==", "clear"}},
		{&IOSXR{}, "  neighbor 192.0.2.1\n   password encrypted 0822455D0A16\n   password clear k\n", []string{"0822455D0A16", "k"}},
		{&FRR{}, " neighbor 192.0.2.1 description password x\n", nil},
	} {
		if got := tc.d.Secrets(tc.cfg); !slices.Equal(got, tc.want) {
			t.Errorf("%T.Secrets(%q) = %q, want %q", tc.d, tc.cfg, got, tc.want)
		}
	}
}
