package intent

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/score"
)

// Defaults for everything policies/ may leave out. They are the safe
// choices the README promises: RPKI invalid rejected, bogons filtered,
// graceful shutdown honoured.
const (
	DefaultIRRServer      = "whois.radb.net:43"
	DefaultIRRCacheTTL    = 24 * time.Hour
	DefaultConfirmTimeout = 2 * time.Minute
	DefaultVerifyTimeout  = time.Minute
)

func intp(n int) *int { return &n }

func (v *validator) filters(r *rawFilters) Filters {
	f := Filters{
		RPKI: "reject-invalid", Bogons: true, RejectOwnPrefixes: true, GracefulShutdown: true,
		IPv4Length: [2]int{8, 24}, IPv6Length: [2]int{16, 48}, LocalPref: 100,
		MaxPrefix: MaxPrefixPolicy{
			HeadroomPercent: 10, Action: "shutdown", RestartMinutes: 30,
			Default: AFILimits{IPv4: intp(100), IPv6: intp(20)},
			Floor:   AFILimits{IPv4: intp(10), IPv6: intp(10)},
		},
	}
	if r == nil {
		return f
	}
	if r.RPKI != nil {
		f.RPKI = *r.RPKI
		modes := []string{"reject-invalid", "tag", "off"}
		if !contains(modes, f.RPKI) {
			v.errorf(r.RPKIRange, "Unknown RPKI mode", "rpki is one of %s.%s", strings.Join(modes, ", "), didYouMean(f.RPKI, modes))
		} else if f.RPKI == "off" {
			v.warnf(r.RPKIRange, "RPKI origin validation is off", "Routes with RPKI-invalid origins will be accepted from every peer; \"reject-invalid\" is the safe default.")
		}
	}
	if r.Bogons != nil {
		f.Bogons = *r.Bogons
		if !f.Bogons {
			v.warnf(r.DefRange, "Bogon filtering is off", "Peers will be able to announce private, reserved and documentation space.")
		}
	}
	if r.BogonExceptions != nil {
		for _, s := range *r.BogonExceptions {
			if p, ok := v.prefix(s, r.BogonExceptionsRange, "bogon_exceptions"); ok {
				f.BogonExceptions = append(f.BogonExceptions, p)
			}
		}
	}
	if r.RejectOwnPrefixes != nil {
		f.RejectOwnPrefixes = *r.RejectOwnPrefixes
	}
	if r.GracefulShutdown != nil {
		f.GracefulShutdown = *r.GracefulShutdown
	}
	f.IPv4Length = v.lengthRange(r.IPv4Length, r.IPv4LengthRange, "ipv4_prefix_length", 32, f.IPv4Length)
	f.IPv6Length = v.lengthRange(r.IPv6Length, r.IPv6LengthRange, "ipv6_prefix_length", 128, f.IPv6Length)
	mp := &f.MaxPrefix
	if r.MaxPrefixHeadroom != nil {
		if *r.MaxPrefixHeadroom < 0 || *r.MaxPrefixHeadroom > MaxHeadroomPercent {
			v.errorf(r.MaxPrefixHeadroomRange, "Invalid headroom", "max_prefix_headroom_percent must be between 0 and %d.", MaxHeadroomPercent)
		} else {
			mp.HeadroomPercent = *r.MaxPrefixHeadroom
		}
	}
	if r.MaxPrefixAbsolute != nil {
		if *r.MaxPrefixAbsolute < 0 || *r.MaxPrefixAbsolute > MaxHeadroomAbsolute {
			v.errorf(r.MaxPrefixAbsoluteRange, "Invalid headroom", "max_prefix_headroom_absolute must be between 0 and %d.", MaxHeadroomAbsolute)
		} else {
			mp.HeadroomAbsolute = *r.MaxPrefixAbsolute
		}
	}
	if r.MaxPrefixAction != nil {
		actions := []string{"shutdown", "restart", "warn"}
		if !contains(actions, *r.MaxPrefixAction) {
			v.errorf(r.MaxPrefixActionRange, "Unknown max-prefix action", "max_prefix_action is one of %s.%s", strings.Join(actions, ", "), didYouMean(*r.MaxPrefixAction, actions))
		} else {
			mp.Action = *r.MaxPrefixAction
		}
	}
	if r.MaxPrefixRestart != nil {
		if *r.MaxPrefixRestart < 1 || *r.MaxPrefixRestart > MaxRestartMinutes {
			v.errorf(r.MaxPrefixRestartRange, "Invalid restart time", "max_prefix_restart_minutes must be between 1 and %d.", MaxRestartMinutes)
		} else {
			mp.RestartMinutes = *r.MaxPrefixRestart
		}
	}
	if b := single(v, "max_prefix_default", r.MaxPrefixDefault, func(b *rawAFILimits) hcl.Range { return b.DefRange }); b != nil {
		mp.Default = v.limits(b, mp.Default)
	}
	if b := single(v, "max_prefix_floor", r.MaxPrefixFloor, func(b *rawAFILimits) hcl.Range { return b.DefRange }); b != nil {
		mp.Floor = v.limits(b, mp.Floor)
	}
	if r.DefaultLocalPref != nil {
		if *r.DefaultLocalPref < 0 || *r.DefaultLocalPref > MaxLocalPref {
			v.errorf(r.DefaultLocalPrefRange, "Invalid local preference", "local_pref is between 0 and %d, the largest value every platform accepts.", MaxLocalPref)
		} else {
			f.LocalPref = *r.DefaultLocalPref
		}
	}
	return f
}

