package device

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// A BIRD config written by peerform ends with its identity: a comment and
// a constant named after the SHA-256 of the text before them. BIRD keeps
// the constants of the config it runs (`show symbols NAME` answers
// "constant"), so the identity says which text BIRD runs.

const birdIdentityPrefix = "peerform_config_"

// birdNormalize is the form in which a config is written and compared:
// ending in a newline, so that the trailer starts on a line of its own.
func birdNormalize(cfg string) string {
	if cfg != "" && !strings.HasSuffix(cfg, "\n") {
		cfg += "\n"
	}
	return cfg
}

// birdIdentity names the constant of a normalized config: 64 bits of its
// SHA-256, enough to tell configs of one router apart.
func birdIdentity(cfg string) string {
	sum := sha256.Sum256([]byte(cfg))
	return birdIdentityPrefix + hex.EncodeToString(sum[:8])
}

// birdTrailer is what Apply appends to a normalized config.
func birdTrailer(id string) string {
	return "# peerform: the identity of this config, which BIRD reports back (show symbols)\ndefine " + id + " = 1;\n"
}

var birdTrailerRE = regexp.MustCompile(`\n?# peerform: [^\n]*\ndefine (` + birdIdentityPrefix + `[0-9a-f]{16}) = 1;\n$`)

// identityState says what a config file's trailer tells.
type identityState int

const (
	identityNone   identityState = iota // no trailer: not written by peerform
	identityValid                       // the trailer names the text before it
	identityEdited                      // the text changed after peerform wrote it
)

// birdFile is a config file split into its text and its identity.
type birdFile struct {
	body  string
	id    string
	state identityState
}

func splitIdentity(text string) birdFile {
	loc := birdTrailerRE.FindStringSubmatchIndex(text)
	if loc == nil {
		return birdFile{body: text, state: identityNone}
	}
	// The newline before the trailer belongs to the body.
	body := text[:loc[0]]
	if text[loc[0]] == '\n' {
		body += "\n"
	}
	f := birdFile{body: body, id: text[loc[2]:loc[3]], state: identityValid}
	if birdIdentity(f.body) != f.id {
		f.state = identityEdited
	}
	return f
}
