package deploy

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/rpki"
)

// IntendedSession is a BGP session the repository says a router has.
type IntendedSession struct {
	Neighbor netip.Addr `json:"neighbor"`
	PeerASN  bgp.ASN    `json:"peer_asn"`
	// Peer names the peer network in reports ("Doc Transit Alpha").
	Peer string `json:"peer,omitempty"`
	// MaxPrefix is the limit configured per family; 0 or absent: none.
	MaxPrefix map[bgp.Family]int `json:"max_prefix,omitempty"`
	// MaxPrefixAction is what the router does past MaxPrefix, as policy
	// says: "shutdown" (default), "restart" or "warn". With "warn" a
	// session over the limit stays up and is only a warning.
	MaxPrefixAction string `json:"max_prefix_action,omitempty"`
	// Shutdown says the session is configured administratively down on
	// purpose (the peer is being decommissioned): it is fine when it is
	// not Established, and a problem when it still is.
	Shutdown bool `json:"shutdown,omitempty"`
	// Role is our BGP role towards the neighbor (intent.Roles); "customer"
	// (the neighbor is our provider) verifies its paths downstream,
	// every other role upstream.
	Role string `json:"role,omitempty"`
}

// SessionCheck is an intended session as the router reports it.
type SessionCheck struct {
	Router      string             `json:"router"`
	Neighbor    netip.Addr         `json:"neighbor"`
	PeerASN     bgp.ASN            `json:"peer_asn"`
	Peer        string             `json:"peer,omitempty"`
	State       string             `json:"state"`
	Uptime      time.Duration      `json:"uptime_ns"`
	Received    map[bgp.Family]int `json:"received"`
	MaxPrefix   map[bgp.Family]int `json:"max_prefix,omitempty"`
	WarnOnly    bool               `json:"-"` // max-prefix policy is "warn"
	RPKIInvalid int                `json:"rpki_invalid"`
	// ASPAInvalid counts the accepted routes whose AS path ASPA
	// verification finds Invalid; -1 when not checked (no ASPAs given,
	// or a router that cannot list its routes).
	ASPAInvalid int `json:"aspa_invalid"`
	// Reason is the router's explanation when the session is down.
	Reason string `json:"reason,omitempty"`
	// Established says the session is up; for a Shutdown session that
	// is the failure.
	Established bool `json:"established"`
	// Shutdown copies IntendedSession.Shutdown.
	Shutdown bool `json:"shutdown,omitempty"`
	// StateUnknown says the router has the neighbor, with the intended
	// peer AS, but reports no state for it (device.StateUnknown).
	StateUnknown bool `json:"state_unknown,omitempty"`
	// Warnings are problems that do not fail the check: more routes than
	// max-prefix (with a warn-only policy), RPKI-invalid routes accepted.
	Warnings []string `json:"warnings"`
}

// OverMax reports the families where more routes were accepted than the
// max-prefix limit allows.
func (c SessionCheck) OverMax() []bgp.Family {
	var out []bgp.Family
	for _, f := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
		if max := c.MaxPrefix[f]; max > 0 && c.Received[f] > max {
			out = append(out, f)
		}
	}
	return out
}

// match pairs intended sessions with what the router reports. An intended
// session the router does not have at all is "NotConfigured".
func match(router string, intended []IntendedSession, observed []device.Session) []SessionCheck {
	byAddr := map[netip.Addr]device.Session{}
	for _, s := range observed {
		byAddr[s.Neighbor] = s
	}
	out := make([]SessionCheck, 0, len(intended))
	for _, in := range intended {
		c := SessionCheck{Router: router, Neighbor: in.Neighbor, PeerASN: in.PeerASN, Peer: in.Peer,
			MaxPrefix: in.MaxPrefix, WarnOnly: in.MaxPrefixAction == "warn", State: "NotConfigured", Received: map[bgp.Family]int{}, RPKIInvalid: -1,
			ASPAInvalid: -1, Warnings: []string{}, Shutdown: in.Shutdown}
		if s, ok := byAddr[in.Neighbor.Unmap()]; ok {
			c.State, c.Uptime, c.Reason, c.RPKIInvalid = s.State, s.Uptime, s.Reason, s.RPKIInvalid
			if s.Received != nil {
				c.Received = s.Received
			}
			c.Established = s.Established()
			switch {
			case s.PeerASN != in.PeerASN:
				c.Established = false
				c.Reason = fmt.Sprintf("the router has %s for this neighbor, not %s", s.PeerASN, in.PeerASN)
			case s.State == device.StateUnknown:
				c.StateUnknown = true
				if c.Reason == "" {
					c.Reason = "configured; the router reports no session state"
				}
			}
		} else {
			c.Reason = "the router has no such neighbor"
		}
		switch {
		case c.Shutdown && c.Established:
			c.Reason = "still Established, but configured shut down (decommissioning)"
		case c.Shutdown:
			c.Reason = "shut down on purpose (decommissioning)"
		}
		for _, f := range c.OverMax() {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%d %s routes accepted, max-prefix is %d", c.Received[f], f, c.MaxPrefix[f]))
		}
		if c.RPKIInvalid > 0 {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%d RPKI-invalid routes accepted", c.RPKIInvalid))
		}
		out = append(out, c)
	}
	return out
}

