package peeringdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Value bounds for numbers PeeringDB users type in by hand. Past them a
// value is treated as unknown, so later arithmetic cannot overflow.
const (
	maxPrefixCount = 10_000_000  // the IPv4 DFZ is about 1,000,000 routes
	maxSpeedMbps   = 100_000_000 // 100 Tbit/s on one port
	maxWarnings    = 20
)

// ErrNoData is returned (wrapped) when a directory holds no PeeringDB files.
var ErrNoData = errors.New("no PeeringDB object files found")

// Loader loads snapshots with explicit limits and a logger. The zero Loader
// uses DefaultLimits and logs nothing.
type Loader struct {
	Limits Limits
	Logger *slog.Logger
}

// LoadDir loads a directory of per-type files (<type>.json or
// <type>.json.gz, as the API or Client.Sync writes them; types that are
// missing are simply empty), or, when dir is a file, a single-file dump.
func LoadDir(dir string) (*Store, error) { return Loader{}.LoadDir(dir) }

// LoadFile loads a single-file dump: {"net": {"data": [...]}, "ix": ..., ...}
// (plain or gzip), the format of CAIDA's PeeringDB archive.
func LoadFile(path string) (*Store, error) { return Loader{}.LoadFile(path) }

// LoadDir is the package-level LoadDir with l's limits and logger.
func (l Loader) LoadDir(dir string) (*Store, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("loading PeeringDB snapshot: %w", err)
	}
	if !fi.IsDir() {
		return l.LoadFile(dir)
	}
	b := newBuilder(l.Limits, dir)
	found := 0
	for _, typ := range objectTypes {
		path, err := typeFile(dir, typ)
		if err != nil {
			return nil, err
		}
		if path == "" {
			continue
		}
		found++
		err = readFile(path, b.lim, func(r io.Reader) error {
			info, err := walkSingle(r, b.lim.MaxRows, b.rowFunc(typ))
			b.noteEnvelope(info)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("loading PeeringDB %s: %w", path, err)
		}
	}
	if found == 0 {
		return nil, fmt.Errorf("loading PeeringDB snapshot %s: %w (expected net.json, ix.json, netixlan.json… or .json.gz)", dir, ErrNoData)
	}
	if st, err := readSyncState(dir); err == nil {
		b.meta.Synced = st.Synced
	}
	return b.build(l.logger()), nil
}

// LoadFile is the package-level LoadFile with l's limits and logger.
func (l Loader) LoadFile(path string) (*Store, error) {
	b := newBuilder(l.Limits, path)
	err := readFile(path, b.lim, func(r io.Reader) error {
		return walkDump(r, b.lim.MaxRows, b.rowFunc, func(_ string, info envelopeInfo) { b.noteEnvelope(info) })
	})
	if err != nil {
		return nil, fmt.Errorf("loading PeeringDB dump %s: %w", path, err)
	}
	return b.build(l.logger()), nil
}

func (l Loader) logger() *slog.Logger {
	if l.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Logger
}

// typeFile finds <type>.json or <type>.json.gz in dir; both at once is an
// error, since it is unclear which one is current.
func typeFile(dir, typ string) (string, error) {
	var found []string
	for _, name := range []string{typ + ".json", typ + ".json.gz"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			found = append(found, p)
		}
	}
	if len(found) > 1 {
		return "", fmt.Errorf("loading PeeringDB snapshot %s: both %s.json and %s.json.gz exist; remove the stale one", dir, typ, typ)
	}
	if len(found) == 0 {
		return "", nil
	}
	return found[0], nil
}

// readFile opens a regular file (not a FIFO or device that could block or
// never end, nor a symbolic link, which a repository's snapshot may hold
// to point anywhere) and hands fn its bounded, decompressed content.
func readFile(path string, lim Limits, fn func(io.Reader) error) error {
	// Check before opening: opening a FIFO for reading blocks until a
	// writer appears. The check after opening catches a swap in between.
	if fi, err := os.Lstat(path); err != nil {
		return err
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file")
	}
	body, closeBody, err := openJSON(f, lim)
	if err != nil {
		return err
	}
	defer closeBody()
	return fn(body)
}