func (v *validator) lengthRange(raw *[]int, rng hcl.Range, attr string, bits int, def [2]int) [2]int {
	if raw == nil {
		return def
	}
	l := *raw
	if len(l) != 2 || l[0] < 0 || l[1] > bits || l[0] > l[1] {
		v.errorf(rng, "Invalid prefix length range", "%s is [shortest, longest] accepted length, within 0-%d.", attr, bits)
		return def
	}
	return [2]int{l[0], l[1]}
}

// Largest sensible per-session limits: about a full table, plus room.
const (
	maxPrefixCeilV4 = 2000000
	maxPrefixCeilV6 = 500000
)

// limits checks an ipv4/ipv6 pair of prefix counts; unset values keep def.
func (v *validator) limits(b *rawAFILimits, def AFILimits) AFILimits {
	out := def
	check := func(n *int, rng hcl.Range, fam string, ceil int) *int {
		if n == nil {
			return nil
		}
		if *n < 1 || *n > MaxPrefixLimit {
			v.errorf(rng, "Invalid max-prefix", "The %s limit must be between 1 and %d; to stop a session use shutdown = true.", fam, MaxPrefixLimit)
			return nil
		}
		if *n > ceil {
			v.warnf(rng, "Suspicious max-prefix", "%d %s prefixes is more than a full Internet table; a limit this high protects nothing.", *n, fam)
		}
		return n
	}
	if n := check(b.IPv4, b.IPv4Range, "IPv4", maxPrefixCeilV4); n != nil {
		out.IPv4 = n
	}
	if n := check(b.IPv6, b.IPv6Range, "IPv6", maxPrefixCeilV6); n != nil {
		out.IPv6 = n
	}
	return out
}

