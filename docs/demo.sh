#!/usr/bin/env bash
# make demo: the main job of peerform on the example repository in this
# directory, offline, from the data it ships (data/peeringdb, data/ixf,
# data/irr, data/rpki) and the embedded defaults. It ends with the comment a pull
# request adding a peer would get.
set -euo pipefail
cd "$(dirname "$0")/.."
peerform=${PEERFORM:-bin/peerform}
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

step "peerform validate: every problem, with file:line:col"
$peerform validate --offline

step "peerform fmt --check"
$peerform fmt --check && echo "all files formatted"

step "peerform peeringdb show AS64504: a network at DOC-IX Amsterdam we do not peer with yet"
$peerform peeringdb show AS64504 --offline

step "peerform ixf show --asn AS64504: what DOC-IX Amsterdam's own member list (IX-F export) says about it"
$peerform ixf show data/ixf/doc-ix-ams.json --asn AS64504

step "peerform suggest --top 5: who should we peer with?"
$peerform suggest --top 5 --offline

# Measured traffic: a day of IPFIX from fra-edge1 (data/traffic), into a
# scratch store that score and suggest below read as the repository's.
traffic_store=.peerform/traffic
step "peerform traffic collect --replay: a day of fra-edge1's IPFIX, attributed with its RIB dump"
rm -rf "$traffic_store"
$peerform traffic collect --replay data/traffic/sample.pcap --store "$traffic_store"

step "peerform traffic top: transit traffic per remote AS, 95th percentile per direction"
$peerform traffic top --offline

step "peerform suggest --traffic --top 5: ranked by measured traffic that would move, and money"
$peerform suggest --traffic --top 5 --offline

step "peerform score AS64504: how likely, where, and what its traffic costs on transit, settlement-free or paid (policies/economics.hcl)"
$peerform score AS64504 --offline

step "peerform score AS64501: one verdict weighs the likelihood and the money (headline and economics)"
$peerform score AS64501 --offline | sed -n '1p;/^Economics/,/break-even/p'

step "peerform request AS64504: the e-mail to its PeeringDB contacts (--send submits it through policies' smtp block)"
$peerform request AS64504 --offline --from "Example Networks Peering <peering@example.net>"

step "peerform render --out bin/rendered: every router's config"
$peerform render --offline --out bin/rendered 2>/dev/null
ls -l bin/rendered

# A scratch git repository holding this example, and a pull request that
# adds peers/AS64504.hcl: three lines, sessions derived from PeeringDB and
# DOC-IX-AMS's IX-F export, which disagree about its IPv6 address.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r peers policies data "$tmp/"
gitc() { git -C "$tmp" -c user.name=demo -c user.email=demo@example.net -c init.defaultBranch=main "$@"; }
gitc init -q && gitc add -A && gitc commit -qm "the example repository"
cat > "$tmp/peers/AS64504.hcl" <<'HCL'
peer "AS64504" {
  name   = "Doc Hosting Epsilon"
  import = "AS-EPSILON"
  export = "AS-EXAMPLE"
}
HCL
gitc add -A && gitc commit -qm "peer with AS64504 (Doc Hosting Epsilon)"
# The measured traffic beside it (not committed), so that the comment
# weighs measured money, as in a CI job that restores the store.
mkdir -p "$tmp/.peerform" && cp -r "$traffic_store" "$tmp/.peerform/"

step "peerform plan --base HEAD~1: what the pull request adding AS64504 changes"
$peerform plan -C "$tmp" --offline --base HEAD~1

step "peerform review --dry-run: the comment that pull request gets"
$peerform review -C "$tmp" --offline --base HEAD~1 --head HEAD --dry-run
