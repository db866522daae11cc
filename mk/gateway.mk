# The C HTTP gateway on libmicrohttpd (examples/gateway): gateway.c, the admin tool tokenctl.c,
# the scenario (scenario.sh) and the benchmark (bench.sh).
#
#   make test-gateway    the scenario with assertions against build/prefix: "N passed, N failed"
#   make demo-gateway    installs the library into a temporary prefix, builds the gateway against
#                        it through pkg-config, and prints the scenario as a table
#   make bench-gateway   wrk with and without authentication; prints the overhead ratio
#   make deps-gateway    installs libmicrohttpd-dev, curl and wrk when missing

GATEWAY_SRC := examples/gateway
GATEWAY_BIN := $(BUILD)/examples/gateway
GATEWAY_DEBS := libmicrohttpd-dev pkg-config curl wrk
GATEWAY_CFLAGS := -std=c11 -O2 -Wall -Wextra -Werror -pthread

DEB_PACKAGES += $(GATEWAY_DEBS)
TEST_TARGETS += test-gateway
DEMO_TARGETS += demo-gateway
BENCH_TARGETS += bench-gateway
.PHONY: deps-gateway test-gateway demo-gateway bench-gateway

deps-gateway:
	@missing=; for p in $(GATEWAY_DEBS); do \
	    dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "deps-gateway: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Both programs link the installed library by pkg-config, with an rpath to that prefix.
# (Recipe-time pkg-config, so that it runs after deps-gateway and the install.)
gateway_link = $(CC) $(GATEWAY_CFLAGS) $$(PKG_CONFIG_PATH=$(1)/lib/pkgconfig pkg-config --cflags tokenauth $(2)) \
    $(3) -o $(4) $$(PKG_CONFIG_PATH=$(1)/lib/pkgconfig pkg-config --libs tokenauth $(2)) -Wl,-rpath,$(1)/lib

$(GATEWAY_BIN)/gateway: $(GATEWAY_SRC)/gateway.c $(TEST_PREFIX_STAMP) | deps-gateway
	@mkdir -p $(@D)
	$(call gateway_link,$(TEST_PREFIX),libmicrohttpd,$<,$@)

$(GATEWAY_BIN)/tokenctl: $(GATEWAY_SRC)/tokenctl.c $(TEST_PREFIX_STAMP)
	@mkdir -p $(@D)
	$(call gateway_link,$(TEST_PREFIX),,$<,$@)

test-gateway: $(GATEWAY_BIN)/gateway $(GATEWAY_BIN)/tokenctl
	bash $(GATEWAY_SRC)/scenario.sh test $(GATEWAY_BIN)

bench-gateway: $(GATEWAY_BIN)/gateway $(GATEWAY_BIN)/tokenctl
	bash $(GATEWAY_SRC)/bench.sh $(GATEWAY_BIN)

# The demo as a user would do it: install into a fresh temporary prefix, build from there.
demo-gateway: lib deps-gateway
	@set -e; tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/tokenauth-demo.XXXXXX"); trap 'rm -rf "$$tmp"' EXIT; \
	echo "demo-gateway: make install PREFIX=$$tmp/prefix"; \
	$(MAKE) --no-print-directory install PREFIX=$$tmp/prefix DESTDIR= >/dev/null; \
	mkdir -p $$tmp/bin; \
	echo "demo-gateway: cc gateway.c tokenctl.c \$$(pkg-config --cflags --libs tokenauth libmicrohttpd)"; \
	$(call gateway_link,$$tmp/prefix,libmicrohttpd,$(GATEWAY_SRC)/gateway.c,$$tmp/bin/gateway); \
	$(call gateway_link,$$tmp/prefix,,$(GATEWAY_SRC)/tokenctl.c,$$tmp/bin/tokenctl); \
	bash $(GATEWAY_SRC)/scenario.sh demo $$tmp/bin
