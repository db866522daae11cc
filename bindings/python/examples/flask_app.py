"""A WSGI middleware that guards routes with libtokenauth, and a small Flask app behind it.

Each route maps to the scopes it requires ("GET /api/tickets" -> "tickets:read"; a pattern ending
in "*" matches a prefix). A request without a valid token gets the library's JSON error body
(ta_error_json) with 401/403/429, RFC 6750 ``WWW-Authenticate``, ``Retry-After`` and the IETF
``RateLimit``/``RateLimit-Policy`` headers; a request that passes reaches the app with
``X-Token-Subject`` set and the verdict in ``environ["tokenauth.verdict"]``, and what the app
answered is recorded with ``Store.record_usage``. Routes not in the map are refused (404): the
middleware fails closed.

Run it:
    TOKENAUTH_LIBRARY=build/lib/libtokenauth.so python3 bindings/python/examples/flask_app.py \
        --db /tmp/flask-tokens.db --issue-demo-token
    curl -H "Authorization: Bearer <the printed token>" http://127.0.0.1:5000/api/tickets
"""

from __future__ import annotations

import argparse
import http
import threading
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import tokenauth
from tokenauth import Status

ROUTES: Dict[str, str] = {
    "GET /api/tickets": "tickets:read",
    "GET /api/tickets/*": "tickets:read",
    "POST /api/tickets": "tickets:write",
    "GET /api/assets": "assets:read",
    "DELETE /api/users/*": "users:write",
}

StartResponse = Callable[..., Any]
Environ = Dict[str, Any]


