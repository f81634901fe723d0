#!/usr/bin/env bash
# make lab-demo: start the lab (its peers announce what the example's IRR
# data registers for them, plus crafted routes; its RPKI cache serves
# data/rpki/vrps.json), deploy the example repository's lab environment
# with peerform, check that every intended session is Established, print
# the session table, then ask the routers which routes they accepted and
# judge them against the same IRR and RPKI data; stop the lab. Exits 0
# only if every intended session came up and every route was accepted or
# rejected as the data say. Needs root (network namespaces, sshd).
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=bin/peerform-lab
PEERFORM=bin/peerform
NAME=${LAB_NAME:-demo}
DIR=${LAB_DIR:-lab/run/$NAME}
PORTS=${LAB_PORTS:-lab-ams-edge1=2201,lab-fra-edge1=2202}

if ! grep -qs 'environment *= *"lab"' policies/*.hcl; then
  echo "lab-demo: policies/ has no router with environment = \"lab\"; see lab/README.md" >&2
  exit 2
fi

trap '$LAB down -dir "$DIR"' EXIT
t0=$(date +%s%N)
$LAB up -name "$NAME" -dir "$DIR" -ports "$PORTS"
t1=$(date +%s%N)

# The lab's AS20940 peer uses this TCP MD5 password; the example
# repository reads it from the environment, like any secret.
export PEERFORM_SECRET_AS20940=lab-md5-secret
common=(--env lab --offline --known-hosts "$DIR/ssh/known_hosts")
$PEERFORM deploy "${common[@]}"
t2=$(date +%s%N)
$PEERFORM check "${common[@]}" --wait 30s
t3=$(date +%s%N)
# Routes settle after the sessions (RPKI data, route refresh).
$LAB routes -dir "$DIR" -wait 30s
t4=$(date +%s%N)

ms() { echo "$(( ($2 - $1) / 1000000 )) ms"; }
echo "lab up: $(ms "$t0" "$t1"); deploy: $(ms "$t1" "$t2"); check: $(ms "$t2" "$t3"); routes: $(ms "$t3" "$t4"); lab-up to every session Established: $(ms "$t0" "$t3")"
