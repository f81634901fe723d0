package main

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

	"github.com/spf13/pflag"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/change/secret"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/repo/repofs"
	"github.com/peerform/peerform/internal/sources/rpki"
	"github.com/peerform/peerform/render"
)

// rolloutQuery says which routers deploy and check work on.
type rolloutQuery struct {
	routers    []string // --router; empty: all of the environment
	env        string   // --env
	knownHosts string   // --known-hosts; empty: ~/.ssh/known_hosts
}

// addRolloutFlags adds the flags deploy and check share.
func addRolloutFlags(f *pflag.FlagSet, q *rolloutQuery) {
	f.StringArrayVar(&q.routers, "router", nil, "only this router (repeatable)")
	f.StringVar(&q.env, "env", "production", "routers of this `environment` (the router blocks' environment)")
	f.StringVar(&q.knownHosts, "known-hosts", "", "SSH known hosts `file` (default ~/.ssh/known_hosts)")
}

// progressPrinter writes one line per rollout step: "router  step  message".
func progressPrinter(w io.Writer) func(deploy.Event) {
	return func(e deploy.Event) {
		fmt.Fprintf(w, "%s  %-13s %-9s %s\n", e.Time.Format("15:04:05"), e.Router, e.Step, e.Message)
	}
}

// rollout is what deploy and check need from the repository: a target per
// router (rendered config, endpoint, intended sessions) in the policy's
// order, and the policy's rollout settings.
type rollout struct {
	targets []deploy.Target
	policy  deploy.Options // Parallel, ConfirmTimeout, VerifyTimeout, NeverTogether
	// aspas, from the repository's VRP file, have check verify the AS
	// paths the routers accepted.
	aspas *rpki.ASPAs
}

// rolloutFunc builds a rollout; tests replace repoRollout with one that
// points at a lab.
type rolloutFunc func(ctx context.Context, a *app, q rolloutQuery) (rollout, error)

// repoRollout renders the routers of one environment of the repository and
// turns them into deploy targets: the endpoint from the router block, the
// intended sessions from the model, secrets filled in from the environment.
func repoRollout(ctx context.Context, a *app, q rolloutQuery) (rollout, error) {
	m, repo, diags, err := loadModel(ctx, a, repofs.Dir(a.repoDir))
	printDiagnostics(a, diags, repo)
	if err != nil {
		return rollout{}, err
	}
	if m == nil {
		return rollout{}, findingsf("the repository has errors; run peerform validate")
	}
	if err := checkRouters(q.routers, repo.Routers); err != nil {
		return rollout{}, err
	}
	tm, _, err := repoTemplates(repofs.Dir(a.repoDir), "")
	if err != nil {
		return rollout{}, err
	}
	d := repo.Deploy
	ro := rollout{policy: deploy.Options{Parallel: d.Parallel, ConfirmTimeout: d.ConfirmTimeout,
		VerifyTimeout: d.VerifyTimeout, NeverTogether: d.NeverTogether}, aspas: m.ASPAs}
	var refused []string
	for _, r := range m.Routers {
		if r.Environment != q.env || (len(q.routers) > 0 && !slices.Contains(q.routers, r.Name)) {
			continue
		}
		cfg, err := render.Render(m, r.Name, tm)
		if err != nil {
			return rollout{}, fmt.Errorf("rendering %s: %w", r.Name, err)
		}
		t, err := target(m, r, string(cfg), a.repoDir, q, a.io.ErrOut)
		var fe *findingsError
		switch {
		case errors.As(err, &fe):
			refused = append(refused, fe.msg)
		case err != nil:
			return rollout{}, err
		}
		ro.targets = append(ro.targets, t)
	}
	if len(refused) > 0 {
		// Before any router is contacted: a value the config cannot
		// take is refused, by the secret's name.
		return rollout{}, findingsf("%s", strings.Join(refused, "\n"))
	}
	if len(ro.targets) == 0 {
		return rollout{}, usageErrorf("no router of environment %q to work on", q.env)
	}
	// Policy order first, then the rest by name (the model's order).
	slices.SortStableFunc(ro.targets, func(x, y deploy.Target) int { return rank(d.Order, x.Router) - rank(d.Order, y.Router) })
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
func target(m *model.Model, r *model.Router, cfg, repoDir string, q rolloutQuery, warn io.Writer) (deploy.Target, error) {
	in := r.Intent
	t := deploy.Target{Router: r.Name, Platform: r.Platform, Verify: deploy.VerificationFor(r.Platform), Endpoint: device.Endpoint{
		Host: in.Host, Port: in.Port, User: in.User, KeyFile: in.SSHKeyFile, PasswordEnv: in.PasswordEnv,
		KnownHostsFile: q.knownHosts, NETCONF: in.Transport == "netconf",
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
		if r.Platform == render.NetconfPlatform {
			var b strings.Builder
			_ = xml.EscapeText(&b, []byte(v)) // a strings.Builder does not fail
			v = b.String()
			t.Secrets = append(t.Secrets, v)
		}
		values[name] = v
	}
	if len(problems) > 0 {
		return t, &findingsError{msg: errors.Join(problems...).Error()}
	}
	cfg, err := secret.Substitute(cfg, values)
	if err != nil {
		return t, fmt.Errorf("%s: %w", r.Name, err)
	}
	t.Config = cfg
	for _, s := range r.Sessions {
		is := deploy.IntendedSession{Neighbor: s.Neighbor, PeerASN: s.Peer.ASN, Peer: s.Peer.Name,
			MaxPrefixAction: m.Filters.MaxPrefix.Action, Role: s.Peer.Role}
		if s.MaxPrefix > 0 {
			is.MaxPrefix = map[bgp.Family]int{s.Family: s.MaxPrefix}
		}
		t.Intended = append(t.Intended, is)
	}
	return t, nil
}