// builder collects validated rows from any number of files, then indexes
// them into a Store.
type builder struct {
	lim     Limits
	meta    Meta
	seen    map[string]map[int]bool
	orgs    map[int]Org
	facs    map[int]Fac
	ixs     map[int]IX
	ixfac   []ixfacRow
	ixlanIX map[int]int
	ixpfx   []lanPrefix
	nets    []Net
	netfac  []netfacRow
	ports   []NetIXLAN
	pocs    []pocRef
}

type lanPrefix struct {
	ixlanID int
	prefix  netip.Prefix
}

func newBuilder(lim Limits, source string) *builder {
	return &builder{
		lim:     lim.withDefaults(),
		meta:    Meta{Source: source, Counts: map[string]int{}, Warnings: []string{}},
		seen:    map[string]map[int]bool{},
		orgs:    map[int]Org{},
		facs:    map[int]Fac{},
		ixs:     map[int]IX{},
		ixlanIX: map[int]int{},
	}
}

func (b *builder) noteEnvelope(info envelopeInfo) {
	if info.Generated.After(b.meta.Generated) {
		b.meta.Generated = info.Generated
	}
}

func (b *builder) warnf(format string, args ...any) {
	if len(b.meta.Warnings) < maxWarnings {
		b.meta.Warnings = append(b.meta.Warnings, fmt.Sprintf(format, args...))
	}
}

func (b *builder) skipf(format string, args ...any) {
	b.meta.Skipped++
	b.warnf(format, args...)
}

// admit applies the checks every row shares: a positive, unique id, status
// "ok" (or absent, in rebuilt data sets), and bounded strings. It returns
// the parsed updated time and whether to keep the row.
func (b *builder) admit(typ string, id int, status, updated string, strs ...string) (time.Time, bool) {
	if id <= 0 {
		b.skipf("%s: skipped a row with id %d", typ, id)
		return time.Time{}, false
	}
	if status != "" && status != "ok" {
		b.meta.Skipped++ // deleted or pending: expected, not worth a warning
		return time.Time{}, false
	}
	for _, s := range strs {
		if len(s) > b.lim.MaxStringLen {
			b.skipf("%s %d: skipped, a field is %d bytes long (limit %d)", typ, id, len(s), b.lim.MaxStringLen)
			return time.Time{}, false
		}
	}
	ids := b.seen[typ]
	if ids == nil {
		ids = map[int]bool{}
		b.seen[typ] = ids
	}
	if ids[id] {
		b.skipf("%s %d: skipped a duplicate id", typ, id)
		return time.Time{}, false
	}
	ids[id] = true
	var t time.Time
	if updated != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, updated); err != nil {
			b.warnf("%s %d: unreadable updated time %q", typ, id, updated)
		} else if t.After(b.meta.Newest) {
			b.meta.Newest = t.UTC()
		}
	}
	return t.UTC(), true
}

// rowFunc returns the decoder for one object type, nil for types peerform
// does not use.
func (b *builder) rowFunc(typ string) rowFunc {
	switch typ {
	case "org":
		return decodeInto(b.addOrg)
	case "fac":
		return decodeInto(b.addFac)
	case "ix":
		return decodeInto(b.addIX)
	case "ixfac":
		return decodeInto(b.addIXFac)
	case "ixlan":
		return decodeInto(b.addIXLAN)
	case "ixpfx":
		return decodeInto(b.addIXPfx)
	case "net":
		return decodeInto(b.addNet)
	case "netfac":
		return decodeInto(b.addNetFac)
	case "netixlan":
		return decodeInto(b.addNetIXLAN)
	case "poc":
		return decodeInto(b.addPoc)
	}
	return nil
}

// decodeInto decodes each row into a fresh T and hands it to add.
func decodeInto[T any](add func(*T)) rowFunc {
	return func(dec *json.Decoder, _ int) error {
		var r T
		if err := dec.Decode(&r); err != nil {
			return err
		}
		add(&r)
		return nil
	}
}

func (b *builder) addOrg(r *orgRow) {
	if _, ok := b.admit("org", r.ID, r.Status, r.Updated, r.Name, r.Country); ok {
		b.orgs[r.ID] = Org{ID: r.ID, Name: r.Name, Country: r.Country}
		b.meta.Counts["org"]++
	}
}

