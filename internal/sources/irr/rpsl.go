package irr

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/repo/repofs"
)

// DefaultSnapshotSource is the IRR source of snapshot objects that have
// no "source:" attribute.
const DefaultSnapshotSource = "LOCAL"

// LoadOptions bound and tune the reading of RPSL snapshots. Zero values
// take the defaults noted; the defaults admit a full dump of the largest
// IRR databases.
type LoadOptions struct {
	// Source is the IRR source of objects without a "source:" attribute
	// (default DefaultSnapshotSource).
	Source string
	// BaseDir is the repository the paths are read from: relative to
	// it, regular files only, never through a symbolic link (package
	// repofs). Without it, paths are the operator's own and are read as
	// given. Files keep the names they were given, so a
	// repository-relative path stays one in Result.Source.
	BaseDir string
	// MaxLineBytes bounds a line (default 1 MiB) and MaxObjectBytes an
	// object (default 16 MiB): an object beyond either is skipped with a
	// warning.
	MaxLineBytes, MaxObjectBytes int
	// Loading fails, naming the limit, beyond any of these:
	// MaxTotalBytes bounds what is read from all files together, counted
	// after decompression (default 16 GiB); MaxObjects the objects of
	// every class read (default 100 million); MaxKept the as-set, route
	// and route6 objects read to be kept in memory, which is what memory
	// grows with, by about 8 bytes per route, 32 per route6 and the size
	// of a set (default 8 million, twice every IRR's routes together);
	// MaxDuration the time the load takes (default 2 minutes).
	MaxTotalBytes int64
	MaxObjects    int
	MaxKept       int
	MaxDuration   time.Duration
	// Logger receives a debug line per file; nil means none.
	Logger *slog.Logger
}

