# envhost — see README.md. `make test` is the one command that runs every test.
SHELL := /bin/bash

# The podman bindings need these tags; they are harmless everywhere else.
TAGS := remote,exclude_graphdriver_btrfs,btrfs_noversion,exclude_graphdriver_devicemapper,containers_image_openpgp
export GOFLAGS := -tags=$(TAGS)

BIN := $(CURDIR)/bin
TOOLS := $(BIN)/tools
STATICCHECK_VERSION := v0.8.2
TEST_TIMEOUT ?= 40m
TESTFLAGS ?= -race -count=1

.PHONY: all build test test-unit engines engines-down images demo bench lint clean

all: build

build:
	go build -o $(BIN)/ ./cmd/envhost ./plugins/docker/cmd/envhost-plugin-docker ./plugins/podman/cmd/envhost-plugin-podman

# Every test, against real Docker and Podman engines (started when missing) and the
# two local test images (built when missing).
test: lint build
	scripts/with-engines.sh go test $(TESTFLAGS) -timeout $(TEST_TIMEOUT) ./...

# Fast tests only (no engine needed; engine tests skip outside CI).
test-unit:
	go test -short ./...

engines:
	@scripts/engines.sh up

engines-down:
	scripts/engines.sh down

images:
	eval "$$(scripts/engines.sh up)" && scripts/images.sh build

demo: build
	scripts/with-engines.sh go run ./examples/restart_deployment

bench: build
	scripts/with-engines.sh scripts/bench.sh

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(TOOLS)/staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	$(TOOLS)/staticcheck ./...

clean:
	rm -rf $(BIN)

-include Makefile.proto
