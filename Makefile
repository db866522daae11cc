# libtokenauth — build, install, test and demo.
#
#   make                       the release library in build/lib (libtokenauth.so.X.Y.Z + symlinks)
#   make install PREFIX=DIR    DIR/lib, DIR/include, DIR/lib/pkgconfig/tokenauth.pc (default /usr/local)
#   make test                  every test target ($(TEST_TARGETS)); installs missing Debian packages first
#   make demo                  every demo ($(DEMO_TARGETS)); installs missing Debian packages first
#   make bench                 every benchmark ($(BENCH_TARGETS))
#   make clean
#
# Fragments in mk/*.mk add their own targets: they append to TEST_TARGETS, DEMO_TARGETS,
# BENCH_TARGETS and DEB_PACKAGES, and may use TEST_PREFIX / TEST_PREFIX_STAMP / TA_CFLAGS / TA_LIBS /
# TA_RUN_ENV below to build against the library installed in build/prefix. See mk/README.md.

SHELL := /bin/bash
.DEFAULT_GOAL := lib
.SUFFIXES:
.DELETE_ON_ERROR:

# ---------------------------------------------------------------- the version: one source
# zstd style: the version lives in the public header only (TA_VERSION_MAJOR/MINOR/PATCH); the file
# name, the soname, the pkg-config file and the tests all derive from it.
HEADER := include/tokenauth.h
version_part = $(shell sed -n 's/^[[:blank:]]*.[[:blank:]]*define[[:blank:]][[:blank:]]*TA_VERSION_$(1)[[:blank:]][[:blank:]]*\([0-9][0-9]*\).*/\1/p' $(HEADER))
VERSION_MAJOR := $(call version_part,MAJOR)
VERSION_MINOR := $(call version_part,MINOR)
VERSION_PATCH := $(call version_part,PATCH)
ifneq ($(words $(VERSION_MAJOR) $(VERSION_MINOR) $(VERSION_PATCH)),3)
$(error cannot read TA_VERSION_MAJOR/MINOR/PATCH from $(HEADER))
endif
VERSION := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)
SONAME := libtokenauth.so.$(VERSION_MAJOR)
LIBFILE := libtokenauth.so.$(VERSION)
VERSION_NODE := TOKENAUTH_$(VERSION_MAJOR)

# ---------------------------------------------------------------- tools and directories
SWIFT ?= swift
# Where SwiftPM builds; override (e.g. SWIFT_SCRATCH=.build-pkg) to keep separate builds apart.
SWIFT_SCRATCH ?= .build
SWIFT_PATH_FLAGS := --scratch-path $(SWIFT_SCRATCH)
VERSION_SCRIPT := $(CURDIR)/Sources/TokenAuth/tokenauth.map
# -static-stdlib (not --static-swift-stdlib, which does not apply to dynamic libraries) links the
# Swift runtime into the .so; the version script exports ta_* only, under the node TOKENAUTH_1.
# The linker is the toolchain's lld: GNU gold (swiftc's default on Linux) leaves LOCAL copies of
# some Swift metadata symbols ($s...) in .dynsym; lld's .dynsym holds exactly the ta_* functions.
SWIFT_LINKER ?= lld
SWIFT_RELEASE_FLAGS := -c release --product tokenauth -Xswiftc -static-stdlib \
    $(if $(SWIFT_LINKER),-Xswiftc -use-ld=$(SWIFT_LINKER)) \
    -Xlinker --version-script=$(VERSION_SCRIPT) -Xlinker -soname=$(SONAME)

CC ?= cc
CXX ?= c++
# `make` sets CC=cc and CXX=g++ by default; keep them unless the caller overrides them.
C_STRICT := -std=c99 -Wall -Wextra -pedantic -Werror
CXX_STRICT := -Wall -Wextra -pedantic -Werror

BUILD := build
BUILD_LIB := $(BUILD)/lib
LIBRARY := $(BUILD_LIB)/$(LIBFILE)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

# A private installation that the C, C++ and binding tests build against, exactly as a user would.
TEST_PREFIX := $(CURDIR)/$(BUILD)/prefix
TEST_PREFIX_STAMP := $(TEST_PREFIX)/lib/pkgconfig/tokenauth.pc
TA_PKG_CONFIG := PKG_CONFIG_PATH=$(TEST_PREFIX)/lib/pkgconfig pkg-config
# Recursively expanded on purpose: pkg-config runs only once the prefix exists.
TA_CFLAGS = $(shell $(TA_PKG_CONFIG) --cflags tokenauth)
TA_LIBS = $(shell $(TA_PKG_CONFIG) --libs tokenauth)
TA_RUN_ENV := LD_LIBRARY_PATH=$(TEST_PREFIX)/lib