func (v *validator) irr(r *rawIRR) IRR {
	out := IRR{Servers: []string{DefaultIRRServer}, CacheTTL: DefaultIRRCacheTTL}
	if r == nil {
		return out
	}
	if r.Servers != nil {
		out.Servers = v.hostPorts(*r.Servers, r.ServersRange, "servers")
		if len(out.Servers) == 0 {
			v.errorf(r.ServersRange, "No IRR server", "List at least one IRR server as host:port, e.g. \"rr.ntt.net:43\".")
		}
	}
	if r.Sources != nil {
		for _, s := range *r.Sources {
			if msg := CheckIdentifier(s); msg != "" || strings.ToUpper(s) != s {
				v.errorf(r.SourcesRange, "Invalid IRR source", "IRR sources are upper-case names such as RIPE, ARIN or RADB; %q is not.", s)
				continue
			}
			out.Sources = append(out.Sources, s)
		}
	}
	out.CacheTTL = v.duration(r.CacheTTL, r.CacheTTLRange, "cache_ttl", out.CacheTTL)
	if r.Snapshot != nil {
		for _, p := range *r.Snapshot {
			if msg := checkPath(p, false); msg != "" {
				v.errorf(r.SnapshotRange, "Invalid path", "snapshot %q %s.", p, msg)
				continue
			}
			out.Snapshot = append(out.Snapshot, p)
		}
		if len(*r.Snapshot) == 0 {
			v.errorf(r.SnapshotRange, "No IRR snapshot", "List RPSL files, e.g. [\"data/irr/example.rpsl\"], or leave snapshot out to ask the servers.")
		}
	}
	return out
}

func (v *validator) rpki(r *rawRPKI) RPKI {
	var out RPKI
	if r == nil {
		return out
	}
	if r.RTR != nil {
		out.RTR = v.hostPorts(*r.RTR, r.RTRRange, "rtr")
	}
	if r.VRPsFile != nil {
		if msg := checkPath(*r.VRPsFile, false); msg != "" {
			v.errorf(r.VRPsFileRange, "Invalid path", "vrps_file %s.", msg)
		} else {
			out.VRPsFile = *r.VRPsFile
		}
	}
	if r.SLURM != nil {
		if msg := checkPath(*r.SLURM, false); msg != "" {
			v.errorf(r.SLURMRange, "Invalid path", "slurm %s.", msg)
		} else {
			out.SLURM = *r.SLURM
		}
	}
	return out
}

// names spells every value of an enumeration, for messages.
func names[T fmt.Stringer](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = v.String()
	}
	return out
}

// originValidation warns about each router that cannot do the RPKI origin
// validation filters.rpki asks for because no RTR cache is listed for it:
// its config would silently accept RPKI-invalid routes. filters { rpki =
// "off" } is the explicit way to do without (and warns on its own).
func (v *validator) originValidation(repo *Repo) {
	if repo.Filters.RPKI == "off" {
		return
	}
	for _, r := range repo.Routers {
		caches := repo.RPKI.RTR
		if r.RTR != nil {
			caches = r.RTR
		}
		if len(caches) == 0 {
			v.warnf(r.DeclRange, "No RPKI origin validation",
				"Router %q has no RTR cache (rpki { rtr = [\"host:port\"] } in policies/, or rtr in the router block), so it cannot reject RPKI-invalid routes as filters.rpki = %q asks: they would be accepted. List the RTR caches of your validators, or set filters { rpki = \"off\" } to accept them knowingly.",
				r.Name, repo.Filters.RPKI)
		}
	}
}

