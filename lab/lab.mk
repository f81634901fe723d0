# The BGP lab (lab/README.md). Included by the Makefile:
#   make lab-up     start the lab in network namespaces (root, Linux)
#   make lab-down   stop it
#   make lab-demo   lab-up, peerform deploy --env lab, peerform check --wait 30s,
#                   peerform-lab routes (accepted and rejected as the data say), lab-down
LAB_NAME  ?= demo
LAB_DIR   ?= lab/run/$(LAB_NAME)
LAB_PORTS ?= lab-ams-edge1=2201,lab-fra-edge1=2202
LAB_BIN   := bin/peerform-lab

.PHONY: lab-build lab-up lab-down lab-demo

lab-build:
	$(GO) build -o $(LAB_BIN) ./lab/cmd/peerform-lab

lab-up: lab-build
	$(LAB_BIN) up -name $(LAB_NAME) -dir $(LAB_DIR) -ports $(LAB_PORTS) -v

lab-down: lab-build
	$(LAB_BIN) down -dir $(LAB_DIR)

lab-demo: build lab-build
	LAB_NAME=$(LAB_NAME) LAB_DIR=$(LAB_DIR) LAB_PORTS=$(LAB_PORTS) lab/demo.sh
