"""ctypes declarations of the libtokenauth C ABI (include/tokenauth.h, ABI 1).

Every contract function gets its ``argtypes`` and ``restype`` here, once, so that ctypes checks
and converts each argument instead of guessing. Strings returned through ``char **out`` are declared
as ``c_void_p`` so that the binding keeps the raw pointer and can hand it back to ``ta_free``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import threading
from pathlib import Path
from typing import Any, List, Optional, Tuple

# ------------------------------------------------------------------------------------------------
# Layouts. These mirror the frozen ABI-1 structs of tokenauth.h field for field.

ID_MAX = 64  # TA_ID_MAX
SCOPE_MAX = 64  # TA_SCOPE_MAX
ABI_VERSION = 1  # TA_ABI_VERSION: the major version of the library this binding speaks to
BATCH_MAX = 1000  # TA_BATCH_MAX: the most tokens one ta_token_create_batch call creates


class TaConfig(ctypes.Structure):
    _fields_ = [
        ("token_prefix", ctypes.c_char_p),
        ("default_rate_limit", ctypes.c_uint32),
        ("default_rate_window_ms", ctypes.c_uint32),
        ("usage_flush_ms", ctypes.c_uint32),
        ("busy_timeout_ms", ctypes.c_uint32),
    ]


class TaTokenSpec(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("kind", ctypes.c_int),  # ta_token_kind
        ("scopes", ctypes.c_char_p),
        ("expires_at_ms", ctypes.c_int64),
        ("rate_limit", ctypes.c_uint32),
        ("rate_window_ms", ctypes.c_uint32),
    ]


class TaVerdict(ctypes.Structure):
    _fields_ = [
        ("status", ctypes.c_int),  # ta_status
        ("http_status", ctypes.c_int),
        ("kind", ctypes.c_int),  # ta_token_kind
        ("token_id", ctypes.c_char * ID_MAX),
        ("subject", ctypes.c_char * ID_MAX),
        ("expires_at_ms", ctypes.c_int64),
        ("rate_limit", ctypes.c_uint32),
        ("rate_remaining", ctypes.c_uint32),
        ("rate_reset_ms", ctypes.c_int64),
        ("retry_after_ms", ctypes.c_int64),
        ("missing_scope", ctypes.c_char * SCOPE_MAX),
    ]


# A whole ta_verdict in one struct.unpack_from: the hot path reads it that way rather than field
# by field. Native alignment gives TaVerdict's layout (checked below and against the C compiler
# by the tests).
VERDICT_LAYOUT = struct.Struct(f"@3i{ID_MAX}s{ID_MAX}sq2I2q{SCOPE_MAX}s")
if VERDICT_LAYOUT.size != ctypes.sizeof(TaVerdict):  # pragma: no cover - an exotic ABI
    raise ImportError(f"ta_verdict: {VERDICT_LAYOUT.size} bytes unpacked, {ctypes.sizeof(TaVerdict)} declared")

_store_p = ctypes.c_void_p  # ta_store * (opaque)
_out_str = ctypes.POINTER(ctypes.c_void_p)  # char ** (kept raw, released with ta_free)
_c = ctypes

# name: (restype, argtypes) for every function of include/tokenauth.h.
SIGNATURES = {
    "ta_open": (_c.c_int, [_c.c_char_p, _c.POINTER(TaConfig), _c.POINTER(_store_p)]),
    "ta_flush": (_c.c_int, [_store_p]),
    "ta_close": (None, [_store_p]),
    "ta_set_clock": (None, [_store_p, _c.c_int64]),
    # Added to the contract by the project's header:
    "ta_set_index_limit": (_c.c_int, [_store_p, _c.c_size_t]),
    # 1.1: how a handle's rate limits are shared, and what that policy is doing.
    "ta_set_rate_limit_policy": (_c.c_int, [_store_p, _c.c_int]),  # ta_rate_limit_policy
    "ta_rate_limit_info": (_c.c_int, [_store_p, _out_str]),
    "ta_scope_define": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _c.c_char_p]),
    "ta_scope_list": (_c.c_int, [_store_p, _out_str]),
    "ta_member_put": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p]),
    "ta_member_set_active": (_c.c_int, [_store_p, _c.c_char_p, _c.c_bool]),
    "ta_member_remove": (_c.c_int, [_store_p, _c.c_char_p]),
    "ta_member_list": (_c.c_int, [_store_p, _out_str]),
    "ta_token_create": (
        _c.c_int,
        [_store_p, _c.c_char_p, _c.POINTER(TaTokenSpec), _out_str, _out_str],
    ),
    # Added to the contract by the project's header:
    "ta_token_create_batch": (
        _c.c_int,
        [_store_p, _c.c_char_p, _c.POINTER(TaTokenSpec), _c.c_size_t, _out_str, _out_str],
    ),
    "ta_token_rename": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _c.c_char_p]),
    "ta_token_set_active": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _c.c_bool]),
    "ta_token_revoke": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p]),
    "ta_token_delete": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p]),
    "ta_token_rotate": (
        _c.c_int,
        [_store_p, _c.c_char_p, _c.c_char_p, _c.c_int64, _out_str, _out_str],
    ),
    "ta_token_list": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _out_str]),
    "ta_token_get": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _out_str]),
    # Added to the contract by the project's header: consoles over large stores.
    "ta_token_page": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _c.c_char_p, _out_str]),
    "ta_token_actions": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _out_str]),
    "ta_actor_rights": (_c.c_int, [_store_p, _c.c_char_p, _out_str]),
    "ta_member_list_for": (_c.c_int, [_store_p, _c.c_char_p, _out_str]),
    "ta_verify": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _c.POINTER(TaVerdict)]),
    "ta_verify_n": (
        _c.c_int,
        [_store_p, _c.c_char_p, _c.c_size_t, _c.c_char_p, _c.POINTER(TaVerdict)],
    ),
    # 1.1: resource-scoped grants (SCOPE@PATTERN).
    "ta_verify_resource": (
        _c.c_int,
        [_store_p, _c.c_char_p, _c.c_char_p, _c.c_char_p, _c.POINTER(TaVerdict)],
    ),
    "ta_verify_resource_n": (
        _c.c_int,
        [_store_p, _c.c_char_p, _c.c_size_t, _c.c_char_p, _c.c_char_p, _c.POINTER(TaVerdict)],
    ),
    "ta_check_verify_input": (_c.c_int, [_c.c_char_p, _c.c_char_p]),
    "ta_record_usage": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _c.c_int]),
    "ta_token_rate_limit": (_c.c_int, [_store_p, _c.c_char_p, _c.POINTER(_c.c_uint32), _c.POINTER(_c.c_uint32)]),
    "ta_token_stats": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _c.c_int64, _out_str]),
    "ta_audit": (_c.c_int, [_store_p, _c.c_char_p, _c.c_char_p, _out_str]),
    "ta_report": (_c.c_int, [_store_p, _c.c_char_p, _c.c_int64, _out_str]),
    "ta_status_name": (_c.c_char_p, [_c.c_int]),
    "ta_status_http": (_c.c_int, [_c.c_int]),
    "ta_error_json": (_c.c_char_p, [_c.c_int]),
    "ta_last_error": (_c.c_char_p, []),
    "ta_version": (_c.c_char_p, []),
    "ta_free": (None, [_c.c_void_p]),
}


class LibraryNotFoundError(OSError):
    """libtokenauth could not be loaded from any of the places the binding looks in."""

    def __init__(self, tried: List[str]) -> None:
        self.tried = list(tried)
        lines = "\n  ".join(tried) if tried else "(nowhere)"
        super().__init__(
            "libtokenauth could not be loaded. Places tried, in order:\n  "
            + lines
            + "\nInstall the tokenauth wheel (it bundles the library), set TOKENAUTH_LIBRARY to the "
            "path of libtokenauth.so.1, or install the library where the system loader finds it "
            "(make install PREFIX=/usr/local, then ldconfig)."
        )


_PACKAGE_DIR = Path(__file__).resolve().parent
_SONAMES = ("libtokenauth.so.1", "libtokenauth.so", "libtokenauth.dylib", "tokenauth.dll")

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_loaded_from: Optional[str] = None


def _candidates() -> List[Tuple[str, Optional[str]]]:
    """(description, path-or-name) in lookup order.

    1. ``TOKENAUTH_LIBRARY``: an explicit choice (a build under test, a patched copy) beats
       everything, and one that does not load is an error, never a silent fallback.
    2. The package folder: the copy a wheel bundles, so that ``pip install`` is all it takes.
    3. The system loader: a library installed with ``make install`` (a pure, library-less install
       of this package).
    """
    out: List[Tuple[str, Optional[str]]] = []
    env = os.environ.get("TOKENAUTH_LIBRARY")
    if env:
        out.append(("TOKENAUTH_LIBRARY", env))
    else:
        out.append(("TOKENAUTH_LIBRARY", None))
    for name in _SONAMES:
        out.append(("package folder", str(_PACKAGE_DIR / name)))
    found = ctypes.util.find_library("tokenauth")
    if found:
        out.append(("system loader (ctypes.util.find_library)", found))
    else:
        out.append(("system loader (ctypes.util.find_library('tokenauth'))", None))
    out.append(("system loader", "libtokenauth.so.1"))
    return out


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in SIGNATURES.items():
        fn = getattr(lib, name)  # AttributeError names a missing export
        fn.restype = restype
        fn.argtypes = argtypes


def load() -> ctypes.CDLL:
    """Loads libtokenauth once (thread-safe) and returns it with every signature declared."""
    global _lib, _loaded_from
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is not None:
            return _lib
        tried: List[str] = []
        for where, target in _candidates():
            if target is None:
                tried.append(f"{where}: not set" if where == "TOKENAUTH_LIBRARY" else f"{where}: nothing found")
                continue
            if where == "package folder" and not os.path.exists(target):
                tried.append(f"{where}: {target} (absent)")
                continue
            problem = None
            try:
                lib = ctypes.CDLL(target)
                _declare(lib)
                version = (lib.ta_version() or b"").decode("ascii", "replace")
                if version.split(".")[0] != str(ABI_VERSION):
                    problem = f"version {version!r}; this binding needs {ABI_VERSION}.x"
            except OSError as exc:
                problem = str(exc)
            except AttributeError as exc:  # a library without every contract function
                problem = f"not libtokenauth ABI {ABI_VERSION}: {exc}"
            if problem is None:
                _lib, _loaded_from = lib, target
                return lib
            tried.append(f"{where}: {target} ({problem})")
            if where == "TOKENAUTH_LIBRARY":
                # An explicit choice that does not work is an error, never a silent fallback
                # to some other copy of the library.
                break
        raise LibraryNotFoundError(tried)


def holding_gil(name: str) -> Any:
    """The contract function ``name`` called without releasing the GIL (through ``ctypes.PyDLL``,
    over the library :func:`load` loaded), for short calls that a background thread makes many in
    a row. Each ordinary ctypes call releases the GIL and must take it back: while the request
    thread runs, the background thread then waits for the GIL, receives it at the request thread's
    next library call, and the request thread pays a wake-up and a wait at every request."""
    load()
    assert _loaded_from is not None
    fn = getattr(ctypes.PyDLL(_loaded_from), name)
    fn.restype, fn.argtypes = SIGNATURES[name]
    return fn


def loaded_from() -> Optional[str]:
    """Where the library was loaded from, once it has been."""
    return _loaded_from


def take_string(ptr: ctypes.c_void_p) -> Optional[str]:
    """Copies a library-owned ``char *`` into a str and releases it with ta_free."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        load().ta_free(ptr.value)

