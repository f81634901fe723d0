# peerform — the two commands a newcomer needs:
#   make demo   run peerform on the example repository in this directory
#   make test   run every test that can run on this machine
GO      ?= go
BIN     := bin/peerform
PKGS    := ./...
FUZZTIME ?= 30s

.PHONY: all build demo test test-race vet fuzz bench lint clean

all: build

# The first build compiles every dependency and takes a few minutes with no
# output of its own; later builds take seconds.
build:
	@echo "Building $(BIN) (the first build compiles every dependency: a few minutes; later ones take seconds)"
	$(GO) build -o $(BIN) ./cmd/peerform

# The main job on the example repository, offline, with the embedded
# defaults: validate, suggest, score, render, plan and review a pull request
# that adds a peer (docs/demo.sh).
demo: build
	PEERFORM=$(BIN) docs/demo.sh

vet:
	$(GO) vet $(PKGS)

# Packages whose code or tests start goroutines run under the race
# detector; the others run without it (.ci/race-packages.sh).
test: vet test-race
	$(GO) test -count=1 -timeout 20m $$(.ci/race-packages.sh -v)

test-race:
	$(GO) test -race -count=1 -timeout 20m $$(.ci/race-packages.sh)

# Every fuzz target for FUZZTIME each (go test runs one target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# gofmt, go vet, staticcheck, and a go.mod that `go mod tidy` would not
# change.
lint: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)
	$(GO) mod tidy -diff

clean:
	rm -rf bin

# The real-daemon BGP lab: make lab-up, lab-down, lab-demo (root, Linux).
include lab/lab.mk
