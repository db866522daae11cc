"""The installed wheel is self-contained (make test-python sets TOKENAUTH_TEST_WHEEL=1 after
installing dist/tokenauth-*.whl into a fresh venv)."""

from __future__ import annotations

import ctypes.util
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tokenauth

from conftest import REPO

pytestmark = pytest.mark.skipif(
    os.environ.get("TOKENAUTH_TEST_WHEEL") != "1", reason="only against an installed wheel (make test-python)"
)

PACKAGE = Path(tokenauth.__file__).resolve().parent
# What libtokenauth.so.1 may need at run time: the Swift runtime is linked in.
ALLOWED_NEEDED = {"libsqlite3.so.0", "libcrypto.so.3", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1",
                  "libc.so.6", "ld-linux-x86-64.so.2"}


def header_version() -> str:
    text = (REPO / "include" / "tokenauth.h").read_text()
    return ".".join(re.search(rf"#define TA_VERSION_{p} (\d+)", text).group(1) for p in ("MAJOR", "MINOR", "PATCH"))


def test_the_package_and_the_library_come_from_the_venv() -> None:
    assert PACKAGE.is_relative_to(Path(sys.prefix).resolve())
    assert tokenauth.library_path() == str(PACKAGE / "libtokenauth.so.1")


def test_no_other_copy_of_the_library_is_reachable() -> None:
    assert "TOKENAUTH_LIBRARY" not in os.environ and "LD_LIBRARY_PATH" not in os.environ
    assert ctypes.util.find_library("tokenauth") is None
    # A process that has not loaded the bundled copy cannot load the library by its soname: it
    # is nowhere the system loader looks (as after `make uninstall`).
    probe = subprocess.run([sys.executable, "-c", "import ctypes; ctypes.CDLL('libtokenauth.so.1')"],
                           capture_output=True, text=True)
    assert probe.returncode != 0, "a libtokenauth.so.1 is installed system-wide: make uninstall PREFIX=... first"
    assert "libtokenauth.so.1" in probe.stderr
    with open("/proc/self/maps") as maps:
        mapped = {line.split()[-1] for line in maps if "libtokenauth" in line}
    assert mapped == {str(PACKAGE / "libtokenauth.so.1")}


def test_one_version_from_the_header_to_the_library() -> None:
    version = header_version()
    assert tokenauth.__version__ == version
    assert importlib.metadata.version("tokenauth") == version
    assert tokenauth.version() == version  # ta_version() of the bundled copy


def test_the_wheel_is_manylinux_and_needs_only_system_libraries() -> None:
    [wheel] = (REPO / "dist").glob(f"tokenauth-{tokenauth.__version__}-*.whl")
    assert re.fullmatch(r"tokenauth-[\d.]+-py3-none-manylinux_\d+_\d+_x86_64\.whl", wheel.name)
    wheel_info = importlib.metadata.distribution("tokenauth").read_text("WHEEL")
    assert "Root-Is-Purelib: false" in wheel_info and "Tag: py3-none-manylinux_" in wheel_info
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("readelf (binutils) not installed")
    dynamic = subprocess.run([readelf, "-d", str(PACKAGE / "libtokenauth.so.1")], check=True,
                             capture_output=True, text=True).stdout
    needed = set(re.findall(r"\(NEEDED\).*\[(.+)\]", dynamic))
    assert {"libsqlite3.so.0", "libcrypto.so.3"} <= needed <= ALLOWED_NEEDED
    assert "(SONAME)" in dynamic and "[libtokenauth.so.1]" in dynamic
    # Nothing vendored: at most the toolchain's $ORIGIN, the package folder, which holds only it.
    assert set(re.findall(r"\((?:RPATH|RUNPATH)\).*\[(.*)\]", dynamic)) <= {"$ORIGIN"}
    assert not (PACKAGE.parent / "tokenauth.libs").exists()
