package irr

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultCacheDir is where the command line keeps the cache, relative to
// the peering repository.
const DefaultCacheDir = ".peerform/irr"

// CacheOptions tune a Cache.
type CacheOptions struct {
	// TTL is how long an answer is used before it is asked again
	// (default 1 hour).
	TTL time.Duration
	// MaxBytes bounds the cache directory; the oldest answers are removed
	// beyond it (default 256 MiB).
	MaxBytes int64
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
}

// Cache keeps IRR answers on disk, one file per (server, sources, query),
// so that a second run, or a second peer sharing members, asks the server
// nothing. Files are written atomically (temporary file and rename), so a
// crashed or concurrent run never leaves a half answer. A Cache is safe for
// concurrent use.
type Cache struct {
	dir  string
	opts CacheOptions

	mu      sync.Mutex
	written bool // something was stored since the last Prune
}

// OpenCache opens (creating it if needed) a cache directory.
func OpenCache(dir string, opts CacheOptions) (*Cache, error) {
	if opts.TTL <= 0 {
		opts.TTL = time.Hour
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 256 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("IRR cache: %w", err)
	}
	return &Cache{dir: dir, opts: opts}, nil
}

// Dir is the cache directory.
func (c *Cache) Dir() string { return c.dir }

const cacheMagic = "peerform-irr-cache 1\n"

func (c *Cache) path(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, hex.EncodeToString(h[:16])+".irr")
}

// get returns a fresh answer for key and when it was fetched.
func (c *Cache) get(key string) (reply, time.Time, bool) {
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return reply{}, time.Time{}, false
	}
	r, fetched, ok := decodeEntry(b, key)
	if !ok || c.opts.Now().Sub(fetched) > c.opts.TTL || fetched.After(c.opts.Now().Add(time.Minute)) {
		return reply{}, time.Time{}, false
	}
	return r, fetched, true
}

// decodeEntry parses a cache file: magic, key, fetch time, reply kind and
// message, then the data. A file for another key (a hash collision or a
// damaged file) is a miss.
func decodeEntry(b []byte, key string) (reply, time.Time, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(cacheMagic))
	if !ok {
		return reply{}, time.Time{}, false
	}
	var lines [3][]byte
	for i := range lines {
		var found bool
		lines[i], rest, found = bytes.Cut(rest, []byte{'\n'})
		if !found {
			return reply{}, time.Time{}, false
		}
	}
	if string(lines[0]) != key {
		return reply{}, time.Time{}, false
	}
	ns, err := strconv.ParseInt(string(lines[1]), 10, 64)
	if err != nil || len(lines[2]) == 0 {
		return reply{}, time.Time{}, false
	}
	r := reply{Kind: Kind(lines[2][0]), Msg: string(lines[2][1:])}
	switch r.Kind {
	case KindData:
		r.Data = rest
	case kindPrefixes:
		r.Data = rest
	case KindOK, KindNotFound, KindMultiple, KindError:
	default:
		return reply{}, time.Time{}, false
	}
	return r, time.Unix(0, ns), true
}

// put stores an answer.
func (c *Cache) put(key string, r reply, fetched time.Time) error {
	if strings.ContainsRune(key, '\n') || strings.ContainsRune(r.Msg, '\n') {
		return fmt.Errorf("IRR cache: refusing a key or message with a newline")
	}
	var b bytes.Buffer
	b.Grow(len(cacheMagic) + len(key) + 32 + len(r.Data))
	b.WriteString(cacheMagic)
	b.WriteString(key)
	fmt.Fprintf(&b, "\n%d\n%c%s\n", fetched.UnixNano(), r.Kind, r.Msg)
	b.Write(r.Data)

	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("IRR cache: %w", err)
	}
	_, err = tmp.Write(b.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// The modification time is the fetch time, so Prune ages files
		// by the same clock as get.
		err = os.Chtimes(tmp.Name(), fetched, fetched)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path(key))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("IRR cache: %w", err)
	}
	c.mu.Lock()
	c.written = true
	c.mu.Unlock()
	return nil
}