// fine is the pass of a check under a verification: Established (down,
// for a session shut down on purpose), or with VerifyConfig, configured
// as intended on a router that reports no state.
func (c SessionCheck) fine(mode Verification) bool {
	if mode == VerifyConfig && c.StateUnknown {
		return true
	}
	return c.Established != c.Shutdown
}

// describe says in a few words why a session is not fine.
func (c SessionCheck) describe() string {
	s := fmt.Sprintf("%s (%s) %s", c.Neighbor, c.PeerASN, c.State)
	if c.Reason != "" {
		s += ": " + c.Reason
	}
	return s
}

// poller reads a router's sessions until a condition holds or time runs
// out; it returns the last observation either way.
func poll(ctx context.Context, d device.Driver, router string, intended []IntendedSession, timeout, every time.Duration,
	done func([]SessionCheck) bool) ([]SessionCheck, error) {
	deadline := time.Now().Add(timeout)
	for {
		obs, err := d.Sessions(ctx)
		if err != nil {
			return nil, err
		}
		checks := match(router, intended, obs)
		if done(checks) || !time.Now().Before(deadline) {
			return checks, nil
		}
		select {
		case <-ctx.Done():
			return checks, context.Cause(ctx)
		case <-time.After(min(every, time.Until(deadline))):
		}
	}
}

// CheckOptions tunes Check.
type CheckOptions struct {
	// Wait is how long to wait for every intended session to be
	// Established; 0 checks once.
	Wait time.Duration
	// Poll is the interval between two reads of a router (0: 1 s).
	Poll time.Duration
	// Dial opens a router; nil means device.Dial.
	Dial DialFunc
	// Progress receives one event per router; nil drops them. It is
	// called from several goroutines, one at a time.
	Progress func(Event)
	// ASPAs, when set, has every router that can list its routes
	// (device.PathReader) verify the AS paths it accepted: routers that
	// cannot verify ASPA themselves still get ASPA-invalid routes
	// counted and reported.
	ASPAs *rpki.ASPAs
}

// CheckReport is the state of every intended session.
type CheckReport struct {
	Sessions []SessionCheck `json:"sessions"`
	// Errors are routers that could not be read, by router name.
	Errors map[string]string `json:"errors"`
	// StateUnknown counts the sessions of VerifyConfig routers that are
	// configured as intended but whose state the router does not report.
	StateUnknown int `json:"state_unknown"`
	// OK is true when every router answered and every intended session
	// is Established, or, on a router verified by its configuration
	// (VerifyConfig), configured as intended with its state unknown.
	OK bool `json:"ok"`
}