func (v *validator) scoring(r *rawScoring) Scoring {
	out := Scoring{Criterion: score.ByOwn, CandidateCriterion: score.ByOwn, FacilityCapacityMbps: 1000, Profile: "likelihood"}
	if r == nil {
		return out
	}
	if r.Profile != nil {
		if !contains(Profiles, *r.Profile) {
			v.errorf(r.ProfileRange, "Unknown scoring profile", "profile is \"likelihood\" (a calibrated probability that the candidate agrees) or \"paper\" (the Meta-Peering felicity).%s", didYouMean(*r.Profile, Profiles))
		} else {
			out.Profile = *r.Profile
		}
	}
	for _, f := range []struct {
		val  *string
		rng  hcl.Range
		attr string
		dst  *string
	}{{r.Model, r.ModelRange, "model", &out.Model}, {r.Relationships, r.RelationshipsRange, "relationships", &out.Relationships}} {
		if f.val == nil {
			continue
		}
		if msg := checkPath(*f.val, false); msg != "" {
			v.errorf(f.rng, "Invalid path", "%s %s.", f.attr, msg)
		} else {
			*f.dst = *f.val
		}
	}
	if out.Profile == "paper" && (out.Model != "" || out.Relationships != "") {
		v.warnf(r.ProfileRange, "Model without a likelihood profile", "model and relationships feed the likelihood profile; the paper profile ignores them.")
	}
	positive := func(f *float64, rng hcl.Range, attr string) *float64 {
		if f != nil && *f <= 0 {
			v.errorf(rng, "Invalid "+attr, "%s must be greater than 0.", attr)
			return nil
		}
		return f
	}
	out.Beta = positive(r.Beta, r.BetaRange, "beta")
	out.Gamma = positive(r.Gamma, r.GammaRange, "gamma")
	if r.Threshold != nil {
		if *r.Threshold < 0 || *r.Threshold > 1 {
			v.errorf(r.ThresholdRange, "Invalid threshold", "threshold is a felicity between 0 and 1.")
		} else {
			out.Threshold = r.Threshold
		}
	}
	if r.MaxCommonPoPs != nil {
		if *r.MaxCommonPoPs < 0 || *r.MaxCommonPoPs > 64 {
			v.errorf(r.MaxCommonPoPsRange, "Invalid cap", "max_common_pops must be between 0 (no cap) and 64; up to 20 common PoPs are scored exactly, more are estimated.")
		} else {
			out.MaxCommonPoPs = r.MaxCommonPoPs
		}
	}
	if r.RatioBounds != nil {
		out.RatioBounds = map[string]float64{}
		for k, b := range *r.RatioBounds {
			kinds := []string{"heavy", "mostly", "balanced"}
			switch {
			case !contains(kinds, k):
				v.errorf(r.RatioBoundsRange, "Unknown ratio bound", "ratio_bounds takes heavy, mostly and balanced, not %q.%s", k, didYouMean(k, kinds))
			case b < 1:
				v.errorf(r.RatioBoundsRange, "Invalid ratio bound", "ratio_bounds.%s is the largest accepted traffic ratio; it must be at least 1.", k)
			default:
				out.RatioBounds[k] = b
			}
		}
	}
	crit := func(s *string, rng hcl.Range, attr string, def score.Criterion) score.Criterion {
		if s == nil {
			return def
		}
		c, err := score.ParseCriterion(*s)
		if err != nil {
			criteria := names(score.Criteria)
			v.errorf(rng, "Unknown criterion", "%s is one of %s.%s", attr, strings.Join(criteria, ", "), didYouMean(*s, criteria))
			return def
		}
		return c
	}
	out.Criterion = crit(r.Criterion, r.CriterionRange, "criterion", out.Criterion)
	out.CandidateCriterion = crit(r.CandidateCriterion, r.CandidateCriterionRange, "candidate_criterion", out.CandidateCriterion)
	if r.Holistic != nil {
		out.Holistic = *r.Holistic
	}
	if r.AssumeRatio != nil {
		out.AssumeRatio = map[bgp.ASN]score.Ratio{}
		keys := make([]string, 0, len(*r.AssumeRatio))
		for k := range *r.AssumeRatio {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ratio := (*r.AssumeRatio)[k]
			a, err := bgp.ParseASN(k)
			if err != nil {
				v.errorf(r.AssumeRatioRange, "Invalid AS number", "assume_ratio: %s.", err)
				continue
			}
			parsed, err := score.ParseRatio(ratio)
			if err != nil || parsed == score.NotDisclosed {
				ratios := names(score.Ratios)
				v.errorf(r.AssumeRatioRange, "Unknown traffic ratio", "assume_ratio: %q is not one of %s.%s", ratio, strings.Join(ratios, ", "), didYouMean(ratio, ratios))
				continue
			}
			out.AssumeRatio[a] = parsed
		}
	}
	if f := positive(r.FacilityCapacityMbps, r.FacilityCapacityMbpsRange, "facility_capacity_mbps"); f != nil {
		out.FacilityCapacityMbps = *f
	}
	if r.TrafficMbps != nil {
		if *r.TrafficMbps < 0 {
			v.errorf(r.TrafficMbpsRange, "Invalid traffic", "traffic_mbps is our measured total traffic; it cannot be negative.")
		} else {
			out.TrafficMbps = *r.TrafficMbps
		}
	}
	if r.Population != nil {
		if msg := checkPath(*r.Population, false); msg != "" {
			v.errorf(r.PopulationRange, "Invalid path", "population %s.", msg)
		} else {
			out.Population = *r.Population
		}
	}
	return out
}