class TokenAuthMiddleware:
    """WSGI middleware: verifies ``Authorization`` against the route's required scopes."""

    def __init__(
        self,
        app: Callable[[Environ, StartResponse], Iterable[bytes]],
        store: tokenauth.Store,
        routes: Mapping[str, str],
        public: Sequence[str] = (),
        realm: str = "api",
    ) -> None:
        self.app = app
        self.store = store
        self.public = tuple(public)
        self.realm = realm
        self._exact: Dict[Tuple[str, str], Tuple[str, str]] = {}
        self._prefixes: List[Tuple[str, str, str, str]] = []
        for key, scopes in routes.items():
            method, _, pattern = key.strip().partition(" ")
            method, pattern = method.upper(), pattern.strip()
            if pattern.endswith("*"):
                self._prefixes.append((method, pattern[:-1], scopes, f"{method} {pattern}"))
            else:
                self._exact[(method, pattern)] = (scopes, f"{method} {pattern}")
        self._prefixes.sort(key=lambda r: -len(r[1]))  # longest prefix wins
        self._windows: Dict[str, int] = {}
        self._lock = threading.Lock()

    def match(self, method: str, path: str) -> Optional[Tuple[str, str]]:
        """(required scopes, operation name for the statistics) or None."""
        hit = self._exact.get((method, path))
        if hit:
            return hit
        for m, prefix, scopes, op in self._prefixes:
            if m == method and path.startswith(prefix):
                return scopes, op
        return None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = environ.get("PATH_INFO") or "/"
        if any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.public):
            return self.app(environ, start_response)
        route = self.match(method, path)
        if route is None:
            return self._deny(start_response, Status.NOT_FOUND, None, "")
        scopes, operation = route
        # PEP 3333: header values are latin-1 decoded bytes; give the library those bytes.
        header = str(environ.get("HTTP_AUTHORIZATION", "")).encode("latin-1", "replace")
        verdict = self.store.verify(header, scopes)
        if not verdict.ok:
            return self._deny(start_response, verdict.status, verdict, scopes, presented=bool(header))

        environ["tokenauth.verdict"] = verdict
        environ["HTTP_X_TOKEN_SUBJECT"] = verdict.subject
        extra = list(verdict.rate_limit_headers(self._window(verdict)).items())
        recorded: List[bool] = []

        def start(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> Any:
            if not recorded:
                recorded.append(True)
                try:
                    self.store.record_usage(verdict.token_id, operation, int(status.split(" ", 1)[0]))
                except tokenauth.TokenAuthError:
                    pass  # statistics must never fail a request
            return start_response(status, list(headers) + extra, exc_info)

        return self.app(environ, start)

    def _window(self, verdict: tokenauth.Verdict) -> Optional[int]:
        """The token's rate window (for RateLimit-Policy), asked of the store once per token."""
        if verdict.rate_limit <= 0:
            return None
        with self._lock:
            cached = self._windows.get(verdict.token_id)
        if cached is None:
            try:
                cached = int(self.store.get_token(verdict.token_id)["rate_limit"]["window_ms"])
            except (tokenauth.TokenAuthError, KeyError, TypeError):
                return None
            with self._lock:
                if len(self._windows) > 4096:
                    self._windows.clear()
                self._windows[verdict.token_id] = cached
        return cached

    def _deny(
        self,
        start_response: StartResponse,
        status: Any,
        verdict: Optional[tokenauth.Verdict],
        scopes: str,
        presented: bool = False,
    ) -> Iterable[bytes]:
        body = (tokenauth.error_json(status) or "{}").encode()
        code = tokenauth.status_http(status)
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        if code == 401:
            # RFC 6750 section 3.1: no error code when the request had no credentials.
            if not presented:
                headers.append(("WWW-Authenticate", f'Bearer realm="{self.realm}"'))
            else:
                headers.append(("WWW-Authenticate", f'Bearer realm="{self.realm}", error="invalid_token"'))
        elif status == Status.FORBIDDEN:
            headers.append(("WWW-Authenticate",
                            f'Bearer realm="{self.realm}", error="insufficient_scope", scope="{scopes}"'))
        if verdict is not None and status == Status.RATE_LIMITED:
            headers += list(verdict.rate_limit_headers(self._window(verdict)).items())
        start_response(f"{code} {http.HTTPStatus(code).phrase}", headers)
        return [body]


def create_app(store: tokenauth.Store, routes: Mapping[str, str] = ROUTES) -> Any:
    """The Flask app, its WSGI callable wrapped by the middleware."""
    from flask import Flask, jsonify, request

    app = Flask(__name__)
    tickets = [{"id": 1, "title": "Printer on fire"}, {"id": 2, "title": "VPN down"}]

    @app.get("/health")
    def health() -> Any:
        return jsonify(ok=True, library=tokenauth.version())

    @app.get("/api/tickets")
    def list_tickets() -> Any:
        return jsonify(success=True, errors=[], data=tickets,
                       subject=request.headers.get("X-Token-Subject"))

    @app.get("/api/tickets/<int:ticket_id>")
    def get_ticket(ticket_id: int) -> Any:
        found = [t for t in tickets if t["id"] == ticket_id]
        if not found:
            return jsonify(success=False, errors=["Not Found"], data=None), 404
        return jsonify(success=True, errors=[], data=found[0])

    @app.post("/api/tickets")
    def create_ticket() -> Any:
        verdict: tokenauth.Verdict = request.environ["tokenauth.verdict"]
        ticket = {"id": len(tickets) + 1, "title": (request.get_json(silent=True) or {}).get("title", ""),
                  "created_by": verdict.subject}
        tickets.append(ticket)
        return jsonify(success=True, errors=[], data=ticket), 201

    @app.get("/api/assets")
    def list_assets() -> Any:
        return jsonify(success=True, errors=[], data=[{"id": "laptop-7"}])

    app.wsgi_app = TokenAuthMiddleware(app.wsgi_app, store, routes, public=("/health",))  # type: ignore[method-assign]
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="flask-tokens.db")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--issue-demo-token", action="store_true",
                        help="create member 'demo' and print a new tickets:read token (shown once)")
    args = parser.parse_args()
    store = tokenauth.Store.open(args.db)
    if args.issue_demo_token:
        store.put_member("demo", "tickets:read ManagePersonalAccessTokens")
        secret, token_id = store.create_token("flask demo", "tickets:read", actor="demo")
        print(f"token {token_id} (shown once): {secret}")
    create_app(store).run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
