# Reliability: fuzzing, sanitizers, crash safety, contention, disk trouble, secret hygiene.
# docs/RELIABILITY.md describes every target and what it measured.
#
#   make test    runs the fast versions (test-rel-*; about 3.5 minutes on 2 cores, builds included)
#   make soak    the long versions ($(SOAK_TARGETS)); SOAK_SECONDS, SOAK_KILLS tune them
#   make fuzz    each libFuzzer target for FUZZ_SECONDS (default 300) seconds
#
# The fuzz targets and the sanitizer builds of the C tests link the library's Swift sources compiled
# by swiftc with the sanitizer (and, for fuzzing, coverage) instrumentation, so that the Swift code
# is instrumented too; the other tests link the installed library ($(TEST_PREFIX)) as a user would.

REL_SRC := tests/reliability
REL_BUILD := $(BUILD)/reliability
SWIFTC ?= swiftc
# The Swift toolchain's clang: it has libFuzzer and the sanitizer runtimes matching swiftc's.
SAN_CC := $(dir $(realpath $(shell command -v $(SWIFTC) 2>/dev/null)))clang
REL_CFLAGS := -std=c11 -Wall -Wextra -pedantic -Werror -g -O1 -pthread -I$(REL_SRC)
REL_RUN := SWIFT_BACKTRACE=enable=no

FUZZ_TARGETS_BIN := fuzz_verify fuzz_ops
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 12
SOAK_SECONDS ?= 60
SOAK_KILLS ?= 60

DEB_PACKAGES += valgrind

# ---------------------------------------------------------------- instrumented library objects
# $(REL_BUILD)/lib-FLAVOUR/{TokenAuthCore,TokenAuth}.o, FLAVOUR = fuzz | asan | tsan.
SAN_SWIFT_fuzz := -sanitize=fuzzer,address
SAN_SWIFT_asan := -sanitize=address
SAN_SWIFT_tsan := -sanitize=thread
SAN_C_fuzz := -fsanitize=fuzzer-no-link,address
SAN_C_asan := -fsanitize=address
SAN_C_tsan := -fsanitize=thread
REL_CORE_SOURCES := $(sort $(shell find Sources/TokenAuthCore -name '*.swift' 2>/dev/null))
REL_ABI_SOURCES := $(sort $(shell find Sources/TokenAuth -name '*.swift' 2>/dev/null))
# Every system-library target (Sources/C*/module.modulemap: CSQLite, COpenSSL, ...) and the public
# header's module; the libraries they name with `link "x"` are linked in.
REL_MODULE_MAPS = $(sort $(wildcard Sources/C*/module.modulemap)) include/module.modulemap
REL_SWIFT_FLAGS = -parse-as-library -wmo -O -g -swift-version 6 -package-name main \
    -module-cache-path $(REL_BUILD)/module-cache \
    $(foreach m,$(REL_MODULE_MAPS),-Xcc -fmodule-map-file=$(CURDIR)/$(m))
REL_LIB_OBJS = $(REL_BUILD)/lib-$(1)/TokenAuth.o $(REL_BUILD)/lib-$(1)/TokenAuthCore.o
REL_LINK_LIBS = $(sort $(shell sed -n 's/^[[:space:]]*link[[:space:]]*"\([^"]*\)".*/-l\1/p' $(wildcard Sources/C*/module.modulemap)))

.PRECIOUS: $(REL_BUILD)/lib-%/TokenAuth.o
$(REL_BUILD)/lib-%/TokenAuth.o: $(REL_CORE_SOURCES) $(REL_ABI_SOURCES) $(REL_MODULE_MAPS) include/tokenauth.h \
    $(wildcard Sources/C*/shim.h)
	@mkdir -p $(@D)
	$(SWIFTC) -module-name TokenAuthCore $(REL_SWIFT_FLAGS) $(SAN_SWIFT_$*) -emit-module \
	    -emit-module-path $(@D)/TokenAuthCore.swiftmodule -c $(REL_CORE_SOURCES) -o $(@D)/TokenAuthCore.o
	$(SWIFTC) -module-name TokenAuth $(REL_SWIFT_FLAGS) $(SAN_SWIFT_$*) -I $(@D) -c $(REL_ABI_SOURCES) -o $@

