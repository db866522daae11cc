"""Build script of the ``tokenauth`` package: what pyproject.toml cannot say statically.

- The version has one source, ``TA_VERSION_MAJOR/MINOR/PATCH`` in ``include/tokenauth.h``: it becomes
  the distribution's version and ``tokenauth/_version.py`` in the built package.
- ``TOKENAUTH_BUNDLE_LIBRARY=/path/to/libtokenauth.so.1`` copies that library into the package as
  ``tokenauth/libtokenauth.so.1`` (``make wheel`` sets it). The wheel is then platform-specific
  (``py3-none-<platform>``: any Python 3, no extension module, this machine's platform tag, which
  ``auditwheel repair`` turns into a manylinux tag). Without it the wheel is pure Python and
  finds the library through ``TOKENAUTH_LIBRARY`` or the system loader.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# The repository's header (bindings/python/../../include), or the copy an sdist carries.
HEADERS = (HERE.parent.parent / "include" / "tokenauth.h", HERE / "include" / "tokenauth.h")
BUNDLED_NAME = "libtokenauth.so.1"


def header_version() -> str:
    """MAJOR.MINOR.PATCH from the first tokenauth.h found."""
    for header in HEADERS:
        if header.is_file():
            text = header.read_text(encoding="utf-8")
            parts = [re.search(rf"^\s*#\s*define\s+TA_VERSION_{p}\s+(\d+)", text, re.M) for p in ("MAJOR", "MINOR", "PATCH")]
            if all(parts):
                return ".".join(m.group(1) for m in parts if m)
            raise SystemExit(f"setup.py: no TA_VERSION_MAJOR/MINOR/PATCH in {header}")
    raise SystemExit("setup.py: include/tokenauth.h not found in " + ", ".join(map(str, HEADERS)))


def bundled_library() -> Path | None:
    """The library to put into the package, from TOKENAUTH_BUNDLE_LIBRARY (None: a pure wheel)."""
    value = os.environ.get("TOKENAUTH_BUNDLE_LIBRARY")
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise SystemExit(f"setup.py: TOKENAUTH_BUNDLE_LIBRARY={value}: no such file")
    return path


VERSION = header_version()
LIBRARY = bundled_library()


class BuildPackage(build_py):
    """build_py, plus ``_version.py`` and the bundled library in the built package."""

    def run(self) -> None:
        super().run()
        package = Path(self.build_lib) / "tokenauth"
        (package / "_version.py").write_text(
            f'"""Written by setup.py from include/tokenauth.h."""\n\n__version__ = "{VERSION}"\n',
            encoding="utf-8",
        )
        if LIBRARY is not None:
            target = package / BUNDLED_NAME
            shutil.copyfile(LIBRARY, target)
            target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


class PackageWithLibrary(Distribution):
    """A bundled library makes the package platform-specific: installed into platlib, and the
    wheel's root is not pure."""

    def has_ext_modules(self) -> bool:
        return LIBRARY is not None


class PlatformWheel(bdist_wheel):
    """With a bundled library: any Python 3, no ABI, this platform (``py3-none-linux_x86_64``)."""

    def get_tag(self) -> tuple:
        python, abi, platform = super().get_tag()
        return ("py3", "none", platform) if LIBRARY is not None else (python, abi, platform)


setup(
    version=VERSION,
    distclass=PackageWithLibrary,
    cmdclass={"build_py": BuildPackage, "bdist_wheel": PlatformWheel},
)
