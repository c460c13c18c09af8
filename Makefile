# gputop — every target works on a machine without a GPU.
GO        ?= go
BIN       ?= bin/gputop
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 10s
FUZZMINIMIZE ?= 1000x
NVTOP     ?= $(wildcard bin/nvtop/nvtop)
export CGO_ENABLED = 1
# go-nvml wraps every NVML function, the deprecated ones too, and gcc warns
# about each deprecated one it compiles: 29 warnings on a cold build that
# look like a broken build. Only that warning is turned off (gputop has no
# C code of its own; every other warning still prints). Set CGO_CFLAGS to
# see them again.
export CGO_CFLAGS ?= -O2 -g -Wno-deprecated-declarations

.PHONY: all build run demo test test-cmd test-late test-rest staticcheck-bin unit e2e fuzz bench lint fmt-check vet staticcheck fmt measure nvtop-bundle clean

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

# `make test` builds everything once in -race mode and shares it: go vet and
# staticcheck read the -race export data (GOFLAGS=-race for staticcheck's
# `go list -export`), so no second, normal-mode compile of the standard
# library and every module is needed; `go test -vet=off` because go vet with
# every analyzer has just checked the same packages in the same build (the
# default `go test` vet is a subset of it). Then three lanes run side by side:
# cmd/gputop's tests (the tmux end-to-end tests, two at a time, and a real
# Prometheus: 55-80 s that mostly wait on tmux and timers), the other
# packages' tests, and
# the build of the staticcheck binary; staticcheck and the fuzzing follow
# once both of the last two are done. Each line of output prints whole
# (-Oline). The files only a -race build leaves out are the *race_off_test.go
# constants, which vet and staticcheck see as their race_on twins instead.
test: fmt-check vet ## everything CI runs: gofmt, go vet, staticcheck, all tests with -race (incl. tmux end-to-end), brief fuzzing
	@$(MAKE) --no-print-directory -j3 -Oline test-cmd test-late

# The lanes of `make test` (they need vet's -race build first).
test-cmd:
	$(GO) test -race -vet=off -count=1 ./cmd/gputop/
test-late: test-rest staticcheck-bin
	@$(MAKE) --no-print-directory staticcheck fuzz
test-rest:
	$(GO) test -race -vet=off -count=1 $$($(GO) list ./... | grep -vx 'github.com/gputop/gputop/cmd/gputop')
staticcheck-bin:
	$(GO) tool -n staticcheck >/dev/null

unit: vet
	$(GO) test -race -vet=off -count=1 ./...

e2e: ## only the end-to-end test that drives the real binary in tmux
	$(GO) test -race -count=1 -run 'TestE2E' -v ./cmd/gputop/

# -fuzzminimizetime bounds the minimisation of each new input: by default Go
# spends up to 60 s shrinking every input that adds coverage, and a mutant of
# the 5.7 KB valid seed needs millions of runs to shrink (the byte-subset pass
# is quadratic in its length). Both workers then minimised for the whole
# 10 s, and the progress line (which counts minimisation runs only when one
# ends) sat at "0/sec": 373 to 111k execs in 10 s over eight runs, most under
# 2k. The decoder is not slow: each run of such an input takes ~0.1 ms.
# 1000 runs per input keep the cached corpus small and leave the time to
# fuzzing (185k-229k execs in 10 s). To shrink a crasher fully, rerun with
# FUZZMINIMIZE=60s.
fuzz: ## brief fuzzing of the snapshot loader
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeSnapshot$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./model/

bench: ## Go benchmarks: fast-tier sample, slow-tier pass, history append, frame render
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint: fmt-check vet staticcheck ## gofmt, go vet, staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# -race: the build the tests use, compiled once for both (see test).
vet:
	$(GO) vet -race ./...
	$(GO) vet -race -tags nofleet ./cmd/gputop

# GOFLAGS=-race reaches only the `go list -export` staticcheck runs (the
# staticcheck binary itself is built normally): it reuses the -race build.
staticcheck:
	GOFLAGS="$$($(GO) env GOFLAGS) -race" $(GO) tool staticcheck ./...
	GOFLAGS="$$($(GO) env GOFLAGS) -race" $(GO) tool staticcheck -tags nofleet ./cmd/gputop

fmt:
	gofmt -w $$(git ls-files '*.go')

measure: build ## on a GPU machine: CPU%, peak RSS, threads and wake-ups of gputop vs nvidia-smi dmon/nvtop/nvitop
	$(GO) build -o bin/overhead ./cmd/overhead
	./bin/overhead -gputop ./$(BIN) -intervals 1s,100ms,10ms,10ms,10ms $(if $(NVTOP),-nvtop $(NVTOP))

nvtop-bundle: ## fetch Debian's nvtop 3.0.1 and its ncurses into bin/nvtop/ (for `make measure` where nvtop is missing)
	./cmd/overhead/bundle-nvtop.sh bin/nvtop

clean:
	rm -rf bin
