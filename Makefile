# eppd: build, run, test, lint. `make help` lists the targets.
GO      ?= go
BIN     ?= bin/eppd
PKGS    ?= ./...

.PHONY: help build run test test-short lint fuzz bench clean

help:
	@echo "build       build $(BIN)"
	@echo "run         run the server in development mode (embedded database, development PKI)"
	@echo "test        run every test with the race detector (PostgreSQL and xmllint needed; see README)"
	@echo "test-short  run the tests without the race detector"
	@echo "lint        gofmt, go vet, and staticcheck when installed"
	@echo "fuzz        run each fuzz target for FUZZTIME (default 30s)"
	@echo "bench       run the benchmarks"

build:
	$(GO) build -o $(BIN) ./cmd/eppd

run:
	$(GO) run ./cmd/eppd serve

test:
	$(GO) test -race -count=1 $(PKGS)

test-short:
	$(GO) test -count=1 $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck $(PKGS); else echo "staticcheck not installed; skipped"; fi

FUZZTIME ?= 30s
fuzz:
	$(GO) test ./epp -run '^$$' -fuzz '^FuzzReadFrame$$' -fuzztime $(FUZZTIME)
	$(GO) test ./epp -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
