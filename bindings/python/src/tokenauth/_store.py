"""``Store``: one open libtokenauth database (``ta_store *``)."""

from __future__ import annotations

import ctypes
import enum
import functools
import json
import os
import threading
from collections import deque
from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Tuple, Type, Union, cast

from . import _native, _process
from ._errors import (
    InvalidArgument,
    Status,
    StoreClosed,
    TokenKind,
    exception_for,
    last_error,
)
from ._ratelimit import RateLimitPolicy, TokenRateLimit
from ._verdict import _OK, Verdict

Text = Union[str, bytes]
_TextLike = Union[str, bytes, bytearray, memoryview]
Words = Union[str, bytes, Iterable[str]]
Query = Union[str, bytes, Mapping[str, Any], None]
Credential = Union[str, bytes, bytearray, memoryview]

_INT64 = (-(2**63), 2**63 - 1)
_UINT32 = (0, 2**32 - 1)


class IssuedToken(NamedTuple):
    """A new token: ``secret, token_id = store.create_token(...)``.

    The secret is available only now; the store keeps a hash. ``repr`` never shows it whole.
    """

    secret: str
    id: str

    @property
    def hint(self) -> str:
        """The token's public hint, as ``get_token()["hint"]``: prefix, kind letter, ``_`` and 4
        characters. Safe to log."""
        cut = self.secret.find("_")
        return self.secret[: cut + 5] if cut > 0 else ""

    def __repr__(self) -> str:
        return f"IssuedToken(secret='{self.hint}…', id={self.id!r})"


class TokenSpec(NamedTuple):
    """One token for :meth:`Store.create_tokens`: the arguments of :meth:`Store.create_token`."""

    name: Text
    scopes: Words
    kind: Union[TokenKind, str, int] = TokenKind.PERSONAL
    expires_at_ms: int = 0
    rate_limit: int = 0
    rate_window_ms: int = 0


# ----------------------------------------------------------------------------- argument helpers


def _text(value: Optional[_TextLike], what: str) -> Optional[bytes]:
    """A NUL-terminated argument. None stays NULL (the library answers TA_INVALID_ARGUMENT where a
    value is required). A str is encoded as UTF-8 with lone surrogates passed through, so that the
    library, not the binding, rejects what is not valid UTF-8. An embedded NUL cannot cross a
    NUL-terminated parameter, so it is refused here rather than silently truncated."""
    if value is None:
        return None
    if isinstance(value, str):
        raw = value.encode("utf-8", "surrogatepass")
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    else:
        raise TypeError(f"{what} must be str or bytes, not {type(value).__name__}")
    if b"\0" in raw:
        raise InvalidArgument(Status.INVALID_ARGUMENT, None, f"{what} contains a NUL byte")
    return raw


def _credential(value: Credential) -> bytes:
    """A credential as the bytes the library judges (a str as UTF-8, lone surrogates kept)."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"credential must be str or bytes, not {type(value).__name__}")


def _words(value: Optional[Words], what: str) -> Optional[bytes]:
    """A space-separated list: a str/bytes as given, or an iterable of words joined by spaces."""
    if value is None or isinstance(value, (str, bytes, bytearray, memoryview)):
        return _text(value, what)
    if isinstance(value, (list, tuple)):
        try:
            return _joined_words(tuple(value), what)
        except TypeError:  # a word that cannot be hashed: checked below, as any other iterable
            pass
    return _joined_words.__wrapped__(value, what)


@functools.lru_cache(maxsize=1024)
def _joined_words(value: Iterable[str], what: str) -> Optional[bytes]:
    """An iterable of words as one space-separated argument. Cached for tuples: a route passes the
    same list of scopes on every request, and joining and checking it again cost more than the
    verification's own Python glue (a failed check raises, so nothing wrong is cached)."""
    words = list(value)
    for w in words:
        if not isinstance(w, str):
            raise TypeError(f"{what} must hold str, not {type(w).__name__}")
    return _text(" ".join(words), what)


