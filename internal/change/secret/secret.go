// Package secret handles the values behind secret("NAME") references (TCP
// MD5 keys) at deploy time: where they may be written, how a rendered
// config gets them, and how they are kept out of everything peerform shows.
//
// A rendered config holds the placeholder token PEERFORM-SECRET-<NAME>
// where a value goes; Substitute replaces exactly those tokens, Check
// decides before any router is contacted whether a value can go into a
// platform's config at all, and a Redactor hides every value it was told
// about (from the environment, or read back from a router) in text.
package secret

import (
	"errors"
	"fmt"
	"strings"

	"github.com/peerform/peerform/internal/core/platform"
)

// Prefix starts every placeholder. Free text that reaches a router
// config may not contain it (intent.CheckText), so that no name or
// description can have a secret substituted into it.
const Prefix = "PEERFORM-SECRET-"

// MaxNameLen bounds a secret's name.
const MaxNameLen = 64

// Placeholder is the token a rendered config holds in place of the
// secret called name.
func Placeholder(name string) string { return Prefix + name }

// EnvVar is the environment variable that holds the secret called name.
func EnvVar(name string) string { return "PEERFORM_SECRET_" + name }

// LegacyEnvVar is the variable the tool's former name, peerctl, read the
// secret called name from. It is still read for one release, with a
// warning, so that deploy jobs keep working while they are renamed.
func LegacyEnvVar(name string) string { return "PEERCTL_SECRET_" + name }

// Lookup reads the secret called name through lookupEnv (os.LookupEnv):
// EnvVar(name), else LegacyEnvVar(name). from is the variable the value
// came from; an empty value counts as unset.
func Lookup(lookupEnv func(string) (string, bool), name string) (value, from string, ok bool) {
	for _, v := range []string{EnvVar(name), LegacyEnvVar(name)} {
		if value, ok := lookupEnv(v); ok && value != "" {
			return value, v, true
		}
	}
	return "", "", false
}

// CheckName returns what is wrong with a secret's name, or "": 1 to 64
// letters, digits and '_', not starting with a digit, as it becomes part
// of an environment variable's name and of the placeholder token.
func CheckName(name string) string {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Sprintf("must have 1 to %d characters", MaxNameLen)
	}
	for i, r := range name {
		if !isNameChar(r) || i == 0 && r >= '0' && r <= '9' {
			return "may only hold letters, digits and '_' (it becomes part of an environment variable name), and not start with a digit"
		}
	}
	return ""
}

func isNameChar(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_'
}

// isTokenChar: a placeholder token ends at the first character that is
// none of these, and starts after one.
func isTokenChar(b byte) bool { return isNameChar(rune(b)) || b == '-' }

// Names lists the secrets whose placeholder tokens cfg holds, each once,
// in order of first appearance.
func Names(cfg string) []string {
	var names []string
	seen := map[string]bool{}
	forEachToken(cfg, func(_, _ int, name string) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	})
	return names
}

// Substitute replaces every placeholder token in cfg with its value.
// A token is PEERFORM-SECRET-<NAME> standing alone: neither preceded nor
// followed by a letter, digit, '_' or '-', so that the token of "AS2"
// never matches inside the token of "AS20940", and text merely
// containing the prefix is left alone. A token whose name values does
// not have is an error naming it.
func Substitute(cfg string, values map[string]string) (string, error) {
	var b strings.Builder
	last := 0
	var missing []string
	forEachToken(cfg, func(start, end int, name string) {
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return
		}
		b.WriteString(cfg[last:start])
		b.WriteString(v)
		last = end
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for the secret %s", strings.Join(missing, ", "))
	}
	b.WriteString(cfg[last:])
	return b.String(), nil
}

// forEachToken calls f with the span and name of every placeholder token.
func forEachToken(cfg string, f func(start, end int, name string)) {
	for i := 0; ; {
		j := strings.Index(cfg[i:], Prefix)
		if j < 0 {
			return
		}
		start := i + j
		end := start + len(Prefix)
		for end < len(cfg) && isNameChar(rune(cfg[end])) {
			end++
		}
		name := cfg[start+len(Prefix) : end]
		alone := (start == 0 || !isTokenChar(cfg[start-1])) && (end == len(cfg) || !isTokenChar(cfg[end]))
		if alone && CheckName(name) == "" {
			f(start, end, name)
		}
		i = start + len(Prefix)
	}
}

// quoted are the platforms whose templates write a key inside double
// quotes (bird2: password "…"; junos, sros: authentication-key "…") or
// XML-escaped (netconf); the others write it as one bare word of a CLI
// line (frr, eos, iosxr).
var quoted = map[platform.Name]bool{platform.BIRD2: true, platform.Junos: true, platform.SROS: true, platform.NETCONF: true}

// maxLen is the longest key a platform takes: Junos takes 126
// characters; Linux (FRR, BIRD, and the route servers and routers on
// the other end of most sessions) 80, TCP_MD5SIG_MAXKEYLEN, which is
// also what EOS, IOS-XR and SR OS accept in clear text.
func maxLen(p platform.Name) int {
	if p == platform.Junos {
		return 126
	}
	return 80
}

// ErrInvalid marks a secret value a platform cannot take.
var ErrInvalid = errors.New("secret value not usable")

// Check returns an error when value cannot be the secret name on
// platform: empty, too long, a character outside printable ASCII
// (newlines and other control characters included), a quote or a
// backslash (which could end or escape the string it is written in;
// netconf payloads escape them instead), or,
// where the key is a bare word of a CLI line, a space, a '?' (CLI help)
// or a leading '!' or '#' (a comment). The error names the secret and
// the position of the first bad character, never the value.
func Check(p platform.Name, name, value string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s (%s) %s", ErrInvalid, name, EnvVar(name), fmt.Sprintf(format, args...))
	}
	if value == "" {
		return bad("is empty")
	}
	if n, max := len(value), maxLen(p); n > max {
		return bad("is %d characters long; %s takes at most %d", n, p, max)
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		what := ""
		switch {
		case c < 0x20 || c == 0x7f:
			what = "a control character (a newline, a tab, …)"
		case c >= 0x80:
			what = "a character outside ASCII"
		case p == platform.NETCONF:
			// XML-escaped: any printable ASCII keeps the payload's shape.
		case c == '"' || c == '\'' || c == '`':
			what = "a quote"
		case c == '\\':
			what = "a backslash"
		case quoted[p]:
		case c == ' ':
			what = "a space, which " + string(p) + " cannot take in a key written as one word"
		case c == '?':
			what = "a '?', which asks the " + string(p) + " CLI for help"
		case i == 0 && (c == '!' || c == '#'):
			what = "a leading '" + string(c) + "', which starts a comment on " + string(p)
		}
		if what != "" {
			return bad("has %s at position %d", what, i+1)
		}
	}
	return nil
}
