package traffic

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// The day file format (docs/traffic.md): a header, a fixed-size index
// entry per series, the AS paths and a CRC-32C of those (the part a query
// reads whole), then the series as sparse varints, each with its own
// CRC-32C in the index (read only for the series a query needs).
const (
	magic      = "PTD2"
	headerLen  = 4 + 8 + 4 + 4 + 4 + 4 + 4
	indexLen   = 32
	maxPathLen = 255
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt means a day file does not follow the format.
var ErrCorrupt = errors.New("corrupt traffic day file")

// encode writes d in the day file format.
func encode(d *Day) []byte {
	keys := d.Keys()
	remotes := make([]bgp.ASN, 0, len(d.paths))
	for r := range d.paths {
		remotes = append(remotes, r)
	}
	slices.Sort(remotes)
	var paths []byte
	for _, r := range remotes {
		p := d.paths[r]
		if len(p) > maxPathLen {
			p = p[:maxPathLen]
		}
		paths = binary.BigEndian.AppendUint32(paths, uint32(r))
		paths = append(paths, byte(len(p)))
		for _, a := range p {
			paths = binary.BigEndian.AppendUint32(paths, uint32(a))
		}
	}
	var series []byte
	index := make([]byte, len(keys)*indexLen)
	for i, k := range keys {
		s := d.series[k]
		off := len(series)
		n := 0
		for _, v := range s {
			if v != 0 {
				n++
			}
		}
		series = binary.AppendUvarint(series, uint64(n))
		prev := -1
		for j, v := range s {
			if v != 0 {
				series = binary.AppendUvarint(series, uint64(j-prev-1))
				series = binary.AppendUvarint(series, v)
				prev = j
			}
		}
		e := index[i*indexLen:]
		e[0], e[1] = byte(k.Dir), byte(k.Class)
		binary.BigEndian.PutUint32(e[4:], uint32(k.Neighbor))
		binary.BigEndian.PutUint32(e[8:], uint32(k.Remote))
		binary.BigEndian.PutUint64(e[12:], s.Total())
		binary.BigEndian.PutUint32(e[20:], uint32(off))
		binary.BigEndian.PutUint32(e[24:], uint32(len(series)-off))
		binary.BigEndian.PutUint32(e[28:], crc32.Checksum(series[off:], castagnoli))
	}
	b := make([]byte, 0, headerLen+len(index)+len(paths)+4+len(series))
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint64(b, uint64(d.Date.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(Bucket/time.Second))
	b = binary.BigEndian.AppendUint32(b, uint32(BucketsPerDay))
	b = binary.BigEndian.AppendUint32(b, uint32(len(keys)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(remotes)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(paths)))
	b = append(b, index...)
	b = append(b, paths...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return append(b, series...)
}

// Entry is one series of a day file as its index describes it.
type Entry struct {
	Key   Key
	Total uint64
	off   uint32
	n     uint32
	crc   uint32
}

// DayFile is a day read from the store: its index and paths. Series are
// read when asked for, so that ranking a month of days reads only the
// indexes.
type DayFile struct {
	Date    time.Time
	Entries []Entry
	paths   map[bgp.ASN][]bgp.ASN
	series  io.ReaderAt // the series section
	buf     []byte
	closer  io.Closer
}

// Close releases the file.
func (f *DayFile) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// openDay reads the header, index and paths of a day file of size bytes.
// Every length is checked against the size, so that a damaged or hostile
// file is an error, never a panic or an allocation beyond its size.
func openDay(r io.ReaderAt, size int64) (*DayFile, error) {
	head := make([]byte, headerLen)
	if size < headerLen+4 {
		return nil, fmt.Errorf("%w: too short", ErrCorrupt)
	}
	if _, err := r.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if string(head[:4]) != magic {
		return nil, fmt.Errorf("%w: no %s header", ErrCorrupt, magic)
	}
	nkeys, npaths, pathLen := int64(binary.BigEndian.Uint32(head[20:])), int(binary.BigEndian.Uint32(head[24:])), int64(binary.BigEndian.Uint32(head[28:]))
	metaLen := headerLen + nkeys*indexLen + pathLen + 4
	if metaLen > size {
		return nil, fmt.Errorf("%w: %d series and %d bytes of paths in %d bytes", ErrCorrupt, nkeys, pathLen, size)
	}
	meta := make([]byte, metaLen)
	if _, err := r.ReadAt(meta, 0); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	body, sum := meta[:metaLen-4], binary.BigEndian.Uint32(meta[metaLen-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	date := time.Unix(int64(binary.BigEndian.Uint64(body[4:])), 0).UTC()
	if binary.BigEndian.Uint32(body[12:]) != uint32(Bucket/time.Second) || binary.BigEndian.Uint32(body[16:]) != uint32(BucketsPerDay) || !DayOf(date).Equal(date) {
		return nil, fmt.Errorf("%w: not a day of %v buckets", ErrCorrupt, Bucket)
	}
	seriesLen := size - metaLen
	f := &DayFile{Date: date, Entries: make([]Entry, nkeys), paths: map[bgp.ASN][]bgp.ASN{},
		series: io.NewSectionReader(r, metaLen, seriesLen)}
	next := uint64(0)
	for i := range f.Entries {
		e := body[headerLen+i*indexLen:]
		en := Entry{Key: Key{Dir: Direction(e[0]), Class: Class(e[1]),
			Neighbor: bgp.ASN(binary.BigEndian.Uint32(e[4:])), Remote: bgp.ASN(binary.BigEndian.Uint32(e[8:]))},
			Total: binary.BigEndian.Uint64(e[12:]), off: binary.BigEndian.Uint32(e[20:]),
			n: binary.BigEndian.Uint32(e[24:]), crc: binary.BigEndian.Uint32(e[28:])}
		if !en.Key.valid() || uint64(en.off) != next || en.n == 0 {
			return nil, fmt.Errorf("%w: series %d", ErrCorrupt, i)
		}
		next += uint64(en.n)
		f.Entries[i] = en
	}
	if next != uint64(seriesLen) {
		return nil, fmt.Errorf("%w: the series take %d bytes, the file has %d", ErrCorrupt, next, seriesLen)
	}
	rest := body[headerLen+nkeys*indexLen:]
	for i := 0; i < npaths; i++ {
		if len(rest) < 5 || len(rest) < 5+4*int(rest[4]) {
			return nil, fmt.Errorf("%w: path %d", ErrCorrupt, i)
		}
		r, n := bgp.ASN(binary.BigEndian.Uint32(rest)), int(rest[4])
		p := make([]bgp.ASN, n)
		for j := range p {
			p[j] = bgp.ASN(binary.BigEndian.Uint32(rest[5+4*j:]))
		}
		f.paths[r] = p
		rest = rest[5+4*n:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the paths", ErrCorrupt, len(rest))
	}
	return f, nil
}

// decode parses a whole day file held in memory.
func decode(b []byte) (*DayFile, error) { return openDay(bytes.NewReader(b), int64(len(b))) }

// AddTo adds entry i's series to s, checking it against the index.
func (f *DayFile) AddTo(i int, s *Series) error {
	e := f.Entries[i]
	bad := fmt.Errorf("%w: series %d of %s", ErrCorrupt, i, f.Date.Format(time.DateOnly))
	if uint64(e.n) > uint64(BucketsPerDay)*2*binary.MaxVarintLen64 {
		return bad
	}
	f.buf = slices.Grow(f.buf[:0], int(e.n))[:e.n]
	b := f.buf
	if _, err := f.series.ReadAt(b, int64(e.off)); err != nil {
		return fmt.Errorf("%w: %w", bad, err)
	}
	if crc32.Checksum(b, castagnoli) != e.crc {
		return bad
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(BucketsPerDay) {
		return bad
	}
	b = b[k:]
	j, sum := -1, uint64(0)
	var add Series
	for range n {
		gap, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return bad
		}
		v, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 || gap >= uint64(BucketsPerDay) || j+1+int(gap) >= BucketsPerDay {
			return bad
		}
		j += 1 + int(gap)
		add[j] += v
		sum += v
		b = b[k1+k2:]
	}
	if len(b) != 0 || sum != e.Total {
		return fmt.Errorf("%w: does not match its index", bad)
	}
	for j, v := range add {
		s[j] += v
	}
	return nil
}

// Path is the AS path recorded for remote.
func (f *DayFile) Path(remote bgp.ASN) []bgp.ASN { return f.paths[remote] }

// Day decodes the whole file into a Day that can take more data.
func (f *DayFile) Day(maxKeys int) (*Day, error) {
	d := NewDay(f.Date, max(maxKeys, len(f.Entries)))
	for i, e := range f.Entries {
		s, ok := d.series[e.Key]
		if !ok {
			s = new(Series)
			d.series[e.Key] = s
		}
		if err := f.AddTo(i, s); err != nil {
			return nil, err
		}
	}
	for r, p := range f.paths {
		d.paths[r] = p
	}
	return d, nil
}
