# Benchmarks of the hot path (bench/, docs/performance.md): libtokenauth's ta_verify against the
# floor (OpenSSL SHA-256 + open-addressing lookup + CRYPTO_memcmp) and a naive SQLite verifier, in C
# and in Python; and a Django REST framework request against djangorestframework-api-key's.
#
#   make bench                          every benchmark (bench-verify, bench-python, ...), N = 1,000,000
#   make bench BENCH_TOKENS=10000       a quick, CI-like run
#   make bench-verify BENCH_RUNS=5      the C benchmark alone; BENCH_ARGS passes more options
#   make bench-python                   ta_verify through ctypes vs hashlib.sha256 + dict; then a DRF
#                                       request authenticated by tokenauth vs djangorestframework-api-key
#                                       (bench/drf_bench.py, BENCH_DRF_ARGS; dependencies from PyPI, mk/python.mk)
#   make test-bench-smoke               (part of `make test`) both with ~2,000 tokens and one run: proves
#                                       they build and run; no assertion on any number
#
# Numbers live in the benchmarks, never in timed tests. Results: bench/RESULTS.md.

BENCH_TOKENS ?= 1000000
BENCH_RUNS ?= 3
BENCH_THREADS ?= 2
# The Python benchmark creates its own tokens through ctypes (same N by default).
BENCH_PY_TOKENS ?= $(BENCH_TOKENS)
BENCH_ARGS ?=
BENCH_PY_ARGS ?=
BENCH_DRF_ARGS ?=
# The DRF benchmark imports the binding from its sources, with Django & co. from $(PY_TOOLS).
BENCH_DRF_RUN = TOKENAUTH_LIBRARY=$(TEST_PREFIX)/lib/libtokenauth.so.$(VERSION_MAJOR) \
    PYTHONPATH=$(CURDIR)/bindings/python/src $(PY_TOOLS) bench/drf_bench.py --dir $(BENCH_DIR)
# The databases (created, measured, removed) go here: a real disk, so synchronous=FULL means fsync.
BENCH_DIR ?= $(BUILD)/bench/data

BENCH_BIN := $(BUILD)/bench/verify_bench
BENCH_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -pthread
BENCH_PYTHON ?= python3

BENCH_TARGETS += bench-verify bench-python
TEST_TARGETS += test-bench-smoke
.PHONY: bench-verify bench-python test-bench-smoke

# Recipe-time pkg-config, so that it runs once the private installation exists.
$(BENCH_BIN): bench/verify_bench.c $(TEST_PREFIX_STAMP)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $$($(TA_PKG_CONFIG) --cflags tokenauth) $$(pkg-config --cflags libcrypto sqlite3) $< -o $@ \
	    $$($(TA_PKG_CONFIG) --libs tokenauth) $$(pkg-config --libs libcrypto sqlite3) -lm

bench-verify: $(BENCH_BIN)
	$(TA_RUN_ENV) $(BENCH_BIN) --tokens $(BENCH_TOKENS) --runs $(BENCH_RUNS) --threads $(BENCH_THREADS) \
	    --dir $(BENCH_DIR) $(BENCH_ARGS)

bench-python: $(TEST_PREFIX_STAMP) py-bench-deps
	TOKENAUTH_LIBRARY=$(TEST_PREFIX)/lib/libtokenauth.so.$(VERSION_MAJOR) $(BENCH_PYTHON) bench/python_bench.py \
	    --tokens $(BENCH_PY_TOKENS) --runs $(BENCH_RUNS) --dir $(BENCH_DIR) $(BENCH_PY_ARGS)
	$(BENCH_DRF_RUN) $(BENCH_DRF_ARGS)

# Smoke only: ~2,000 tokens, one run, small loops. It passes if both programs run to the end.
test-bench-smoke: $(BENCH_BIN) $(TEST_PREFIX_STAMP) py-bench-deps
	@$(TA_RUN_ENV) $(BENCH_BIN) --tokens 2000 --runs 1 --ops 20000 --naive-ms 100 --dir $(BUILD)/bench/smoke \
	    > $(BUILD)/bench/smoke-verify.txt 2>&1 || { cat $(BUILD)/bench/smoke-verify.txt; exit 1; }
	@TOKENAUTH_LIBRARY=$(TEST_PREFIX)/lib/libtokenauth.so.$(VERSION_MAJOR) $(BENCH_PYTHON) bench/python_bench.py \
	    --tokens 2000 --runs 1 --ops 20000 --dir $(BUILD)/bench/smoke \
	    > $(BUILD)/bench/smoke-python.txt 2>&1 || { cat $(BUILD)/bench/smoke-python.txt; exit 1; }
	@$(BENCH_DRF_RUN) --keys 20 --rounds 2 --requests 10 > $(BUILD)/bench/smoke-drf.txt 2>&1 || \
	    { cat $(BUILD)/bench/smoke-drf.txt; exit 1; }
	@echo "test-bench-smoke: verify_bench and python_bench ran with 2,000 tokens, drf_bench with 20 (output in $(BUILD)/bench/smoke-*.txt)"
