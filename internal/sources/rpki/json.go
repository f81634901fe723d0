package rpki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Default bounds for LoadJSON. A full rpki-client rpki.json is about 100
// MB with some 800,000 VRPs today.
const (
	DefaultMaxJSONBytes = 1 << 30
	DefaultMaxVRPs      = 10_000_000
)

// LoadOptions bound and tune LoadJSON. The zero value is ready to use.
type LoadOptions struct {
	// MaxBytes is the largest input accepted (default DefaultMaxJSONBytes).
	MaxBytes int64
	// MaxVRPs is the most "roas" entries accepted, and separately the
	// most "aspas" entries (default DefaultMaxVRPs).
	MaxVRPs int
	// Now decides which entries have expired (default time.Now()).
	Now time.Time
}

// LoadReport says what LoadJSON read and what it dropped, and why.
type LoadReport struct {
	// Generated is when the validator produced the file, from metadata
	// "buildtime" (RFC 3339) or "generated" (Unix seconds); zero if absent.
	Generated time.Time `json:"generated"`
	// Entries is the number of "roas" entries read.
	Entries int `json:"entries"`
	// Loaded is the number of distinct usable VRPs returned.
	Loaded int `json:"loaded"`
	// Masked counts entries whose prefix had host bits set; they are
	// loaded with the bits cleared, as stayrtr does.
	Masked int `json:"masked"`
	// Dropped entries, by reason.
	BadPrefix    int `json:"bad_prefix"`    // not a prefix
	BadASN       int `json:"bad_asn"`       // not an AS number
	BadMaxLength int `json:"bad_maxlength"` // missing, below the prefix length or past the address length
	Expired      int `json:"expired"`       // "expires" in the past
	Duplicate    int `json:"duplicate"`

	// ASPAEntries is the number of "aspas" entries read, ASPAs the
	// number of customer ASes with an ASPA loaded from them.
	ASPAEntries int `json:"aspa_entries"`
	ASPAs       int `json:"aspas"`
	// BadASPA entries were dropped: no customer AS number, a provider
	// that is no AS number, the customer among its own providers, or
	// more than MaxASPAProviders. ExpiredASPA entries had expired.
	BadASPA     int `json:"bad_aspa"`
	ExpiredASPA int `json:"expired_aspa"`
}

// Dropped is the number of entries that did not become VRPs.
func (r LoadReport) Dropped() int {
	return r.BadPrefix + r.BadASN + r.BadMaxLength + r.Expired + r.Duplicate
}

// ErrTooLarge is returned when the input passes LoadOptions.MaxBytes or
// MaxVRPs.
var ErrTooLarge = errors.New("VRP file too large")

// jsonVRP is one "roas" entry. rpki-client writes the ASN as a number and
// adds "expires"; Routinator writes "AS64500"; both have "prefix",
// "maxLength" and "ta". Other fields are ignored.
type jsonVRP struct {
	Prefix    string          `json:"prefix"`
	MaxLength *json.Number    `json:"maxLength"`
	ASN       json.RawMessage `json:"asn"`
	Expires   *json.Number    `json:"expires"`
}

type jsonMetadata struct {
	Buildtime string          `json:"buildtime"`
	Generated json.RawMessage `json:"generated"`
}

// Payloads are the validated payloads of a JSON file: VRPs, sorted and
// distinct, and ASPAs.
type Payloads struct {
	VRPs  []VRP
	ASPAs *ASPAs
}

// LoadJSONFile is LoadJSON on a file.
func LoadJSONFile(path string, opts LoadOptions) ([]VRP, LoadReport, error) {
	p, rep, err := LoadPayloadsFile(path, opts)
	return p.VRPs, rep, err
}

// LoadPayloadsFile is LoadPayloads on a file.
func LoadPayloadsFile(path string, opts LoadOptions) (Payloads, LoadReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return Payloads{}, LoadReport{}, fmt.Errorf("loading VRPs: %w", err)
	}
	defer f.Close()
	p, rep, err := LoadPayloads(f, opts)
	if err != nil {
		return Payloads{}, rep, fmt.Errorf("loading VRPs from %s: %w", path, err)
	}
	return p, rep, nil
}

