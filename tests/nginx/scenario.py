"""The status-table scenario through nginx, shared by `make test-nginx` (every check counted) and
`make demo-nginx` (printed as a table): members and tokens set up through the library (the Python
binding, in this process), nginx with the module in front of an upstream that echoes what it got,
and one request per case of the README's status table.

Secrets never leave this process whole: rows show a token's 9-character hint.
"""

import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import tokenauth

from nginx_harness import Nginx, Response, give_to_workers, request

#: The upstream echoes the method, the URI, the subject the module passed and any Authorization
#: that reached it (there must be none).
UPSTREAM = r"""
    server {
        listen 127.0.0.1:@UPSTREAM@;
        default_type application/json;
        location / {
            if ($request_method = POST) {
                return 201 '{"method":"POST","uri":"$request_uri","subject":"$http_x_token_subject","authorization":"$http_authorization"}';
            }
            return 200 '{"method":"$request_method","uri":"$request_uri","subject":"$http_x_token_subject","authorization":"$http_authorization"}';
        }
        location /missing/ { return 404 '{"upstream":"not found"}'; }
    }
"""

#: The gateway: what docs/nginx.md shows, plus locations for the special cases.
GATEWAY = r"""
    log_format tokenauth '$remote_addr "$request" $status subject=$tokenauth_subject '
                         'token=$tokenauth_token_id kind=$tokenauth_kind status=$tokenauth_status';
    tokenauth_store @DB@;

    map $request_method $tickets_scope {
        GET      tickets:read;
        HEAD     tickets:read;
        default  tickets:write;
    }
@UPSTREAM_SERVER@
    server {
        listen 127.0.0.1:@PORT@;
        access_log @LOGS@/access.log tokenauth;

        # nginx refuses some malformed requests itself, before any module: JSON for those too
        error_page 400 494 @bad_request;
        location @bad_request {
            default_type application/json;
            return 400 '@BAD_REQUEST_JSON@';
        }

        add_header X-Tokenauth-Status $tokenauth_status always;
        add_header X-Worker $pid always;
        proxy_set_header X-Token-Subject $tokenauth_subject;
        proxy_set_header Authorization "";

        location /api/tickets {
            tokenauth on;
            tokenauth_scopes $tickets_scope;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location /api/assets {
            tokenauth on;
            tokenauth_scopes "assets:read";
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location /api/whoami {
            tokenauth on;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location /api/gone {
            tokenauth on;
            proxy_pass http://127.0.0.1:@UPSTREAM@/missing/;
        }
        location /api/scoped {
            tokenauth on;
            tokenauth_scopes $arg_scope;
            tokenauth_operation "GET /api/scoped ($arg_scope)";
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location /api/misconfigured {
            tokenauth on;
            # a fixed value would fail `nginx -t`; from a variable it fails each request
            set $misconfigured_scopes "Tickets:Read";
            tokenauth_scopes $misconfigured_scopes;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location /custom/ {
            tokenauth on;
            tokenauth_realm 'tickets "eu"';
            error_page 401 /errors/401.json;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location = /errors/401.json {
            internal;
            tokenauth on;
            default_type application/json;
            return 401 '{"custom":"error page"}';
        }
        location /denied/ {
            deny all;
            tokenauth on;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location /sub/ {
            auth_request /check;
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
        location = /check {
            internal;
            tokenauth on;
            tokenauth_scopes "admin";
            empty_gif;   # a content handler: `return` would answer before the access phase
        }
        location /health {
            tokenauth off;
            return 200 'ok';
        }
        location /public/ {
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
    }

    server {
        listen 127.0.0.1:@PORT_BIG@;
        large_client_header_buffers 4 16k;
        add_header X-Tokenauth-Status $tokenauth_status always;
        location / {
            tokenauth on;
            tokenauth_scopes "tickets:read";
            proxy_pass http://127.0.0.1:@UPSTREAM@;
        }
    }
"""


def fill(template: str, **values: object) -> str:
    for name, value in values.items():
        template = template.replace(f"@{name}@", str(value))
    return template


def hint(secret: Optional[str]) -> str:
    return secret[:9] + "..." if secret else "-"


