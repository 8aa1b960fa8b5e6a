# mynacard — see README.md. `make demo` and `make test` are all a fresh
# Debian machine needs; both install what is missing through `make deps`.

GO        ?= go
PKGS      := ./...
# Every package runs again under -race: serving, sockets, signals, pcscd
# restarts and concurrent clients are all over the tree (about 3 minutes).
RACE_PKGS := ./...
FUZZ_N    ?= 10000
BIN       := bin/mynacard
DEB_PKGS  := pcscd vsmartcard-vpcd libpcsclite-dev opensc pcsc-tools openssl gcc

.PHONY: all deps build cross lint test test-unit test-race fuzz bench demo clean

all: build

# deps installs the PC/SC stack the integration tests drive. As root it uses
# apt-get; otherwise it says what to run.
deps:
	@bash scripts/deps.sh $(DEB_PKGS)

build:
	$(GO) build -o $(BIN) ./cmd/mynacard

test: deps build cross lint test-unit test-race fuzz
	@echo "make test: all passed"

# cross builds the module for Windows (vsmartcard's virtual reader speaks the
# same vpcd protocol there) and, without cgo, for macOS, where the PC/SC
# target is left out.
cross:
	GOOS=windows GOARCH=amd64 $(GO) build ./...
	CGO_ENABLED=0 GOOS=darwin $(GO) build ./...

# lint: gofmt, go vet, staticcheck, deadcode (pinned; installed on first use).
lint:
	@bash scripts/lint.sh

test-unit:
	$(GO) test -count=1 -timeout 20m $(PKGS)

test-race:
	$(GO) test -count=1 -race -timeout 20m $(RACE_PKGS)

# fuzz runs every native fuzz target for a bounded number of executions
# (a count, not a time: go1.26.8 races on the fuzz deadline).
fuzz:
	@bash scripts/fuzz.sh $(FUZZ_N)

# mutation runs gremlins (pinned) over the card's code with the conformance
# suite and the models as its tests; slow, so not part of test. docs/mutation.md.
mutation:
	@bash scripts/mutation.sh

bench: deps
	@bash scripts/bench.sh

demo: deps build
	@bash scripts/demo.sh $(BIN)

clean:
	rm -rf bin