// ParsePoPKey checks a PoP key such as "ix:26" or "fac:1".
func ParsePoPKey(s string) (kind string, id int, err error) {
	kind, num, ok := strings.Cut(s, ":")
	if !ok || (kind != "ix" && kind != "fac") {
		return "", 0, fmt.Errorf("%q is not a PoP key like \"ix:26\" or \"fac:1\"", s)
	}
	id, err = strconv.Atoi(num)
	if err != nil || id < 1 {
		return "", 0, fmt.Errorf("%q is not a PoP key like \"ix:26\" or \"fac:1\"", s)
	}
	return kind, id, nil
}

func (v *validator) peeringDB(r *rawPeeringDB) PeeringDB {
	out := PeeringDB{Cache: ".peerform/peeringdb"}
	if r == nil {
		return out
	}
	if r.Snapshot != nil {
		if msg := checkPath(*r.Snapshot, false); msg != "" {
			v.errorf(r.SnapshotRange, "Invalid path", "snapshot %s.", msg)
		} else {
			out.Snapshot = *r.Snapshot
		}
	}
	if r.Cache != nil {
		if msg := checkPath(*r.Cache, true); msg != "" {
			v.errorf(r.CacheRange, "Invalid path", "cache %s.", msg)
		} else {
			out.Cache = *r.Cache
		}
	}
	return out
}

func (v *validator) deploy(r *rawDeploy, repo *Repo) Deploy {
	out := Deploy{Parallel: 1, ConfirmTimeout: DefaultConfirmTimeout, VerifyTimeout: DefaultVerifyTimeout}
	if r == nil {
		return out
	}
	if r.Parallel != nil {
		if *r.Parallel < 1 || *r.Parallel > 64 {
			v.errorf(r.ParallelRange, "Invalid parallelism", "parallel is how many routers change at once, 1 to 64.")
		} else {
			out.Parallel = *r.Parallel
		}
	}
	known := func(name string, rng hcl.Range, attr string) bool {
		if repo.Router(name) == nil {
			v.errorf(rng, "Unknown router", "%s names router %q, which no router block defines.%s", attr, name, didYouMean(name, routerNames(repo)))
			return false
		}
		return true
	}
	if r.Order != nil {
		for _, name := range *r.Order {
			if known(name, r.OrderRange, "order") {
				out.Order = append(out.Order, name)
			}
		}
	}
	if r.NeverTogether != nil {
		for _, pair := range *r.NeverTogether {
			if len(pair) != 2 {
				v.errorf(r.NeverTogetherRange, "Invalid router pair", "never_together is a list of router pairs, e.g. [[\"ams-edge1\", \"ams-edge2\"]].")
				continue
			}
			if known(pair[0], r.NeverTogetherRange, "never_together") && known(pair[1], r.NeverTogetherRange, "never_together") {
				out.NeverTogether = append(out.NeverTogether, [2]string{pair[0], pair[1]})
			}
		}
	}
	out.ConfirmTimeout = v.duration(r.ConfirmTimeout, r.ConfirmTimeoutRange, "confirm_timeout", out.ConfirmTimeout)
	out.VerifyTimeout = v.duration(r.VerifyTimeout, r.VerifyTimeoutRange, "verify_timeout", out.VerifyTimeout)
	return out
}