# What `make deps` guarantees (fragments append theirs).
# libpq-dev: the PostgreSQL backend's header (libpq itself is loaded with dlopen, never linked).
DEB_PACKAGES := libssl-dev libsqlite3-dev libpq-dev pkg-config gcc g++ make binutils libc6-dev python3

# Fragments append to these.
TEST_TARGETS := test-contract test-swift test-abi-symbols test-cxx-header test-c test-two-process test-rate-processes test-concurrent-open
DEMO_TARGETS := demo-status-table
BENCH_TARGETS :=
INSTALL_TARGETS :=
UNINSTALL_TARGETS :=

# Every file the library is built from: a change to any of them, or to the build flags, rebuilds it.
LIB_SOURCES := Package.swift $(shell find Sources include -type f 2>/dev/null)
RELEASE_FLAGS_STAMP := $(BUILD)/.release-flags
$(shell mkdir -p $(BUILD) && { echo '$(SWIFT_RELEASE_FLAGS)' | cmp -s - $(RELEASE_FLAGS_STAMP) || echo '$(SWIFT_RELEASE_FLAGS)' > $(RELEASE_FLAGS_STAMP); })

.PHONY: all lib install uninstall install-test-prefix deps test demo bench clean distclean \
        print-version test-swift test-contract test-abi-symbols test-c test-cxx-header \
        test-two-process test-rate-processes test-concurrent-open demo-status-table print-targets

all: lib

