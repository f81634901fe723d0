package device

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/transport"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/testutil"
)

// dialogue is a scripted router for scrapligo's custom transport. Its
// script is a recorded CLI session, as the terminal showed it, with what
// the client typed between « and »; the newline after » is the return
// key:
//
//	admin@vmx1> «show version»
//	Junos: 23.2R1.14
//
//	admin@vmx1> «»
//	admin@vmx1>
//
// The dialogue releases the router's output only up to the next input,
// echoes what is typed (control characters excepted; «^D» stands for a
// Ctrl-D typed without a return), and fails the session the moment the client
// types anything but the recorded input, so a test shows both what was
// sent (byte for byte) and how the driver read the router's answers.
type dialogue struct {
	name string

	mu      sync.Mutex
	inputs  []string // each with its trailing "\n"
	outputs []string // outputs[i] follows inputs[i-1]; outputs[0] is the banner
	next    int      // index into inputs
	typed   int      // bytes of inputs[next] typed so far
	pending []byte   // output released but not read yet
	err     error
	closed  bool
}

var _ transport.Implementation = (*dialogue)(nil)

func loadDialogue(t *testing.T, path string) *dialogue {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDialogue(filepath.Base(path), string(b))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func parseDialogue(name, script string) (*dialogue, error) {
	d := &dialogue{name: name}
	rest := script
	for {
		i := strings.Index(rest, "«")
		if i < 0 {
			d.outputs = append(d.outputs, rest)
			return d, nil
		}
		d.outputs = append(d.outputs, rest[:i])
		rest = rest[i+len("«"):]
		j := strings.Index(rest, "»")
		if j < 0 || strings.Contains(rest[:j], "\n") {
			return nil, fmt.Errorf("%s: « without » on the same line", name)
		}
		input := rest[:j]
		rest = rest[j+len("»"):]
		if !strings.HasPrefix(rest, "\n") {
			return nil, fmt.Errorf("%s: » must end the line (it stands for the return key)", name)
		}
		rest = rest[1:]
		if input == "^D" {
			d.inputs = append(d.inputs, "\x04") // Ctrl-D, typed without a return
			continue
		}
		d.inputs = append(d.inputs, input+"\n")
	}
}

func (d *dialogue) Open(*transport.Args) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pending = append(d.pending, d.outputs[0]...)
	return nil
}

func (d *dialogue) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	return nil
}

func (d *dialogue) IsAlive() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.closed
}

func (d *dialogue) Read(n int) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	if len(d.pending) == 0 {
		return nil, nil
	}
	n = min(n, len(d.pending))
	out := append([]byte(nil), d.pending[:n]...)
	d.pending = d.pending[n:]
	return out, nil
}

func (d *dialogue) Write(b []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	for _, c := range b {
		if d.next >= len(d.inputs) {
			d.err = fmt.Errorf("%s: typed %q after the end of the recorded session", d.name, b)
			return d.err
		}
		want := d.inputs[d.next]
		if c != want[d.typed] {
			d.err = fmt.Errorf("%s: input %d: typed %q where the recording has %q", d.name, d.next+1, string(want[:d.typed])+string(c), want)
			return d.err
		}
		d.typed++
		if c >= 0x20 || c == '\n' {
			d.pending = append(d.pending, c) // the terminal echoes text
		}
		if d.typed == len(want) {
			d.next++
			d.typed = 0
			d.pending = append(d.pending, d.outputs[d.next]...)
		}
	}
	return nil
}

// finished reports an input mismatch, or inputs the client never sent.
func (d *dialogue) finished() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	if d.next < len(d.inputs) {
		return fmt.Errorf("%s: the client stopped after %d of %d recorded inputs; next: %q", d.name, d.next, len(d.inputs), d.inputs[d.next])
	}
	return nil
}