func (o *LoadOptions) defaults() {
	if o.Source == "" {
		o.Source = DefaultSnapshotSource
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 1 << 20
	}
	if o.MaxObjectBytes <= 0 {
		o.MaxObjectBytes = 16 << 20
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = 16 << 30
	}
	if o.MaxObjects <= 0 {
		o.MaxObjects = 100_000_000
	}
	if o.MaxKept <= 0 {
		o.MaxKept = 8_000_000
	}
	if o.MaxDuration <= 0 {
		o.MaxDuration = 2 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// LoadReport says what was read and what was skipped.
type LoadReport struct {
	Files   []string
	Bytes   int64 // read, after decompression
	Objects int   // objects of every class
	// Sets, Routes and Routes6 count the objects added to the DB.
	Sets, Routes, Routes6 int
	// Skipped counts as-set, route and route6 objects left out because
	// they are malformed or too large.
	Skipped int
	// Warnings describe what was skipped or ignored, one sentence per
	// kind of problem with a count and the first places it occurs.
	Warnings []string
}

// ParseRPSL reads RPSL objects (see LoadSnapshots for what is understood)
// into a new DB. source is the IRR source of objects without a "source:"
// attribute. It fails only on a read error or a limit of LoadOptions'
// defaults; malformed objects are skipped and reported.
func ParseRPSL(r io.Reader, source string) (*DB, LoadReport, error) {
	l := newLoader(LoadOptions{Source: source})
	if !isSourceName(l.defSource) {
		return nil, LoadReport{}, fmt.Errorf("IRR source %q: use letters, digits and '-'", source)
	}
	err := l.read(context.Background(), r, "")
	return l.db, l.report(), err
}

// LoadSnapshots reads RPSL files into a new DB, in order: IRR database
// dumps as the registries publish them (ripe.db.as-set.gz,
// ripe.db.route.gz, radb.db.gz, …) or files of a few objects written by
// hand. A file is read as gzip when it starts like one, whatever its name.
//
// Objects are separated by blank lines; lines starting with '#' or '%'
// are comments, and so is the rest of a line after '#'; a line starting
// with a space, a tab or '+' continues the attribute above it. Attribute
// names are case-insensitive. Only as-set (members), route and route6
// (origin) objects are kept, each in the source its "source:" attribute
// names; other classes and attributes are skipped. "members:" may be
// repeated and lists members separated by commas or spaces. mbrs-by-ref
// is not followed (an IRRd server would add the aut-num objects that
// name the set in member-of): such sets are reported in a warning.
//
// Everything is bounded by opts. A malformed object is skipped and
// counted in the report; the load fails only when a file cannot be read,
// is not valid gzip, or exceeds the total bytes or object count.
func LoadSnapshots(ctx context.Context, paths []string, opts LoadOptions) (*DB, LoadReport, error) {
	l := newLoader(opts)
	if !isSourceName(l.defSource) {
		return nil, LoadReport{}, fmt.Errorf("IRR source %q: use letters, digits and '-'", opts.Source)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, l.opts.MaxDuration,
		fmt.Errorf("loading took longer than %s (LoadOptions.MaxDuration): %w", l.opts.MaxDuration, ErrLimit))
	defer cancel()
	for _, p := range paths {
		if err := l.loadFile(ctx, p); err != nil {
			return nil, l.report(), fmt.Errorf("IRR snapshot %s: %w", p, err)
		}
	}
	l.db.files = append([]string(nil), paths...)
	l.db.prepare()
	return l.db, l.report(), nil
}

// loader reads RPSL into a DB and keeps the counts for the report.
type loader struct {
	db        *DB
	opts      LoadOptions
	defSource string
	rep       LoadReport
	tallies   []*tally // in order of first occurrence

	// Scratch space reused from object to object.
	obj           rpslObject
	line          []byte
	lastSourceRaw []byte // the last source attribute seen,
	lastSource    string // and its upper-case form
}

func newLoader(opts LoadOptions) *loader {
	opts.defaults()
	return &loader{db: NewDB(), opts: opts, defSource: strings.ToUpper(opts.Source)}
}

func (l *loader) loadFile(ctx context.Context, path string) error {
	f, err := openSnapshot(l.opts.BaseDir, path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256<<10)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	before := l.rep.Objects
	if err := l.read(ctx, r, path); err != nil {
		return err
	}
	l.rep.Files = append(l.rep.Files, path)
	l.opts.Logger.Debug("IRR snapshot loaded", "file", path, "objects", l.rep.Objects-before, "bytes", l.rep.Bytes)
	return nil
}

// openSnapshot opens a snapshot file: with a base directory (a
// repository) as a file of the repository, relative to it (repofs);
// otherwise the operator's own file, which must still be a regular file
// (a FIFO would block the load).
func openSnapshot(base, path string) (*os.File, error) {
	if base != "" {
		return repofs.Open(base, filepath.ToSlash(path))
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w (%s)", repofs.ErrNotRegular, fi.Mode().Type())
	}
	return os.Open(path)
}

var errTooManyBytes = errors.New("too many bytes")

// limitedReader counts what is read against the total, and stops when
// the context is done.
type limitedReader struct {
	ctx context.Context
	r   io.Reader
	n   *int64
	max int64
}

func (lr *limitedReader) Read(p []byte) (int, error) {
	if err := lr.ctx.Err(); err != nil {
		return 0, context.Cause(lr.ctx)
	}
	if *lr.n > lr.max {
		return 0, errTooManyBytes
	}
	// Read at most one byte past the limit: exactly the limit is fine.
	if rest := lr.max + 1 - *lr.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := lr.r.Read(p)
	*lr.n += int64(k)
	if *lr.n > lr.max {
		return k, errTooManyBytes
	}
	return k, err
}

// read parses one stream of RPSL; name locates warnings ("" for none).
func (l *loader) read(ctx context.Context, r io.Reader, name string) error {
	lr := &limitedReader{ctx: ctx, r: r, n: &l.rep.Bytes, max: l.opts.MaxTotalBytes}
	br := bufio.NewReaderSize(lr, 64<<10)
	l.obj.reset()
	lineNo := 0
	for {
		line, tooLong, err := l.readLine(br)
		if len(line) > 0 || tooLong || err == nil {
			lineNo++
			if ferr := l.feed(line, tooLong, name, lineNo); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return l.flush(name)
		}
		if errors.Is(err, errTooManyBytes) {
			return fmt.Errorf("more than %d bytes in all, after decompression (LoadOptions.MaxTotalBytes): %w", l.opts.MaxTotalBytes, ErrLimit)
		}
		if err != nil {
			return err
		}
	}
}

// readLine returns the next line without its line ending. A line longer
// than MaxLineBytes is returned empty with tooLong set, its rest
// discarded. At the end of the input it returns the last, unterminated
// line (possibly empty) with io.EOF.
func (l *loader) readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	l.line = l.line[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(l.line)+len(chunk) > l.opts.MaxLineBytes+2 { // +2: the line ending
				tooLong = true
				l.line = l.line[:0]
			} else if err == nil && len(l.line) == 0 {
				// The common case: the whole line is in the buffer.
				return trimEOL(chunk), false, nil
			} else {
				l.line = append(l.line, chunk...)
			}
		}
		switch err {
		case nil:
			if tooLong {
				return nil, true, nil
			}
			return trimEOL(l.line), false, nil
		case bufio.ErrBufferFull:
			continue
		default:
			if tooLong {
				return nil, true, err
			}
			return trimEOL(l.line), false, err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// line0 is the first byte of a line, 0 for an empty one.
func line0(line []byte) byte {
	if len(line) == 0 {
		return 0
	}
	return line[0]
}

// Attributes an object's continuation lines may extend.
const (
	attrOther = iota
	attrKey
	attrMembers
	attrOrigin
	attrSource
)

// rpslObject is the object being read: only what the DB keeps.
type rpslObject struct {
	started   bool
	line      int // its first line
	class     string
	keep      bool // as-set, route or route6
	key       []byte
	members   []byte // every members value, joined by ','
	origin    []byte
	source    []byte
	mbrsByRef bool
	last      int // attr*, what a continuation line extends
	size      int
	bad       string // why the object is skipped
}

func (o *rpslObject) reset() {
	*o = rpslObject{key: o.key[:0], members: o.members[:0], origin: o.origin[:0], source: o.source[:0]}
}

// feed processes one line.
func (l *loader) feed(line []byte, tooLong bool, name string, lineNo int) error {
	o := &l.obj
	if tooLong {
		if !o.started {
			o.start(lineNo, "", false)
		}
		o.skip(fmt.Sprintf("a line is longer than %d bytes", l.opts.MaxLineBytes))
		return nil
	}
	// Most lines start with an attribute name: test the first byte
	// before anything else.
	continuation := false
	switch line0(line) {
	case 0:
		return l.flush(name)
	case '#', '%':
		return nil
	case ' ', '\t':
		if len(bytes.TrimSpace(line)) == 0 {
			return l.flush(name)
		}
		continuation = true
	case '\r', '\v', '\f':
		if len(bytes.TrimSpace(line)) == 0 {
			return l.flush(name)
		}
	case '+':
		continuation = true
	}
	if o.started {
		o.size += len(line) + 1
		if o.size > l.opts.MaxObjectBytes {
			o.skip(fmt.Sprintf("larger than %d bytes", l.opts.MaxObjectBytes))
		}
	}
	if continuation {
		if !o.started {
			l.count(false, "", name, lineNo, "continuation line(s) outside an object ignored")
			return nil
		}
		if o.keep && o.bad == "" {
			o.add(o.last, stripComment(line[1:]))
		}
		return nil
	}
	colon := bytes.IndexByte(line, ':')
	attr := line[:max(colon, 0)]
	if colon <= 0 || !isAttrName(attr) {
		if !o.started {
			o.start(lineNo, "", false)
		}
		o.skip(`a line is neither "attribute: value", a continuation nor a comment`)
		return nil
	}
	if !o.started {
		class, keep := objectClass(attr)
		o.start(lineNo, class, keep)
		o.size = len(line) + 1
		if o.keep {
			o.add(attrKey, stripComment(line[colon+1:]))
		}
		return nil
	}
	if !o.keep || o.bad != "" {
		return nil
	}
	value := stripComment(line[colon+1:])
	switch {
	case bytes.EqualFold(attr, []byte("members")):
		o.add(attrMembers, value)
	case bytes.EqualFold(attr, []byte("origin")):
		if len(o.origin) > 0 {
			o.last = attrOther // the first origin counts
			return nil
		}
		o.add(attrOrigin, value)
	case bytes.EqualFold(attr, []byte("source")):
		if len(o.source) > 0 {
			o.last = attrOther
			return nil
		}
		o.add(attrSource, value)
	case bytes.EqualFold(attr, []byte("mbrs-by-ref")):
		o.mbrsByRef = true
		o.last = attrOther
	default:
		o.last = attrOther
	}
	return nil
}

// objectClass names an object's class (its first attribute) in lower
// case, and says whether the DB keeps objects of the class.
func objectClass(attr []byte) (string, bool) {
	for _, c := range []string{"route", "route6", "as-set"} {
		if bytes.EqualFold(attr, []byte(c)) {
			return c, true
		}
	}
	return strings.ToLower(string(attr)), false
}

func (o *rpslObject) start(line int, class string, keep bool) {
	o.started, o.line, o.class, o.keep = true, line, class, keep
}

func (o *rpslObject) skip(why string) {
	if o.bad == "" {
		o.bad = why
	}
}

// add appends a value (or a continuation of one) to attribute a.
func (o *rpslObject) add(a int, value []byte) {
	o.last = a
	if len(value) == 0 {
		return
	}
	switch a {
	case attrKey:
		o.key = appendWord(o.key, value, ' ')
	case attrMembers:
		o.members = appendWord(o.members, value, ',')
	case attrOrigin:
		o.origin = appendWord(o.origin, value, ' ')
	case attrSource:
		o.source = appendWord(o.source, value, ' ')
	}
}

func appendWord(b, value []byte, sep byte) []byte {
	if len(b) > 0 {
		b = append(b, sep)
	}
	return append(b, value...)
}

// stripComment drops a "#" comment and surrounding space from a value.
func stripComment(v []byte) []byte {
	if i := bytes.IndexByte(v, '#'); i >= 0 {
		v = v[:i]
	}
	return bytes.TrimSpace(v)
}

func isAttrName(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return len(b) > 0
}

// flush adds the object read so far, if it is one the DB keeps.
func (l *loader) flush(name string) error {
	o := &l.obj
	if !o.started {
		return nil
	}
	defer o.reset()
	l.rep.Objects++
	if l.rep.Objects > l.opts.MaxObjects {
		return fmt.Errorf("more than %d objects in all (LoadOptions.MaxObjects): %w", l.opts.MaxObjects, ErrLimit)
	}
	if kept := l.rep.Sets + l.rep.Routes + l.rep.Routes6; kept >= l.opts.MaxKept && o.keep {
		return fmt.Errorf("more than %d as-set, route and route6 objects to keep in memory (LoadOptions.MaxKept): %w", l.opts.MaxKept, ErrLimit)
	}
	if !o.keep && o.class != "" {
		return nil // another class: nothing to keep, whatever its shape
	}
	if o.bad != "" {
		l.skipped(name, o.bad)
		return nil
	}
	source := l.defSource
	if len(o.source) > 0 {
		if !bytes.Equal(o.source, l.lastSourceRaw) {
			l.lastSourceRaw = append(l.lastSourceRaw[:0], o.source...)
			l.lastSource = strings.ToUpper(string(o.source))
		}
		source = l.lastSource
		if !isSourceName(source) {
			l.skipped(name, "the source is not a name of letters, digits and '-'")
			return nil
		}
	}
	switch o.class {
	case "as-set":
		ref, err := bgp.ParseObjectRef(string(o.key))
		if err != nil || ref.Source != "" || ref.IsASN() {
			l.skipped(name, "the as-set name is not valid RPSL")
			return nil
		}
		if o.mbrsByRef {
			l.count(false, ref.Name, name, o.line, "as-set(s) with mbrs-by-ref: members that join by reference (member-of) are not included")
		}
		var members []string
		for _, m := range bytes.FieldsFunc(o.members, isMemberSep) {
			members = append(members, string(m))
		}
		l.db.AddSet(source, ref.Name, members...)
		l.rep.Sets++
	case "route", "route6":
		p, err := parsePrefix(o.key)
		if err != nil {
			l.skipped(name, "the prefix is not valid")
			return nil
		}
		if p.Addr().Is4() != (o.class == "route") {
			l.skipped(name, "route objects hold IPv4 prefixes and route6 objects IPv6 ones")
			return nil
		}
		if len(o.origin) == 0 {
			l.skipped(name, "no origin")
			return nil
		}
		origin, ok := parseASNToken(o.origin)
		if !ok {
			a, err := bgp.ParseASN(string(o.origin))
			if err != nil {
				l.skipped(name, "the origin is not an AS number")
				return nil
			}
			origin = a
		}
		l.db.AddPrefix(source, p, origin)
		if o.class == "route" {
			l.rep.Routes++
		} else {
			l.rep.Routes6++
		}
	}
	return nil
}

// isMemberSep splits members: commas and white space, the same white
// space that is trimmed around values.
func isMemberSep(r rune) bool { return r == ',' || unicode.IsSpace(r) }

// tally counts one kind of problem and keeps where it first occurred.
type tally struct {
	msg     string
	skipped bool // the objects were left out
	n       int
	first   []string
}

// skipped counts the current object as skipped for why.
func (l *loader) skipped(name, why string) {
	o := &l.obj
	l.rep.Skipped++
	what := "object"
	if o.class != "" {
		what = o.class + " " + clip(string(o.key))
	}
	l.count(true, what, name, o.line, why)
}

func (l *loader) count(skipped bool, what, name string, line int, msg string) {
	var t *tally
	for _, x := range l.tallies {
		if x.msg == msg && x.skipped == skipped {
			t = x
			break
		}
	}
	if t == nil {
		t = &tally{msg: msg, skipped: skipped}
		l.tallies = append(l.tallies, t)
	}
	t.n++
	if len(t.first) < 3 {
		at := fmt.Sprintf("line %d", line)
		if name != "" {
			at = name + ":" + fmt.Sprint(line)
		}
		if what != "" {
			at = what + " (" + at + ")"
		}
		t.first = append(t.first, at)
	}
}

func (l *loader) report() LoadReport {
	rep := l.rep
	rep.Warnings = nil
	for _, t := range l.tallies {
		more := ""
		if t.n > len(t.first) {
			more = ", …"
		}
		if t.skipped {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d object(s) skipped, %s: %s%s", t.n, t.msg, strings.Join(t.first, ", "), more))
		} else {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d %s: %s%s", t.n, t.msg, strings.Join(t.first, ", "), more))
		}
	}
	return rep
}
