package ixf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/peerform/peerform/internal/repo/repofs"
)

// Limits bound what is accepted from an export file. A zero field takes
// its default (DefaultLimits).
type Limits struct {
	// MaxBytes is the largest file read (default 32 MiB; the largest
	// exchanges publish a few MiB).
	MaxBytes int64
	// MaxMembers is the most member_list entries (default 20,000; the
	// largest exchanges have about 1,100 members).
	MaxMembers int
	// MaxIXPs is the most ixp_list entries (default 256).
	MaxIXPs int
	// MaxEntries is the most items in any other list: a member's
	// connections, a connection's VLAN entries and interfaces, an IXP's
	// VLANs and switches, and the lists the schema leaves open (default
	// 1,024: a large exchange lists about a hundred switches).
	MaxEntries int
	// MaxStringLen is the longest string or key (default 1024 bytes).
	MaxStringLen int
	// MaxDepth is the deepest nesting of objects and arrays (default 16;
	// the schema's deepest value, a service of an address, is at 10).
	MaxDepth int
}

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 32 << 20, MaxMembers: 20_000, MaxIXPs: 256, MaxEntries: 1024, MaxStringLen: 1024, MaxDepth: 16}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = d.MaxMembers
	}
	if l.MaxIXPs <= 0 {
		l.MaxIXPs = d.MaxIXPs
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxStringLen <= 0 {
		l.MaxStringLen = d.MaxStringLen
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	return l
}

// ErrTooLarge is wrapped by errors about input past one of the Limits.
var ErrTooLarge = errors.New("input exceeds the limit")

// Error is a problem that makes the whole file unreadable, at a line of
// it when one is known (Line 0: the file as a whole).
type Error struct {
	Line, Col int
	Msg       string
	Err       error // what it wraps, if anything (ErrTooLarge, repofs.ErrNotRegular)
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d:%d: %s", e.Line, e.Col, e.Msg)
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// ReadFile reads the export at name, a slash-separated path relative to
// the repository directory dir, as a repository file: a symbolic link, a
// FIFO or a device is refused before anything is read, and a file larger
// than lim.MaxBytes before it is read.
func ReadFile(dir, name string, lim Limits) (*Export, error) {
	lim = lim.withDefaults()
	f, err := repofs.Open(dir, name)
	if err != nil {
		return nil, &Error{Msg: err.Error(), Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &Error{Msg: err.Error(), Err: err}
	}
	if fi.Size() > lim.MaxBytes {
		return nil, &Error{Msg: fmt.Sprintf("%s is %d bytes, more than the %d an IX-F export may have", name, fi.Size(), lim.MaxBytes), Err: ErrTooLarge}
	}
	return Read(f, lim)
}

// Read reads an export from r, within lim.
func Read(r io.Reader, lim Limits) (*Export, error) {
	lim = lim.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, &Error{Msg: err.Error(), Err: err}
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, &Error{Msg: fmt.Sprintf("more than %d bytes", lim.MaxBytes), Err: ErrTooLarge}
	}
	return Parse(data, lim)
}

// Parse reads an export held in data, within lim (MaxBytes included).
func Parse(data []byte, lim Limits) (*Export, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, &Error{Msg: fmt.Sprintf("more than %d bytes", lim.MaxBytes), Err: ErrTooLarge}
	}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, errorAt(data, int64(off), "not UTF-8 (JSON must be)", nil)
	}
	idx, err := scan(data, lim)
	if err != nil {
		return nil, err
	}
	var raw rawExport
	if err := json.Unmarshal(data, &raw); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, errorAt(data, te.Offset, fmt.Sprintf("%s: a JSON %s where the schema has %s", te.Field, te.Value, typeName(te.Type)), nil)
		}
		return nil, &Error{Msg: err.Error(), Err: err}
	}
	return build(data, &raw, idx)
}

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int64:
		return "an integer (within ±2^63)"
	case reflect.Slice:
		return "an array"
	case reflect.Struct:
		return "an object"
	}
	return t.String()
}

