"""The typed result of a verification."""

from __future__ import annotations

import math
from typing import Dict, NamedTuple, Optional, Union

from . import _errors, _native
from ._errors import Status, TokenKind


_STATUSES: Dict[int, Status] = {int(s): s for s in Status}
_KINDS: Dict[int, TokenKind] = {int(k): k for k in TokenKind}
# Read on every request (Verdict.ok, Store.verify): a module global is looked up several times
# faster than an enum member through its class.
_OK = Status.OK
_EMPTY_FIELD = b"\0"
# Verdicts already decoded, by the bytes of their ta_verdict: a token that passes answers the same
# bytes on every request (unless rate limited), and a lookup costs a gateway less than decoding
# them again between two requests, when the CPU caches are cold. Verdicts are immutable, so one
# may be handed to any number of requests. Bounded: emptied when full.
_DECODED: Dict[bytes, "Verdict"] = {}
_DECODED_MAX = 2048


def _text(field: bytes) -> str:
    """A NUL-padded ``char[]`` field as text ("" without a decode for an empty one)."""
    if field[:1] == _EMPTY_FIELD:
        return ""
    return field.partition(b"\0")[0].decode("utf-8", "replace")


class Verdict(NamedTuple):
    """What ``ta_verify`` decided, copied out of ``ta_verdict``: immutable, its fields by name.

    A verdict is returned for every verification outcome; :attr:`ok` tells success, and
    :meth:`raise_for_status` turns a denial into its exception. Two verdicts are equal when every
    field but :attr:`message` is. (A named tuple, built in one step: a class whose instances
    carry a dictionary costs a gateway several microseconds more per request. Being immutable,
    one verdict is shared by the requests whose ``ta_verdict`` bytes are the same.)
    """

    status: Union[Status, int]
    http_status: int
    kind: Optional[TokenKind]  # None when the token is not known
    token_id: str  # "" when the token is not known
    subject: str  # owner's member id, or the token id of a service token; "" when unknown
    expires_at_ms: int  # 0 = never
    rate_limit: int  # per window; 0 = unlimited
    rate_remaining: int
    rate_reset_ms: int
    retry_after_ms: int  # > 0 only with RATE_LIMITED
    missing_scope: str  # with FORBIDDEN: the first required scope not held
    message: str = ""  # ta_last_error() after a denial; not compared

    @classmethod
    def _from_c(cls, v: _native.TaVerdict, message: str = "") -> "Verdict":
        """Copies a ``ta_verdict``: the verdict decoded from the same bytes before, when there is
        one and no message (see ``_DECODED``)."""
        if message:
            return cls._decode(v, message)
        raw = bytes(v)
        verdict = _DECODED.get(raw)
        if verdict is None:
            if len(_DECODED) >= _DECODED_MAX:
                _DECODED.clear()
            verdict = _DECODED[raw] = cls._decode(raw, "")
        return verdict

    @classmethod
    def _decode(cls, v: Union[_native.TaVerdict, bytes], message: str) -> "Verdict":
        """Decodes a ``ta_verdict``: one unpack instead of a ctypes access per field, the text
        fields decoded only when not empty (a service token's subject is its id)."""
        status, http, kind, token_id, subject, expires, limit, remaining, reset, retry, missing = (
            _native.VERDICT_LAYOUT.unpack_from(v)
        )
        token_text = _text(token_id)
        return _new_verdict(cls, (
            _STATUSES.get(status, status), http, _KINDS.get(kind), token_text,
            token_text if subject == token_id else _text(subject),
            expires, limit, remaining, reset, retry, _text(missing), message,
        ))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return self[:-1] == other[:-1]

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self[:-1])

    @property
    def ok(self) -> bool:
        return self.status == _OK

    def __bool__(self) -> bool:
        return self.ok

    @property
    def name(self) -> str:
        """The library's name for the status (``ta_status_name``)."""
        return _errors.status_name(self.status)

    @property
    def error_json(self) -> Optional[str]:
        """The JSON error body for a denial (``ta_error_json``); None when OK."""
        return _errors.error_json(self.status)

    @property
    def retry_after(self) -> int:
        """Whole seconds for a ``Retry-After`` header (rounded up); 0 unless rate limited."""
        return math.ceil(self.retry_after_ms / 1000) if self.retry_after_ms > 0 else 0

    def rate_limit_headers(self, window_ms: Optional[int] = None) -> Dict[str, str]:
        """IETF ``RateLimit``/``RateLimit-Policy`` (and ``Retry-After``) headers for a response.

        ``window_ms`` is the token's window (``get_token(id)["rate_limit"]["window_ms"]``);
        without it only ``RateLimit`` is produced. Empty for an unlimited or unknown token.
        """
        headers: Dict[str, str] = {}
        if self.rate_limit <= 0:
            return headers
        if window_ms:
            headers["RateLimit-Policy"] = (
                f'"default";q={self.rate_limit};w={math.ceil(window_ms / 1000)}'
            )
        headers["RateLimit"] = (
            f'"default";r={self.rate_remaining};t={math.ceil(max(self.rate_reset_ms, 0) / 1000)}'
        )
        if self.retry_after_ms > 0:
            headers["Retry-After"] = str(self.retry_after)
        return headers

    def error(self) -> Optional[_errors.TokenAuthError]:
        """The exception for this verdict, or None when OK."""
        if self.ok:
            return None
        return _errors.exception_for(self.status, self._message(), self)

    def raise_for_status(self) -> "Verdict":
        """Raises the denial's exception; returns the verdict itself when OK."""
        err = self.error()
        if err is not None:
            raise err
        return self

    def _message(self) -> str:
        if self.message:
            return self.message
        if self.status == Status.FORBIDDEN and self.missing_scope:
            return f"missing scope {self.missing_scope}"
        if self.status == Status.RATE_LIMITED:
            return f"retry after {self.retry_after_ms} ms"
        return ""


_new_verdict = tuple.__new__

