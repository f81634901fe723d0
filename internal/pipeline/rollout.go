package pipeline

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/change/secret"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/repo/repofs"
	"github.com/peerform/peerform/internal/sources/rpki"
	"github.com/peerform/peerform/render"
)

// RolloutQuery says which routers deploy and check work on.
type RolloutQuery struct {
	Routers    []string // --router; empty: all of the environment
	Env        string   // --env
	KnownHosts string   // --known-hosts; empty: ~/.ssh/known_hosts
	// ReadOnly is set by check: it reads state and pushes no config, so a
	// secret that is not set is not needed (one that is set is still
	// used to redact what the router says).
	ReadOnly bool
}

// Rollout is what deploy and check need from the repository: a target per
// router (rendered config, endpoint, intended sessions) in the policy's
// order, and the policy's rollout settings.
type Rollout struct {
	Targets []deploy.Target
	Policy  deploy.Options // Parallel, ConfirmTimeout, VerifyTimeout, NeverTogether
	// ASPAs, from the repository's VRP file, have check verify the AS
	// paths the routers accepted.
	ASPAs *rpki.ASPAs
}

// RepoRollout renders the routers of one environment of the repository and
// turns them into deploy targets: the endpoint from the router block, the
// intended sessions from the model, secrets filled in from the environment.
// show gets the repository's diagnostics as soon as it is loaded, before
// any warning about secrets. A repository with errors is a FindingsError,
// a router or environment it does not have a UsageError.
func RepoRollout(ctx context.Context, o Options, q RolloutQuery, show func(hcl.Diagnostics, *intent.Repo)) (Rollout, error) {
	m, repo, diags, err := LoadModel(ctx, o, repofs.Dir(o.Dir))
	show(diags, repo)
	if err != nil {
		return Rollout{}, err
	}
	if m == nil {
		return Rollout{}, findingsf("the repository has errors; run peerform validate")
	}
	if err := CheckRouters(q.Routers, repo.Routers); err != nil {
		return Rollout{}, err
	}
	tm, _, err := RepoTemplates(repofs.Dir(o.Dir), "")
	if err != nil {
		return Rollout{}, err
	}
	d := repo.Deploy
	ro := Rollout{Policy: deploy.Options{Parallel: d.Parallel, ConfirmTimeout: d.ConfirmTimeout,
		VerifyTimeout: d.VerifyTimeout, NeverTogether: d.NeverTogether}, ASPAs: m.ASPAs}
	var refused []string
	for _, r := range m.Routers {
		if r.Environment != q.Env || (len(q.Routers) > 0 && !slices.Contains(q.Routers, r.Name)) {
			continue
		}
		cfg, err := render.Render(m, r.Name, tm)
		if err != nil {
			return Rollout{}, fmt.Errorf("rendering %s: %w", r.Name, err)
		}
		t, err := target(m, r, string(cfg), o.Dir, q, o.warnings())
		var fe *FindingsError
		switch {
		case errors.As(err, &fe):
			refused = append(refused, fe.Msg)
		case err != nil:
			return Rollout{}, err
		}
		ro.Targets = append(ro.Targets, t)
	}
	if len(refused) > 0 {
		// Before any router is contacted: a value the config cannot
		// take is refused, by the secret's name.
		return Rollout{}, findingsf("%s", strings.Join(refused, "\n"))
	}
	if len(ro.Targets) == 0 {
		return Rollout{}, usageErrorf("no router of environment %q to work on", q.Env)
	}
	// Policy order first, then the rest by name (the model's order).
	slices.SortStableFunc(ro.Targets, func(x, y deploy.Target) int { return rank(d.Order, x.Router) - rank(d.Order, y.Router) })
	return ro, nil
}

func rank(order []string, router string) int {
	if i := slices.Index(order, router); i >= 0 {
		return i
	}
	return len(order)
}

// target builds one router's deploy target. The secret placeholders in
// the rendered config are replaced by their values here, just before the
// push, after each value was checked for the router's platform
// (secret.Check), and the values are handed to deploy to redact. In a
// netconf payload a value goes in XML-escaped (a key holding "&" or "<"
// must not change the payload's shape), and both forms are redacted.
func target(m *model.Model, r *model.Router, cfg, repoDir string, q RolloutQuery, warn io.Writer) (deploy.Target, error) {
	in := r.Intent
	t := deploy.Target{Router: r.Name, Platform: r.Platform, Verify: deploy.VerificationFor(r.Platform), Endpoint: device.Endpoint{
		Host: in.Host, Port: in.Port, User: in.User, KeyFile: in.SSHKeyFile, PasswordEnv: in.PasswordEnv,
		KnownHostsFile: q.KnownHosts, NETCONF: in.Transport == "netconf",
	}}
	if t.Endpoint.KeyFile != "" && !filepath.IsAbs(t.Endpoint.KeyFile) {
		// A key file in the repository's policy is relative to it.
		t.Endpoint.KeyFile = filepath.Join(repoDir, t.Endpoint.KeyFile)
	}
	values := map[string]string{}
	var problems []error
	for _, name := range secret.Names(cfg) {
		v, from, ok := secret.Lookup(os.LookupEnv, name)
		if !ok {
			if q.ReadOnly {
				continue
			}
			return t, fmt.Errorf("%s: the config needs the secret %s, which is not set", r.Name, secret.EnvVar(name))
		}
		if from != secret.EnvVar(name) {
			fmt.Fprintf(warn, "Warning: %s is read from %s, the variable's name before peerform; rename it to %s (the old name stops working in the next release)\n", name, from, secret.EnvVar(name))
		}
		if err := secret.Check(r.Platform, name, v); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", r.Name, err))
			continue
		}
		t.Secrets = append(t.Secrets, v)
		if r.Platform == platform.NETCONF {
			var b strings.Builder
			_ = xml.EscapeText(&b, []byte(v)) // a strings.Builder does not fail
			v = b.String()
			t.Secrets = append(t.Secrets, v)
		}
		values[name] = v
	}
	if len(problems) > 0 {
		return t, &FindingsError{Msg: errors.Join(problems...).Error()}
	}
	if !q.ReadOnly {
		cfg, err := secret.Substitute(cfg, values)
		if err != nil {
			return t, fmt.Errorf("%s: %w", r.Name, err)
		}
		t.Config = cfg
	}
	for _, s := range r.Sessions {
		is := deploy.IntendedSession{Neighbor: s.Neighbor, PeerASN: s.Peer.ASN, Peer: s.Peer.Name,
			MaxPrefixAction: m.Filters.MaxPrefix.Action, Shutdown: s.Disabled, Role: s.Peer.Role}
		if s.MaxPrefix > 0 {
			is.MaxPrefix = map[bgp.Family]int{s.Family: s.MaxPrefix}
		}
		t.Intended = append(t.Intended, is)
	}
	return t, nil
}
