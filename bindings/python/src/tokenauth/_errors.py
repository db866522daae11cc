"""Statuses and exceptions. Names, HTTP statuses and JSON bodies are asked of the library."""

from __future__ import annotations

import enum
import json
from typing import TYPE_CHECKING, Any, Dict, Optional, Type, Union

from . import _native

if TYPE_CHECKING:  # pragma: no cover
    from ._verdict import Verdict


class Status(enum.IntEnum):
    """``ta_status``. The numbers are the ABI; the names shown to people come from the library."""

    OK = 0
    MALFORMED = 1
    UNKNOWN_TOKEN = 2
    REVOKED = 3
    EXPIRED = 4
    INACTIVE = 5
    OWNER_INACTIVE = 6
    FORBIDDEN = 7
    RATE_LIMITED = 8
    NOT_FOUND = 20
    PERMISSION_DENIED = 21
    CONFLICT = 22
    UNKNOWN_SCOPE = 23
    INVALID_ARGUMENT = 24
    STORAGE_ERROR = 40
    INTERNAL_ERROR = 41

    @property
    def c_name(self) -> str:
        """The library's name for this status, e.g. ``"TA_FORBIDDEN"`` (``ta_status_name``)."""
        return status_name(self)

    @property
    def http(self) -> int:
        """The HTTP status the library maps this status to (``ta_status_http``)."""
        return status_http(self)


class TokenKind(enum.IntEnum):
    """``ta_token_kind``."""

    PERSONAL = 1
    SERVICE = 2


StatusLike = Union[Status, int]


def status_name(status: StatusLike) -> str:
    """``ta_status_name``: the status's C name; the library's placeholder for unknown values."""
    raw = _native.load().ta_status_name(int(status))
    return raw.decode("utf-8", "replace") if raw else ""


def status_http(status: StatusLike) -> int:
    """``ta_status_http``."""
    return int(_native.load().ta_status_http(int(status)))


def error_json(status: StatusLike) -> Optional[str]:
    """``ta_error_json``: the library's static JSON error body, or None for OK."""
    raw = _native.load().ta_error_json(int(status))
    return raw.decode("utf-8") if raw is not None else None


def last_error() -> str:
    """``ta_last_error``: detail of this thread's last failed call (``""`` if none)."""
    raw = _native.load().ta_last_error()
    return raw.decode("utf-8", "replace") if raw else ""


class TokenAuthError(Exception):
    """A call into libtokenauth that did not return TA_OK.

    ``status`` is the :class:`Status` (or a plain int for a status newer than this binding),
    ``name`` and ``http_status`` are what the library says about it, ``message`` is
    ``ta_last_error()`` taken right after the failing call (never a secret). ``verdict`` is set
    when the error comes from a verification.
    """

    status: StatusLike
    http_status: int
    message: str
    verdict: Optional["Verdict"]

    def __init__(
        self,
        status: StatusLike,
        http_status: Optional[int] = None,
        message: str = "",
        verdict: Optional["Verdict"] = None,
    ) -> None:
        try:
            self.status = Status(int(status))
        except ValueError:
            self.status = int(status)
        self.http_status = status_http(status) if http_status is None else int(http_status)
        self.message = message
        self.verdict = verdict
        super().__init__(f"{self.name}: {message}" if message else self.name)

    @property
    def name(self) -> str:
        """The library's name for the status, e.g. ``"TA_FORBIDDEN"``."""
        return status_name(self.status)

    @property
    def error_json(self) -> Optional[str]:
        """The JSON body a gateway answers with (``ta_error_json``)."""
        return error_json(self.status)

    def error_body(self) -> Dict[str, Any]:
        """:attr:`error_json`, parsed."""
        body = self.error_json
        return json.loads(body) if body else {}


class Malformed(TokenAuthError):
    """TA_MALFORMED: not a token of this store's format, or a bad Authorization value."""


class UnknownToken(TokenAuthError):
    """TA_UNKNOWN_TOKEN: well-formed but never issued here, or deleted."""


class Revoked(TokenAuthError):
    """TA_REVOKED."""


class Expired(TokenAuthError):
    """TA_EXPIRED."""


class Inactive(TokenAuthError):
    """TA_INACTIVE: the token is deactivated."""


class OwnerInactive(TokenAuthError):
    """TA_OWNER_INACTIVE: a personal token whose owner is deactivated."""


class Forbidden(TokenAuthError):
    """TA_FORBIDDEN: the token lacks a required scope (:attr:`missing_scope`)."""

    @property
    def missing_scope(self) -> str:
        return self.verdict.missing_scope if self.verdict is not None else ""


class RateLimited(TokenAuthError):
    """TA_RATE_LIMITED: over the token's rate limit; retry after :attr:`retry_after` seconds."""

    @property
    def retry_after_ms(self) -> int:
        return self.verdict.retry_after_ms if self.verdict is not None else 0

    @property
    def retry_after(self) -> float:
        """Seconds until one request is allowed again."""
        return self.retry_after_ms / 1000.0


class NotFound(TokenAuthError):
    """TA_NOT_FOUND: no such token or member, or one the actor may not see."""


class PermissionDenied(TokenAuthError):
    """TA_PERMISSION_DENIED: refused by IAM."""


class Conflict(TokenAuthError):
    """TA_CONFLICT: the state forbids it."""


class UnknownScope(TokenAuthError):
    """TA_UNKNOWN_SCOPE: a scope not in the catalog."""


class InvalidArgument(TokenAuthError, ValueError):
    """TA_INVALID_ARGUMENT: NULL, bad UTF-8, too long, bad syntax, past expiry, …"""


class StoreClosed(InvalidArgument):
    """The :class:`~tokenauth.Store` was closed; the C library would see a NULL store."""


class StorageError(TokenAuthError):
    """TA_STORAGE_ERROR: the database could not be read or written."""


class UnsafeAfterFork(StorageError):
    """This process was forked while a store was open in its parent: the library cannot be used
    here (see ``tokenauth._process``); the store must be opened after the fork."""


class InternalError(TokenAuthError):
    """TA_INTERNAL_ERROR: a bug in the library."""


EXCEPTIONS: Dict[Status, Type[TokenAuthError]] = {
    Status.MALFORMED: Malformed,
    Status.UNKNOWN_TOKEN: UnknownToken,
    Status.REVOKED: Revoked,
    Status.EXPIRED: Expired,
    Status.INACTIVE: Inactive,
    Status.OWNER_INACTIVE: OwnerInactive,
    Status.FORBIDDEN: Forbidden,
    Status.RATE_LIMITED: RateLimited,
    Status.NOT_FOUND: NotFound,
    Status.PERMISSION_DENIED: PermissionDenied,
    Status.CONFLICT: Conflict,
    Status.UNKNOWN_SCOPE: UnknownScope,
    Status.INVALID_ARGUMENT: InvalidArgument,
    Status.STORAGE_ERROR: StorageError,
    Status.INTERNAL_ERROR: InternalError,
}


def exception_for(
    status: StatusLike, message: str = "", verdict: Optional["Verdict"] = None
) -> TokenAuthError:
    """The exception for a failing status (the base class for a status this binding predates)."""
    try:
        cls = EXCEPTIONS.get(Status(int(status)), TokenAuthError)
    except ValueError:
        cls = TokenAuthError
    return cls(status, None, message, verdict)
