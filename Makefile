# gputop — every target works on a machine without a GPU.
GO        ?= go
BIN       ?= bin/gputop
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 10s
export CGO_ENABLED = 1

.PHONY: all build run demo test unit e2e fuzz bench lint fmt measure clean

all: build

build: ## build bin/gputop
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gputop

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
	$(GO) tool staticcheck ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

measure: build ## on a GPU machine: CPU% and peak RSS of gputop vs nvidia-smi dmon/nvtop/nvitop
	$(GO) build -o bin/overhead ./cmd/overhead
	./bin/overhead -gputop ./$(BIN)

clean:
	rm -rf bin
