package secret

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/platform"
)

// A placeholder is replaced only as a whole token: AS2's never inside
// AS20940's, and never inside other text that merely contains it.
func TestSubstitute(t *testing.T) {
	cfg := "password PEERFORM-SECRET-AS20940\npassword \"PEERFORM-SECRET-AS2\";\n" +
		"import AS-PEERFORM-SECRET-AS2\nPEERFORM-SECRET-AS2-x PEERFORM-SECRET-AS2\n"
	got, err := Substitute(cfg, map[string]string{"AS2": "two", "AS20940": "akamai"})
	if err != nil {
		t.Fatal(err)
	}
	want := "password akamai\npassword \"two\";\nimport AS-PEERFORM-SECRET-AS2\nPEERFORM-SECRET-AS2-x two\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if _, err := Substitute(cfg, map[string]string{"AS2": "two"}); err == nil || !strings.Contains(err.Error(), "AS20940") {
		t.Errorf("a token without a value: %v", err)
	}
	if got := Names(cfg); !slices.Equal(got, []string{"AS20940", "AS2"}) {
		t.Errorf("Names = %q", got)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		platform platform.Name
		value    string
		ok       bool
	}{
		{"bird2", "s3cret with space", true},
		{"frr", "s3cret with space", false},
		{"frr", "P@ss#1!", true},
		{"frr", "!comment", false},
		{"eos", "what?", false},
		{"bird2", `a";` + "\n}\nprotocol static EVIL {", false},
		{"junos", "x\ny", false},
		{"netconf", "tab\there", false},
		{"netconf", `Tr0ub&dor<3"x'>\`, true},
		{"iosxr", "back\\slash", false},
		{"sros", "it's", false},
		{"frr", "naïve", false},
		{"frr", strings.Repeat("k", 80), true},
		{"frr", strings.Repeat("k", 81), false},
		{"junos", strings.Repeat("k", 126), true},
		{"junos", strings.Repeat("k", 127), false},
		{"bird2", "", false},
	} {
		err := Check(tc.platform, "AS20940", tc.value)
		if (err == nil) != tc.ok {
			t.Errorf("%s %q: %v, want ok=%v", tc.platform, tc.value, err, tc.ok)
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "AS20940") || !strings.Contains(err.Error(), "PEERFORM_SECRET_AS20940") {
			t.Errorf("%q: the error does not name the secret: %v", tc.value, err)
		}
		if len(tc.value) > 3 && strings.Contains(err.Error(), tc.value) {
			t.Errorf("the error shows the value: %v", err)
		}
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{"AS20940": true, "peer_1": true, "": false, "1AS": false, "a-b": false, strings.Repeat("a", 65): false} {
		if (CheckName(name) == "") != ok {
			t.Errorf("CheckName(%q) = %q", name, CheckName(name))
		}
	}
}

func TestRedactor(t *testing.T) {
	var r Redactor
	r.Add("hunter2", "", "hunter2-long")
	if got := r.String("a hunter2-long b hunter2"); got != "a <secret> b <secret>" {
		t.Errorf("%q", got)
	}
	var buf bytes.Buffer
	log := slog.New(r.Handler(slog.NewTextHandler(&buf, nil)))
	log.With("cfg", "password hunter2").Info("diff hunter2", "err", errors.New("x hunter2"), slog.Group("g", "k", "hunter2"))
	if strings.Contains(buf.String(), "hunter2") || strings.Count(buf.String(), "<secret>") != 4 {
		t.Errorf("log line: %s", buf.String())
	}
}

// The new variable wins; the former name is read when the new one is
// unset or empty, and the caller learns which one it was.
func TestLookup(t *testing.T) {
	env := map[string]string{"PEERCTL_SECRET_A": "old", "PEERFORM_SECRET_B": "new", "PEERCTL_SECRET_B": "old", "PEERFORM_SECRET_C": "", "PEERCTL_SECRET_C": "old"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, c := range []struct{ name, value, from string }{
		{"A", "old", "PEERCTL_SECRET_A"},
		{"B", "new", "PEERFORM_SECRET_B"},
		{"C", "old", "PEERCTL_SECRET_C"},
		{"D", "", ""},
	} {
		v, from, ok := Lookup(lookup, c.name)
		if v != c.value || from != c.from || ok != (c.value != "") {
			t.Errorf("%s: %q from %q (%v), want %q from %q", c.name, v, from, ok, c.value, c.from)
		}
	}
}
