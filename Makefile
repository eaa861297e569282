# The two README commands (`make demo`, `make check`) and their helpers.
# Each target installs missing packages, configures and builds first.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
NNC := $(BUILD_DIR)/bin/nnc

.PHONY: all deps configure build demo-build demo check test clean bench bench-deps

all: build

deps:
	./scripts/install-deps.sh

# Configuring needs the packages: deps runs first even under make -j.
$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja \
	  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
	  -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job on the bundled default model: check it, show its IR, train
# the digits MLP with held-out evaluation, then report its test accuracy.
# On the cpu backend: faster than ref end to end, compile included.
DIGITS := examples/data/digits
# The demo builds what it runs, the CLI and its backend plugins, and none
# of the tests, fuzzers and benchmarks `make check` builds.
DEMO_TARGETS := nnc nnc_backend_cpu nnc_backend_ref nnc_backend_null
demo-build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(DEMO_TARGETS)

demo: demo-build
	$(NNC) check examples/mlp_digits.nn
	$(NNC) ir examples/mlp_digits.nn --stage frontend
	$(NNC) backends
	$(NNC) train examples/mlp_digits.nn --backend cpu \
	  --data x=$(DIGITS)_train_x.npy --data labels=$(DIGITS)_train_y.npy \
	  --eval-data x=$(DIGITS)_test_x.npy --eval-data labels=$(DIGITS)_test_y.npy \
	  --save $(BUILD_DIR)/demo/params --plot $(BUILD_DIR)/demo/loss.svg \
	  --eval-every 15 --report $(BUILD_DIR)/demo/report.html
	$(NNC) eval examples/mlp_digits.nn --backend cpu --params $(BUILD_DIR)/demo/params \
	  --data x=$(DIGITS)_test_x.npy --data labels=$(DIGITS)_test_y.npy

test:
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

check: build
	$(MAKE) test

# Side-by-side benchmark of nnc and its peers (numpy/OpenBLAS GEMM, PyTorch
# MLP and LeNet) on the same threads, then the cost of calling nnc from
# Python against PyTorch eager, then batched matmul against the 2-D GEMM;
# not part of `make check`. It prints a
# table and keeps the raw results in $(BUILD_DIR)/bench/results.jsonl.
# BENCH_FLAGS passes options on, e.g. BENCH_FLAGS="--threads 1 --rounds 5".
BENCH_FLAGS ?=
# After deps, so that the two never hold apt's lock at once under make -j.
bench-deps: | deps
	./scripts/install-bench-deps.sh

bench: build bench-deps
	mkdir -p $(BUILD_DIR)/bench
	/usr/bin/python3 bench/run_bench.py --nnc $(NNC) \
	  --json-out $(BUILD_DIR)/bench/results.jsonl $(BENCH_FLAGS)
	for t in 1 $(JOBS); do /usr/bin/python3 bench/python_overhead.py \
	  --nnc $(NNC) --module $(BUILD_DIR)/python --threads $$t || exit 1; done
	/usr/bin/python3 bench/batched_matmul.py --nnc $(NNC) --threads 1,$(JOBS)

clean:
	rm -rf $(BUILD_DIR)
