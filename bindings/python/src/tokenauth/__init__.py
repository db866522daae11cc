"""Python binding of libtokenauth: issue, verify and manage API access tokens.

    >>> import tokenauth
    >>> with tokenauth.Store.open(":memory:") as store:
    ...     store.put_member("alice", "tickets:read ManagePersonalAccessTokens")
    ...     secret, token_id = store.create_token("ci", "tickets:read", actor="alice")
    ...     store.verify("Bearer " + secret, "tickets:read").ok
    True

The library is found through ``TOKENAUTH_LIBRARY`` (a path; an explicit choice that does not load
is an error), then this package's own copy (``libtokenauth.so.1``, bundled by the wheel), then the
system loader. Status names, HTTP statuses and JSON error bodies are asked of the library
(``ta_status_name``, ``ta_status_http``, ``ta_error_json``). Framework integrations live in
``tokenauth.contrib`` (Django REST framework, FastAPI, Flask); awaitable wrappers in ``tokenauth.aio``.
"""

from __future__ import annotations

from . import _native
from ._errors import (
    Conflict,
    Expired,
    Forbidden,
    Inactive,
    InternalError,
    InvalidArgument,
    Malformed,
    NotFound,
    OwnerInactive,
    PermissionDenied,
    RateLimited,
    Revoked,
    Status,
    StorageError,
    StoreClosed,
    TokenAuthError,
    TokenKind,
    UnknownScope,
    UnknownToken,
    UnsafeAfterFork,
    error_json,
    exception_for,
    last_error,
    status_http,
    status_name,
)
from ._native import BATCH_MAX, LibraryNotFoundError
from ._ratelimit import RateLimitPolicy, TokenRateLimit
from ._store import IssuedToken, Store, TokenSpec
from ._verdict import Verdict
from ._verify_input import check_verify_input

try:
    # Written by setup.py from include/tokenauth.h: the version of the library this package was
    # built with (and bundles, in a wheel). The loaded library's own is version().
    from ._version import __version__
except ImportError:  # a source checkout used without building: no version of its own
    __version__ = "0+unbuilt"

IAM_ACTIONS = ("ListAccessTokens", "ManagePersonalAccessTokens", "ManageServiceAccessTokens")


def version() -> str:
    """``ta_version``: the loaded library's "MAJOR.MINOR.PATCH"."""
    return str(_native.load().ta_version().decode("ascii"))


def library_path() -> str:
    """Where libtokenauth was loaded from (loading it if needed)."""
    _native.load()
    return _native.loaded_from() or ""


__all__ = [
    "BATCH_MAX",
    "Conflict",
    "Expired",
    "Forbidden",
    "IAM_ACTIONS",
    "Inactive",
    "InternalError",
    "InvalidArgument",
    "IssuedToken",
    "LibraryNotFoundError",
    "Malformed",
    "NotFound",
    "OwnerInactive",
    "PermissionDenied",
    "RateLimitPolicy",
    "RateLimited",
    "Revoked",
    "Status",
    "StorageError",
    "Store",
    "StoreClosed",
    "TokenAuthError",
    "TokenKind",
    "TokenRateLimit",
    "TokenSpec",
    "UnknownScope",
    "UnknownToken",
    "UnsafeAfterFork",
    "Verdict",
    "check_verify_input",
    "error_json",
    "exception_for",
    "last_error",
    "library_path",
    "status_http",
    "status_name",
    "version",
]
