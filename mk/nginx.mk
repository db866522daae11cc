# The nginx dynamic module (modules/nginx, docs/nginx.md): built with Debian's own recipe for
# nginx modules (nginx_mod.pm in nginx-dev) against Debian 12's nginx 1.22, linked to libtokenauth
# through pkg-config.
#
#   make nginx-module           build/nginx/ngx_http_tokenauth_module.so, against build/prefix
#   make install-nginx-module   the module into $(NGINX_MODULES_DIR), linked to the library installed
#                               in $(PREFIX) (run `make install` first), and Debian's
#                               modules-available/mod-http-tokenauth.conf, enabled
#   make test-nginx             Debian's /usr/sbin/nginx with the module on a free loopback port:
#                               every answer, bad input, workers, usage, revocation ("N passed, N failed")
#   make demo-nginx             the status table answered by nginx: 200, 401, 403, 429
#   make bench-nginx            wrk: no auth, tokenauth on, auth_request; req/s, ratios, CPU per request
#
# nginx's configure runs in /usr/share/nginx/src (as Debian's recipe does) but writes only into the
# build directory; `make -C /usr/share/nginx/src -f BUILDDIR/Makefile modules` compiles there too.

NGINX ?= /usr/sbin/nginx
NGINX_SRC ?= /usr/share/nginx/src
NGINX_MODULES_DIR ?= /usr/lib/nginx/modules
NGINX_AVAILABLE_DIR ?= /usr/share/nginx/modules-available
NGINX_ENABLED_DIR ?= /etc/nginx/modules-enabled
NGINX_MODULE_SRC := modules/nginx
NGINX_MODULE_SOURCES := $(wildcard $(NGINX_MODULE_SRC)/*.c $(NGINX_MODULE_SRC)/*.h) $(NGINX_MODULE_SRC)/config
NGINX_MODULE_NAME := ngx_http_tokenauth_module.so
NGINX_BUILD := $(BUILD)/nginx
NGINX_MODULE := $(NGINX_BUILD)/$(NGINX_MODULE_NAME)
NGINX_INSTALL_BUILD := $(BUILD)/nginx-install
NGINX_TEST_PY := PYTHONPATH=$(CURDIR)/bindings/python/src:$(CURDIR)/tests/nginx \
    TOKENAUTH_LIBRARY=$(TEST_PREFIX)/lib/$(SONAME) NGINX_BINARY=$(NGINX) NGINX_MODULE=$(CURDIR)/$(NGINX_MODULE) python3

DEB_PACKAGES += nginx nginx-dev wrk
TEST_TARGETS += test-nginx
DEMO_TARGETS += demo-nginx
BENCH_TARGETS += bench-nginx
.PHONY: nginx-module install-nginx-module uninstall-nginx-module test-nginx demo-nginx bench-nginx

# $(call nginx_configure,BUILDDIR,PKG_CONFIG environment): Debian's configure step (nginx_mod.pm).
define nginx_configure
	@mkdir -p $(1)
	cd $(NGINX_SRC) && $(2) bash -c '. ./conf_flags && \
	    flags() { command -v dpkg-buildflags >/dev/null && dpkg-buildflags --get "$$1" || { [ "$$1" = CFLAGS ] && echo "-g -O2"; }; } && \
	    ./configure --with-cc-opt="$$(flags CFLAGS) -fPIC $$(flags CPPFLAGS)" --with-ld-opt="$$(flags LDFLAGS) -fPIC" \
	        "$${NGX_CONF_FLAGS[@]}" --add-dynamic-module="$(CURDIR)/$(NGINX_MODULE_SRC)" \
	        --builddir="$(abspath $(1))"' > $(abspath $(1))/configure.log 2>&1 \
	    || { tail -20 $(abspath $(1))/configure.log; exit 1; }
endef

# $(call nginx_make,BUILDDIR,PKG_CONFIG environment): Debian's build step.
nginx_make = $(2) $(MAKE) --no-print-directory -s -f $(abspath $(1))/Makefile -C $(NGINX_SRC) modules

# Configure again only when the module's config, the library's installation or this file change.
$(NGINX_BUILD)/Makefile: $(NGINX_MODULE_SRC)/config $(TEST_PREFIX_STAMP) mk/nginx.mk | $(NGINX_SRC)
	$(call nginx_configure,$(NGINX_BUILD),PKG_CONFIG_PATH=$(TEST_PREFIX)/lib/pkgconfig)

$(NGINX_MODULE): $(NGINX_BUILD)/Makefile $(NGINX_MODULE_SOURCES) $(TEST_PREFIX_STAMP)
	$(call nginx_make,$(NGINX_BUILD),PKG_CONFIG_PATH=$(TEST_PREFIX)/lib/pkgconfig)
	@touch $@

$(NGINX_SRC):
	@echo "nginx-dev is not installed ($(NGINX_SRC) is missing): run make deps" >&2; exit 1

nginx-module: $(NGINX_MODULE)

# The installed module links the library installed in $(PREFIX) (DESTDIR honoured).
install-nginx-module: $(NGINX_MODULE_SOURCES)
	@test -f "$(DESTDIR)$(abspath $(PKGCONFIGDIR))/tokenauth.pc" || \
	    { echo "install-nginx-module: no libtokenauth in $(DESTDIR)$(abspath $(PREFIX)): run make install first" >&2; exit 1; }
	$(call nginx_configure,$(NGINX_INSTALL_BUILD),PKG_CONFIG_SYSROOT_DIR=$(DESTDIR) PKG_CONFIG_PATH=$(DESTDIR)$(abspath $(PKGCONFIGDIR)))
	$(call nginx_make,$(NGINX_INSTALL_BUILD),PKG_CONFIG_SYSROOT_DIR=$(DESTDIR) PKG_CONFIG_PATH=$(DESTDIR)$(abspath $(PKGCONFIGDIR)))
	install -d "$(DESTDIR)$(NGINX_MODULES_DIR)" "$(DESTDIR)$(NGINX_AVAILABLE_DIR)" "$(DESTDIR)$(NGINX_ENABLED_DIR)"
	install -m 0644 $(NGINX_INSTALL_BUILD)/$(NGINX_MODULE_NAME) "$(DESTDIR)$(NGINX_MODULES_DIR)/$(NGINX_MODULE_NAME)"
	echo "load_module modules/$(NGINX_MODULE_NAME);" > "$(DESTDIR)$(NGINX_AVAILABLE_DIR)/mod-http-tokenauth.conf"
	ln -sfn "$(NGINX_AVAILABLE_DIR)/mod-http-tokenauth.conf" "$(DESTDIR)$(NGINX_ENABLED_DIR)/50-mod-http-tokenauth.conf"
	@echo "installed $(NGINX_MODULE_NAME) into $(DESTDIR)$(NGINX_MODULES_DIR); enabled by $(NGINX_ENABLED_DIR)/50-mod-http-tokenauth.conf"

uninstall-nginx-module:
	rm -f "$(DESTDIR)$(NGINX_MODULES_DIR)/$(NGINX_MODULE_NAME)" "$(DESTDIR)$(NGINX_AVAILABLE_DIR)/mod-http-tokenauth.conf" \
	      "$(DESTDIR)$(NGINX_ENABLED_DIR)/50-mod-http-tokenauth.conf"

test-nginx: $(NGINX_MODULE)
	@mkdir -p $(BUILD)/nginx-test
	$(NGINX_TEST_PY) tests/nginx/test_nginx.py --work $(BUILD)/nginx-test

demo-nginx: $(NGINX_MODULE)
	@mkdir -p $(BUILD)/nginx-test
	$(NGINX_TEST_PY) tests/nginx/demo_nginx.py --work $(BUILD)/nginx-test

bench-nginx: $(NGINX_MODULE)
	@mkdir -p $(BUILD)/nginx-bench
	$(NGINX_TEST_PY) bench/nginx_bench.py --work $(BUILD)/nginx-bench
