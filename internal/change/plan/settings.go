package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
)

// Setting is one management-plane setting that differs between the two
// states: how peerform reaches and deploys a router, which no rendered
// config shows. Values are what the policy says (a host name, the name
// of an environment variable, a key file path), never a secret's value.
type Setting struct {
	Name string `json:"name"` // "host", "password_env", …
	Old  string `json:"old"`  // "" when unset (or the router is new)
	New  string `json:"new"`  // "" when unset (or the router is gone)
}

// RouterSettings are the management-plane changes of one router.
type RouterSettings struct {
	Router  string    `json:"router"`
	Changes []Setting `json:"changes"`
	// LeavesEnvironment names the environment being planned when the
	// router was in it and no longer is: a deploy of that environment
	// stops managing it.
	LeavesEnvironment string `json:"leaves_environment,omitempty"`
}

// Management compares the router blocks and the deploy policy of two
// states. env is the environment being planned ("" for all): a router
// that moves out of it is marked. Routers are listed by name; a router
// that only one state has lists every setting of it.
func Management(base, head *intent.Repo, env string) (routers []RouterSettings, deploy []Setting) {
	var names []string
	for _, repo := range []*intent.Repo{base, head} {
		for _, r := range repo.Routers {
			if !slices.Contains(names, r.Name) {
				names = append(names, r.Name)
			}
		}
	}
	slices.Sort(names)
	for _, name := range names {
		old, now := routerSettings(base.Router(name)), routerSettings(head.Router(name))
		rs := RouterSettings{Router: name, Changes: diffSettings(old, now)}
		if len(rs.Changes) == 0 {
			continue
		}
		if b, h := base.Router(name), head.Router(name); env != "" && b != nil && b.Environment == env && (h == nil || h.Environment != env) {
			rs.LeavesEnvironment = env
		}
		routers = append(routers, rs)
	}
	return routers, diffSettings(deploySettings(base.Deploy), deploySettings(head.Deploy))
}

// routerSettings lists a router's management settings in display order;
// nil for a router that does not exist.
func routerSettings(r *intent.Router) [][2]string {
	if r == nil {
		return nil
	}
	id := ""
	if r.RouterID.IsValid() {
		id = r.RouterID.String()
	}
	return [][2]string{
		{"platform", string(r.Platform)},
		{"environment", r.Environment},
		{"host", r.Host},
		{"port", strconv.Itoa(r.Port)},
		{"transport", r.Transport},
		{"user", r.User},
		{"ssh_key_file", r.SSHKeyFile},
		{"password_env", r.PasswordEnv},
		{"router_id", id},
		{"rtr", strings.Join(r.RTR, ", ")},
	}
}

func deploySettings(d intent.Deploy) [][2]string {
	pairs := make([]string, len(d.NeverTogether))
	for i, p := range d.NeverTogether {
		pairs[i] = p[0] + "+" + p[1]
	}
	return [][2]string{
		{"parallel", strconv.Itoa(d.Parallel)},
		{"order", strings.Join(d.Order, ", ")},
		{"never_together", strings.Join(pairs, ", ")},
		{"confirm_timeout", d.ConfirmTimeout.String()},
		{"verify_timeout", d.VerifyTimeout.String()},
	}
}

// diffSettings compares two setting lists of the same shape; nil stands
// for "does not exist", every one of whose settings is empty.
func diffSettings(old, now [][2]string) []Setting {
	var out []Setting
	for i := range max(len(old), len(now)) {
		var name, a, b string
		if i < len(old) {
			name, a = old[i][0], old[i][1]
		}
		if i < len(now) {
			name, b = now[i][0], now[i][1]
		}
		if a != b {
			out = append(out, Setting{Name: name, Old: a, New: b})
		}
	}
	return out
}

// DataChange is a change of the outside data, or of the settings that
// choose it, between the two states: it changes router configs even when
// no intent does.
type DataChange struct {
	Source string `json:"source"` // "PeeringDB", "IRR", "RPKI"
	Old    string `json:"old"`    // what the base used, "none" for nothing
	New    string `json:"new"`
	// Details are what changed inside: "route objects 40 -> 43 (+3)".
	Details []string `json:"details"`
	// Affects lists the peers whose resolved configuration this change
	// alone alters.
	Affects []bgp.ASN `json:"affects"`
}

// Line is the change in one line: "IRR snapshot data/irr/example.rpsl,
// route objects 40 -> 43 (+3); affects AS6939, AS64501".
func (c DataChange) Line() string {
	what := c.Source + " " + c.New
	if c.Old != c.New {
		what = fmt.Sprintf("%s %s -> %s", c.Source, c.Old, c.New)
	}
	parts := append([]string{what}, c.Details...)
	s := strings.Join(parts, ", ")
	if len(c.Affects) == 0 {
		return s + "; affects no peer"
	}
	asns := make([]string, len(c.Affects))
	for i, a := range c.Affects {
		asns[i] = a.String()
	}
	return s + "; affects " + strings.Join(asns, ", ")
}
