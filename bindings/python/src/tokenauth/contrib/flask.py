"""A WSGI middleware that guards routes with libtokenauth: for Flask, or any WSGI application.

::

    from tokenauth.contrib.flask import Route, TokenAuthMiddleware

    app.wsgi_app = TokenAuthMiddleware(app.wsgi_app, "tokens.db", {
        "GET /api/tickets": "tickets:read",
        "GET /api/tickets/*": "tickets:read",     # a pattern ending in "*" matches a prefix
        "POST /api/tickets": "tickets:write",
        # {name} matches one path segment; the resource names the entity, for tokens scoped to
        # resources (tickets:read@project/42 passes for project 42 only)
        "GET /api/projects/{project}/tickets": Route("tickets:read", resource="project/{project}"),
    }, public=["/health"])

Each route maps to the scopes it requires, or to a :class:`Route` (scopes and resource); the most
specific matching route wins. A request that passes reaches the application with the
:class:`~tokenauth.Verdict` in ``environ["tokenauth.verdict"]`` and ``X-Token-Subject`` set
(``request.headers`` in Flask); its response gets the ``RateLimit`` headers and its status is
recorded (``ta_record_usage``) under the route's key. A refusal is the library's status and JSON
body with ``WWW-Authenticate``, ``Retry-After`` and ``RateLimit``. A route not in the map is refused
(404): the middleware fails closed. One store per process, opened on the first request (see
:class:`~tokenauth.contrib.Gateway`).
"""

from __future__ import annotations

import http
import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from .._errors import Status
from .._store import Words
from ._gateway import Answer, Gateway, StoreSource, as_gateway
from ._resource import ResourceSource, checked, resolve, template

StartResponse = Callable[..., Any]
Environ = Dict[str, Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

VERDICT_KEY = "tokenauth.verdict"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Route(NamedTuple):
    """What a route requires: ``scopes``, on ``resource``, the entity a request touches (for tokens
    scoped to resources). ``resource`` is a template filled from the route key's ``{name}``
    placeholders (``"project/{project}"``), a callable ``(environ, params) -> str or None``
    (``params``: those placeholders' values), or None: no specific resource, so only grants on
    every resource count."""

    scopes: Words
    resource: ResourceSource = None


class _Pattern(NamedTuple):
    """A route key with placeholders or a trailing ``*``, compiled."""

    method: str
    regex: "re.Pattern[str]"
    literal: int  # characters that must match as written: more is more specific
    prefix: bool  # ends in "*"
    route: Route
    name: str


class TokenAuthMiddleware:
    """WSGI middleware: verifies ``Authorization`` against the route's required scopes and resource.

    ``store`` is a :class:`~tokenauth.contrib.Gateway`, a database path (with ``options``, the
    ``Store.open`` keywords) or a callable opening a Store. ``routes`` maps ``"METHOD /path"`` to
    scopes or a :class:`Route`. A path may hold ``{name}`` placeholders, each matching one path
    segment, and may end in ``*`` to match a prefix. An exact path wins, then the pattern with the
    most literal characters (one that is not a prefix first). ``public`` lists paths (and their
    sub-paths) that need no token.
    """

    def __init__(
        self,
        app: WSGIApp,
        store: Union[Gateway, StoreSource],
        routes: Mapping[str, Union[Words, Route]],
        public: Sequence[str] = (),
        *,
        realm: str = "api",
        **options: Any,
    ) -> None:
        self.app = app
        self.gateway = as_gateway(store, realm=realm, **options)
        self.public = tuple(public)
        self._exact: Dict[Tuple[str, str], Tuple[Route, str]] = {}
        self._patterns: List[_Pattern] = []
        for key, value in routes.items():
            method, _, path = key.strip().partition(" ")
            method, path = method.upper(), path.strip()
            name = f"{method} {path}"
            route = value if isinstance(value, Route) else Route(value)
            if path.endswith("*") or _PLACEHOLDER.search(path):
                self._patterns.append(_compile(method, path, route, name))
            elif isinstance(route.resource, str) and template(route.resource).fields:
                raise ValueError(f"route {name!r}: its resource {route.resource!r} has placeholders, its path none")
            else:
                self._exact[(method, path)] = (route, name)
        self._patterns.sort(key=lambda p: (-p.literal, p.prefix))

    def match(self, method: str, path: str) -> Optional[Tuple[Route, str, Dict[str, str]]]:
        """(the route, its key: the operation name for the statistics, its placeholders' values) or
        None. HEAD uses GET's routes."""
        for m in (method, "GET") if method == "HEAD" else (method,):
            hit = self._exact.get((m, path))
            if hit:
                return hit[0], hit[1], {}
        for p in self._patterns:
            if p.method == method or (method == "HEAD" and p.method == "GET"):
                found = p.regex.match(path)
                if found:
                    return p.route, p.name, found.groupdict()
        return None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = environ.get("PATH_INFO") or "/"
        if any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.public):
            return self.app(environ, start_response)
        matched = self.match(method, path)
        if matched is None:
            return _refuse(start_response, self.gateway.refuse(Status.NOT_FOUND))
        route, name, params = matched
        resource = checked(resolve(route.resource, params, environ, params))
        answer = self.gateway.check(environ.get("HTTP_AUTHORIZATION"), route.scopes, resource=resource)
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


def _compile(method: str, path: str, route: Route, name: str) -> _Pattern:
    """A route key with ``{name}`` placeholders (one segment each) and/or a trailing ``*``; a
    resource template may only use the key's placeholders."""
    prefix = path.endswith("*")
    body = path[:-1] if prefix else path
    regex, literal, names, at = "", 0, [], 0
    for found in _PLACEHOLDER.finditer(body):
        text = body[at:found.start()]
        regex += re.escape(text) + f"(?P<{found.group(1)}>[^/]+)"
        literal += len(text)
        names.append(found.group(1))
        at = found.end()
    regex += re.escape(body[at:])
    literal += len(body) - at
    if len(set(names)) != len(names):
        raise ValueError(f"route {name!r}: a placeholder appears twice")
    if isinstance(route.resource, str):
        unknown = set(template(route.resource).fields) - set(names)
        if unknown:
            raise ValueError(f"route {name!r}: its resource {route.resource!r} uses {sorted(unknown)}, "
                             f"which its path does not have")
    return _Pattern(method, re.compile(regex if prefix else regex + r"\Z"), literal, prefix, route, name)


def _refuse(start_response: StartResponse, answer: Answer) -> Iterable[bytes]:
    body = (answer.body or "{}").encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    headers += list(answer.headers.items())
    start_response(f"{answer.status} {http.HTTPStatus(answer.status).phrase}", headers)
    return [body]
