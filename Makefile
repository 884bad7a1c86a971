# AIM Platform build. Every tool is installed here at a pinned version into
# .cache/ (git-ignored); nothing is assumed present beyond Go, Node.js/npm
# and git. See docs/adr/0001-layout-and-toolchain.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO      ?= go
CACHE   := $(CURDIR)/.cache
BIN     := $(CACHE)/bin
PROTO_DEPS := $(CACHE)/proto

BUF_VERSION := 1.75.0
BUF     := $(CACHE)/buf-$(BUF_VERSION)/node_modules/.bin/buf

# The Go modules of the workspace (go.work), in dependency order.
MODULES := gen platform services/model services/appraisal services/crosswalk services/gateway cmd/aim deploy/k8s/check bench reliability

# Protoc plugins, pinned in tools/proto/go.mod.
PLUGINS := google.golang.org/protobuf/cmd/protoc-gen-go \
           google.golang.org/grpc/cmd/protoc-gen-go-grpc \
           github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway \
           github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2

RUN_ARGS ?=
TEST_FLAGS ?=

.PHONY: help
help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# ---- tools -----------------------------------------------------------------

$(BUF):
	npm install --silent --no-audit --no-fund --prefix $(CACHE)/buf-$(BUF_VERSION) @bufbuild/buf@$(BUF_VERSION)

$(BIN)/.plugins: tools/proto/go.mod tools/proto/go.sum
	mkdir -p $(BIN)
	cd tools/proto && GOWORK=off $(GO) build -o $(BIN)/ $(PLUGINS)
	touch $@

$(BIN)/grpcurl: tools/proto/go.mod tools/proto/go.sum
	mkdir -p $(BIN)
	cd tools/proto && GOWORK=off $(GO) build -o $(BIN)/ github.com/fullstorydev/grpcurl/cmd/grpcurl

$(PROTO_DEPS)/.versions: scripts/fetch-protos.sh
	scripts/fetch-protos.sh $(PROTO_DEPS)

.PHONY: tools
tools: $(BUF) $(BIN)/.plugins $(PROTO_DEPS)/.versions $(BIN)/grpcurl ## Install the pinned build tools into .cache/.

# ---- generated code --------------------------------------------------------

.PHONY: generate
generate: $(BUF) $(BIN)/.plugins $(PROTO_DEPS)/.versions ## Regenerate gen/ from the protos.
	$(BUF) format -w api/proto
	$(BUF) generate

.PHONY: check-generated
check-generated: $(BUF) $(BIN)/.plugins $(PROTO_DEPS)/.versions ## Fail when gen/ differs from what the protos generate.
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(BUF) generate -o "$$tmp"; \
	if ! diff -r -q -x go.mod -x go.sum -x openapi.go -x openapi_test.go gen "$$tmp/gen"; then \
	  echo "gen/ is out of date with api/proto: run 'make generate' and commit the result" >&2; exit 1; \
	fi

# ---- checks ----------------------------------------------------------------

.PHONY: lint
lint: $(BUF) $(PROTO_DEPS)/.versions ## buf lint + format check, gofmt, go vet, go mod tidy check.
	$(BUF) lint
	$(BUF) format -d --exit-code api/proto
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done
	for m in $(MODULES); do \
	  (cd $$m && GOWORK=off $(GO) mod tidy -diff) || { echo "go.mod of $$m is not tidy: run 'go mod tidy' there" >&2; exit 1; }; \
	done

.PHONY: test
test: check-generated lint ## Everything CI runs: drift check, lint, every module's tests with -race.
	for m in $(MODULES); do (cd $$m && $(GO) test -race -count=1 $(TEST_FLAGS) ./...); done

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 30s).
	for m in $(MODULES); do \
	  (cd $$m && for pkg in $$($(GO) list ./...); do \
	    for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	      $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} $$pkg; \
	    done; done); \
	done

# ---- build and run ---------------------------------------------------------

.PHONY: vulncheck
vulncheck: ## govulncheck against a locally built vulnerability database; fails on findings in third-party dependencies.
	scripts/govulncheck.sh

.PHONY: soak
soak: ## The long reliability suites (crash rounds, load); figures in docs/reliability.md.
	cd reliability && AIM_SOAK=1 $(GO) test -race -count=1 -timeout 60m -v ./...

.PHONY: bench
bench: ## Benchmark suite (bench/): prints one table and writes BENCHMARKS.md; BENCH_ARGS=-quick for a short run.
	cd bench && $(GO) run ./cmd/benchtable -out ../BENCHMARKS.md $(BENCH_ARGS)

.PHONY: build
build: ## Build bin/aim.
	$(GO) build -o bin/aim ./cmd/aim

.PHONY: run
run: build ## Run everything in one process (aim serve) on embedded defaults.
	./bin/aim serve $(RUN_ARGS)

.PHONY: clean
clean: ## Remove built binaries and fetched tools (not ./data).
	rm -rf bin $(CACHE)
