"""Checking a gateway's fixed configuration when it loads, as each request would be judged."""

from __future__ import annotations

from typing import Optional

from . import _native
from ._store import Words, _check, _text, _words


def check_verify_input(scopes: Optional[Words] = None, resource: Optional[str] = None) -> None:
    """``ta_check_verify_input``: raises :class:`~tokenauth.InvalidArgument` when ``scopes`` is not
    a list of scope names or ``resource`` is not a resource name, exactly as a verification would
    refuse them, without a store (it does not ask whether the scopes are in a catalog). None or
    empty checks nothing. Call it at start-up on fixed values, so that a route every request
    would refuse fails once, when the application loads."""
    _check(_native.load().ta_check_verify_input(_words(scopes, "scopes"), _text(resource, "resource")))