# ---------------------------------------------------------------- programs
# Against the installed library: $(REL_BUILD)/bin/NAME. Against the instrumented sources:
# $(REL_BUILD)/asan/NAME and $(REL_BUILD)/tsan/NAME. Fuzzers: $(REL_BUILD)/fuzz/NAME.
REL_HEADERS := $(REL_SRC)/rel.h

$(REL_BUILD)/bin/%: $(REL_SRC)/%.c $(REL_HEADERS) $(TEST_PREFIX_STAMP)
	@mkdir -p $(@D)
	$(CC) $(REL_CFLAGS) $(TA_CFLAGS) $< -o $@ $(TA_LIBS) -lsqlite3

$(REL_BUILD)/asan/%: $(REL_SRC)/%.c $(REL_HEADERS) $(REL_BUILD)/lib-asan/TokenAuth.o
	@mkdir -p $(@D)
	$(SAN_CC) $(REL_CFLAGS) $(SAN_C_asan) -Iinclude -c $< -o $@.o
	$(SWIFTC) -use-ld=lld $(SAN_SWIFT_asan) $@.o $(call REL_LIB_OBJS,asan) $(REL_LINK_LIBS) -o $@

$(REL_BUILD)/tsan/%: $(REL_SRC)/%.c $(REL_HEADERS) $(REL_BUILD)/lib-tsan/TokenAuth.o
	@mkdir -p $(@D)
	$(SAN_CC) $(REL_CFLAGS) $(SAN_C_tsan) -Iinclude -c $< -o $@.o
	$(SWIFTC) -use-ld=lld $(SAN_SWIFT_tsan) $@.o $(call REL_LIB_OBJS,tsan) $(REL_LINK_LIBS) -o $@

$(REL_BUILD)/fuzz/%: fuzz/%.c $(REL_HEADERS) $(REL_BUILD)/lib-fuzz/TokenAuth.o
	@mkdir -p $(@D)
	$(SAN_CC) $(REL_CFLAGS) $(SAN_C_fuzz) -Iinclude -c $< -o $@.o
	$(SWIFTC) -use-ld=lld $(SAN_SWIFT_fuzz) $@.o $(call REL_LIB_OBJS,fuzz) $(REL_LINK_LIBS) -o $@

ASAN_RUN := $(REL_RUN) ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0
# tsan.supp: the one false report (Synchronization.Mutex, which ThreadSanitizer cannot see); see there.
TSAN_RUN := $(REL_RUN) TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/$(REL_SRC)/tsan.supp

# ---------------------------------------------------------------- fuzzing
FUZZ_BINS := $(addprefix $(REL_BUILD)/fuzz/,$(FUZZ_TARGETS_BIN))
# fuzz_verify keeps one store (and its usage-flush thread) across inputs: libFuzzer's per-input leak
# check would see that thread's in-flight allocations, so leaks are checked by the other ASan runs.
FUZZ_OPTS_fuzz_verify := -detect_leaks=0 -max_len=4200
FUZZ_OPTS_fuzz_ops := -detect_leaks=1 -max_len=1024
run_fuzz = $(foreach f,$(FUZZ_TARGETS_BIN),bash $(REL_SRC)/run-fuzz.sh $(REL_BUILD)/fuzz/$(f) fuzz/corpus/$(f) \
    $(REL_BUILD)/fuzz-work/$(f) $(REL_BUILD)/fuzz-artifacts $(1) $(FUZZ_OPTS_$(f)) &&) true

test-rel-fuzz: $(FUZZ_BINS)
	@$(call run_fuzz,$(FUZZ_SMOKE_SECONDS))

