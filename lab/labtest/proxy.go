package labtest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/peerform/peerform/lab"
)

// Proxy is a TCP relay in front of a router's SSH port that a test can cut
// at a chosen moment, to see what a dropped management connection does to
// a change in progress.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	conns    []net.Conn
	refuse   bool
	budget   int64 // bytes still to relay client→server before a cut; <0: no cut armed
	cuts     int
	accepted int
}

// NewProxy relays 127.0.0.1:<random port> to target until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, budget: -1}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
	})
	return p
}

// Port is the proxy's port on 127.0.0.1.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Refuse makes the proxy drop new connections at once (the router looks
// unreachable) or accept them again.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = on
}

// CutAfter arms a cut: once n more bytes have gone from clients to the
// router, every open connection is closed.
func (p *Proxy) CutAfter(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.budget = n
}

// Cut closes every open connection now.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutLocked()
}

func (p *Proxy) cutLocked() {
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.budget = -1
	p.cuts++
}

// Cuts is how many times connections were cut.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// Accepted is how many connections were relayed.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.accepted++
		p.mu.Unlock()
		go p.pipe(up, c, true)
		go p.pipe(c, up, false)
	}
}

// pipe copies src to dst; upstream copies (client → router) count against
// an armed cut.
func (p *Proxy) pipe(dst, src net.Conn, upstream bool) {
	defer dst.Close()
	buf := make([]byte, 512)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if upstream {
				p.mu.Lock()
				if p.budget >= 0 {
					if int64(n) >= p.budget {
						p.cutLocked()
						p.mu.Unlock()
						return
					}
					p.budget -= int64(n)
				}
				p.mu.Unlock()
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				src.Close()
			}
			return
		}
	}
}

// KnownHostsVia writes a known_hosts file that accepts the router's host
// key on the proxy's port, and returns its path: host keys are bound to
// host and port, and the proxy is a new port.
func KnownHostsVia(t testing.TB, l *lab.Lab, router string, p *Proxy) string {
	t.Helper()
	e, ok := l.Endpoint(router)
	if !ok {
		t.Fatalf("lab has no router %q", router)
	}
	b, err := os.ReadFile(l.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("[127.0.0.1]:%d ", e.SSH.Port())
	for _, line := range strings.Split(string(b), "\n") {
		if key, ok := strings.CutPrefix(line, prefix); ok {
			path := filepath.Join(t.TempDir(), "known_hosts")
			if err := os.WriteFile(path, fmt.Appendf(nil, "[127.0.0.1]:%d %s\n", p.Port(), key), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
	}
	t.Fatalf("no host key for %s in %s", router, l.KnownHostsFile)
	return ""
}