func TestParseDialogue(t *testing.T) {
	d, err := parseDialogue("t", "banner\nr1> «show x»\nx is 1\nr1> «»\nr1> «exit»\n")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.inputs, "|") != "show x\n|\n|exit\n" || strings.Join(d.outputs, "|") != "banner\nr1> |x is 1\nr1> |r1> |" {
		t.Errorf("inputs %q outputs %q", d.inputs, d.outputs)
	}
	for _, bad := range []string{"r1> «show", "r1> «show» x\n", "r1> «a\nb»\n"} {
		if _, err := parseDialogue("t", bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	// A wrong keystroke fails the session at once.
	_ = d.Open(nil)
	if err := d.Write([]byte("show y")); err == nil || !errors.Is(d.finished(), err) {
		t.Errorf("Write of a wrong input: %v", err)
	}
}

// TestCLIRefusesBadConfigs: configs that try to run session commands,
// carry control characters or miss the platform's statement form are
// refused before anything is typed (the recordings hold only login and
// logout), and the error is not ErrRejected: the router never saw them.
func TestCLIRefusesBadConfigs(t *testing.T) {
	bad := map[string][]string{
		"junos": {
			"set protocols bgp group x type external\ncommit",
			"set protocols bgp group x description \"a\x04b\"",
			"rollback 5",
			"load override terminal",
			"# only a comment",
		},
		"iosxr": {
			"router bgp 64500\n commit",
			"router bgp 64500\nend",
			"router bgp 64500\n description \x1b[2J",
			"do reload",
		},
		"eos": {
			"router bgp 64500\n   neighbor 192.0.2.1 remote-as 64501\ncommit",
			"configure replace flash:evil",
			"bash rm -rf /",
			"write memory",
		},
		"sros": {
			"configure router \"Base\" bgp admin-state enable",
			"/configure router \"Base\" bgp admin-state enable\ncommit",
			"delete router \"Base\" bgp",
			"/configure system name \"a\x03\"",
		},
	}
	opens := map[string]func(*testing.T) Driver{
		"junos": func(t *testing.T) Driver { d, _ := openDialogue(t, "junos", "open-close", OpenJunos); return d },
		"iosxr": func(t *testing.T) Driver { d, _ := openDialogue(t, "iosxr", "open-close", OpenIOSXR); return d },
		"eos":   func(t *testing.T) Driver { d, _ := openDialogue(t, "eos", "open-close", OpenEOS); return d },
		"sros":  func(t *testing.T) Driver { d, _ := openDialogue(t, "sros", "open-close", OpenSROS); return d },
	}
	for platform, cfgs := range bad {
		t.Run(platform, func(t *testing.T) {
			d := opens[platform](t)
			for _, cfg := range cfgs {
				err := d.Apply(testCtx(t), cfg, time.Minute)
				if err == nil || errors.Is(err, ErrRejected) {
					t.Errorf("Apply(%q) = %v; want a refusal before sending", cfg, err)
				}
			}
			for _, timeout := range []time.Duration{0, -time.Second, 1000 * time.Hour * 24} {
				if err := d.Apply(testCtx(t), "", timeout); err == nil {
					t.Errorf("Apply with timeout %s succeeded", timeout)
				}
			}
			if err := d.Confirm(testCtx(t)); err == nil {
				t.Error("Confirm without Apply succeeded")
			}
			if err := d.Rollback(testCtx(t)); err != nil {
				t.Errorf("Rollback without Apply: %v", err)
			}
		})
	}
}

func TestConfigLines(t *testing.T) {
	got, err := configLines("! c\n\nrouter bgp 1\n  neighbor 192.0.2.1 remote-as 2  \n", []string{"!"}, nil, []string{"commit"})
	if err != nil || strings.Join(got, "|") != "router bgp 1|neighbor 192.0.2.1 remote-as 2" {
		t.Errorf("configLines = %q, %v", got, err)
	}
	if _, err := configLines("COMMIT", nil, nil, []string{"commit"}); err == nil {
		t.Error("an upper-case session command got through")
	}
	if _, err := configLines(strings.Repeat("set a\n", maxConfigLines+1), nil, nil, nil); err == nil {
		t.Error("an oversized config got through")
	}
}

// checkParsed holds for whatever a summary parser accepts.
func checkParsed(t *testing.T, sessions []Session) {
	t.Helper()
	for _, s := range sessions {
		if !s.Neighbor.IsValid() || s.State == "" || s.Uptime < 0 || s.RPKIInvalid != -1 {
			t.Fatalf("parsed an impossible session: %+v", s)
		}
		for f, n := range s.Received {
			if n < 0 || (f != bgp.IPv4 && f != bgp.IPv6) {
				t.Fatalf("parsed an impossible count: %+v", s)
			}
		}
	}
}

// transcriptOutput returns what a recorded session printed for cmd.
func transcriptOutput(t testing.TB, path, cmd string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "«"+cmd+"»\n")
	if i < 0 {
		t.Fatalf("%s has no %q", path, cmd)
	}
	s = s[i+len("«"+cmd+"»\n"):]
	return s[:strings.Index(s, "«")]
}

