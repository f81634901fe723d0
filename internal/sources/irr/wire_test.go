package irr

import (
	"bufio"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		in       string
		want     reply
		wantErr  bool
		maxData  int
		leftover string // what must remain unread
	}{
		{in: "A6\nAS1 2\nC\n", want: reply{Kind: KindData, Data: []byte("AS1 2")}},
		{in: "A6\nAS1 2\nC\nD\n", want: reply{Kind: KindData, Data: []byte("AS1 2")}, leftover: "D\n"},
		{in: "C\n", want: reply{Kind: KindOK}},
		{in: "D\n", want: reply{Kind: KindNotFound}},
		{in: "E\n", want: reply{Kind: KindMultiple}},
		{in: "F Missing required set name for A query\n", want: reply{Kind: KindError, Msg: "Missing required set name for A query"}},
		{in: "C\r\n", want: reply{Kind: KindOK}},
		{in: "A5\nAS1 2\nC\n", wantErr: true},  // length one short: no newline at the end
		{in: "A7\nAS1 2\nC\n", wantErr: true},  // one long: swallows "C"
		{in: "A6\nAS1 2\nD\n", wantErr: true},  // no "C" after data
		{in: "A0\n\nC\n", wantErr: true},       // zero length
		{in: "A-1\n", wantErr: true},           // negative
		{in: "A+6\nAS1 2\nC\n", wantErr: true}, // sign
		{in: "Ax\n", wantErr: true},
		{in: "A6\nAS1", wantErr: true}, // truncated
		{in: "", wantErr: true},
		{in: "\n", wantErr: true},
		{in: "% whois banner\n", wantErr: true},
		{in: "A100\n", maxData: 10, wantErr: true},
		{in: "F " + strings.Repeat("x", 2000) + "\n", wantErr: true},
	}
	for _, tt := range tests {
		max := tt.maxData
		if max == 0 {
			max = 1 << 20
		}
		br := bufio.NewReader(strings.NewReader(tt.in))
		got, err := readReply(br, max)
		if (err != nil) != tt.wantErr {
			t.Errorf("readReply(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got.Kind != tt.want.Kind || string(got.Data) != string(tt.want.Data) || got.Msg != tt.want.Msg {
			t.Errorf("readReply(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		rest, _ := br.Peek(br.Buffered())
		if string(rest) != tt.leftover {
			t.Errorf("readReply(%q) left %q unread, want %q", tt.in, rest, tt.leftover)
		}
	}
}

func TestReadReplyProtocolErrorKind(t *testing.T) {
	_, err := readReply(bufio.NewReader(strings.NewReader("Z\n")), 100)
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
}

func TestParsePrefixList(t *testing.T) {
	data := []byte("1.2.3.0/24 10.0.0.1/8  2001:db8::/32\n0.0.0.0/0 300.1.1.1/24 1.2.3.4 01.2.3.0/24 1.2.3.0/33 1.2.3.0/024 AS1")
	got, bad := parsePrefixList(data, 4, nil)
	want := []netip.Prefix{
		netip.MustParsePrefix("1.2.3.0/24"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("0.0.0.0/0"),
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if bad.n != 7 {
		t.Errorf("bad = %d (%v), want 7", bad.n, bad)
	}
	got6, _ := parsePrefixList(data, 6, nil)
	if len(got6) != 1 || got6[0] != netip.MustParsePrefix("2001:db8::/32") {
		t.Errorf("v6 = %v", got6)
	}
}

// The fast IPv4 path must agree with netip.ParsePrefix on everything.
func TestParsePrefixMatchesNetip(t *testing.T) {
	for _, s := range []string{"1.2.3.4/32", "0.0.0.0/0", "255.255.255.255/32", "1.2.3.4/", "1.2.3/24",
		"1.2.3.4.5/24", "1..3.4/24", "256.1.1.1/8", "1.2.3.4/-1", "1.2.3.4/3a", "01.2.3.4/8", "1.2.3.4/08", "1.2.3.4 /8", "::/0"} {
		got, err1 := parsePrefix([]byte(s))
		want, err2 := netip.ParsePrefix(s)
		if (err1 != nil) != (err2 != nil) || got != want {
			t.Errorf("parsePrefix(%q) = %v, %v; netip says %v, %v", s, got, err1, want, err2)
		}
	}
}

func TestParseMembers(t *testing.T) {
	ms, bad := parseMembers([]byte("AS1 as-foo AS2:AS-BAR RS-ROUTES AS-FOO\nAS4294967296 AS-X;Y"))
	var got []string
	for _, m := range ms {
		if m.Set != "" {
			got = append(got, m.Set)
		} else {
			got = append(got, m.ASN.String())
		}
	}
	if strings.Join(got, " ") != "AS1 AS-FOO AS2:AS-BAR AS-FOO" {
		t.Errorf("members = %v", got)
	}
	if bad.n != 3 {
		t.Errorf("bad = %v, want 3 items", bad)
	}
}

// FuzzReadReply feeds arbitrary server output to the reply reader and the
// list parsers: they must never panic, never return data longer than the
// limit, and a data reply must be what the length said.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"A6\nAS1 2\nC\n", "C\n", "D\n", "F error\n", "A13\n1.2.3.0/24\n\nC\n",
		"A24\n2001:db8::/32 1.0.0.0/8\nC\nA4\nAS1\nC\n", "A99999999999\n", "A3\nab", "\r\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 4096
		br := bufio.NewReader(strings.NewReader(string(in)))
		for range 8 {
			r, err := readReply(br, max)
			if err != nil {
				return
			}
			if len(r.Data) >= max {
				t.Fatalf("data of %d bytes passed a limit of %d", len(r.Data), max)
			}
			if r.Kind == KindData {
				parseASNList(r.Data)
				parseMembers(r.Data)
				ps, _ := parsePrefixList(r.Data, 4, nil)
				for _, p := range ps {
					if !p.Addr().Is4() || p != p.Masked() {
						t.Fatalf("bad v4 prefix %v", p)
					}
				}
				ps, _ = parsePrefixList(r.Data, 6, nil)
				Aggregate(ps)
			}
		}
	})
}

// Replies past the up-front allocation are read growing the buffer.
func TestReadReplyLarge(t *testing.T) {
	data := strings.Repeat("10.0.0.0/8 ", 600_000) // 6.6 MB
	in := "A" + strconv.Itoa(len(data)+1) + "\n" + data + "\nC\n"
	r, err := readReply(bufio.NewReader(strings.NewReader(in)), 64<<20)
	if err != nil || string(r.Data) != data {
		t.Fatalf("large reply: err %v, %d bytes", err, len(r.Data))
	}
	if _, err := readReply(bufio.NewReader(strings.NewReader(in[:len(in)/2])), 64<<20); err == nil {
		t.Fatal("a truncated large reply was accepted")
	}
}
