package irrtest

import (
	"bufio"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/testutil"
)

const rpsl = `
# comment
as-set:  AS-A
members: AS1, AS-B
+        AS2
source:  ONE

as-set:  AS-B
members: AS3 AS-A
source:  TWO

route:   10.0.0.0/8
origin:  AS1
source:  ONE

route6:  2001:db8::/32
origin:  as3
source:  TWO
`

// talk sends queries on one connection and returns everything the server
// wrote until it closed the connection.
func talk(t *testing.T, addr string, queries ...string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(strings.Join(queries, "\n") + "\n")); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(bufio.NewReader(c))
	return string(out)
}

func parse(t *testing.T, text string) *irr.DB {
	t.Helper()
	db, rep, err := irr.ParseRPSL(strings.NewReader(text), "TEST")
	if err != nil || len(rep.Warnings) > 0 {
		t.Fatalf("%v %q", err, rep.Warnings)
	}
	return db
}

func TestServerAnswers(t *testing.T) {
	db := parse(t, rpsl)
	s := Start(t, db, Options{})
	got := talk(t, s.Addr, "!!", "!ntest", "!s-lc", "!a", "!iAS-A", "!iAS-A,1", "!gAS1", "!6AS3", "!a4AS-A", "!a6AS-B",
		"!iAS-NONE", "!gAS9", "!sTWO", "!iAS-A,1", "!sNOPE", "!x", "!q")
	want := "C\n" + // !n
		"A8\nONE,TWO\nC\n" +
		"F Missing required set name for A query\n" +
		"A13\nAS1 AS-B AS2\nC\n" + // members as written, in order

		"A12\nAS1 AS2 AS3\nC\n" +
		"A11\n10.0.0.0/8\nC\n" +
		"A14\n2001:db8::/32\nC\n" +
		"A11\n10.0.0.0/8\nC\n" +
		"A14\n2001:db8::/32\nC\n" +
		"D\n" + "D\n" + "C\n" +
		"D\n" + // AS-A is not in TWO
		"F Invalid source NOPE\n" +
		"F Unrecognized command\n"
	if got != want {
		t.Errorf("replies:\n%q\nwant\n%q", got, want)
	}
	if q := s.Queries(); len(q) != 17 || q[0] != "!!" {
		t.Errorf("query log = %q", q)
	}
}

func TestServerNotPersistentAndNoA(t *testing.T) {
	s := Start(t, parse(t, rpsl), Options{NoA: true})
	// Without "!!" the server answers one query and closes.
	if got := talk(t, s.Addr, "!gAS1", "!gAS1"); got != "A11\n10.0.0.0/8\nC\n" {
		t.Errorf("got %q", got)
	}
	if got := talk(t, s.Addr, "!!", "!a", "!a4AS-A", "!q"); got != "F Unrecognized command\nF Unrecognized command\n" {
		t.Errorf("NoA: got %q", got)
	}
}

func TestExampleDB(t *testing.T) {
	s := Start(t, ExampleDB(), Options{})
	got := talk(t, s.Addr, "!!", "!iAS-ALPHA,1", "!sRIPE", "!iAS-AKAMAI", "!q")
	want := "A16\nAS64501 AS64511\nC\n" + "C\n" + "A8\nAS20940\nC\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// The example repository's snapshot and the copy embedded here are one
// file in two places.
func TestExampleMatchesRepository(t *testing.T) {
	repo, err := os.ReadFile(testutil.Path(t, "data/irr/example.rpsl"))
	if err != nil {
		t.Fatal(err)
	}
	if string(repo) != exampleRPSL {
		t.Error("irr/irrtest/example.rpsl differs from data/irr/example.rpsl: cp data/irr/example.rpsl irr/irrtest/")
	}
}
