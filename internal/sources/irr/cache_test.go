package irr

import (
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPrefixEncodingRoundTrip(t *testing.T) {
	for fam, ps := range map[int][]netip.Prefix{
		4: {netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("1.2.3.4/32")},
		6: {netip.MustParsePrefix("::/0"), netip.MustParsePrefix("2001:db8::/32")},
	} {
		in := parsedPrefixes{ps: ps, bad: badTokens{n: 4, first: []string{`"x"`, `"y"`}}}
		out, err := decodePrefixes(encodePrefixes(in), fam)
		if err != nil || !slices.Equal(out.ps, in.ps) || out.bad.String() != in.bad.String() {
			t.Errorf("family %d: round trip gave %+v, %v", fam, out, err)
		}
	}
	if _, err := decodePrefixes(encodePrefixes(parsedPrefixes{ps: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}), 6); err == nil {
		t.Error("an IPv4 list decoded as IPv6")
	}
}

// FuzzCacheEntry feeds arbitrary files to the cache decoders: a damaged
// cache must read as a miss, never as a panic or an unmasked prefix.
func FuzzCacheEntry(f *testing.F) {
	const key = "srv | | !gAS1"
	f.Add([]byte(cacheMagic + key + "\n1700000000000000000\nA\n10.0.0.0/8"))
	f.Add([]byte(cacheMagic + key + "\n1700000000000000000\nP\n" + string(encodePrefixes(parsedPrefixes{
		ps: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}))))
	f.Add([]byte(cacheMagic + key + "\n1\nFMissing required set name for A query\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, ok := decodeEntry(b, key)
		if !ok || r.Kind != kindPrefixes {
			return
		}
		for _, fam := range []int{4, 6} {
			p, err := decodePrefixes(r.Data, fam)
			if err != nil {
				continue
			}
			for _, pfx := range p.ps {
				if !pfx.IsValid() || pfx != pfx.Masked() || (fam == 4) != pfx.Addr().Is4() {
					t.Fatalf("decoded a bad prefix %v", pfx)
				}
			}
		}
	})
}

func TestCacheRejectsFutureAndForeignEntries(t *testing.T) {
	now := time.Now()
	c, err := OpenCache(t.TempDir(), CacheOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	c.put("a", reply{Kind: KindOK}, now.Add(time.Hour))
	if _, _, ok := c.get("a"); ok {
		t.Error("an entry from the future was used")
	}
	c.put("b", reply{Kind: KindNotFound}, now)
	if r, _, ok := c.get("b"); !ok || r.Kind != KindNotFound {
		t.Errorf("get(b) = %v, %v", r, ok)
	}
	if err := c.put("bad\nkey", reply{Kind: KindOK}, now); err == nil {
		t.Error("a key with a newline was stored")
	}
}

func TestCachePruneBoundsSize(t *testing.T) {
	dir := t.TempDir()
	cache, err := OpenCache(dir, CacheOptions{MaxBytes: 2000})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := cache.put("k"+string(rune('a'+i)), reply{Kind: KindData, Data: []byte(strings.Repeat("x", 200))}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := cache.Prune(); err != nil {
		t.Fatal(err)
	}
	var total int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		info, _ := e.Info()
		total += info.Size()
	}
	if total > 2000 || len(entries) == 0 {
		t.Errorf("cache holds %d bytes in %d files, want ≤ 2000 and > 0", total, len(entries))
	}
}
