# presenced — `make run` and `make test` are the two commands; the rest are their parts.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin
# The pinned Node (>= 22.22; web/tools/ensure-node.sh installs it into .tools/node when missing).
# Everything that runs node — the web build and tests, and the Go tests that drive socket.io-client
# and playwright-core — gets it first on PATH, never the system one (Debian 12 has Node 18).
NODE22 = $(or $(shell bash web/tools/ensure-node.sh),$(error web/tools/ensure-node.sh could not provide Node >= 22.22))
FUZZTIME ?= 10s

.PHONY: run build web web-check test test-deps lint test-go test-fuzz test-web test-e2e fuzz bench clean

## run: the server with the SPA on the embedded default (SQLite under ./data, no Redis), on :8888
run: build
	./$(BIN)/presenced

## build: the server and the load generator
build: web/dist/index.html
	$(GO) build -o $(BIN)/ ./cmd/...

# The built SPA is committed; it is only rebuilt here when missing.
web/dist/index.html:
	$(MAKE) web

## web: rebuild the SPA into web/dist (needs Node >= 22.22, provided into .tools/ when missing)
web:
	tools/deps.sh npm
	cd web && PATH="$(NODE22):$$PATH" npm run build

## test: every test the CI runs
test: test-deps lint test-go test-fuzz test-web
	@echo "make test: all passed"

test-deps:
	tools/deps.sh all

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

## test-go: unit and integration tests with the race detector (real SQLite, PostgreSQL, Redis, socket.io-client)
test-go:
	PATH="$(NODE22):$$PATH" $(GO) test -race -count=1 -timeout 20m ./...

## test-fuzz: a short run of every fuzzer (FUZZTIME each); `make fuzz FUZZTIME=10m` for a long one
test-fuzz fuzz:
	GO=$(GO) tools/fuzz.sh $(FUZZTIME)

## test-web: the SPA's unit tests, and a check that the committed build matches a fresh one
test-web:
	cd web && PATH="$(NODE22):$$PATH" npm test
	tools/web-check.sh

## test-e2e: only the end-to-end tests (the real binary driven by socket.io-client and chromium);
## test-go runs them too
test-e2e:
	PATH="$(NODE22):$$PATH" $(GO) test -count=1 -timeout 20m ./e2e/...

## bench: side-by-side benchmarks against the Node socket.io reference (rewrites BENCHMARKS.md)
bench:
	bench/run.sh

clean:
	rm -rf $(BIN) data
