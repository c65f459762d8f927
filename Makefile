# ckpt-operator. `make demo` runs the main job on a local environment;
# `make test` runs every test. Both provision what they need, cached outside
# the repository (CKPT_CACHE_DIR, default ~/.cache/ckpt-operator).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# npm scripts and every node command below run the project's pinned Node.js 24
# (the npm package `node`), not the machine's.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
NODE := $(CURDIR)/node_modules/.bin/node
TEST_FLAGS ?= --test-reporter=spec

.PHONY: all deps env images generate lint typecheck test test-unit test-integration test-node demo bench clean

all: test

deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	hack/host-deps.sh
	npm ci --no-audit --no-fund
	touch $@

# Control plane binaries, node root filesystem, workload image and the
# operator's images (all cached).
env: deps images
	hack/build-kube.sh all >/dev/null
	hack/build-rootfs.sh >/dev/null
	hack/build-image.sh >/dev/null

# The controller and agent images as OCI layouts, without a container engine
# (the same contents as images/*/Dockerfile); prints nothing, see
# hack/build-images.sh for where they are.
images: deps
	hack/build-images.sh >/dev/null

# crds/ from the schemas in src/api (a unit test fails when they drift).
generate: deps
	$(NODE) hack/gen-crds.ts

typecheck: deps
	npm run --silent typecheck

lint: deps
	npm run --silent lint

test-unit: deps
	$(NODE) --test $(TEST_FLAGS) --test-concurrency=2 'test/unit/**/*.test.ts'

test-integration: env
	$(NODE) --test $(TEST_FLAGS) --test-concurrency=1 --test-timeout=900000 'test/integration/**/*.test.ts'

test-node: env
	$(NODE) --test $(TEST_FLAGS) --test-concurrency=1 --test-timeout=900000 'test/node/**/*.test.ts'

test: env typecheck lint test-unit test-integration test-node
	hack/check-leftovers.sh

# The main job on a local cluster, from the images and manifests that ship.
demo: env
	$(NODE) hack/demo.ts

# Benchmarks on a local control plane (and node); docs/benchmarks.md has the numbers.
bench: env
	$(NODE) bench/controller.ts
	$(NODE) bench/agent.ts

clean:
	rm -rf node_modules dist