// Prune removes expired answers and then the oldest ones until the cache
// fits in MaxBytes. It does nothing when nothing was stored since the last
// call, so warm runs do not pay for a directory scan.
func (c *Cache) Prune() error {
	c.mu.Lock()
	if !c.written {
		c.mu.Unlock()
		return nil
	}
	c.written = false
	c.mu.Unlock()

	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("IRR cache: %w", err)
	}
	type file struct {
		name string
		size int64
		mod  time.Time
	}
	var files []file
	var total int64
	now := c.opts.Now()
	for _, e := range entries {
		name := e.Name()
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		stale := now.Sub(info.ModTime()) > c.opts.TTL
		if strings.HasPrefix(name, ".tmp-") {
			// Left by a crashed run; a live run renames within seconds.
			stale = now.Sub(info.ModTime()) > time.Hour
		} else if !strings.HasSuffix(name, ".irr") {
			continue
		}
		if stale {
			os.Remove(filepath.Join(c.dir, name))
			continue
		}
		files = append(files, file{name, info.Size(), info.ModTime()})
		total += info.Size()
	}
	if total <= c.opts.MaxBytes {
		return nil
	}
	slices.SortFunc(files, func(a, b file) int { return a.mod.Compare(b.mod) })
	for _, f := range files {
		if total <= c.opts.MaxBytes {
			break
		}
		if err := os.Remove(filepath.Join(c.dir, f.name)); err == nil {
			total -= f.size
		}
	}
	return nil
}

// kindPrefixes marks a cached prefix-list answer stored parsed (see
// encodePrefixes); it never appears on the wire.
const kindPrefixes Kind = 'P'

// encodePrefixes stores a parsed prefix list compactly: the count of
// unusable tokens and their sample, then each prefix as its length and
// address bytes.
func encodePrefixes(p parsedPrefixes) []byte {
	b := binary.AppendUvarint(nil, uint64(p.bad.n))
	b = binary.AppendUvarint(b, uint64(len(p.bad.first)))
	for _, s := range p.bad.first {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(p.ps)))
	for _, pfx := range p.ps {
		b = append(b, byte(pfx.Bits()))
		if a := pfx.Addr(); a.Is4() {
			a4 := a.As4()
			b = append(b, a4[:]...)
		} else {
			a16 := a.As16()
			b = append(b, a16[:]...)
		}
	}
	return b
}

var errBadEntry = errors.New("damaged cache entry")

func decodePrefixes(b []byte, family int) (parsedPrefixes, error) {
	var p parsedPrefixes
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	nbad, ok1 := next()
	nfirst, ok2 := next()
	if !ok1 || !ok2 || nfirst > 3 {
		return p, errBadEntry
	}
	p.bad.n = int(nbad)
	for range nfirst {
		l, ok := next()
		if !ok || l > uint64(len(b)) {
			return p, errBadEntry
		}
		p.bad.first = append(p.bad.first, string(b[:l]))
		b = b[l:]
	}
	count, ok := next()
	size, maxBits := 5, 32
	if family == 6 {
		size, maxBits = 17, 128
	}
	if !ok || count*uint64(size) != uint64(len(b)) {
		return p, errBadEntry
	}
	p.ps = make([]netip.Prefix, count)
	for i := range p.ps {
		e := b[i*size : (i+1)*size]
		if int(e[0]) > maxBits {
			return p, errBadEntry
		}
		bits := int(e[0])
		if family == 6 {
			p.ps[i] = netip.PrefixFrom(netip.AddrFrom16([16]byte(e[1:])), bits)
			if p.ps[i] != p.ps[i].Masked() {
				return p, errBadEntry
			}
			continue
		}
		// Host bits must be clear; checked on the integer, as Masked
		// would cost more than the rest of the decoding.
		if v := binary.BigEndian.Uint32(e[1:]); bits < 32 && v<<bits != 0 {
			return p, errBadEntry
		}
		p.ps[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte(e[1:])), bits)
	}
	return p, nil
}