def _query(value: Query, what: str) -> Optional[bytes]:
    """A filter query: a string as the library takes it, or a mapping {"kind": "service", …}."""
    if value is None or isinstance(value, (str, bytes, bytearray, memoryview)):
        return _text(value, what)
    parts = []
    for key, val in value.items():
        k, v = str(key), str(val)
        if not k or any(c.isspace() for c in k + v) or "=" in k:
            raise InvalidArgument(
                Status.INVALID_ARGUMENT, None, f"{what}: bad filter {k!r}={v!r}"
            )
        parts.append(f"{k}={v}")
    return _text(" ".join(parts), what)


def _int(value: int, what: str, bounds: Tuple[int, int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be int, not {type(value).__name__}")
    lo, hi = bounds
    if not lo <= value <= hi:
        raise InvalidArgument(Status.INVALID_ARGUMENT, None, f"{what} out of range: {value}")
    return value


def _path(path: Union[str, bytes, "os.PathLike[str]"]) -> bytes:
    if isinstance(path, (bytes, bytearray, memoryview)):
        raw = bytes(path)
    else:
        p = os.fspath(path)
        try:
            raw = os.fsencode(p)
        except UnicodeEncodeError:  # lone surrogates: let the library judge the bytes
            raw = p.encode("utf-8", "surrogatepass") if isinstance(p, str) else p
    checked = _text(raw, "path")
    assert checked is not None
    return checked


def _enum_arg(cls: Type[enum.IntEnum], value: Union[enum.IntEnum, str, int], what: str) -> int:
    """The C value of an enum argument given as the enum, its member's name in any case
    (``"service"``, ``"per_handle"``) or an int; any other int goes to the library, which decides."""
    if isinstance(value, str):
        try:
            return int(cls[value.upper()])
        except KeyError:
            names = " or ".join(repr(member.name.lower()) for member in cls)
            raise InvalidArgument(
                Status.INVALID_ARGUMENT, None, f"{what} must be {names}: {value!r}"
            ) from None
    return _int(int(value), what, (-(2**31), 2**31 - 1))


def _spec(spec: TokenSpec) -> _native.TaTokenSpec:
    """A ``ta_token_spec``; it keeps its strings alive for as long as it lives."""
    return _native.TaTokenSpec(
        _text(spec.name, "name"),
        _enum_arg(TokenKind, spec.kind, "kind"),
        _words(spec.scopes, "scopes"),
        _int(spec.expires_at_ms, "expires_at_ms", _INT64),
        _int(spec.rate_limit, "rate_limit", _UINT32),
        _int(spec.rate_window_ms, "rate_window_ms", _UINT32),
    )


def _check(status: int) -> None:
    """Raises the exception for a failing status, with ta_last_error() read at once."""
    if status != Status.OK:
        raise exception_for(status, last_error())


def _json(out: ctypes.c_void_p) -> Any:
    text = _native.take_string(out)
    return json.loads(text) if text is not None else None


# ----------------------------------------------------------------------------- the store


class Store:
    """One open token database.

    Use it as a context manager, or call :meth:`close`; it is closed exactly once (a second close is
    a no-op, and a garbage-collected store closes itself). A call after close raises
    :class:`StoreClosed`. Calls may come from any thread; :meth:`close` waits for calls in flight,
    because ``ta_close`` must not race with other calls on the handle.

    ``actor`` is the member id performing a management call; ``None`` is the host application.
    """

    def __init__(
        self,
        path: Union[str, bytes, "os.PathLike[str]"] = ":memory:",
        *,
        token_prefix: Optional[str] = None,
        default_rate_limit: int = 0,
        default_rate_window_ms: int = 0,
        usage_flush_ms: int = 0,
        busy_timeout_ms: int = 0,
    ) -> None:
        self._handle: Optional[int] = None  # set last: __del__ may see a half-built store
        self._new_locks()
        self._closed = True
        self._forked = False
        _process.check_usable()
        self._lib = _native.load()
        self._ta_close = self._lib.ta_close  # kept for __del__ at interpreter shutdown
        self._record_usage_held: Any = None  # ta_record_usage holding the GIL, made on first use
        raw_path = _path(path)
        self.path = os.fsdecode(raw_path)
        config = _native.TaConfig(
            _text(token_prefix, "token_prefix"),
            _int(default_rate_limit, "default_rate_limit", _UINT32),
            _int(default_rate_window_ms, "default_rate_window_ms", _UINT32),
            _int(usage_flush_ms, "usage_flush_ms", _UINT32),
            _int(busy_timeout_ms, "busy_timeout_ms", _UINT32),
        )
        handle = ctypes.c_void_p()
        status = self._lib.ta_open(raw_path, ctypes.byref(config), ctypes.byref(handle))
        if status != Status.OK:
            err = exception_for(status, last_error())
            if handle.value:  # the contract says NULL on failure; never leak if not
                self._ta_close(handle)
            raise err
        self._handle = handle.value
        self._closed = False
        _process.track(self)

    @classmethod
    def open(
        cls,
        path: Union[str, bytes, "os.PathLike[str]"] = ":memory:",
        **config: Any,
    ) -> "Store":
        """``ta_open``: opens (creating if needed) the database at ``path``; ``":memory:"`` is a
        private in-memory store. Keywords: ``token_prefix``, ``default_rate_limit``,
        ``default_rate_window_ms``, ``usage_flush_ms``, ``busy_timeout_ms``."""
        return cls(path, **config)

    # -- lifecycle

    def close(self) -> None:
        """``ta_close``: flushes and frees the handle. Exactly once; later calls do nothing."""
        cv = getattr(self, "_cv", None)
        if cv is None:
            return
        with cv:
            if self._closed:
                return
            self._closed = True
            while self._calls:
                cv.wait()
            handle, self._handle = self._handle, None
        if handle:
            self._ta_close(handle)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`, and in a child process forked after the store was opened."""
        return self._closed

    _exit_rank = 1  # closed at exit after whatever still records into it (tokenauth._process)

    def _after_fork_in_child(self) -> None:
        """In a forked child: the handle belongs to the parent. It is dropped, never closed (the
        parent's SQLite connections and flusher must not be touched from here), and the locks are
        new, since another thread of the parent may have held them at the fork. An open store
        makes the whole library unusable in this child (tokenauth._process)."""
        if not self._closed:
            _process.store_open_at_fork()
        self._new_locks()
        self._handle = None
        self._closed = True
        self._forked = True

    def __enter__(self) -> "Store":
        self._enter()
        self._leave()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "open" if not self._closed else "forked" if self._forked else "closed"
        return f"<tokenauth.Store {self.path!r} {state}>"

    def _new_locks(self) -> None:
        # Each call in flight holds one entry of `_calls` (a deque's append and pop are atomic:
        # no lock on the way in or out, which every verification pays). A call enters before it
        # reads `_closed`, and close() sets `_closed` before it reads `_calls`, so either close()
        # waits for the call or the call sees the store closed. close() waits on a condition,
        # notified by the last call to leave once closing.
        self._lock = threading.Lock()
        self._cv = threading.Condition(self._lock)
        self._calls: deque[None] = deque()

    def _enter(self) -> int:
        self._calls.append(None)
        handle = self._handle
        if self._closed or not handle:
            self._leave()
            raise StoreClosed(Status.INVALID_ARGUMENT, None, self._closed_reason())
        return handle

    def _closed_reason(self) -> str:
        if self._forked:
            return ("the store was opened before this process forked: a process opens its stores "
                    "after forking (tokenauth.contrib's Gateway does so lazily)")
        return "the store is closed"

    def _leave(self) -> None:
        calls = self._calls
        calls.pop()
        if self._closed and not calls:
            with self._cv:
                self._cv.notify_all()

    def _call(self, fn: Any, *args: Any) -> None:
        handle = self._enter()
        try:
            _check(fn(handle, *args))
        finally:
            self._leave()

    def _call_json(self, fn: Any, *args: Any) -> Any:
        out = ctypes.c_void_p()
        handle = self._enter()
        try:
            status = fn(handle, *args, ctypes.byref(out))
            if status != Status.OK:
                message = last_error()
                _native.take_string(out)  # NULL per contract; released all the same
                raise exception_for(status, message)
            return _json(out)
        finally:
            self._leave()

    def _call_list(self, fn: Any, *args: Any) -> List[Dict[str, Any]]:
        return cast(List[Dict[str, Any]], self._call_json(fn, *args))

    def _call_dict(self, fn: Any, *args: Any) -> Dict[str, Any]:
        return cast(Dict[str, Any], self._call_json(fn, *args))

    def _call_issue(self, fn: Any, *args: Any) -> IssuedToken:
        secret, token_id = ctypes.c_void_p(), ctypes.c_void_p()
        handle = self._enter()
        try:
            status = fn(handle, *args, ctypes.byref(secret), ctypes.byref(token_id))
            message = last_error() if status != Status.OK else ""
            s, i = _native.take_string(secret), _native.take_string(token_id)
            if status != Status.OK:
                raise exception_for(status, message)
            if s is None or i is None:
                raise exception_for(Status.INTERNAL_ERROR, "the library returned no token")
            return IssuedToken(s, i)
        finally:
            self._leave()

    # -- the store

    def flush(self) -> None:
        """``ta_flush``: writes all usage still held in memory."""
        self._call(self._lib.ta_flush)

    def set_clock(self, now_ms: int) -> None:
        """``ta_set_clock`` (for tests): this handle's clock reads ``now_ms``; 0 = wall clock."""
        n = _int(now_ms, "now_ms", _INT64)
        handle = self._enter()
        try:
            self._lib.ta_set_clock(handle, n)
        finally:
            self._leave()

    def set_index_limit(self, max_tokens: int) -> None:
        """``ta_set_index_limit``: bounds this handle's in-memory verification index (default
        1,000,000 tokens; 0 turns it off, so that every verification reads the database)."""
        self._call(self._lib.ta_set_index_limit, _int(max_tokens, "max_tokens", (0, 2**64 - 1)))

    def set_rate_limit_policy(self, policy: Union[RateLimitPolicy, str, int]) -> None:
        """``ta_set_rate_limit_policy``: how this handle's rate limits are shared from now on.

        ``policy`` is a :class:`RateLimitPolicy` or its name (``"shared"``, ``"per_handle"``).
        Buckets do not carry over, so call it right after opening. Raises :class:`Conflict` for
        ``SHARED`` on a ``":memory:"`` store (no other handle can open it), and
        :class:`InvalidArgument` for a value the library does not know.
        """
        self._call(self._lib.ta_set_rate_limit_policy, _enum_arg(RateLimitPolicy, policy, "policy"))

    def rate_limit_info(self) -> Dict[str, Any]:
        """``ta_rate_limit_info``: the policy in force and its buckets, e.g. ``{"policy": "host",
        "table": "/srv/tokens.db-ratelimit", "slots": 262144, "buckets_in_use": 3,
        "unshared_verifications": 0, "problem": None}``. ``policy`` is ``"host"`` (shared by the
        host's processes), ``"fleet"`` (PostgreSQL) or ``"handle"``; ``unshared_verifications``
        counts this handle's verifications that fell back to a bucket of its own, and ``problem``
        says why the shared table is unavailable (None when it is)."""
        return self._call_dict(self._lib.ta_rate_limit_info)

    # -- scopes and members

    def define_scope(
        self, scope: Text, implies: Optional[Words] = None, description: Optional[Text] = None
    ) -> None:
        """``ta_scope_define``: adds a scope or replaces its implications and description."""
        self._call(
            self._lib.ta_scope_define,
            _text(scope, "scope"),
            _words(implies, "implies"),
            _text(description, "description"),
        )

    def scopes(self) -> List[Dict[str, Any]]:
        """``ta_scope_list``: the catalog, sorted by scope."""
        return self._call_list(self._lib.ta_scope_list)

    def put_member(self, member_id: Text, permissions: Words = "") -> None:
        """``ta_member_put``: creates or updates a member with these scopes and IAM actions."""
        self._call(
            self._lib.ta_member_put, _text(member_id, "member_id"), _words(permissions, "permissions")
        )

    def set_member_active(self, member_id: Text, active: bool) -> None:
        """``ta_member_set_active``."""
        self._call(self._lib.ta_member_set_active, _text(member_id, "member_id"), bool(active))

    def remove_member(self, member_id: Text) -> None:
        """``ta_member_remove``: their personal tokens are revoked for good."""
        self._call(self._lib.ta_member_remove, _text(member_id, "member_id"))

    def members(self) -> List[Dict[str, Any]]:
        """``ta_member_list``: sorted by id."""
        return self._call_list(self._lib.ta_member_list)

    # -- tokens

    def create_token(
        self,
        name: Text,
        scopes: Words,
        *,
        kind: Union[TokenKind, str, int] = TokenKind.PERSONAL,
        actor: Optional[Text] = None,
        expires_at_ms: int = 0,
        rate_limit: int = 0,
        rate_window_ms: int = 0,
    ) -> IssuedToken:
        """``ta_token_create``: returns ``(secret, id)``; the secret is never available again."""
        spec = _spec(TokenSpec(name, scopes, kind, expires_at_ms, rate_limit, rate_window_ms))
        return self._call_issue(
            self._lib.ta_token_create, _text(actor, "actor"), ctypes.byref(spec)
        )

    def create_tokens(
        self,
        specs: Iterable[Union[TokenSpec, Mapping[str, Any]]],
        *,
        actor: Optional[Text] = None,
    ) -> List[IssuedToken]:
        """``ta_token_create_batch``: creates one token per spec, in one transaction (all or none),
        exactly as that many :meth:`create_token` calls by ``actor`` would (same checks, one
        ``token.created`` audit entry each). Returns their ``(secret, id)`` in the order of
        ``specs``; the secrets are never available again.

        A spec is a :class:`TokenSpec` or a mapping of its fields
        (``{"name": "ci", "scopes": "tickets:read", "kind": "service"}``). 1 to ``BATCH_MAX``
        (1000) specs per call; for more, call again (each call is its own transaction). A failing
        spec raises the exception :meth:`create_token` would, whose message names it
        (``specs[3]: name is empty``), and nothing is created.
        """
        items = [s if isinstance(s, TokenSpec) else TokenSpec(**s) for s in specs]
        count = len(items)
        c_specs = [_spec(s) for s in items]  # kept alive, with their strings, for the call
        array = (_native.TaTokenSpec * count)(*c_specs)
        secrets = (ctypes.c_void_p * count)()
        ids = (ctypes.c_void_p * count)()
        raw_actor = _text(actor, "actor")
        handle = self._enter()
        try:
            status = self._lib.ta_token_create_batch(handle, raw_actor, array, count, secrets, ids)
            message = last_error() if status != Status.OK else ""
        finally:
            self._leave()
        # Every element is released, whatever happened (all NULL on failure, per the contract).
        taken = [
            (_native.take_string(ctypes.c_void_p(s)), _native.take_string(ctypes.c_void_p(i)))
            for s, i in zip(secrets, ids)
        ]
        if status != Status.OK:
            raise exception_for(status, message)
        issued = [IssuedToken(s, i) for s, i in taken if s is not None and i is not None]
        if len(issued) != count:
            raise exception_for(Status.INTERNAL_ERROR, "the library returned fewer tokens than asked for")
        return issued

    def rename(self, token_id: Text, name: Text, *, actor: Optional[Text] = None) -> None:
        """``ta_token_rename``."""
        self._call(
            self._lib.ta_token_rename,
            _text(actor, "actor"),
            _text(token_id, "token_id"),
            _text(name, "name"),
        )

    def set_active(self, token_id: Text, active: bool, *, actor: Optional[Text] = None) -> None:
        """``ta_token_set_active``: deactivate, or activate again (a revoked one: Conflict)."""
        self._call(
            self._lib.ta_token_set_active, _text(actor, "actor"), _text(token_id, "token_id"), bool(active)
        )

    def revoke(self, token_id: Text, *, actor: Optional[Text] = None) -> None:
        """``ta_token_revoke``: at once and for good."""
        self._call(self._lib.ta_token_revoke, _text(actor, "actor"), _text(token_id, "token_id"))

    def delete(self, token_id: Text, *, actor: Optional[Text] = None) -> None:
        """``ta_token_delete``: the record goes; the token becomes unknown."""
        self._call(self._lib.ta_token_delete, _text(actor, "actor"), _text(token_id, "token_id"))

    def rotate(
        self, token_id: Text, *, grace_ms: int = 0, actor: Optional[Text] = None
    ) -> IssuedToken:
        """``ta_token_rotate``: a new token replaces this one, which is revoked after grace_ms."""
        return self._call_issue(
            self._lib.ta_token_rotate,
            _text(actor, "actor"),
            _text(token_id, "token_id"),
            _int(grace_ms, "grace_ms", _INT64),
        )

    def list_tokens(self, query: Query = None, *, actor: Optional[Text] = None) -> List[Dict[str, Any]]:
        """``ta_token_list``: ``query`` is the library's filter string or a mapping such as
        ``{"kind": "service", "status": "active"}``."""
        return self._call_list(self._lib.ta_token_list, _text(actor, "actor"), _query(query, "query"))

    def get_token(self, token_id: Text, *, actor: Optional[Text] = None) -> Dict[str, Any]:
        """``ta_token_get``."""
        return self._call_dict(self._lib.ta_token_get, _text(actor, "actor"), _text(token_id, "token_id"))

    # -- the hot path

    def verify(
        self,
        credential: Credential,
        required_scopes: Optional[Words] = None,
        *,
        resource: Optional[Text] = None,
    ) -> Verdict:
        """Verifies a bare token or a whole ``Authorization`` value, and that every scope of
        ``required_scopes`` (a space-separated string or a list) is in force for it.

        ``resource`` names the entity the request touches (``"project/42/tickets/7"``), for tokens
        whose grants are scoped to resources (``tickets:read@project/42``): a required scope is then
        in force when the token holds it everywhere, or through a grant whose pattern covers
        ``resource`` (``ta_verify_resource_n``). Without a resource (None, the default, or ``""``)
        only grants on every resource count (``ta_verify_n``), so a token holding only qualified
        grants is ``FORBIDDEN``: it fails closed. An ill-formed resource name (segments of
        ``[A-Za-z0-9._:-]`` joined by ``/``, at most 1024 bytes) is ``INVALID_ARGUMENT``, decided
        before the token is looked at and counted nowhere.

        Returns a :class:`Verdict` for every outcome, denials included (use :meth:`require` or
        :meth:`Verdict.raise_for_status` to raise); a ``FORBIDDEN`` verdict's ``message`` names the
        resource. Any bytes may be passed as the credential: what is not a token of this store is
        ``MALFORMED``. A ``str`` is encoded as UTF-8. Never waits for a writer.
        """
        scopes = _words(required_scopes, "required_scopes")
        if resource is None:
            return self._verify(self._lib.ta_verify_n, credential, scopes)
        return self._verify(self._lib.ta_verify_resource_n, credential, scopes, _text(resource, "resource"))

    def _verify(self, fn: Any, credential: Credential, *requirements: Optional[bytes]) -> Verdict:
        """Calls a ``ta_verify*_n(store, credential, length, requirements..., &verdict)``."""
        cred = credential if type(credential) is bytes else _credential(credential)
        out = _native.TaVerdict()
        handle = self._enter()
        try:
            # The verdict passed as itself: its argtype, a pointer to it, makes the reference.
            status = fn(handle, cred, len(cred), *requirements, out)
            message = last_error() if status != _OK else ""
        finally:
            self._leave()
        return Verdict._from_c(out, message)

    def require(
        self,
        credential: Credential,
        required_scopes: Optional[Words] = None,
        *,
        resource: Optional[Text] = None,
    ) -> Verdict:
        """:meth:`verify`, raising the denial's exception (e.g. :class:`Forbidden`)."""
        return self.verify(credential, required_scopes, resource=resource).raise_for_status()

    def record_usage(self, token_id: Text, operation: Text, http_status: int) -> None:
        """``ta_record_usage``: what the gateway did with a verified request."""
        self._record_usage(self._lib.ta_record_usage, token_id, operation, http_status)

    def _record_usage_holding_gil(self, token_id: Text, operation: Text, http_status: int) -> None:
        """:meth:`record_usage` without releasing the GIL, for a background thread that records a
        queue of requests in one burst (see :func:`_native.holding_gil`; the call is buffered and
        never waits for a writer)."""
        if self._record_usage_held is None:
            self._record_usage_held = _native.holding_gil("ta_record_usage")
        self._record_usage(self._record_usage_held, token_id, operation, http_status)

    def _record_usage(self, fn: Any, token_id: Text, operation: Text, http_status: int) -> None:
        self._call(
            fn,
            _text(token_id, "token_id"),
            _text(operation, "operation"),
            _int(http_status, "http_status", (-(2**31), 2**31 - 1)),
        )

    def token_rate_limit(self, token_id: Text) -> TokenRateLimit:
        """``ta_token_rate_limit``: the rate limit stored with a token, ``(limit, window_ms)``
        (both 0 for an unlimited token), e.g. for a ``RateLimit-Policy`` header. One read of the
        token's record: it neither flushes usage nor waits for a writer, and a token's limit never
        changes, so the answer may be kept. Raises :class:`NotFound` for an unknown id."""
        limit, window = ctypes.c_uint32(), ctypes.c_uint32()
        self._call(
            self._lib.ta_token_rate_limit, _text(token_id, "token_id"), ctypes.byref(limit), ctypes.byref(window)
        )
        return TokenRateLimit(limit.value, window.value)

    # -- consoles over large stores

    def token_page(
        self,
        query: Query = None,
        *,
        name_contains: Optional[Text] = None,
        actor: Optional[Text] = None,
    ) -> Dict[str, Any]:
        """``ta_token_page``: one page of the tokens the actor can see, newest first, for a console
        over a store of any size: ``{"tokens": [...], "next": id or None, "scanned": n, "as_of":
        ms, "usage_flush_ms": ms}``.

        ``query`` is the library's filter string or a mapping: :meth:`list_tokens`' filters
        (``kind``, ``owner``, ``status``) plus ``after`` (the previous page's ``"next"``),
        ``limit`` (1..1000, default 50) and ``usage_days`` (0..90: each token then has
        ``"recent_uses"``, one count per UTC day). ``name_contains`` keeps the tokens whose name
        contains it, ignoring case. Each token is :meth:`list_tokens`' object plus ``"actions"``,
        what the actor may do with it now. One call examines at most 20,000 tokens, so a page may
        hold fewer than ``limit`` while ``"next"`` is not None: pass it as ``after`` to go on.
        """
        return self._call_dict(
            self._lib.ta_token_page,
            _text(actor, "actor"),
            _query(query, "query"),
            _text(name_contains, "name_contains"),
        )

    def token_actions(self, token_id: Text, *, actor: Optional[Text] = None) -> Dict[str, Any]:
        """``ta_token_actions``: what the actor may do with one token it can see now, as
        ``{"token_id": id, "actions": ["rename", "deactivate", ...]}`` (among ``rename``,
        ``activate``, ``deactivate``, ``revoke``, ``rotate``, ``delete``). :class:`NotFound` as
        :meth:`get_token`."""
        return self._call_dict(self._lib.ta_token_actions, _text(actor, "actor"), _text(token_id, "token_id"))

    def actor_rights(self, actor: Optional[Text] = None) -> Dict[str, Any]:
        """``ta_actor_rights``: what ``actor`` (None: the host) may do in general, as ``{"actor",
        "create": ["personal", "service"], "grantable_scopes": [catalog entries it may grant],
        "audit": bool, "all_members": bool}``. An actor that is not an active member raises
        :class:`PermissionDenied`."""
        return self._call_dict(self._lib.ta_actor_rights, _text(actor, "actor"))

    def member_list_for(self, actor: Optional[Text] = None) -> List[Dict[str, Any]]:
        """``ta_member_list_for``: the members ``actor`` may see, as :meth:`members` has them:
        every member for an admin or the host (None), otherwise the actor alone."""
        return self._call_list(self._lib.ta_member_list_for, _text(actor, "actor"))

    # -- oversight

    def stats(self, token_id: Text, *, since_ms: int = 0, actor: Optional[Text] = None) -> Dict[str, Any]:
        """``ta_token_stats``."""
        return self._call_dict(
            self._lib.ta_token_stats,
            _text(actor, "actor"),
            _text(token_id, "token_id"),
            _int(since_ms, "since_ms", _INT64),
        )

    def audit(self, query: Query = None, *, actor: Optional[Text] = None) -> List[Dict[str, Any]]:
        """``ta_audit``: ``query`` is the filter string or a mapping such as
        ``{"token": id, "event": "token.revoked", "limit": 10}``. Needs admin (or the host)."""
        return self._call_list(self._lib.ta_audit, _text(actor, "actor"), _query(query, "query"))

    def report(self, *, since_ms: int = 0, actor: Optional[Text] = None) -> Dict[str, Any]:
        """``ta_report``: the least-privilege and hygiene report."""
        return self._call_dict(self._lib.ta_report, _text(actor, "actor"), _int(since_ms, "since_ms", _INT64))