func (b *builder) addFac(r *facRow) {
	if _, ok := b.admit("fac", r.ID, r.Status, r.Updated, r.Name, r.City, r.Country, r.Address1, r.Address2, r.State, r.Zipcode); !ok {
		return
	}
	f := Fac{ID: r.ID, OrgID: r.OrgID, Name: r.Name, City: r.City, Country: r.Country}
	// The address goes into requests sent to other networks: a part with
	// control characters is left out rather than passed on.
	for _, a := range []struct {
		dst *string
		src string
	}{{&f.Address1, r.Address1}, {&f.Address2, r.Address2}, {&f.State, r.State}, {&f.Zipcode, r.Zipcode}} {
		if *a.dst = cleanName(a.src); *a.dst == "" && a.src != "" {
			b.warnf("fac %d: ignored an address part with control characters or invalid UTF-8", r.ID)
		}
	}
	if r.Latitude != nil && r.Longitude != nil {
		if validLatLon(*r.Latitude, *r.Longitude) {
			f.Lat, f.Lon, f.HasLocation = *r.Latitude, *r.Longitude, true
		} else {
			b.warnf("fac %d: ignored impossible coordinates %v, %v", r.ID, *r.Latitude, *r.Longitude)
		}
	}
	b.facs[r.ID] = f
	b.meta.Counts["fac"]++
}

func validLatLon(lat, lon float64) bool {
	return !math.IsNaN(lat) && !math.IsNaN(lon) && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

func (b *builder) addIX(r *ixRow) {
	if _, ok := b.admit("ix", r.ID, r.Status, r.Updated, r.Name, r.NameLong, r.City, r.Country, r.RegionContinent); ok {
		b.ixs[r.ID] = IX{ID: r.ID, OrgID: r.OrgID, Name: r.Name, NameLong: r.NameLong, City: r.City,
			Country: r.Country, RegionContinent: r.RegionContinent}
		b.meta.Counts["ix"]++
	}
}

// refsOK checks the ids a row points at; a row pointing at id 0 or below
// is impossible and skipped.
func (b *builder) refsOK(typ string, id int, refs ...int) bool {
	for _, r := range refs {
		if r <= 0 {
			b.skipf("%s %d: skipped, it refers to id %d", typ, id, r)
			return false
		}
	}
	return true
}

func (b *builder) addIXFac(r *ixfacRow) {
	if _, ok := b.admit("ixfac", r.ID, r.Status, r.Updated); ok && b.refsOK("ixfac", r.ID, r.IXID, r.FacID) {
		b.ixfac = append(b.ixfac, *r)
		b.meta.Counts["ixfac"]++
	}
}

func (b *builder) addIXLAN(r *ixlanRow) {
	if _, ok := b.admit("ixlan", r.ID, r.Status, r.Updated); ok && b.refsOK("ixlan", r.ID, r.IXID) {
		b.ixlanIX[r.ID] = r.IXID
		b.meta.Counts["ixlan"]++
	}
}

func (b *builder) addIXPfx(r *ixpfxRow) {
	if _, ok := b.admit("ixpfx", r.ID, r.Status, r.Updated, r.Prefix, r.Protocol); !ok || !b.refsOK("ixpfx", r.ID, r.IXLANID) {
		return
	}
	p, err := netip.ParsePrefix(r.Prefix)
	if err != nil {
		b.skipf("ixpfx %d: skipped, %v", r.ID, err)
		return
	}
	if p != p.Masked() {
		b.warnf("ixpfx %d: %s has host bits set; using %s", r.ID, p, p.Masked())
		p = p.Masked()
	}
	b.ixpfx = append(b.ixpfx, lanPrefix{ixlanID: r.IXLANID, prefix: p})
	b.meta.Counts["ixpfx"]++
}

func (b *builder) addNet(r *netRow) {
	upd, ok := b.admit("net", r.ID, r.Status, r.Updated, r.Name, r.AKA, r.Website, r.IRRASSet, r.InfoType,
		r.InfoRatio, r.InfoTraffic, r.InfoScope, r.PolicyGeneral, r.PolicyURL, r.PolicyLocations, r.PolicyContracts,
		r.LookingGlass, r.RouteServer, r.Created, r.NetIXLANUpdated, r.NetFacUpdated, r.POCUpdated)
	if !ok {
		return
	}
	asn, ok := validASN(r.ASN)
	if !ok {
		b.skipf("net %d: skipped, AS number %d is out of range", r.ID, r.ASN)
		return
	}
	b.nets = append(b.nets, Net{
		ID: r.ID, OrgID: r.OrgID, ASN: asn, Name: r.Name, AKA: r.AKA, Website: r.Website, IRRASSet: r.IRRASSet,
		InfoType: r.InfoType, InfoRatio: r.InfoRatio, InfoTraffic: r.InfoTraffic, InfoScope: r.InfoScope,
		PolicyGeneral: r.PolicyGeneral, PolicyURL: r.PolicyURL, NeverViaRouteServers: r.NeverViaRouteServers,
		PolicyLocations: r.PolicyLocations, PolicyContracts: r.PolicyContracts, PolicyRatio: r.PolicyRatio,
		InfoIPv6: r.InfoIPv6, InfoMulticast: r.InfoMulticast, LookingGlass: r.LookingGlass, RouteServer: r.RouteServer,
		Created:         b.netTime(r.ID, "created", r.Created),
		InfoPrefixes4:   b.count(r.ID, "info_prefixes4", r.InfoPrefixes4),
		InfoPrefixes6:   b.count(r.ID, "info_prefixes6", r.InfoPrefixes6),
		Updated:         upd,
		NetIXLANUpdated: b.netTime(r.ID, "netixlan_updated", r.NetIXLANUpdated),
		NetFacUpdated:   b.netTime(r.ID, "netfac_updated", r.NetFacUpdated),
		POCUpdated:      b.netTime(r.ID, "poc_updated", r.POCUpdated),
		AllowIXPUpdate:  r.AllowIXPUpdate,
	})
	b.meta.Counts["net"]++
}

// netTime parses one of a network's timestamps (created,
// netixlan_updated, …); one that does not parse is unknown (zero), with a
// warning.
func (b *builder) netTime(netID int, field, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		b.warnf("net %d: %s %q is not a time; treated as unknown", netID, field, v)
		return time.Time{}
	}
	return t.UTC()
}