fuzz-run: $(FUZZ_BINS)
	@$(call run_fuzz,$(FUZZ_SECONDS))

# ---------------------------------------------------------------- threads
test-rel-threads: $(REL_BUILD)/bin/threads $(REL_BUILD)/asan/threads $(REL_BUILD)/tsan/threads
	$(TA_RUN_ENV) $(REL_RUN) REL_SECONDS=5 $(REL_BUILD)/bin/threads
	$(TA_RUN_ENV) $(REL_RUN) REL_SECONDS=3 REL_MEMORY=1 $(REL_BUILD)/bin/threads
	$(ASAN_RUN) REL_SECONDS=4 $(REL_BUILD)/asan/threads
	$(TSAN_RUN) REL_SECONDS=4 REL_VERIFIERS=3 $(REL_BUILD)/tsan/threads

soak-rel-threads: $(REL_BUILD)/bin/threads $(REL_BUILD)/asan/threads $(REL_BUILD)/tsan/threads
	$(TA_RUN_ENV) $(REL_RUN) REL_SECONDS=$(SOAK_SECONDS) $(REL_BUILD)/bin/threads
	$(TA_RUN_ENV) $(REL_RUN) REL_SECONDS=$(SOAK_SECONDS) REL_MEMORY=1 $(REL_BUILD)/bin/threads
	$(ASAN_RUN) REL_SECONDS=$(SOAK_SECONDS) $(REL_BUILD)/asan/threads
	$(TSAN_RUN) REL_SECONDS=$(SOAK_SECONDS) REL_VERIFIERS=3 $(REL_BUILD)/tsan/threads

# ---------------------------------------------------------------- crash safety, contention, disk, secrets
test-rel-crash: $(REL_BUILD)/bin/crash
	$(TA_RUN_ENV) $(REL_RUN) REL_KILLS=8 $(REL_BUILD)/bin/crash

soak-rel-crash: $(REL_BUILD)/bin/crash
	$(TA_RUN_ENV) $(REL_RUN) REL_KILLS=$(SOAK_KILLS) $(REL_BUILD)/bin/crash

test-rel-contention: $(REL_BUILD)/bin/contention
	$(TA_RUN_ENV) $(REL_RUN) REL_SECONDS=6 $(REL_BUILD)/bin/contention

soak-rel-contention: $(REL_BUILD)/bin/contention
	$(TA_RUN_ENV) $(REL_RUN) REL_SECONDS=$(SOAK_SECONDS) $(REL_BUILD)/bin/contention

# Rate limits shared by processes that each run several threads: plain, then under ThreadSanitizer.
test-rel-rate-mix: $(REL_BUILD)/bin/rate_mix $(REL_BUILD)/tsan/rate_mix
	$(TA_RUN_ENV) $(REL_RUN) $(REL_BUILD)/bin/rate_mix
	$(TSAN_RUN) REL_LIMIT=60 $(REL_BUILD)/tsan/rate_mix

test-rel-disk: $(REL_BUILD)/bin/disk $(REL_BUILD)/asan/disk
	$(TA_RUN_ENV) $(REL_RUN) $(REL_BUILD)/bin/disk
	$(ASAN_RUN) REL_QUICK=1 $(REL_BUILD)/asan/disk

test-rel-secrets: $(REL_BUILD)/bin/secrets
	$(TA_RUN_ENV) $(REL_RUN) REL_TOKENS=1000 $(REL_BUILD)/bin/secrets

soak-rel-secrets: $(REL_BUILD)/bin/secrets
	$(TA_RUN_ENV) $(REL_RUN) REL_TOKENS=5000 $(REL_BUILD)/bin/secrets

# Not in any list: SQLite alone, two processes writing back-to-back, default busy handler against a
# 1 ms polling one (why a writer can wait the whole busy_timeout; docs/RELIABILITY.md).
rel-sqlite-busy: $(REL_BUILD)/bin/sqlite_busy
	$(TA_RUN_ENV) $(REL_BUILD)/bin/sqlite_busy

