"""The HTTP side of a verification, shared by the framework integrations.

Policy stays in the library: ``ta_verify`` decides, ``ta_status_http`` and ``ta_error_json`` say
which status and body to answer. This module only turns a verdict into an HTTP answer (status,
body, ``WWW-Authenticate`` per RFC 6750, ``Retry-After``, the IETF ``RateLimit`` headers), keeps one
store per process, and records what the application answered (``ta_record_usage``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from types import MappingProxyType
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Union

from .. import _process
from .._errors import Status, StatusLike, TokenAuthError, error_json, status_http
from .._store import Store, Words
from .._verdict import Verdict
from ._usage import UsageRecorder

log = logging.getLogger("tokenauth")

StorePath = Union[str, bytes, "os.PathLike[str]"]
StoreSource = Union[StorePath, Callable[[], Store]]
ScopeDeclaration = Union[Words, Mapping[str, Words]]

OPERATION_MAX = 200  # bytes: the longest operation name ta_record_usage accepts
_WINDOWS_MAX = 4096  # rate windows remembered per process (a token's window never changes)


class Answer(NamedTuple):
    """What to answer one request.

    ``ok``: pass the request on, adding :attr:`headers` (``RateLimit`` for a rate-limited token) to
    the application's response. Otherwise answer :attr:`status` with :attr:`body` (the library's
    JSON error body, ``application/json``) and :attr:`headers` (``WWW-Authenticate``,
    ``Retry-After``, ``RateLimit``). :attr:`verdict` is the library's verdict, or None when the
    request was refused before any verification.
    """

    status: int
    headers: Mapping[str, str]
    body: Optional[str] = None
    verdict: Optional[Verdict] = None

    @property
    def ok(self) -> bool:
        return self.body is None

    def json(self) -> Any:
        """:attr:`body`, parsed (None when ok)."""
        return json.loads(self.body) if self.body else None


_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_OK = Status.OK
_new_answer = tuple.__new__  # an Answer in one step, for the common case (no defaults to fill)


def scopes_for_method(declared: ScopeDeclaration, method: str) -> Optional[Words]:
    """The scopes a request method needs.

    ``declared`` is one requirement for every method (``["tickets:read"]``, ``"tickets:read"``;
    empty: any valid token) or a mapping per method (``{"GET": ["tickets:read"], "POST":
    ["tickets:write"]}``, keys in any case; HEAD falls back to GET). None: the mapping declares
    nothing for this method, and such a request is to be refused.
    """
    if isinstance(declared, (list, tuple, str, bytes)) or not isinstance(declared, Mapping):
        return declared
    per_method = {str(key).upper(): value for key, value in declared.items()}
    method = method.upper()
    if method not in per_method and method == "HEAD":
        method = "GET"
    return per_method.get(method)


class Gateway:
    """One store per process, and the HTTP answer to each request's ``Authorization`` header.

    ``store`` is the database (``Store.open``'s path, with ``options`` its keywords:
    ``token_prefix``, ``default_rate_limit``, ``busy_timeout_ms``, …) or a callable returning an
    open :class:`~tokenauth.Store`. Nothing is opened until the first request: a WSGI/ASGI server
    that imports the application and then forks its workers (gunicorn ``--preload``) gets one
    store per worker, and the store is closed, its usage flushed, when the interpreter exits. A
    process forked while its parent had a store open never touches the parent's handle and
    cannot open one of its own (:class:`~tokenauth.UnsafeAfterFork`): it answers 503, and logs
    why.

    ``realm`` goes into ``WWW-Authenticate``.
    """

    def __init__(self, store: StoreSource, *, realm: str = "api", **options: Any) -> None:
        if callable(store):
            if options:
                raise TypeError("store options go to the callable that opens the store, not here")
            self._opener: Callable[[], Store] = store
        else:
            path = store
            self._opener = lambda: Store.open(path, **options)
        self.realm = realm
        self._lock = threading.Lock()
        self._store: Optional[Store] = None
        self._windows: Dict[str, Optional[int]] = {}
        self._usage = UsageRecorder(self._record_now)
        _process.track(self)

    # -- the store of this process

    def store(self) -> Store:
        """This process's store, opened on first use (which may wait for the writer lock: in an
        event loop, call it once through a worker thread; see :attr:`is_open`)."""
        opened = self._store
        if opened is not None:
            return opened
        with self._lock:
            if self._store is None:
                self._store = self._opener()
            return self._store

    @property
    def is_open(self) -> bool:
        """Whether this process has opened its store (so :meth:`store` returns at once)."""
        return self._store is not None

    def flush(self) -> None:
        """Records the usage still queued, then writes what the store buffers (``ta_flush``)."""
        self._usage.drain()
        if self._store is not None:
            self._store.flush()

    def close(self) -> None:
        """Records the usage still queued and closes this process's store (a later request opens
        it again)."""
        self._usage.stop()
        with self._lock:
            opened, self._store = self._store, None
        if opened is not None:
            opened.close()

    # Closed at exit before the stores (tokenauth._process), so that its queue is recorded first.
    _exit_rank = 0

    def _after_fork_in_child(self) -> None:
        # The inherited Store marks itself forked (tokenauth._process); this child opens its own,
        # if the library may be used here at all.
        self._lock = threading.Lock()
        self._store = None
        self._windows = {}
        self._usage._after_fork_in_child()

    # -- answers

    def check(
        self,
        authorization: Union[str, bytes, None],
        required_scopes: Optional[Words] = None,
        *,
        resource: Optional[str] = None,
    ) -> Answer:
        """Verifies a request's ``Authorization`` value against the scopes its route needs, on the
        resource it touches.

        ``authorization`` is the header as the server gave it: ``bytes``, or a ``str`` decoded as
        latin-1 (WSGI, ASGI); None or empty when the request has none (the library then answers
        ``MALFORMED``, 401, and the challenge carries no error code, per RFC 6750 section 3.1).
        ``resource`` names the entity the request touches (``"project/42/tickets/7"``): a token
        holding a required scope only on some resources (``tickets:read@project/42``) passes when
        its pattern covers it (see :meth:`Store.verify <tokenauth.Store.verify>`). An ill-formed
        name is the library's ``INVALID_ARGUMENT``: 400, its JSON body, no challenge.
        """
        try:
            store = self.store()
        except TokenAuthError as exc:
            return self.unavailable(exc)
        if resource is not None and "\0" in resource:
            # From a URL's %00: it cannot cross the C ABI, where the library's answer to it is this.
            return self.refuse(Status.INVALID_ARGUMENT)
        raw = _header_bytes(authorization)
        verdict = store.verify(raw, required_scopes, resource=resource)
        if verdict.status == _OK and verdict.rate_limit == 0:  # the common case, kept short
            return _new_answer(Answer, (200, _NO_HEADERS, None, verdict))
        return self.answer(verdict, required_scopes, presented=bool(raw.strip()))

    def unavailable(self, exc: TokenAuthError) -> Answer:
        """The answer while the store cannot be opened: ``STORAGE_ERROR`` (503), the reason logged
        to the ``tokenauth`` logger; the next request tries to open it again."""
        log.error("the token store could not be opened: %s", exc)
        return self.refuse(Status.STORAGE_ERROR)

    def answer(self, verdict: Verdict, required_scopes: Optional[Words] = None, *, presented: bool = True) -> Answer:
        """The HTTP answer for a verdict of :meth:`Store.verify`."""
        headers = verdict.rate_limit_headers(self._window(verdict))
        if verdict.ok:
            return Answer(200, headers, None, verdict)
        challenge = self._challenge(verdict.status, verdict.http_status, required_scopes, presented)
        if challenge:
            headers["WWW-Authenticate"] = challenge
        return Answer(verdict.http_status, headers, error_json(verdict.status), verdict)

    def refuse(self, status: StatusLike, required_scopes: Optional[Words] = None, *, presented: bool = True) -> Answer:
        """A refusal decided before any verification (a route that declares no scopes for this
        method, an unmapped route): the library's status, body and the matching challenge."""
        http = status_http(status)
        challenge = self._challenge(status, http, required_scopes, presented)
        headers = {"WWW-Authenticate": challenge} if challenge else {}
        return Answer(http, headers, error_json(status), None)

    def _challenge(self, status: StatusLike, http: int, scopes: Optional[Words], presented: bool) -> Optional[str]:
        """RFC 6750 section 3: a 401 names invalid_token when credentials were presented; a missing
        scope is insufficient_scope with the scopes the route needs."""
        if http == 401:
            return self._bearer(error="invalid_token") if presented else self._bearer()
        if status == Status.FORBIDDEN:
            return self._bearer(error="insufficient_scope", scope=_joined(scopes))
        return None

    def _bearer(self, **params: str) -> str:
        pairs = [("realm", self.realm)] + [(k, v) for k, v in params.items() if v]
        return "Bearer " + ", ".join(f"{k}={_quoted(v)}" for k, v in pairs)

    def _window(self, verdict: Verdict) -> Optional[int]:
        """The token's rate window (for ``RateLimit-Policy``), asked of the store once per token
        (``ta_token_rate_limit``: one read that never waits for a writer; a token's limit never
        changes)."""
        if verdict.rate_limit <= 0 or not verdict.token_id:
            return None
        windows = self._windows
        if verdict.token_id not in windows:
            try:
                window: Optional[int] = self.store().token_rate_limit(verdict.token_id).window_ms or None
            except TokenAuthError:
                window = None
            if len(windows) >= _WINDOWS_MAX:
                windows.clear()
            windows[verdict.token_id] = window
        return windows.get(verdict.token_id)

    # -- usage

    def record(self, verdict: Verdict, operation: str, http_status: int) -> None:
        """``ta_record_usage``: what the application answered a request that passed, recorded
        by a background thread within a tenth of a second (see ``_usage``; :meth:`flush` records
        at once)."""
        self._usage.add(verdict.token_id, operation, http_status)

    def _record_now(self, token_id: str, operation: str, http_status: int) -> None:
        # Statistics never fail a request: when the library refuses (a token deleted meanwhile,
        # a status outside 100..599), the reason is logged to the ``tokenauth`` logger.
        try:
            # Holding the GIL: called in a burst by the recorder's thread (see _usage).
            self.store()._record_usage_holding_gil(token_id, _operation(operation), http_status)
        except TokenAuthError as exc:
            log.warning("usage of token %s not recorded: %s", token_id, exc)


def as_gateway(source: Union[Gateway, StoreSource], *, realm: str = "api", **options: Any) -> Gateway:
    """``source`` itself when it is a :class:`Gateway`, else a new one over that store."""
    if isinstance(source, Gateway):
        if options:
            raise TypeError("store options go to the Gateway, which already exists")
        return source
    return Gateway(source, realm=realm, **options)


def _header_bytes(value: Union[str, bytes, None]) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        try:
            return value.encode("latin-1")  # what the server decoded
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass")  # not from a server: the library judges
    return bytes(value)


def _joined(scopes: Optional[Words]) -> str:
    if scopes is None:
        return ""
    if isinstance(scopes, (str, bytes)):
        return scopes.decode("utf-8", "replace") if isinstance(scopes, bytes) else scopes
    return " ".join(scopes)


def _quoted(value: str) -> str:
    """An RFC 7230 quoted-string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _operation(name: str) -> str:
    """At most OPERATION_MAX bytes of UTF-8, cut on a character boundary."""
    raw = name.encode("utf-8", "surrogatepass")
    if len(raw) <= OPERATION_MAX:
        return name
    return raw[:OPERATION_MAX].decode("utf-8", "ignore")