class Tokens:
    """The members and tokens of the scenario, created through the library."""

    def __init__(self, store: tokenauth.Store) -> None:
        self.store = store
        store.put_member("alice", "tickets:read tickets:write ManagePersonalAccessTokens")
        store.put_member("bob", "tickets:read assets:read ManagePersonalAccessTokens")
        store.put_member("carol", "tickets:read ManagePersonalAccessTokens")
        store.put_member("dave", "tickets:read ManagePersonalAccessTokens")
        store.put_member("ops", "admin")
        now = int(time.time() * 1000)
        self.expiring = store.create_token("short-lived", "tickets:read", actor="carol", expires_at_ms=now + 1000)
        self.alice = store.create_token("alice cli", "tickets:read tickets:write", actor="alice")
        self.svc = store.create_token("ticket sync", "tickets:read", kind="service", actor="ops")
        self.carol = store.create_token("carol reader", "tickets:read", actor="carol")
        self.gone = store.create_token("deleted one", "tickets:read", actor="carol")
        store.delete(self.gone.id, actor="carol")
        self.leak = store.create_token("leaked one", "tickets:read", actor="carol")
        self.paused = store.create_token("paused one", "tickets:read", actor="carol")
        self.bob = store.create_token("bob assets", "tickets:read assets:read", actor="bob")
        self.dave = store.create_token("dave reader", "tickets:read", actor="dave")
        self.limited = store.create_token("rate limited", "tickets:read", kind="service", actor="ops",
                                          rate_limit=2, rate_window_ms=60000)
        self.admin = store.create_token("ops admin", "admin", actor="ops", kind="service")

    def secrets(self) -> List[str]:
        return [t.secret for t in (self.expiring, self.alice, self.svc, self.carol, self.gone, self.leak,
                                   self.paused, self.bob, self.dave, self.limited, self.admin)]


def open_store(directory: str) -> tokenauth.Store:
    """A new store in `directory` (which the workers' user may write)."""
    os.makedirs(directory, exist_ok=True)
    store = tokenauth.Store.open(os.path.join(directory, "tokens.db"))
    give_to_workers(directory)
    return store


@dataclass
class Row:
    case: str
    request: str
    token: str
    want: int
    got: int
    want_status: str
    got_status: str
    ok: bool
    problems: List[str] = field(default_factory=list)
    detail: str = ""


Check = Callable[[Response], Optional[str]]


def body_is(text: str) -> Check:
    return lambda r: None if r.text == text else f"body {r.text[:80]!r}"


def body_has(text: str) -> Check:
    return lambda r: None if text in r.text else f"body lacks {text!r}: {r.text[:120]!r}"


def header_is(name: str, value: Optional[str]) -> Check:
    return lambda r: None if r.header(name) == value else f"{name}: {r.header(name)!r}"


def header_matches(name: str, pattern: str) -> Check:
    import re
    return lambda r: None if r.header(name) is not None and re.fullmatch(pattern, r.header(name) or "") \
        else f"{name}: {r.header(name)!r}"


def json_type(r: Response) -> Optional[str]:
    return None if r.header("Content-Type") == "application/json" else f"Content-Type {r.header('Content-Type')!r}"


