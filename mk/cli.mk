# The `tokenauth` console (Sources/TokenAuthCLI, docs/cli.md). SwiftPM cannot
# have a library product and an executable product of one name, so the executable product is
# `tokenauth-cli`; it is built in release with the Swift runtime linked in, and placed as
# build/bin/tokenauth. It has its own scratch directory: the library's release build uses linker
# flags (version script, soname) that must not reach an executable.
#
#   make cli             build/bin/tokenauth
#   make test-cli        Tests/TokenAuthCLITests against build/bin/tokenauth (XCTest, < 60 s)
#   make install-cli     $(DESTDIR)$(BINDIR)/tokenauth (BINDIR defaults to $(PREFIX)/bin)
#   make uninstall-cli

CLI_SCRATCH ?= .build-cli
CLI_BIN := $(BUILD)/bin/tokenauth
BINDIR ?= $(PREFIX)/bin
# The `Console` trait adds `tokenauth serve` (Hummingbird): this release build is the only one that
# compiles it; the debug build of `swift test` leaves the trait off (mk/console.mk).
CLI_RELEASE_FLAGS := -c release --product tokenauth-cli --static-swift-stdlib --traits Console

TEST_TARGETS += test-cli
# For an `install` that depends on $(INSTALL_TARGETS) (and `uninstall` on $(UNINSTALL_TARGETS)).
INSTALL_TARGETS += install-cli
UNINSTALL_TARGETS += uninstall-cli
.PHONY: cli test-cli install-cli uninstall-cli

cli: $(CLI_BIN)

# $(LIB_SOURCES) is every file under Sources/ and include/ plus Package.swift.
$(CLI_BIN): $(LIB_SOURCES)
	$(SWIFT) build --scratch-path $(CLI_SCRATCH) $(CLI_RELEASE_FLAGS)
	@mkdir -p $(@D)
	cp "$$($(SWIFT) build --scratch-path $(CLI_SCRATCH) -c release --show-bin-path)/tokenauth-cli" $@.tmp
	mv -f $@.tmp $@

# The suite runs the binary given in TOKENAUTH_CLI: the release build that `make install` installs.
# It shares SwiftPM's debug build with test-swift (same scratch path), so nothing is compiled twice.
test-cli: $(CLI_BIN)
	TOKENAUTH_CLI=$(abspath $(CLI_BIN)) $(SWIFT) test $(SWIFT_PATH_FLAGS) --filter TokenAuthCLITests

# Installed without its debug sections (119 MB -> 92 MB) but with its symbol table, so that a crash
# still prints function names. Of what remains, 34 MB is ICU's data (icudt76_dat), which Foundation
# brings in with the console's dependencies.
install-cli: $(CLI_BIN)
	install -d "$(DESTDIR)$(abspath $(BINDIR))"
	install -m 0755 $(CLI_BIN) "$(DESTDIR)$(abspath $(BINDIR))/tokenauth"
	strip --strip-debug "$(DESTDIR)$(abspath $(BINDIR))/tokenauth"

uninstall-cli:
	rm -f "$(DESTDIR)$(abspath $(BINDIR))/tokenauth"
