# Python binding (bindings/python): pip-installs the package into a private venv under build/ and
# runs its pytest suite (with hypothesis and the Flask middleware example) against build/lib.
#
#   make test-python     venv, pip install ./bindings/python, pytest
#
# The venv sees the system's site-packages (pytest, hypothesis and Flask are used from there when
# present) and installs whatever is missing from PyPI. The package is reinstalled on every run,
# so the tests always exercise the current sources as installed, not the source tree.

PYTHON ?= python3
PY_VENV := $(BUILD)/py-venv
PY := $(PY_VENV)/bin/python
PY_TEST_LIBRARY := $(CURDIR)/$(BUILD_LIB)/libtokenauth.so
PIP_QUIET := --quiet --disable-pip-version-check

DEB_PACKAGES += python3-venv
TEST_TARGETS += test-python
.PHONY: deps-python test-python

# A Debian python3 needs python3-venv for `-m venv`; another Python (pyenv, …) brings its own.
deps-python:
	@if ! $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1; then \
	    echo "deps-python: installing python3-venv"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
	fi

$(PY): | deps-python
	$(PYTHON) -m venv --system-site-packages $(PY_VENV)

test-python: lib $(PY)
	$(PY) -m pip install $(PIP_QUIET) --force-reinstall --no-deps ./bindings/python
	@rm -rf bindings/python/build bindings/python/src/tokenauth.egg-info  # pip's in-tree build leftovers
	@$(PY) -c 'import pytest, hypothesis, flask' >/dev/null 2>&1 || \
	    $(PY) -m pip install $(PIP_QUIET) 'pytest>=7' 'hypothesis>=6' 'flask>=2'
	cd bindings/python && TOKENAUTH_LIBRARY=$(PY_TEST_LIBRARY) $(abspath $(PY)) -m pytest -p no:cacheprovider tests
