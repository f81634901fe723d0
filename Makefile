# peerctl — the two commands a newcomer needs:
#   make demo   run peerctl on the example repository in this directory
#   make test   run every test that can run on this machine
GO      ?= go
BIN     := bin/peerctl
PKGS    := ./...
FUZZTIME ?= 30s

.PHONY: all build demo test test-race vet fuzz bench lint clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/peerctl

# The main job on the example repository, offline, with the embedded defaults.
demo: build
	@echo "== peerctl validate"
	./$(BIN) validate
	@echo
	@echo "== peerctl fmt --check"
	./$(BIN) fmt --check
	@echo
	@echo "== peerctl render (--offline: no IRR data, so every peer is deny-all)"
	./$(BIN) render --offline --out bin/rendered
	@echo
	@echo "== peerctl plan: a scratch git repository whose last commit adds a peer at DOC-IX-FRA"
	@tmp=$$(mktemp -d) && cp -r peers policies data $$tmp/ && \
	  git -C $$tmp init -q && git -C $$tmp add -A && \
	  git -C $$tmp -c user.name=demo -c user.email=demo@example.net commit -qm "example repository" && \
	  printf 'peer "AS64509" {\n  name   = "Doc Newcomer"\n  import = "AS-NEWCOMER"\n  export = "AS-EXAMPLE"\n\n  session "DOC-IX-FRA" {\n    ipv4 = "192.0.2.159"\n    ipv6 = "2001:db8:ffff:2::59"\n  }\n}\n' > $$tmp/peers/AS64509.hcl && \
	  git -C $$tmp add -A && git -C $$tmp -c user.name=demo -c user.email=demo@example.net commit -qm "peer with AS64509" && \
	  ./$(BIN) plan --offline -C $$tmp --base HEAD~1; status=$$?; rm -rf $$tmp; exit $$status

vet:
	$(GO) vet $(PKGS)

test: vet
	$(GO) test -count=1 -timeout 20m $(PKGS)

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

lint: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

clean:
	rm -rf bin

# The real-daemon BGP lab: make lab-up, lab-down, lab-demo (root, Linux).
include lab/lab.mk