class Scenario:
    """Runs rows against nginx and collects them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.rows: List[Row] = []

    def row(self, case: str, method: str, path: str, secret: Optional[str], want: int, want_status: str,
            *checks: Check, raw_auth: Optional[str] = None) -> Response:
        headers = {}
        shown = hint(secret)
        if raw_auth is not None:
            headers["Authorization"] = raw_auth
            shown = "(bad)"
        elif secret:
            headers["Authorization"] = "Bearer " + secret
        body = None
        if method == "POST":
            headers["Content-Type"] = "application/json"
            body = b'{"title":"demo"}'
        r = request(self.port, method, path, headers, body)
        got_status = r.header("X-Tokenauth-Status") or "-"
        problems = [p for p in (c(r) for c in checks) if p]
        if r.status != want:
            problems.insert(0, f"HTTP {r.status}")
        if got_status != want_status:
            problems.insert(0, f"status {got_status}")
        detail = self._detail(r)
        self.rows.append(Row(case, f"{method} {path}", shown, want, r.status, want_status, got_status,
                             not problems, problems, detail))
        return r

    @staticmethod
    def _detail(r: Response) -> str:
        parts = []
        try:
            data = json.loads(r.body) if r.body else None
        except ValueError:
            data = None
        if isinstance(data, dict) and "errors" in data:
            parts.append("errors=" + json.dumps(data["errors"]))
        elif isinstance(data, dict) and "subject" in data:
            parts.append("subject=" + (data["subject"] or "-"))
        for name in ("WWW-Authenticate", "Retry-After", "RateLimit-Policy", "RateLimit"):
            if r.header(name):
                parts.append(f"{name}: {r.header(name)}")
        return "  ".join(parts)


def run_status_table(sc: Scenario, t: Tokens) -> None:
    """The status table, case by case (what make demo-nginx prints)."""
    unauthorized = tokenauth.error_json(tokenauth.Status.MALFORMED)
    forbidden = tokenauth.error_json(tokenauth.Status.FORBIDDEN)
    too_many = tokenauth.error_json(tokenauth.Status.RATE_LIMITED)
    store = t.store

    sc.row("valid personal token", "GET", "/api/tickets", t.alice.secret, 200, "TA_OK",
           body_has('"subject":"alice"'), body_has('"authorization":""'), header_is("RateLimit", None))
    sc.row("same token, write (map on method)", "POST", "/api/tickets", t.alice.secret, 201, "TA_OK",
           body_has('"method":"POST"'))
    sc.row("service token", "GET", "/api/tickets/42", t.svc.secret, 200, "TA_OK",
           body_has(f'"subject":"{t.svc.id}"'))
    sc.row("any valid token (no scopes)", "GET", "/api/whoami", t.carol.secret, 200, "TA_OK",
           body_has('"subject":"carol"'))
    sc.row("no Authorization header", "GET", "/api/tickets", None, 401, "TA_MALFORMED",
           body_is(unauthorized), json_type, header_is("WWW-Authenticate", 'Bearer realm="api"'))
    sc.row("not a token", "GET", "/api/tickets", None, 401, "TA_MALFORMED", body_is(unauthorized),
           header_is("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"'), raw_auth="Bearer not-a-token")
    sc.row("unknown token (deleted)", "GET", "/api/tickets", t.gone.secret, 401, "TA_UNKNOWN_TOKEN",
           body_is(unauthorized), header_is("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"'))
    sc.row("expired token (1 s lifetime)", "GET", "/api/tickets", t.expiring.secret, 401, "TA_EXPIRED",
           body_is(unauthorized), header_is("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"'))
    sc.row("before revocation", "GET", "/api/tickets", t.leak.secret, 200, "TA_OK")
    store.revoke(t.leak.id, actor="carol")
    sc.row("revoked token", "GET", "/api/tickets", t.leak.secret, 401, "TA_REVOKED", body_is(unauthorized),
           header_is("WWW-Authenticate", 'Bearer realm="api", error="invalid_token"'))
    sc.row("missing scope (tickets:write)", "POST", "/api/tickets", t.carol.secret, 403, "TA_FORBIDDEN",
           body_is(forbidden), json_type,
           header_is("WWW-Authenticate", 'Bearer realm="api", error="insufficient_scope", scope="tickets:write"'))
    store.set_active(t.paused.id, False, actor="carol")
    sc.row("deactivated token", "GET", "/api/tickets", t.paused.secret, 403, "TA_INACTIVE", body_is(forbidden),
           header_is("WWW-Authenticate", None))
    sc.row("before the owner's downgrade", "GET", "/api/assets", t.bob.secret, 200, "TA_OK")
    store.put_member("bob", "tickets:read ManagePersonalAccessTokens")
    sc.row("owner downgraded (assets:read)", "GET", "/api/assets", t.bob.secret, 403, "TA_FORBIDDEN",
           body_is(forbidden), header_has_scope("assets:read"))
    sc.row("downgraded, still has tickets", "GET", "/api/tickets", t.bob.secret, 200, "TA_OK")
    store.set_member_active("dave", False)
    sc.row("owner deactivated", "GET", "/api/tickets", t.dave.secret, 403, "TA_OWNER_INACTIVE", body_is(forbidden))
    sc.row("rate limit 2/min: 1st", "GET", "/api/tickets", t.limited.secret, 200, "TA_OK",
           header_is("RateLimit-Policy", '"default";q=2;w=60'), header_matches("RateLimit", r'"default";r=1;t=\d+'))
    sc.row("rate limit 2/min: 2nd", "GET", "/api/tickets", t.limited.secret, 200, "TA_OK",
           header_matches("RateLimit", r'"default";r=0;t=\d+'))
    sc.row("rate limit 2/min: 3rd", "GET", "/api/tickets", t.limited.secret, 429, "TA_RATE_LIMITED",
           body_is(too_many), json_type, header_matches("Retry-After", r"(2[0-9]|30)"),
           header_is("RateLimit-Policy", '"default";q=2;w=60'), header_matches("RateLimit", r'"default";r=0;t=\d+'))
    sc.row("tokenauth off, no token", "GET", "/health", None, 200, "-", body_is("ok"))
    sc.row("no tokenauth, a token is ignored", "GET", "/public/x", t.alice.secret, 200, "-",
           body_has('"subject":""'))


def header_has_scope(scope: str) -> Check:
    return header_is("WWW-Authenticate", f'Bearer realm="api", error="insufficient_scope", scope="{scope}"')


def gateway_config(db: str, logs: str, port: int, port_big: int, upstream: int) -> str:
    return fill(GATEWAY, DB=db, LOGS=logs, PORT=port, PORT_BIG=port_big, UPSTREAM=upstream,
                UPSTREAM_SERVER=fill(UPSTREAM, UPSTREAM=upstream),
                BAD_REQUEST_JSON=tokenauth.error_json(tokenauth.Status.INVALID_ARGUMENT))


def start_gateway(prefix: str, db: str, ports: Dict[str, int], workers: int = 1) -> Nginx:
    return Nginx(prefix, gateway_config(db, os.path.join(prefix, "logs"), ports["port"], ports["big"],
                                        ports["upstream"]), workers=workers).start()