func FuzzJunosSummary(f *testing.F) {
	f.Add(readFileTB(f, "testdata", "junos", "bgp-summary.json"))
	f.Add(`{"bgp-information":[{"bgp-peer":[{"peer-address":[{"data":"192.0.2.1+179"}],"peer-as":[{"data":"1.10"}],"peer-state":[{"data":"Idle"}]}]}]}`)
	f.Fuzz(func(t *testing.T, out string) {
		s, err := parseJunosSummary(out)
		if err == nil {
			checkParsed(t, s)
		}
	})
}

func FuzzIOSXRSummary(f *testing.F) {
	f.Add(transcriptOutput(f, "testdata/iosxr/commit-confirmed.txt", "show bgp ipv4 unicast summary"), true)
	f.Add(transcriptOutput(f, "testdata/iosxr/commit-confirmed.txt", "show bgp ipv6 unicast summary"), false)
	f.Fuzz(func(t *testing.T, out string, v4 bool) {
		fam := bgp.IPv6
		if v4 {
			fam = bgp.IPv4
		}
		s, err := parseIOSXRSummary(out, fam)
		if err == nil {
			checkParsed(t, s)
		}
	})
}

func FuzzEOSSummary(f *testing.F) {
	f.Add(transcriptOutput(f, "testdata/eos/commit-timer.txt", "show ip bgp summary | json"))
	f.Add(`{"vrfs":{"default":{"peers":{"::1":{"asn":65536,"peerState":"Established","upDownTime":1e300,"prefixAccepted":1}}}}}`)
	now := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, out string) {
		s, err := parseEOSSummary(out, bgp.IPv4, now)
		if err == nil {
			checkParsed(t, s)
		}
	})
}

func FuzzSROSSummary(f *testing.F) {
	f.Add(transcriptOutput(f, "testdata/sros/commit-confirmed.txt", "show router bgp summary"))
	f.Fuzz(func(t *testing.T, out string) {
		s, err := parseSROSSummary(out)
		if err == nil {
			checkParsed(t, s)
		}
	})
}

func FuzzParseDialogue(f *testing.F) {
	f.Add("banner\nr1> «show x»\nx is 1\nr1> «exit»\n")
	f.Fuzz(func(t *testing.T, script string) {
		d, err := parseDialogue("fuzz", script)
		if err == nil && len(d.outputs) != len(d.inputs)+1 {
			t.Fatalf("%d outputs for %d inputs", len(d.outputs), len(d.inputs))
		}
	})
}

func readFileTB(t testing.TB, path ...string) string {
	b, err := os.ReadFile(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRenderedConfigsPassChecks: every golden config of package render
// passes the checks the drivers make before sending, so nothing the
// templates produce is refused at deploy time.
func TestRenderedConfigsPassChecks(t *testing.T) {
	files, _ := filepath.Glob(testutil.Path(t, "render/testdata/*/want/*.conf"))
	if len(files) == 0 {
		t.Fatal("no rendered goldens in ../render/testdata: the check would pass vacuously")
	}
	checked := 0
	for _, f := range files {
		cfg := readFileTB(t, f)
		var err error
		switch {
		case strings.HasSuffix(f, ".junos.conf"):
			if !junosCurly(cfg) {
				t.Errorf("%s: not read as the curly-brace format", f)
			}
			var lines []string
			if lines, err = configLines(cfg, nil, nil, nil); err == nil {
				err = checkCurly(lines)
			}
		case strings.HasSuffix(f, ".iosxr.conf"):
			_, err = configLines(cfg, []string{"!"}, nil, iosxrDenied)
		case strings.HasSuffix(f, ".eos.conf"):
			_, err = configLines(cfg, []string{"!"}, nil, eosDenied)
		case strings.HasSuffix(f, ".netconf.conf"):
			if err = checkPayload(cfg); err == nil && canonical(cfg) == "" {
				err = errors.New("not a whole peerform-bgp configuration: Apply could not check its commit")
			}
		default:
			continue
		}
		checked++
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	t.Logf("%d rendered configs checked", checked)
}
