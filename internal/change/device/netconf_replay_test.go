package device

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/transport"
)

var updateTranscripts = flag.Bool("update", false, "rewrite the <!-- sent --> parts of the NETCONF transcripts in testdata/ with what the drivers send")

// ncReplay is a NETCONF server replayed from a transcript, for scrapligo's
// custom transport. A transcript is what NetconfOptions.Transcript writes:
//
//	<!-- hello -->
//	<hello …><capabilities>…</capabilities><session-id>7</session-id></hello>
//	<!-- sent -->
//	<?xml …?><rpc message-id="101" …><get-config>…</get-config></rpc>
//	<!-- received -->
//	<rpc-reply message-id="101" …><data>…</data></rpc-reply>
//
// and so on, each marker on a line of its own; lines before the first
// marker are a comment. The server sends the hello, then answers each RPC
// with the recorded reply (under the RPC's own message-id), framed as the
// hellos negotiated (1.0 or 1.1 chunks). An RPC that differs from the
// recorded one (message-ids, the XML declaration and whitespace between
// tags aside) fails the session at once, so a test shows both what was
// sent and how the driver read the answers. With -update, RPCs are not
// compared but written into the transcript instead, for review in the diff.
type ncReplay struct {
	path string
	file bool // loaded from path, which -update rewrites

	mu        sync.Mutex
	hello     string
	sent      []string
	replies   []string
	comment   string
	next      int
	v11       bool
	helloSeen bool
	in        []byte // client bytes not yet read as a message
	pending   []byte // server bytes not yet read by the client
	err       error
	closed    bool
}

var _ transport.Implementation = (*ncReplay)(nil)

func loadReplay(t *testing.T, path string) *ncReplay {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseReplay(path, string(b))
	if err != nil {
		t.Fatal(err)
	}
	r.file = true
	return r
}

func parseReplay(path, text string) (*ncReplay, error) {
	r := &ncReplay{path: path}
	var part *string
	var body []string
	flush := func() {
		if part != nil {
			*part = strings.TrimSpace(strings.Join(body, "\n"))
		}
		body = nil
	}
	var comment []string
	for _, line := range strings.Split(text, "\n") {
		switch line {
		case transcriptHello:
			flush()
			if r.hello != "" || len(r.sent) > 0 {
				return nil, fmt.Errorf("%s: a second hello", path)
			}
			part = &r.hello
			r.hello = " "
		case transcriptSent:
			flush()
			if r.hello == "" || len(r.sent) != len(r.replies) {
				return nil, fmt.Errorf("%s: an RPC before the hello or the last reply", path)
			}
			r.sent = append(r.sent, "")
			part = &r.sent[len(r.sent)-1]
		case transcriptReceived:
			flush()
			if len(r.sent) != len(r.replies)+1 {
				return nil, fmt.Errorf("%s: a reply without its RPC", path)
			}
			r.replies = append(r.replies, "")
			part = &r.replies[len(r.replies)-1]
		default:
			if part == nil {
				comment = append(comment, line)
			} else {
				body = append(body, line)
			}
		}
	}
	flush()
	if strings.TrimSpace(r.hello) == "" || len(r.sent) != len(r.replies) {
		return nil, fmt.Errorf("%s: no hello, or an RPC without a reply", path)
	}
	r.comment = strings.Join(comment, "\n")
	r.v11 = strings.Contains(r.hello, "urn:ietf:params:netconf:base:1.1")
	return r, nil
}

var (
	messageID   = regexp.MustCompile(`message-id="[^"]*"`)
	xmlDecl     = regexp.MustCompile(`<\?xml[^>]*\?>`)
	betweenTags = regexp.MustCompile(`>\s+<`)
)

// sameRPC compares two RPCs as a server would read them.
func sameRPC(a, b string) bool {
	norm := func(s string) string {
		s = xmlDecl.ReplaceAllString(s, "")
		s = messageID.ReplaceAllString(s, `message-id=""`)
		return strings.TrimSpace(betweenTags.ReplaceAllString(s, "><"))
	}
	return norm(a) == norm(b)
}

func (r *ncReplay) Open(*transport.Args) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = append(r.pending, r.hello+"\n]]>]]>"...)
	return nil
}

func (r *ncReplay) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return nil
}

func (r *ncReplay) IsAlive() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.closed
}

func (r *ncReplay) Read(n int) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 {
		return nil, nil
	}
	n = min(n, len(r.pending))
	out := bytes.Clone(r.pending[:n])
	r.pending = r.pending[n:]
	return out, nil
}

func (r *ncReplay) Write(b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.in = append(r.in, b...)
	for {
		msg, ok, err := r.message()
		if err != nil {
			r.err = err
			return err
		}
		if !ok {
			return nil
		}
		if !r.helloSeen {
			if !strings.Contains(msg, "<hello") {
				r.err = fmt.Errorf("%s: the client's first message is no hello: %.80q", r.path, msg)
				return r.err
			}
			r.helloSeen = true
			continue
		}
		if err := r.answer(msg); err != nil {
			r.err = err
			return err
		}
	}
}