# ---------------------------------------------------------------- valgrind
# memcheck on a C program that calls every function of the ABI (file and memory stores, two threads,
# failures included): no memory errors, nothing "definitely lost".
VALGRIND := valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --error-exitcode=86 --track-origins=no --num-callers=30
test-rel-valgrind: $(REL_BUILD)/bin/memcheck
	@command -v valgrind >/dev/null || { echo "test-rel-valgrind: valgrind is not installed (make deps)"; exit 1; }
	$(TA_RUN_ENV) $(REL_RUN) bash $(REL_SRC)/run-valgrind.sh $(VALGRIND) -- $(REL_BUILD)/bin/memcheck

# The soak adds the project's C test programs (tests/c, built by their own rule) under memcheck.
REL_C_TESTS = $(patsubst tests/c/%.c,$(BUILD)/tests/c/%,$(sort $(wildcard tests/c/test_*.c)))
soak-rel-valgrind: $(REL_BUILD)/bin/memcheck $(REL_BUILD)/bin/threads
	$(MAKE) --no-print-directory $(REL_C_TESTS)
	$(TA_RUN_ENV) $(REL_RUN) REL_ROUNDS=5 bash $(REL_SRC)/run-valgrind.sh $(VALGRIND) -- $(REL_BUILD)/bin/memcheck
	$(TA_RUN_ENV) $(REL_RUN) REL_SECONDS=10 REL_VERIFIERS=2 bash $(REL_SRC)/run-valgrind.sh $(VALGRIND) -- $(REL_BUILD)/bin/threads
	@failed=; for t in $(REL_C_TESTS); do \
	    $(TA_RUN_ENV) $(REL_RUN) bash $(REL_SRC)/run-valgrind.sh --memcheck-only $(VALGRIND) -- $$t || failed="$$failed $${t##*/}"; \
	done; if [ -n "$$failed" ]; then echo "soak-rel-valgrind: memcheck errors in:$$failed"; exit 1; fi

# ---------------------------------------------------------------- the Swift test suite under sanitizers
# Separate scratch paths, so that neither disturbs the normal build. Leaks that XCTest itself makes
# are not the library's: run-swift-sanitizer.sh fails on a leak only when a frame is in Sources/.
test-rel-swift-asan:
	bash $(REL_SRC)/run-swift-sanitizer.sh address .build-asan

soak-rel-swift-tsan:
	bash $(REL_SRC)/run-swift-sanitizer.sh thread .build-tsan

# ---------------------------------------------------------------- the lists
TEST_TARGETS += test-rel-fuzz test-rel-threads test-rel-crash test-rel-contention test-rel-rate-mix test-rel-disk \
    test-rel-secrets test-rel-valgrind test-rel-swift-asan
SOAK_TARGETS += soak-rel-threads soak-rel-crash soak-rel-contention soak-rel-secrets soak-rel-valgrind \
    test-rel-swift-asan soak-rel-swift-tsan test-rel-disk
FUZZ_TARGETS += fuzz-run

# `make soak` and `make fuzz`: the root Makefile has no such drivers (yet); they run like `make test`.
soak: deps
	@$(MAKE) --no-print-directory lib
	@$(call run_all,soak,$(SOAK_TARGETS))

fuzz: deps
	@$(MAKE) --no-print-directory lib
	@$(call run_all,fuzz,$(FUZZ_TARGETS))

.PHONY: test-rel-fuzz fuzz-run test-rel-threads soak-rel-threads test-rel-crash soak-rel-crash \
    test-rel-contention soak-rel-contention test-rel-rate-mix test-rel-disk test-rel-secrets soak-rel-secrets \
    test-rel-valgrind soak-rel-valgrind test-rel-swift-asan soak-rel-swift-tsan rel-sqlite-busy soak fuzz