func (b *builder) count(netID int, field string, v int64) int {
	if v < 0 || v > maxPrefixCount {
		b.warnf("net %d: %s %d is out of range; treated as unknown", netID, field, v)
		return 0
	}
	return int(v)
}

func validASN(v int64) (bgp.ASN, bool) {
	if v <= 0 || v > math.MaxUint32 {
		return 0, false
	}
	return bgp.ASN(v), true
}

func (b *builder) addNetFac(r *netfacRow) {
	if _, ok := b.admit("netfac", r.ID, r.Status, r.Updated, r.Name, r.City, r.Country); ok && b.refsOK("netfac", r.ID, r.FacID) {
		b.netfac = append(b.netfac, *r)
		b.meta.Counts["netfac"]++
	}
}

func (b *builder) addNetIXLAN(r *netixlanRow) {
	upd, ok := b.admit("netixlan", r.ID, r.Status, r.Updated, r.Name, r.IPAddr4, r.IPAddr6)
	if !ok || !b.refsOK("netixlan", r.ID, r.IXID) {
		return
	}
	asn, ok := validASN(r.ASN)
	if !ok {
		b.skipf("netixlan %d: skipped, AS number %d is out of range", r.ID, r.ASN)
		return
	}
	p := NetIXLAN{ID: r.ID, NetID: r.NetID, IXID: r.IXID, IXLANID: r.IXLANID, ASN: asn, Name: r.Name,
		IsRSPeer: r.IsRSPeer, Operational: r.Operational == nil || *r.Operational, Updated: upd}
	if r.Speed >= 0 && r.Speed <= maxSpeedMbps {
		p.SpeedMbps = int(r.Speed)
	} else {
		b.warnf("netixlan %d: speed %d is out of range; treated as unknown", r.ID, r.Speed)
	}
	p.IPv4 = b.addr(r.ID, r.IPAddr4, bgp.IPv4)
	p.IPv6 = b.addr(r.ID, r.IPAddr6, bgp.IPv6)
	b.ports = append(b.ports, p)
	b.meta.Counts["netixlan"]++
}

// addr parses a port address; a malformed one, or one of the wrong family,
// is dropped (the port stays, without that address).
func (b *builder) addr(id int, s string, fam bgp.Family) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		b.warnf("netixlan %d: ignored address: %v", id, err)
	case a.Zone() != "" || a.Is4In6() || bgp.FamilyOf(a) != fam:
		b.warnf("netixlan %d: ignored %q: not a plain %s address", id, s, fam)
	default:
		return a
	}
	return netip.Addr{}
}