// message takes the next whole client message off r.in: the hello and
// 1.0 messages end with ]]>]]>, 1.1 messages are chunked (RFC 6242).
func (r *ncReplay) message() (string, bool, error) {
	if !r.helloSeen || !r.v11 {
		i := bytes.Index(r.in, []byte("]]>]]>"))
		if i < 0 {
			return "", false, nil
		}
		msg := string(r.in[:i])
		r.in = r.in[i+len("]]>]]>"):]
		return strings.TrimSpace(msg), true, nil
	}
	var msg []byte
	pos := 0
	for {
		for pos < len(r.in) && r.in[pos] == '\n' {
			pos++
		}
		if pos+2 > len(r.in) {
			return "", false, nil
		}
		if r.in[pos] != '#' {
			return "", false, fmt.Errorf("%s: framing: %q where a chunk header belongs", r.path, r.in[pos])
		}
		if r.in[pos+1] == '#' {
			r.in = r.in[pos+2:]
			return string(msg), true, nil
		}
		nl := bytes.IndexByte(r.in[pos:], '\n')
		if nl < 0 {
			return "", false, nil
		}
		size, err := strconv.Atoi(string(r.in[pos+1 : pos+nl]))
		if err != nil || size < 1 {
			return "", false, fmt.Errorf("%s: framing: chunk size %q", r.path, r.in[pos+1:pos+nl])
		}
		start := pos + nl + 1
		if start+size > len(r.in) {
			return "", false, nil
		}
		msg = append(msg, r.in[start:start+size]...)
		pos = start + size
	}
}

// answer checks an RPC against the transcript and queues its reply.
func (r *ncReplay) answer(rpc string) error {
	if r.next >= len(r.sent) {
		return fmt.Errorf("%s: RPC after the end of the transcript: %.200q", r.path, rpc)
	}
	if *updateTranscripts && r.file {
		r.sent[r.next] = rpc
	} else if !sameRPC(rpc, r.sent[r.next]) {
		return fmt.Errorf("%s: RPC %d differs from the transcript:\nsent:     %s\nexpected: %s", r.path, r.next+1, rpc, r.sent[r.next])
	}
	id := messageID.FindString(rpc)
	reply := r.replies[r.next]
	if id != "" {
		reply = messageID.ReplaceAllLiteralString(reply, id)
	}
	r.next++
	if r.v11 {
		r.pending = append(r.pending, fmt.Sprintf("\n#%d\n%s\n##\n", len(reply), reply)...)
	} else {
		r.pending = append(r.pending, reply+"\n]]>]]>"...)
	}
	return nil
}

// finished reports a mismatch, or RPCs the client never sent; with
// -update it rewrites the transcript.
func (r *ncReplay) finished() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	if r.next < len(r.sent) {
		return fmt.Errorf("%s: the client stopped after %d of %d recorded RPCs; next: %.200q", r.path, r.next, len(r.sent), r.sent[r.next])
	}
	if *updateTranscripts && r.file {
		var b strings.Builder
		if r.comment != "" {
			b.WriteString(r.comment + "\n")
		}
		fmt.Fprintf(&b, "%s\n%s\n", transcriptHello, r.hello)
		for i := range r.sent {
			fmt.Fprintf(&b, "%s\n%s\n%s\n%s\n", transcriptSent, r.sent[i], transcriptReceived, r.replies[i])
		}
		return os.WriteFile(r.path, []byte(b.String()), 0o644)
	}
	return nil
}

// openReplay opens a NETCONF driver on a transcript in testdata/ and
// checks, when the test ends, that the client sent every recorded RPC and
// nothing else.
func openReplay[D Driver](t *testing.T, name string, open func(context.Context, Endpoint, NetconfOptions) (D, error)) (D, *ncReplay) {
	t.Helper()
	r := loadReplay(t, filepath.Join("testdata", name))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := open(ctx, Endpoint{Host: "replay"}, NetconfOptions{Timeout: 5 * time.Second, Settle: time.Millisecond, transport: r})
	if err != nil {
		t.Fatalf("open: %v (%v)", err, r.finished())
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := r.finished(); err != nil {
			t.Error(err)
		}
	})
	return d, r
}

func TestParseReplay(t *testing.T) {
	good := "a comment\n" + transcriptHello + "\n<hello/>\n" + transcriptSent + "\n<rpc/>\n" + transcriptReceived + "\n<rpc-reply/>\n"
	r, err := parseReplay("t", good)
	if err != nil || r.hello != "<hello/>" || len(r.sent) != 1 || r.replies[0] != "<rpc-reply/>" || r.comment != "a comment" {
		t.Fatalf("parseReplay = %+v, %v", r, err)
	}
	for _, bad := range []string{
		"",
		transcriptSent + "\n<rpc/>\n" + transcriptReceived + "\n<ok/>\n",
		transcriptHello + "\n<hello/>\n" + transcriptSent + "\n<rpc/>\n",
		transcriptHello + "\n<hello/>\n" + transcriptReceived + "\n<ok/>\n",
		transcriptHello + "\n<hello/>\n" + transcriptHello + "\n<hello/>\n",
	} {
		if _, err := parseReplay("t", bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if !sameRPC(`<?xml version="1.0"?><rpc message-id="101"> <get/> </rpc>`, `<rpc message-id="7"><get/></rpc>`) {
		t.Error("message-id, declaration and whitespace between tags must not count")
	}
	if sameRPC(`<rpc><x>a b</x></rpc>`, `<rpc><x>a  b</x></rpc>`) {
		t.Error("whitespace inside text counts")
	}
}

// TestReplayFraming: a wrong byte in a 1.1 chunk header fails the session.
func TestReplayFraming(t *testing.T) {
	r, err := parseReplay("t", transcriptHello+"\n<hello><capability>urn:ietf:params:netconf:base:1.1</capability></hello>\n"+
		transcriptSent+"\n<rpc><get/></rpc>\n"+transcriptReceived+"\n<rpc-reply><ok/></rpc-reply>\n")
	if err != nil {
		t.Fatal(err)
	}
	_ = r.Open(nil)
	if err := r.Write([]byte("<hello/>]]>]]>\n#x\n")); err == nil || !errors.Is(r.finished(), err) {
		t.Errorf("Write of a bad chunk header: %v", err)
	}
}
