package peeringdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// The API answers every list request with an envelope:
//
//	{"data": [row, row, ...], "meta": {"generated": 1629845033.419}}
//
// and a dump file holds one envelope per object type:
//
//	{"net": {"data": [...], "meta": {...}}, "ix": {...}, ...}
//
// The walkers below stream through that shape with a json.Decoder so that a
// large table is never held twice in memory, and hand each row to a
// callback that decodes it into its own type.

// rowFunc decodes the row at index i from dec (with dec.Decode).
type rowFunc func(dec *json.Decoder, i int) error

// envelopeInfo is what an envelope says besides its rows.
type envelopeInfo struct {
	Generated time.Time // zero when meta.generated is absent
	Rows      int
}

// walkSingle reads a whole stream holding one envelope.
func walkSingle(r io.Reader, maxRows int, row rowFunc) (envelopeInfo, error) {
	dec := json.NewDecoder(r)
	info, err := walkEnvelope(dec, maxRows, row)
	if err != nil {
		return info, err
	}
	return info, expectEOF(dec)
}

// walkDump reads a stream holding {"<type>": envelope, ...}. forType returns
// the row callback for a type, or nil to skip the type.
func walkDump(r io.Reader, maxRows int, forType func(typ string) rowFunc, done func(typ string, info envelopeInfo)) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{', "a JSON object with one entry per object type"); err != nil {
		return err
	}
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return err
		}
		if key == "data" {
			return errors.New(`found a top-level "data" array: this is a single object type file, not a dump; load its directory instead`)
		}
		row := forType(key)
		if row == nil {
			if err := skipValue(dec); err != nil {
				return fmt.Errorf("skipping %q: %w", key, err)
			}
			continue
		}
		info, err := walkEnvelope(dec, maxRows, row)
		if err != nil {
			return fmt.Errorf("object type %s: %w", key, err)
		}
		done(key, info)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return fmt.Errorf("reading end of dump: %w", err)
	}
	return expectEOF(dec)
}

// walkEnvelope reads {"data": [...], "meta": {...}}; other keys are skipped.
func walkEnvelope(dec *json.Decoder, maxRows int, row rowFunc) (envelopeInfo, error) {
	var info envelopeInfo
	if err := expectDelim(dec, '{', `an object like {"data": [...]}`); err != nil {
		return info, err
	}
	sawData := false
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return info, err
		}
		switch key {
		case "data":
			if sawData {
				return info, errors.New(`"data" appears twice`)
			}
			sawData = true
			if info.Rows, err = walkRows(dec, maxRows, row); err != nil {
				return info, err
			}
		case "meta":
			var meta struct {
				Generated *float64 `json:"generated"`
			}
			if err := dec.Decode(&meta); err != nil {
				return info, fmt.Errorf("decoding meta: %w", err)
			}
			if g := meta.Generated; g != nil && *g > 0 && *g < 1<<40 {
				info.Generated = time.UnixMilli(int64(math.Round(*g * 1000))).UTC()
			}
		default:
			if err := skipValue(dec); err != nil {
				return info, fmt.Errorf("skipping %q: %w", key, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return info, fmt.Errorf("reading end of envelope: %w", err)
	}
	if !sawData {
		return info, errors.New(`no "data" array`)
	}
	return info, nil
}

// walkRows reads a JSON array (or null) and calls row for each element.
func walkRows(dec *json.Decoder, maxRows int, row rowFunc) (int, error) {
	tok, err := dec.Token()
	if err != nil {
		return 0, fmt.Errorf("reading data: %w", err)
	}
	if tok == nil {
		return 0, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return 0, fmt.Errorf(`"data" is %s, not an array`, describeToken(tok))
	}
	n := 0
	for dec.More() {
		if n >= maxRows {
			return n, fmt.Errorf("more than %d rows: %w", maxRows, ErrTooLarge)
		}
		if err := row(dec, n); err != nil {
			return n, fmt.Errorf("row %d: %w", n, err)
		}
		n++
	}
	if _, err := dec.Token(); err != nil {
		return n, fmt.Errorf("reading end of data: %w", err)
	}
	return n, nil
}

func expectDelim(dec *json.Decoder, want json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("expected %s: %w", what, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %s, found %s", what, describeToken(tok))
	}
	return nil
}

func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("reading object key: %w", err)
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("expected an object key, found %s", describeToken(tok))
	}
	return key, nil
}

// skipValue consumes one JSON value of any shape. Depth is already bounded
// by the depthReader underneath.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func expectEOF(dec *json.Decoder) error {
	if tok, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return fmt.Errorf("after the JSON value: %w", err)
		}
		return fmt.Errorf("unexpected %s after the JSON value", describeToken(tok))
	}
	return nil
}

func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}
