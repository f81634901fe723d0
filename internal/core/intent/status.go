package intent

import (
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Status is where a peer, a router or an IXP stands in its lifecycle. It
// decides what is rendered: a requested or declined peer nothing yet, a
// peer, router or IXP in maintenance its sessions drained with RFC 8326
// graceful shutdown, a decommissioning peer its sessions shut down before
// the file is removed.
type Status string

// The statuses. Active is the default; routers and IXPs take only Active
// and Maintenance.
const (
	StatusActive          Status = "active"
	StatusRequested       Status = "requested"
	StatusMaintenance     Status = "maintenance"
	StatusDecommissioning Status = "decommissioning"
	StatusDeclined        Status = "declined"
)

// peerStatuses and siteStatuses are what each block accepts, in the
// order the documentation lists them.
var (
	peerStatuses = []string{string(StatusActive), string(StatusRequested), string(StatusMaintenance),
		string(StatusDecommissioning), string(StatusDeclined)}
	siteStatuses = []string{string(StatusActive), string(StatusMaintenance)}
)

// Renders reports whether sessions of this status are configured on the
// routers at all: requested and declined peers are tracked and scored,
// not configured.
func (s Status) Renders() bool { return s != StatusRequested && s != StatusDeclined }

// RetryDateLayout is how retry_after is written: a calendar date.
const RetryDateLayout = "2006-01-02"

// Declined reports whether the network declined and may not be asked
// again yet at now: no retry_after, or one still ahead. suggest leaves
// such networks out.
func (p *Peer) Declined(now time.Time) bool {
	return p.Status == StatusDeclined && (p.RetryAfter.IsZero() || now.Before(p.RetryAfter))
}

// status validates a status attribute against the values a block takes.
func (v *validator) status(raw *string, rng hcl.Range, what string, allowed []string) Status {
	if raw == nil {
		return StatusActive
	}
	for _, a := range allowed {
		if *raw == a {
			return Status(a)
		}
	}
	v.errorf(rng, "Unknown status", "The status of %s is one of %s.%s", what, strings.Join(allowed, ", "), didYouMean(*raw, allowed))
	return StatusActive
}

// peerStatus reads a peer's status and retry_after: a date only a
// declined peer has, after which the network may be suggested again.
func (v *validator) peerStatus(r *rawPeer, p *Peer) {
	p.Status = v.status(r.Status, r.StatusRange, "a peer", peerStatuses)
	if r.RetryAfter == nil {
		return
	}
	if p.Status != StatusDeclined {
		v.errorf(r.RetryAfterRange, "retry_after without declined", "retry_after says when a network that declined may be asked again; it goes with status = %q.", StatusDeclined)
		return
	}
	t, err := time.Parse(RetryDateLayout, *r.RetryAfter)
	if err != nil {
		v.errorf(r.RetryAfterRange, "Invalid date", "retry_after is a date written as %q.", "2027-06-30")
		return
	}
	p.RetryAfter = t
}
