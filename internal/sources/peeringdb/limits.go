package peeringdb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// Limits bound what is accepted from PeeringDB files and API responses,
// which are untrusted input. A zero field takes its default.
type Limits struct {
	// MaxBytes is the most uncompressed bytes read from one file or one API
	// response (default 512 MiB; a gzip bomb stops here).
	MaxBytes int64
	// MaxRows is the most rows accepted per object type (default 2,000,000;
	// PeeringDB's largest table has well under 100,000).
	MaxRows int
	// MaxStringLen is the longest string kept from a row (default 4096
	// bytes; PeeringDB's own fields stop at 255). Longer values make the
	// row be skipped.
	MaxStringLen int
	// MaxDepth is the deepest JSON nesting accepted (default 32; the API's
	// shape needs 6).
	MaxDepth int
}

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 512 << 20, MaxRows: 2_000_000, MaxStringLen: 4096, MaxDepth: 32}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = d.MaxRows
	}
	if l.MaxStringLen <= 0 {
		l.MaxStringLen = d.MaxStringLen
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	return l
}

// ErrTooLarge is returned (wrapped) when input passes one of the Limits.
var ErrTooLarge = errors.New("input exceeds the configured limit")

// boundedReader fails with ErrTooLarge once more than max bytes have been
// read, instead of silently truncating like io.LimitReader (which would
// surface as a confusing "unexpected EOF").
type boundedReader struct {
	r   io.Reader
	max int64
	n   int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n > b.max {
		return 0, fmt.Errorf("more than %d bytes: %w", b.max, ErrTooLarge)
	}
	if rest := b.max + 1 - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		return n, fmt.Errorf("more than %d bytes: %w", b.max, ErrTooLarge)
	}
	return n, err
}

// depthReader passes bytes through while tracking JSON nesting, and fails
// once it exceeds max. encoding/json only stops at a depth of 10,000; this
// keeps hostile input from costing more than the API's shape needs.
type depthReader struct {
	r        io.Reader
	max      int
	depth    int
	inString bool
	escaped  bool
}

func (d *depthReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	// Jump from one byte that matters to the next: most of a row is
	// string content and digits.
	for b := p[:n]; len(b) > 0; {
		if d.escaped {
			d.escaped = false
			b = b[1:]
			continue
		}
		if d.inString {
			i := bytes.IndexAny(b, `"\`)
			if i < 0 {
				break
			}
			if b[i] == '"' {
				d.inString = false
			} else {
				d.escaped = true // the next byte, maybe in the next read, is escaped
			}
			b = b[i+1:]
			continue
		}
		i := bytes.IndexAny(b, `"{}[]`)
		if i < 0 {
			break
		}
		switch b[i] {
		case '"':
			d.inString = true
		case '{', '[':
			d.depth++
			if d.depth > d.max {
				return 0, fmt.Errorf("JSON nested deeper than %d levels: %w", d.max, ErrTooLarge)
			}
		default:
			d.depth--
		}
		b = b[i+1:]
	}
	return n, err
}

// openJSON wraps r so that it is gunzipped when it starts with the gzip
// magic number, bounded in uncompressed size, and bounded in JSON depth.
// close releases the gzip reader (not r).
func openJSON(r io.Reader, lim Limits) (body io.Reader, close func() error, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	close = func() error { return nil }
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("reading gzip header: %w", err)
		}
		src, close = zr, zr.Close
	}
	bounded := &boundedReader{r: src, max: lim.MaxBytes}
	return &depthReader{r: bounded, max: lim.MaxDepth}, close, nil
}