// Check reads every target router's sessions, waiting up to o.Wait for
// the intended ones to be Established (or, on VerifyConfig routers,
// configured with no state reported). Routers are read in parallel.
func Check(ctx context.Context, targets []Target, o CheckOptions) CheckReport {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	red := redactorFor(targets)
	if o.Progress != nil {
		o.Progress = redacted(red, serialized(o.Progress))
	}
	dial := o.Dial
	if dial == nil {
		dial = defaultDial(nil)
	}
	type result struct {
		checks []SessionCheck
		err    error
	}
	results := make([]result, len(targets))
	done := make(chan int)
	for i, t := range targets {
		go func() {
			defer func() { done <- i }()
			emit(o.Progress, t.Router, StepConnect, "")
			d, err := dial(ctx, t)
			if err != nil {
				results[i].err = err
				return
			}
			defer d.Close()
			mode := t.verification()
			results[i].checks, results[i].err = poll(ctx, d, t.Router, t.Intended, o.Wait, o.Poll, func(cs []SessionCheck) bool {
				return !slices.ContainsFunc(cs, func(c SessionCheck) bool { return !c.fine(mode) })
			})
			if pr, ok := d.(device.PathReader); ok && o.ASPAs != nil && results[i].err == nil {
				results[i].err = countASPAInvalid(ctx, pr, o.ASPAs, t.Intended, results[i].checks)
			}
		}()
	}
	for range targets {
		<-done
	}
	rep := CheckReport{Sessions: []SessionCheck{}, Errors: map[string]string{}, OK: true}
	for i, r := range results {
		if r.err != nil {
			rep.Errors[targets[i].Router] = red.String(fmt.Sprintf("%s: %v", targets[i].Router, r.err))
			rep.OK = false
			emit(o.Progress, targets[i].Router, StepFailed, rep.Errors[targets[i].Router])
			continue
		}
		var down []string
		unknown, shut := 0, 0
		mode := targets[i].verification()
		for _, c := range r.checks {
			switch {
			case !c.fine(mode):
				rep.OK = false
				down = append(down, c.describe())
			case c.StateUnknown:
				unknown++
			case c.Shutdown:
				shut++
			}
		}
		rep.StateUnknown += unknown
		msg := fmt.Sprintf("%d sessions, all Established", len(r.checks))
		if shut > 0 {
			msg = fmt.Sprintf("%d sessions: %d Established, %d shut down on purpose (decommissioning)", len(r.checks), len(r.checks)-shut, shut)
		}
		if unknown > 0 {
			msg = fmt.Sprintf("%d sessions: %d Established, %d configured with their state unknown (the router reports none)",
				len(r.checks), len(r.checks)-unknown-shut-len(down), unknown)
		}
		if len(down) > 0 {
			msg = fmt.Sprintf("%d of %d sessions not Established: %s", len(down), len(r.checks), strings.Join(down, "; "))
		}
		emit(o.Progress, targets[i].Router, StepDone, msg)
		rep.Sessions = append(rep.Sessions, r.checks...)
	}
	return rep
}

// Observe reads a router's sessions once through an open driver and pairs
// them with the target's intended ones, as Check does: what a monitor
// polls with a connection it keeps.
func Observe(ctx context.Context, d device.Driver, t Target) ([]SessionCheck, error) {
	obs, err := d.Sessions(ctx)
	if err != nil {
		return nil, err
	}
	return match(t.Router, t.Intended, obs), nil
}

// Dial opens a target's router with the real drivers.
func Dial(ctx context.Context, t Target) (device.Driver, error) { return defaultDial(nil)(ctx, t) }

// countASPAInvalid verifies the AS path of every route the router
// accepted from an intended neighbor against the ASPAs, upstream or
// downstream by our role towards it, and sets each check's count (with a
// warning when it is not 0).
func countASPAInvalid(ctx context.Context, pr device.PathReader, aspas *rpki.ASPAs, intended []IntendedSession, checks []SessionCheck) error {
	paths, err := pr.AcceptedPaths(ctx)
	if err != nil {
		return fmt.Errorf("reading the accepted routes for ASPA verification: %w", err)
	}
	role := map[netip.Addr]string{}
	for _, in := range intended {
		role[in.Neighbor.Unmap()] = in.Role
	}
	invalid := map[netip.Addr]int{}
	for _, p := range paths {
		r, ok := role[p.Neighbor]
		if !ok {
			continue
		}
		path := rpki.Path{Seq: p.Path, HasSet: p.HasSet}
		state := aspas.VerifyUpstream(path)
		if r == intent.RoleCustomer {
			state = aspas.VerifyDownstream(path)
		}
		if state == rpki.ASPAInvalid {
			invalid[p.Neighbor]++
		}
	}
	for i := range checks {
		c := &checks[i]
		if !c.Established {
			continue
		}
		c.ASPAInvalid = invalid[c.Neighbor.Unmap()]
		if c.ASPAInvalid > 0 {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%d ASPA-invalid routes accepted", c.ASPAInvalid))
		}
	}
	return nil
}
