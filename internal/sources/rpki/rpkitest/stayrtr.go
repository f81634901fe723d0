// Package rpkitest runs a real stayrtr RPKI cache for tests, so that the
// RTR client here and the routers in the lab can be tested against the
// cache operators deploy rather than a stand-in.
//
// stayrtr comes from the Debian package "stayrtr" (0.5.1). When the binary
// is missing the tests skip, unless PEERFORM_LAB=required, which turns the
// skip into a failure (CI sets it).
package rpkitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/sources/rpki"
	"github.com/peerform/peerform/internal/testutil"
)

// StayRTR is a stayrtr process serving a VRP file on 127.0.0.1.
type StayRTR struct {
	// Addr is the RTR listener, host:port.
	Addr string
	// MetricsAddr serves /metrics and the loaded set at /rpki.json.
	MetricsAddr string
	// File is the VRP JSON file stayrtr serves.
	File string

	bin  string
	args []string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process exits
	out  *syncBuffer
}

// Start writes vrps to a file and starts stayrtr serving it, with RTR
// protocol version 1 and the staleness check off (test data has no fresh
// build time). extraArgs are appended to stayrtr's command line, e.g.
// "-notifications=false" or "-rtr.refresh", "1". The process is stopped
// when the test ends; its output is logged if the test failed.
func Start(t testing.TB, vrps []rpki.VRP, extraArgs ...string) *StayRTR {
	t.Helper()
	return StartJSON(t, vrpsJSON(t, vrps), extraArgs...)
}

// StartJSON is Start with the file's content given as is, e.g. with
// entries a cache must drop.
func StartJSON(t testing.TB, content []byte, extraArgs ...string) *StayRTR {
	t.Helper()
	bin, err := exec.LookPath("stayrtr")
	if err != nil {
		msg := "stayrtr is not installed (Debian package stayrtr)"
		if testutil.LabRequired() {
			t.Fatalf("%s, and PEERFORM_LAB=required", msg)
		}
		t.Skipf("%s; set PEERFORM_LAB=required to fail instead of skipping", msg)
	}
	s := &StayRTR{bin: bin, File: filepath.Join(t.TempDir(), "vrps.json"), out: &syncBuffer{}}
	s.setJSON(t, content)
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("stayrtr output:\n%s", s.out.String())
		}
	})
	// A free port can be taken between choosing and binding it: try again
	// with new ports.
	for attempt := 0; ; attempt++ {
		s.Addr, s.MetricsAddr = freeAddr(t), freeAddr(t)
		s.args = append([]string{
			"-cache", s.File, "-bind", s.Addr, "-metrics.addr", s.MetricsAddr,
			"-checktime=false", "-protocol", "1", "-refresh", "1", "-loglevel", "info",
		}, extraArgs...)
		err := s.start()
		if err == nil {
			return s
		}
		if attempt == 2 {
			t.Fatalf("starting stayrtr: %v\n%s", err, s.out.String())
		}
	}
}

// Stop stops stayrtr, e.g. to test a client losing its cache.
func (s *StayRTR) Stop() { s.stop() }

// setJSON writes the served file with content, atomically, so stayrtr
// never reads a half-written file.
func (s *StayRTR) setJSON(t testing.TB, content []byte) {
	t.Helper()
	tmp := s.File + ".tmp"
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, s.File); err != nil {
		t.Fatal(err)
	}
}

func vrpsJSON(t testing.TB, vrps []rpki.VRP) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteVRPs(&b, vrps); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (s *StayRTR) start() error {
	cmd := exec.Command(s.bin, s.args...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)

	// stayrtr loads the file before it listens, so an accepted connection
	// means the data is there.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("stayrtr exited: %v", cmd.ProcessState)
		default:
		}
		if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.stop()
	return errors.New("stayrtr did not listen within 10 s")
}

func (s *StayRTR) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// WriteVRPs writes vrps in the rpki-client JSON shape that stayrtr and
// rpki.LoadJSON read, with a current build time.
func WriteVRPs(w io.Writer, vrps []rpki.VRP) error {
	now := time.Now().UTC()
	type roa struct {
		Prefix    string `json:"prefix"`
		MaxLength uint8  `json:"maxLength"`
		ASN       uint32 `json:"asn"`
		TA        string `json:"ta"`
	}
	doc := struct {
		Metadata map[string]any `json:"metadata"`
		ROAs     []roa          `json:"roas"`
	}{
		Metadata: map[string]any{"buildtime": now.Format(time.RFC3339), "generated": now.Unix(), "vrps": len(vrps)},
		ROAs:     make([]roa, len(vrps)),
	}
	for i, v := range vrps {
		doc.ROAs[i] = roa{Prefix: v.Prefix.String(), MaxLength: v.MaxLen, ASN: uint32(v.ASN), TA: "test"}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(doc)
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}

// syncBuffer collects the process output, written from exec's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