// LoadJSON is LoadPayloads without the ASPAs.
func LoadJSON(r io.Reader, opts LoadOptions) ([]VRP, LoadReport, error) {
	p, rep, err := LoadPayloads(r, opts)
	return p.VRPs, rep, err
}

// LoadPayloads reads a VRP set in the JSON shape rpki-client (rpki.json,
// the "json" output), Routinator (--format json) and stayrtr share:
//
//	{"metadata": {...}, "roas": [{"prefix": "192.0.2.0/24", "maxLength": 24, "asn": 64500}, ...],
//	 "aspas": [{"customer_asid": 64500, "providers": [64510, 64511]}, ...]}
//
// "aspas" is optional; its entries may also be written as Routinator's
// {"customer": "AS64500", "providers": ["AS64510"]}. An ASPA entry that
// is expired or malformed is dropped and counted, never half-loaded.
//
// It streams the "roas" array, so memory follows the number of VRPs, not
// the file size. Entries a router would refuse are dropped and counted in
// the report, as stayrtr does: bad prefix, bad ASN, bad maxLength, expired,
// duplicate. Host bits in a prefix are cleared, also as stayrtr does. The VRPs come back sorted and distinct. Broken JSON, a missing
// "roas" array or input past the bounds is an error.
func LoadPayloads(r io.Reader, opts LoadOptions) (Payloads, LoadReport, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxJSONBytes
	}
	if opts.MaxVRPs <= 0 {
		opts.MaxVRPs = DefaultMaxVRPs
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	lr := &io.LimitedReader{R: r, N: opts.MaxBytes + 1}
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	tooLarge := func(err error) error {
		if lr.N <= 0 {
			return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, opts.MaxBytes)
		}
		return err
	}

	var rep LoadReport
	var vrps []VRP
	var aspas []ASPA
	sawROAs := false
	if err := expectDelim(dec, '{'); err != nil {
		return Payloads{}, rep, tooLarge(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Payloads{}, rep, tooLarge(err)
		}
		switch key, _ := tok.(string); key {
		case "metadata":
			var md jsonMetadata
			if err := dec.Decode(&md); err != nil {
				return Payloads{}, rep, tooLarge(fmt.Errorf("metadata: %w", err))
			}
			rep.Generated = md.time()
		case "roas":
			sawROAs = true
			if err := expectDelim(dec, '['); err != nil {
				return Payloads{}, rep, tooLarge(fmt.Errorf("roas: %w", err))
			}
			for dec.More() {
				if rep.Entries >= opts.MaxVRPs {
					return Payloads{}, rep, fmt.Errorf("%w: more than %d VRPs", ErrTooLarge, opts.MaxVRPs)
				}
				var e jsonVRP
				if err := dec.Decode(&e); err != nil {
					return Payloads{}, rep, tooLarge(fmt.Errorf("roas entry %d: %w", rep.Entries, err))
				}
				rep.Entries++
				if v, ok := e.vrp(&rep, opts.Now); ok {
					vrps = append(vrps, v)
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return Payloads{}, rep, tooLarge(err)
			}
		case "aspas":
			if err := expectDelim(dec, '['); err != nil {
				return Payloads{}, rep, tooLarge(fmt.Errorf("aspas: %w", err))
			}
			for dec.More() {
				if rep.ASPAEntries >= opts.MaxVRPs {
					return Payloads{}, rep, fmt.Errorf("%w: more than %d ASPAs", ErrTooLarge, opts.MaxVRPs)
				}
				var e jsonASPA
				if err := dec.Decode(&e); err != nil {
					return Payloads{}, rep, tooLarge(fmt.Errorf("aspas entry %d: %w", rep.ASPAEntries, err))
				}
				rep.ASPAEntries++
				if a, ok := e.aspa(&rep, opts.Now); ok {
					aspas = append(aspas, a)
				}
			}
			if err := expectDelim(dec, ']'); err != nil {
				return Payloads{}, rep, tooLarge(err)
			}
		default:
			// Other keys (bgpsec_keys, provider_authorizations…) are
			// not ours; skip their values.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return Payloads{}, rep, tooLarge(fmt.Errorf("%q: %w", key, err))
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return Payloads{}, rep, tooLarge(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Payloads{}, rep, tooLarge(errors.New("data after the top-level object"))
	}
	if lr.N <= 0 {
		return Payloads{}, rep, tooLarge(nil)
	}
	if !sawROAs {
		return Payloads{}, rep, errors.New(`no "roas" array: not a VRP file`)
	}
	slices.SortFunc(vrps, compareVRP)
	n := len(vrps)
	vrps = slices.Compact(vrps)
	rep.Duplicate = n - len(vrps)
	rep.Loaded = len(vrps)
	set := NewASPAs(aspas)
	rep.ASPAs = set.Len()
	return Payloads{VRPs: vrps, ASPAs: set}, rep, nil
}

// jsonASPA is one "aspas" entry: rpki-client and stayrtr write
// customer_asid and numbers, Routinator customer and "AS64500" strings.
type jsonASPA struct {
	CustomerASID json.RawMessage   `json:"customer_asid"`
	Customer     json.RawMessage   `json:"customer"`
	Providers    []json.RawMessage `json:"providers"`
	Expires      *json.Number      `json:"expires"`
}

// aspa converts one entry, counting it in rep when it is dropped.
func (e *jsonASPA) aspa(rep *LoadReport, now time.Time) (ASPA, bool) {
	raw := e.CustomerASID
	if raw == nil {
		raw = e.Customer
	}
	c, err := parseJSONASN(raw)
	if err != nil || c == 0 || len(e.Providers) == 0 || len(e.Providers) > MaxASPAProviders {
		rep.BadASPA++
		return ASPA{}, false
	}
	a := ASPA{Customer: c, Providers: make([]bgp.ASN, 0, len(e.Providers))}
	for _, rp := range e.Providers {
		p, err := parseJSONASN(rp)
		if err != nil || p == c {
			rep.BadASPA++
			return ASPA{}, false
		}
		a.Providers = append(a.Providers, p)
	}
	if e.Expires != nil {
		if exp, err := e.Expires.Int64(); err == nil && exp < now.Unix() {
			rep.ExpiredASPA++
			return ASPA{}, false
		}
	}
	return a, true
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, found %v", want, tok)
	}
	return nil
}

// vrp converts one entry, counting it in rep when it is dropped.
func (e *jsonVRP) vrp(rep *LoadReport, now time.Time) (VRP, bool) {
	var v VRP
	var err error
	if v.Prefix, err = netip.ParsePrefix(e.Prefix); err != nil {
		rep.BadPrefix++
		return v, false
	}
	if m := v.Prefix.Masked(); m != v.Prefix {
		// No ROA can carry host bits; a file that has them is sloppy,
		// and stayrtr serves such entries with the bits cleared. Do the
		// same so that peerform sees what the routers will see.
		v.Prefix = m
		rep.Masked++
	}
	if v.ASN, err = parseJSONASN(e.ASN); err != nil {
		rep.BadASN++
		return v, false
	}
	if e.MaxLength == nil {
		rep.BadMaxLength++
		return v, false
	}
	ml, err := strconv.ParseUint(e.MaxLength.String(), 10, 8)
	v.MaxLen = uint8(ml)
	if err != nil || v.Check() != nil {
		rep.BadMaxLength++
		return v, false
	}
	if e.Expires != nil {
		exp, err := e.Expires.Int64()
		if err == nil && exp < now.Unix() {
			rep.Expired++
			return v, false
		}
	}
	return v, true
}

// parseJSONASN accepts 64500, "64500", "AS64500" and "as64500".
func parseJSONASN(raw json.RawMessage) (bgp.ASN, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		return bgp.ParseASN(s)
	}
	n, err := strconv.ParseUint(string(raw), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid AS number %.20q", raw)
	}
	return bgp.ASN(n), nil
}

func (md jsonMetadata) time() time.Time {
	if t, err := time.Parse(time.RFC3339, md.Buildtime); err == nil {
		return t.UTC()
	}
	var n json.Number
	if err := json.Unmarshal(md.Generated, &n); err == nil {
		if s, err := n.Int64(); err == nil && s > 0 {
			return time.Unix(s, 0).UTC()
		}
	}
	return time.Time{}
}
