package device

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/scrapli/scrapligo/transport"
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
// echoes what is typed, and fails the session the moment the client
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
		d.pending = append(d.pending, c) // the terminal echoes
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
