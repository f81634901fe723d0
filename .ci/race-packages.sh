#!/bin/sh
# Lists the packages whose code or tests start goroutines (a `go`
# statement): `make test` runs them under the race detector. With -v, it
# lists the other packages instead.
set -eu
invert=false
[ "${1:-}" = "-v" ] && invert=true
go list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
  if grep -qE '^[[:space:]]+go [A-Za-z_(]' "$dir"/*.go 2>/dev/null; then
    $invert || echo "$pkg"
  else
    ! $invert || echo "$pkg"
  fi
done
