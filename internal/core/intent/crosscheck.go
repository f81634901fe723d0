package intent

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// ConfigSymbol is how an identifier (an IXP or router name) appears in
// the names of protocols, policies and lists: '-' becomes '_', which every
// platform accepts. Two identifiers with the same symbol would share those
// names, so validation refuses them.
func ConfigSymbol(id string) string { return strings.ReplaceAll(id, "-", "_") }

// addressBook remembers who claimed each address first, so that a second
// claim is reported at its own line with the place of the first.
type addressBook map[netip.Addr]claim

type claim struct {
	who string
	rng hcl.Range
}

// claim records a for who, or reports that someone else has it.
func (b addressBook) claim(v *validator, a netip.Addr, rng hcl.Range, who string) {
	if prev, ok := b[a]; ok {
		v.errorf(rng, "Address used twice", "%s is already the address of %s (%s); two sessions or interfaces with one address cannot both work: on the router the second would overwrite the first.", a, prev.who, prev.rng)
		return
	}
	b[a] = claim{who: who, rng: rng}
}

// crossCheck runs the checks that need the whole repository: every
// neighbor address written in a peer file belongs to one session only and
// is none of our own routers' addresses; IXP names give distinct
// configuration symbols; and no router logs in with a peer's MD5 secret.
func (v *validator) crossCheck(repo *Repo) {
	ours := map[netip.Addr]string{}
	for _, r := range repo.Routers {
		for _, p := range r.Ports {
			for _, a := range []netip.Addr{p.IPv4, p.IPv6} {
				if _, seen := ours[a]; a.IsValid() && !seen {
					ours[a] = fmt.Sprintf("router %s at %s", r.Name, p.IXP)
				}
			}
		}
	}
	neighbors := addressBook{}
	for _, p := range repo.Peers {
		for _, s := range p.Sessions {
			for _, fam := range []struct {
				addr netip.Addr
				rng  hcl.Range
			}{{s.IPv4, s.rng4}, {s.IPv6, s.rng6}} {
				if !fam.addr.IsValid() {
					continue
				}
				if who, ok := ours[fam.addr]; ok {
					v.errorf(fam.rng, "Our own address", "%s is the address of %s, not of a peer.", fam.addr, who)
					continue
				}
				neighbors.claim(v, fam.addr, fam.rng, p.ASN.String())
			}
		}
	}

	symbols := map[string]*IXP{}
	for _, x := range repo.IXPs {
		if other, ok := symbols[ConfigSymbol(x.Name)]; ok {
			v.errorf(x.DeclRange, "IXP names collide", "IXPs %q and %q both become %q in router configs; rename one.", other.Name, x.Name, ConfigSymbol(x.Name))
			continue
		}
		symbols[ConfigSymbol(x.Name)] = x
	}

	secrets := map[string]*Peer{}
	for _, p := range repo.Peers {
		if p.MD5 != nil {
			secrets[p.MD5.EnvVar()] = p
		}
	}
	for _, r := range repo.Routers {
		if p, ok := secrets[r.PasswordEnv]; ok && r.PasswordEnv != "" {
			v.errorf(r.passwordEnvRange, "Login password is a peer's secret",
				"password_env names %s, the MD5 secret of %s's sessions (%s): deploy would send it to router %s as the SSH password.",
				r.PasswordEnv, p.ASN, p.Range("md5"), r.Name)
			v.errorf(p.Range("md5"), "Peer secret is a login password",
				"%s is also router %s's login password (password_env at %s); give the session its own secret.", r.PasswordEnv, r.Name, r.passwordEnvRange)
		}
	}
}