// errorAt makes an Error at the line and column of a byte offset.
func errorAt(data []byte, off int64, msg string, err error) *Error {
	line, col := position(data, off)
	return &Error{Line: line, Col: col, Msg: msg, Err: err}
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// index is what the scan learnt about where entries start: the byte
// offsets of the items of ixp_list and member_list, for the lines of
// problems found later.
type index struct {
	ixps, members []int64
}

// frame is an object or array the scan is inside.
type frame struct {
	array   bool
	path    string              // field names from the top, dot-separated, without indices
	keys    map[string]struct{} // of an object: the keys seen
	lastKey string              // of an object: the key whose value comes next
	wantKey bool                // of an object: a key comes next
	n       int                 // of an array: items so far
}

// scan walks every token of data once, before anything is decoded, and
// refuses what encoding/json would accept but a strict reader must not:
// nesting past MaxDepth, strings and lists past their limits, duplicate
// keys, keys that differ from a schema field only in case, a top level
// that is not one object.
func scan(data []byte, lim Limits) (index, error) {
	var idx index
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	seenTop := false
	fail := func(at int64, msg string, err error) (index, error) {
		return idx, errorAt(data, at, msg, err)
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			switch {
			case !seenTop:
				return fail(start, "empty: an IX-F export is a JSON object", nil)
			case len(stack) > 0:
				return fail(int64(len(data)), "the file ends inside its JSON value", nil)
			}
			return idx, nil
		}
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return fail(se.Offset, strings.TrimPrefix(se.Error(), "json: "), nil)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return fail(int64(len(data)), "the file ends inside its JSON value", nil)
			}
			return fail(dec.InputOffset(), strings.TrimPrefix(err.Error(), "json: "), nil)
		}
		// Tokens start after whitespace and separators; point at the token.
		start += int64(len(data[start:]) - len(bytes.TrimLeft(data[start:], " \t\r\n,:")))
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && !top.array && top.wantKey {
			key, _ := tok.(string) // the decoder returns only strings for keys
			switch canon, variant := caseVariant(key); {
			case len(key) > lim.MaxStringLen:
				return fail(start, fmt.Sprintf("a key of %d bytes (limit %d)", len(key), lim.MaxStringLen), ErrTooLarge)
			case variant:
				return fail(start, fmt.Sprintf("key %q: the schema's field is %q", key, canon), nil)
			}
			if _, dup := top.keys[key]; dup {
				return fail(start, fmt.Sprintf("key %q appears twice in one object", key), nil)
			}
			top.keys[key] = struct{}{}
			top.lastKey, top.wantKey = key, false
			continue
		}
		// A value: the top level, an array's item or an object's value.
		path := ""
		switch {
		case top == nil:
			if seenTop {
				return fail(start, "more data after the JSON object", nil)
			}
			seenTop = true
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return fail(start, "an IX-F export is a JSON object", nil)
			}
		case top.array:
			path = top.path
			top.n++
			if limit := arrayLimit(top.path, lim); top.n > limit {
				return fail(start, fmt.Sprintf("%s has more than %d entries", top.path, limit), ErrTooLarge)
			}
			switch top.path {
			case "ixp_list":
				idx.ixps = append(idx.ixps, start)
			case "member_list":
				idx.members = append(idx.members, start)
			}
		default:
			path = joinPath(top.path, top.lastKey)
			top.wantKey = true
		}
		switch v := tok.(type) {
		case json.Delim:
			if len(stack) == lim.MaxDepth {
				return fail(start, fmt.Sprintf("JSON nested deeper than %d levels", lim.MaxDepth), ErrTooLarge)
			}
			f := &frame{array: v == '[', path: path}
			if !f.array {
				f.keys, f.wantKey = map[string]struct{}{}, true
			}
			stack = append(stack, f)
		case string:
			if len(v) > lim.MaxStringLen {
				return fail(start, fmt.Sprintf("a string of %d bytes (limit %d)", len(v), lim.MaxStringLen), ErrTooLarge)
			}
		}
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// arrayLimit is the most items the array at path may have.
func arrayLimit(path string, lim Limits) int {
	switch path {
	case "member_list":
		return lim.MaxMembers
	case "ixp_list":
		return lim.MaxIXPs
	}
	return lim.MaxEntries
}

// schemaKeys are the JSON field names the decoder reads, and lowerKeys
// the same in lower case.
var schemaKeys, lowerKeys = func() (map[string]bool, map[string]string) {
	keys, lower := map[string]bool{}, map[string]string{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for i := range t.NumField() {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				keys[name], lower[strings.ToLower(name)] = true, name
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeFor[rawExport]())
	return keys, lower
}()

// caseVariant reports whether key is not one of the schema's field names
// but equal to one under Unicode case folding, as encoding/json matches
// names: {"ASNUM": …} or {"aſnum": …} would be read as asnum.
func caseVariant(key string) (string, bool) {
	if schemaKeys[key] {
		return "", false
	}
	if isASCII(key) {
		k, ok := lowerKeys[strings.ToLower(key)]
		return k, ok
	}
	for k := range schemaKeys {
		if strings.EqualFold(k, key) {
			return k, true
		}
	}
	return "", false
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
