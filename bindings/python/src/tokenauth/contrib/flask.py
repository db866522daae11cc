"""A WSGI middleware that guards routes with libtokenauth: for Flask, or any WSGI application.

::

    from tokenauth.contrib.flask import TokenAuthMiddleware

    app.wsgi_app = TokenAuthMiddleware(app.wsgi_app, "tokens.db", {
        "GET /api/tickets": "tickets:read",
        "GET /api/tickets/*": "tickets:read",     # a pattern ending in "*" matches a prefix
        "POST /api/tickets": "tickets:write",
    }, public=["/health"])

Each route maps to the scopes it requires (the longest matching prefix wins). A request that
passes reaches the application with the :class:`~tokenauth.Verdict` in
``environ["tokenauth.verdict"]`` and ``X-Token-Subject`` set (``request.headers`` in Flask); its
response gets the ``RateLimit`` headers and its status is recorded (``ta_record_usage``) under
the route's key. A refusal is the library's status and JSON body with ``WWW-Authenticate``,
``Retry-After`` and ``RateLimit``. A route not in the map is refused (404): the middleware fails
closed. One store per process, opened on the first request (see
:class:`~tokenauth.contrib.Gateway`).
"""

from __future__ import annotations

import http
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .._errors import Status
from .._store import Words
from ._gateway import Answer, Gateway, StoreSource, as_gateway

StartResponse = Callable[..., Any]
Environ = Dict[str, Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

VERDICT_KEY = "tokenauth.verdict"


class TokenAuthMiddleware:
    """WSGI middleware: verifies ``Authorization`` against the route's required scopes.

    ``store`` is a :class:`~tokenauth.contrib.Gateway`, a database path (with ``options``, the
    ``Store.open`` keywords) or a callable opening a Store. ``routes`` maps ``"METHOD /path"`` (or
    ``"METHOD /prefix/*"``) to scopes; ``public`` lists paths (and their sub-paths) that need no
    token.
    """

    def __init__(
        self,
        app: WSGIApp,
        store: Union[Gateway, StoreSource],
        routes: Mapping[str, Words],
        public: Sequence[str] = (),
        *,
        realm: str = "api",
        **options: Any,
    ) -> None:
        self.app = app
        self.gateway = as_gateway(store, realm=realm, **options)
        self.public = tuple(public)
        self._exact: Dict[Tuple[str, str], Tuple[Words, str]] = {}
        self._prefixes: List[Tuple[str, str, Words, str]] = []
        for key, scopes in routes.items():
            method, _, pattern = key.strip().partition(" ")
            method, pattern = method.upper(), pattern.strip()
            name = f"{method} {pattern}"
            if pattern.endswith("*"):
                self._prefixes.append((method, pattern[:-1], scopes, name))
            else:
                self._exact[(method, pattern)] = (scopes, name)
        self._prefixes.sort(key=lambda r: -len(r[1]))  # longest prefix wins

    def match(self, method: str, path: str) -> Optional[Tuple[Words, str]]:
        """(required scopes, the route's key: the operation name for the statistics) or None."""
        hit = self._exact.get((method, path))
        if hit:
            return hit
        if method == "HEAD":
            hit = self._exact.get(("GET", path))
            if hit:
                return hit
        for m, prefix, scopes, name in self._prefixes:
            if (m == method or (method == "HEAD" and m == "GET")) and path.startswith(prefix):
                return scopes, name
        return None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = environ.get("PATH_INFO") or "/"
        if any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.public):
            return self.app(environ, start_response)
        route = self.match(method, path)
        if route is None:
            return _refuse(start_response, self.gateway.refuse(Status.NOT_FOUND))
        scopes, name = route
        answer = self.gateway.check(environ.get("HTTP_AUTHORIZATION"), scopes)
        if not answer.ok:
            return _refuse(start_response, answer)
        verdict = answer.verdict
        assert verdict is not None
        environ[VERDICT_KEY] = verdict
        environ["HTTP_X_TOKEN_SUBJECT"] = verdict.subject
        extra = list(answer.headers.items())
        recorded: List[bool] = []

        def start(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Any:
            if not recorded:
                recorded.append(True)
                self.gateway.record(verdict, name, int(status.split(" ", 1)[0]))
            return start_response(status, list(headers) + extra, exc_info)

        return self.app(environ, start)


def _refuse(start_response: StartResponse, answer: Answer) -> Iterable[bytes]:
    body = (answer.body or "{}").encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    headers += list(answer.headers.items())
    start_response(f"{answer.status} {http.HTTPStatus(answer.status).phrase}", headers)
    return [body]
