# mulan: the two set-up commands are `make demo` and `make test`; each installs what it needs.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build test test-unit bench compare demo demo-mine fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Every test but the gpu ones (those skip themselves without CUDA anyway); fails on any failure.
test: build
	cd $(BUILD_DIR) && ctest -LE gpu --output-on-failure -j $(JOBS)

# The fast subset, for the edit-compile-test loop.
test-unit: build
	cd $(BUILD_DIR) && ctest -L unit --output-on-failure -j $(JOBS)

bench: build
	$(BUILD_DIR)/bench/bench_frontend
	$(BUILD_DIR)/bench/bench_decode
	$(BUILD_DIR)/bench/bench_text
	$(BUILD_DIR)/bench/bench_tokenizer
	$(BUILD_DIR)/bench/bench_audio_tower
	$(BUILD_DIR)/bench/bench_train

# mulan against PyTorch eager and ONNX Runtime on the same weights and inputs (bench/compare;
# docs/performance.md has the table).
compare: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target mulan_cli bench_audio_tower
	bash bench/compare/compare.sh $(BUILD_DIR)

# The main job needs the CLI only: build that target, not the tests and benchmarks.
demo: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target mulan_cli
	bash scripts/demo.sh $(BUILD_DIR)

# The second path: a noisy synthetic crawl -> mulan mine -> mulan train -> zero-shot tagging.
demo-mine: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target mulan_cli
	bash scripts/demo-mine.sh $(BUILD_DIR)

fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) build-fuzz demo-out demo-mine-out