include $(sort $(wildcard mk/*.mk))

# ---------------------------------------------------------------- the library
lib: $(LIBRARY) $(BUILD_LIB)/$(SONAME) $(BUILD_LIB)/libtokenauth.so

$(LIBRARY): $(LIB_SOURCES) $(RELEASE_FLAGS_STAMP)
	$(SWIFT) build $(SWIFT_PATH_FLAGS) $(SWIFT_RELEASE_FLAGS)
	@mkdir -p $(@D)
	cp "$$($(SWIFT) build $(SWIFT_PATH_FLAGS) -c release --show-bin-path)/libtokenauth.so" $@.tmp
	mv -f $@.tmp $@

$(BUILD_LIB)/$(SONAME) $(BUILD_LIB)/libtokenauth.so: | $(LIBRARY)
	ln -sfn $(LIBFILE) $(BUILD_LIB)/$(SONAME)
	ln -sfn $(SONAME) $(BUILD_LIB)/libtokenauth.so

print-version:
	@echo $(VERSION)

print-targets:
	@echo "TEST_TARGETS:  $(TEST_TARGETS)"; echo "DEMO_TARGETS:  $(DEMO_TARGETS)"; \
	 echo "BENCH_TARGETS: $(BENCH_TARGETS)"; echo "DEB_PACKAGES:  $(sort $(DEB_PACKAGES))"

# ---------------------------------------------------------------- install
# PREFIX may be relative (make install PREFIX=build/prefix): tokenauth.pc gets the absolute path.
# $(call install_to,PREFIX,LIBDIR,INCLUDEDIR,PKGCONFIGDIR,DESTDIR)
define install_to
	install -d "$(5)$(abspath $(2))" "$(5)$(abspath $(3))" "$(5)$(abspath $(4))"
	install -m 0755 $(LIBRARY) "$(5)$(abspath $(2))/$(LIBFILE)"
	ln -sfn $(LIBFILE) "$(5)$(abspath $(2))/$(SONAME)"
	ln -sfn $(SONAME) "$(5)$(abspath $(2))/libtokenauth.so"
	install -m 0644 $(HEADER) "$(5)$(abspath $(3))/tokenauth.h"
	sed -e 's|@PREFIX@|$(abspath $(1))|g' -e 's|@LIBDIR@|$(abspath $(2))|g' \
	    -e 's|@INCLUDEDIR@|$(abspath $(3))|g' -e 's|@VERSION@|$(VERSION)|g' \
	    tokenauth.pc.in > "$(5)$(abspath $(4))/tokenauth.pc.tmp"
	mv -f "$(5)$(abspath $(4))/tokenauth.pc.tmp" "$(5)$(abspath $(4))/tokenauth.pc"
endef

install: lib tokenauth.pc.in $(HEADER) $(INSTALL_TARGETS)
	$(call install_to,$(PREFIX),$(LIBDIR),$(INCLUDEDIR),$(PKGCONFIGDIR),$(DESTDIR))
	@# The dynamic loader's cache must learn about a library installed into a system prefix.
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null && \
	    case "$(abspath $(LIBDIR))" in /usr/lib|/usr/local/lib|/usr/lib64|/usr/local/lib64) true;; *) false;; esac; \
	then ldconfig; fi
	@echo "installed libtokenauth $(VERSION) into $(DESTDIR)$(abspath $(PREFIX))"

uninstall: $(UNINSTALL_TARGETS)
	rm -f "$(DESTDIR)$(abspath $(LIBDIR))/$(LIBFILE)" "$(DESTDIR)$(abspath $(LIBDIR))/$(SONAME)" \
	      "$(DESTDIR)$(abspath $(LIBDIR))/libtokenauth.so" "$(DESTDIR)$(abspath $(INCLUDEDIR))/tokenauth.h" \
	      "$(DESTDIR)$(abspath $(PKGCONFIGDIR))/tokenauth.pc"

# The private installation used by the tests and demos (rebuilt when the library changes).
$(TEST_PREFIX_STAMP): $(LIBRARY) $(HEADER) tokenauth.pc.in
	@rm -rf $(TEST_PREFIX)
	$(call install_to,$(TEST_PREFIX),$(TEST_PREFIX)/lib,$(TEST_PREFIX)/include,$(TEST_PREFIX)/lib/pkgconfig,)

install-test-prefix: $(TEST_PREFIX_STAMP)

# ---------------------------------------------------------------- Debian packages
# Installs only what is missing (dpkg -s), so a machine that has everything is not touched.
deps:
	@if ! command -v dpkg >/dev/null 2>&1; then echo "deps: no dpkg here; make sure these are installed: $(sort $(DEB_PACKAGES))"; exit 0; fi; \
	missing=; for p in $(sort $(DEB_PACKAGES)); do \
	    dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all present ($(words $(sort $(DEB_PACKAGES))) Debian packages)"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	$$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

# ---------------------------------------------------------------- test / demo / bench drivers
# Each builds the library and the private installation once, then runs every target of its list
# against that very library (-o: a source edited meanwhile does not rebuild it halfway through),
# even after a failure, and finally names the targets that failed.
prepare_run = $(MAKE) --no-print-directory lib install-test-prefix
# The last line is the plain closing line CI reads: "targets: N passed, N failed".
run_all = failed=; nfailed=0; for t in $(2); do echo "==> $$t"; \
        $(MAKE) --no-print-directory -o $(LIBRARY) $$t || { failed="$$failed $$t"; nfailed=$$((nfailed + 1)); }; done; \
    if [ -n "$$failed" ]; then echo "make $(1): FAILED:$$failed"; \
        echo "targets: $$(($(words $(2)) - nfailed)) passed, $$nfailed failed"; exit 1; fi; \
    echo "make $(1): all $(words $(2)) targets passed ($(2))"; \
    echo "targets: $(words $(2)) passed, 0 failed"

test: deps
	@$(prepare_run)
	@$(call run_all,test,$(TEST_TARGETS))

demo: deps
	@$(prepare_run)
	@$(call run_all,demo,$(DEMO_TARGETS))

bench: deps
	@$(prepare_run)
	@$(if $(strip $(BENCH_TARGETS)),$(call run_all,bench,$(BENCH_TARGETS)),echo "make bench: no benchmarks defined")

# ---------------------------------------------------------------- tests owned here
# The console's tests run in test-cli, against the release binary.
test-swift:
	$(SWIFT) test $(SWIFT_PATH_FLAGS) --skip TokenAuthCLITests

CHECK_CONTRACT := ../shared/tools/check-contract
test-contract:
	@if [ -x $(CHECK_CONTRACT) ]; then $(CHECK_CONTRACT) $(HEADER); \
	elif [ -f $(CHECK_CONTRACT) ]; then bash $(CHECK_CONTRACT) $(HEADER); \
	else echo "test-contract: SKIPPED ($(CHECK_CONTRACT) not found; it lives next to the repository)"; fi

# The functions the header declares: everything the library may export.
HEADER_FUNCTIONS = $(shell bash tests/abi/header-functions.sh $(HEADER) $(CC))

test-abi-symbols: $(TEST_PREFIX_STAMP) $(BUILD)/tests/abi/version
	@HEADER_FUNCTIONS="$(HEADER_FUNCTIONS)" VERSION="$(VERSION)" SONAME="$(SONAME)" \
	 VERSION_NODE="$(VERSION_NODE)" LIBRARY="$(LIBRARY)" VERSION_SCRIPT="$(VERSION_SCRIPT)" \
	 PKG_VERSION="$$($(TA_PKG_CONFIG) --modversion tokenauth)" \
	 RUN_VERSION="$$($(TA_RUN_ENV) $(BUILD)/tests/abi/version)" \
	 bash tests/abi/check-abi.sh

$(BUILD)/tests/abi/version: tests/abi/version.c $(TEST_PREFIX_STAMP)
	@mkdir -p $(@D)
	$(CC) $(C_STRICT) $(TA_CFLAGS) $< -o $@ $(TA_LIBS)

# The header as C++ (several standards), plus a program that takes the address of every declared
# function and links against the installed library: a function the header declares but the
# library does not export fails here.
CXX_STANDARDS := c++11 c++17 c++20
$(BUILD)/tests/cxx/all_functions.inc: $(HEADER)
	@mkdir -p $(@D)
	@for f in $(HEADER_FUNCTIONS); do echo "    reinterpret_cast<fn>(&$$f),"; done > $@

test-cxx-header: $(TEST_PREFIX_STAMP) $(BUILD)/tests/cxx/all_functions.inc
	@set -e; for std in $(CXX_STANDARDS); do \
	    echo "$(CXX) -std=$$std $(CXX_STRICT) tests/cxx/header_test.cpp"; \
	    $(CXX) -std=$$std $(CXX_STRICT) -I$(BUILD)/tests/cxx $(TA_CFLAGS) tests/cxx/header_test.cpp \
	        -o $(BUILD)/tests/cxx/header_test_$$std $(TA_LIBS); \
	    $(TA_RUN_ENV) $(BUILD)/tests/cxx/header_test_$$std; \
	done

# C tests: strict C99 against the installed library through pkg-config, one program per area.
C_TEST_SOURCES := $(sort $(wildcard tests/c/test_*.c))
C_TESTS := $(patsubst tests/c/%.c,$(BUILD)/tests/c/%,$(C_TEST_SOURCES))
C_TEST_DEPS := tests/c/harness.h $(TEST_PREFIX_STAMP)

$(BUILD)/tests/c/%: tests/c/%.c $(C_TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(C_STRICT) -pthread -Itests/c $(TA_CFLAGS) $< -o $@ $(TA_LIBS) $(EXTRA_LIBS_$*)

# This one also writes a foreign SQLite database, so it links SQLite directly.
EXTRA_LIBS_test_open = $(shell pkg-config --libs sqlite3)

test-c: $(C_TESTS)
	@bash tests/c/check-ldd.sh $(TEST_PREFIX)/lib $(firstword $(C_TESTS))
	@$(TA_RUN_ENV) bash tests/c/run.sh $(C_TESTS)

test-two-process: $(BUILD)/tests/c/two_process
	$(TA_RUN_ENV) $(BUILD)/tests/c/two_process

# Processes sharing one token's rate-limit bucket (one of them SIGKILLed part way).
test-rate-processes: $(BUILD)/tests/c/rate_processes
	$(TA_RUN_ENV) $(BUILD)/tests/c/rate_processes

# Processes opening one new file at once; children forked while a handle's thread works.
test-concurrent-open: $(BUILD)/tests/c/concurrent_open
	$(TA_RUN_ENV) $(BUILD)/tests/c/concurrent_open

$(BUILD)/tests/c/two_process $(BUILD)/tests/c/rate_processes $(BUILD)/tests/c/concurrent_open: $(BUILD)/tests/c/%: tests/c/%.c $(C_TEST_DEPS)
	@mkdir -p $(@D)
	$(CC) $(C_STRICT) -Itests/c $(TA_CFLAGS) $< -o $@ $(TA_LIBS)

# ---------------------------------------------------------------- demo owned here
$(BUILD)/examples/demo: examples/demo/demo.c $(TEST_PREFIX_STAMP)
	@mkdir -p $(@D)
	$(CC) $(C_STRICT) $(TA_CFLAGS) $< -o $@ $(TA_LIBS)

demo-status-table: $(BUILD)/examples/demo
	$(TA_RUN_ENV) $(BUILD)/examples/demo

# ---------------------------------------------------------------- clean
clean:
	rm -rf $(BUILD)

# Also SwiftPM's build directory.
distclean: clean
	rm -rf $(SWIFT_SCRATCH) .build-cli
