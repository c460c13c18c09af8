# gputop — every target works on a machine without a GPU.
GO        ?= go
BIN       ?= bin/gputop
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 10s
NVTOP     ?= $(wildcard bin/nvtop/nvtop)
export CGO_ENABLED = 1
# go-nvml wraps every NVML function, the deprecated ones too, and gcc warns
# about each deprecated one it compiles: 29 warnings on a cold build that
# look like a broken build. Only that warning is turned off (gputop has no
# C code of its own; every other warning still prints). Set CGO_CFLAGS to
# see them again.
export CGO_CFLAGS ?= -O2 -g -Wno-deprecated-declarations

.PHONY: all build run demo test unit e2e fuzz bench lint fmt measure nvtop-bundle clean

all: build

# bin/gputop is the dashboard without the fleet code (-tags nofleet: no
# Prometheus client, exporter-toolkit, protobuf, HTTP server or TLS): half the
# binary and about 10 MB less resident memory. `gputop serve` and
# `gputop --prometheus` run bin/gputop-fleet, the full build, with the same
# arguments (cmd/gputop/fleet_exec.go). docs/performance.md, "Memory".
build: ## build bin/gputop (the dashboard) and bin/gputop-fleet (serve, --prometheus)
	$(GO) build -trimpath -tags nofleet -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gputop
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)-fleet ./cmd/gputop

run: build ## run on this machine's GPUs (explains what is missing when there are none)
	./$(BIN)

demo: build ## run on the simulated fleet of 8 GPUs
	./$(BIN) --demo

test: lint unit fuzz ## everything CI runs: vet, gofmt, staticcheck, all tests with -race (incl. tmux end-to-end), brief fuzzing

unit:
	$(GO) test -race -count=1 ./...

e2e: ## only the end-to-end test that drives the real binary in tmux
	$(GO) test -race -count=1 -run 'TestE2E' -v ./cmd/gputop/

fuzz: ## brief fuzzing of the snapshot loader
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeSnapshot$$' -fuzztime $(FUZZTIME) ./model/

bench: ## Go benchmarks: fast-tier sample, slow-tier pass, history append, frame render
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags nofleet ./cmd/gputop
	$(GO) tool staticcheck ./...
	$(GO) tool staticcheck -tags nofleet ./cmd/gputop

fmt:
	gofmt -w $$(git ls-files '*.go')

measure: build ## on a GPU machine: CPU%, peak RSS, threads and wake-ups of gputop vs nvidia-smi dmon/nvtop/nvitop
	$(GO) build -o bin/overhead ./cmd/overhead
	./bin/overhead -gputop ./$(BIN) -intervals 1s,100ms,10ms,10ms,10ms $(if $(NVTOP),-nvtop $(NVTOP))

nvtop-bundle: ## fetch Debian's nvtop 3.0.1 and its ncurses into bin/nvtop/ (for `make measure` where nvtop is missing)
	./cmd/overhead/bundle-nvtop.sh bin/nvtop

clean:
	rm -rf bin
