"""Shared fixtures and helpers.

The package under test is the installed one: make test-python installs the wheel into a fresh venv
(TOKENAUTH_TEST_WHEEL=1); run by hand, the library comes from TOKENAUTH_LIBRARY or the system.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import pickle
import select
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Mapping, Optional

import pytest
from hypothesis import HealthCheck, settings

import tokenauth
from tokenauth import Status

settings.register_profile(
    "tokenauth",
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("tokenauth")

REPO = Path(__file__).resolve().parents[3]

READER = "tickets:read ManagePersonalAccessTokens"
WRITER = "tickets:write assets:read ManagePersonalAccessTokens ManageServiceAccessTokens"


def now_ms() -> int:
    return int(time.time() * 1000)


def load_example(filename: str) -> Any:
    """A module of bindings/python/examples (the code docs/python.md shows), freshly imported."""
    path = REPO / "bindings" / "python" / "examples" / filename
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def issued_token(db: str) -> tokenauth.IssuedToken:
    """A tickets:read token of member alice in the database ``db``, whose store is closed again
    (a process that forks next holds no open store)."""
    with tokenauth.Store.open(db) as store:
        store.put_member("alice", READER)
        return store.create_token("ci", "tickets:read", actor="alice")


def project_42_token(store: tokenauth.Store) -> tokenauth.IssuedToken:
    """A service token of member "lead" that reads the tickets of project 42 only
    (``tickets:read@project/42``)."""
    store.put_member("lead", "tickets:write@project/42 ManageServiceAccessTokens")
    return store.create_token("p42", "tickets:read@project/42", kind="service", actor="lead")


def bearer(secret: str) -> Dict[str, str]:
    """The request headers that present a token."""
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def store() -> Iterator[tokenauth.Store]:
    with tokenauth.Store.open(":memory:") as s:
        yield s


@pytest.fixture
def team(store: tokenauth.Store) -> tokenauth.Store:
    """alice reads tickets, bob writes tickets and reads assets, root is admin, eve has nothing."""
    store.put_member("alice", READER)
    store.put_member("bob", WRITER)
    store.put_member("root", "admin")
    store.put_member("eve", "")
    return store


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "tokens.db")


# ------------------------------------------------------------------------------- forked children


CHILD_TIMEOUT_S = 60


def in_child(fn: Callable[[], Any]) -> Any:
    """Runs ``fn()`` in a child made by ``os.fork()`` (as gunicorn makes its workers) and returns
    what it returned; an exception in the child fails the test with its repr."""
    gc.collect()  # a store nobody holds any more closes now, not in the child
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        try:
            try:
                result = ("ok", fn())
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                result = ("error", repr(exc))
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(result, out)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as inp:
        ready, _, _ = select.select([inp], [], [], CHILD_TIMEOUT_S)
        if not ready:  # a child that deadlocked (on a lock inherited from the parent, say)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the forked child did not answer within {CHILD_TIMEOUT_S} s")
        data = inp.read()
    os.waitpid(pid, 0)
    outcome, value = pickle.loads(data)
    assert outcome == "ok", f"in the child: {value}"
    return value


# ------------------------------------------------------------------------------- refusals over HTTP

ROUTE_SCOPE = "tickets:read"  # what the framework tests' refusal route requires


@dataclass(frozen=True)
class Refusal:
    """A request that the library refuses on a route requiring ROUTE_SCOPE."""

    authorization: Optional[str]  # the header, or None for none
    status: Status
    passes_first: int = 0  # requests that pass before it (a rate limit's unit)


def refusal_cases(store: tokenauth.Store) -> Dict[str, Refusal]:
    """Every refusal a token route can answer, made in ``store`` (a file the app also opens)."""
    store.put_member("alice", READER)
    store.put_member("bob", "assets:read ManagePersonalAccessTokens")
    store.put_member("carol", READER)

    def bearer(scopes: str = ROUTE_SCOPE, actor: str = "alice", **spec: Any) -> str:
        return "Bearer " + store.create_token("case", scopes, actor=actor, **spec).secret

    with tokenauth.Store.open(":memory:") as elsewhere:  # same prefix, never issued here
        elsewhere.put_member("alice", READER)
        unknown = "Bearer " + elsewhere.create_token("x", ROUTE_SCOPE, actor="alice").secret
    revoked = store.create_token("case", ROUTE_SCOPE, actor="alice")
    store.revoke(revoked.id)
    inactive = store.create_token("case", ROUTE_SCOPE, actor="alice")
    store.set_active(inactive.id, False)
    owner_inactive = bearer(actor="carol")
    store.set_member_active("carol", False)
    store.set_clock(now_ms() - 3_600_000)  # created an hour ago, expired half an hour ago
    expired = bearer(expires_at_ms=now_ms() - 1_800_000)
    store.set_clock(0)
    return {
        "missing": Refusal(None, Status.MALFORMED),
        "malformed": Refusal("Bearer not-a-token", Status.MALFORMED),
        "unknown": Refusal(unknown, Status.UNKNOWN_TOKEN),
        "revoked": Refusal("Bearer " + revoked.secret, Status.REVOKED),
        "expired": Refusal(expired, Status.EXPIRED),
        "inactive": Refusal("Bearer " + inactive.secret, Status.INACTIVE),
        "owner_inactive": Refusal(owner_inactive, Status.OWNER_INACTIVE),
        "forbidden": Refusal(bearer("assets:read", actor="bob"), Status.FORBIDDEN),
        "rate_limited": Refusal(bearer(rate_limit=1, rate_window_ms=60_000), Status.RATE_LIMITED, 1),
    }


REFUSALS = ["missing", "malformed", "unknown", "revoked", "expired", "inactive", "owner_inactive",
            "forbidden", "rate_limited"]


def _body(response: Any) -> Any:
    """A test client response's JSON body (Flask's ``get_json()``, httpx's and Django's ``json()``)."""
    return response.get_json() if hasattr(response, "get_json") else response.json()


def assert_reaches_project_42_only(store: tokenauth.Store, get: Callable[[str, Dict[str, str]], Any],
                                   path: str, unnamed: str, realm: str) -> str:
    """``get(path, headers)`` requests through a test client. A token scoped to project 42 passes on
    ``path`` (with ``{project}``) for project 42, and is refused for project 43 (403, the library's
    body, an insufficient_scope challenge) and on ``unnamed``, a route that names no resource.
    Returns the token's id (one use, on project 42)."""
    secret, token_id = project_42_token(store)
    r = get(path.format(project=42), bearer(secret))
    assert r.status_code == 200 and _body(r)["project"] == "42"
    r = get(path.format(project=43), bearer(secret))
    assert r.status_code == 403 and _body(r) == json.loads(tokenauth.error_json(Status.FORBIDDEN))
    assert r.headers["WWW-Authenticate"] == f'Bearer realm="{realm}", error="insufficient_scope", scope="tickets:read"'
    assert get(unnamed, bearer(secret)).status_code == 403
    return token_id


def assert_ill_formed_resource_is_400(store: tokenauth.Store, get: Callable[[str, Dict[str, str]], Any],
                                      path: str) -> None:
    """``get(path, headers)`` requests through a test client. On ``path`` (with ``{project}``) an
    ill-formed project ("4 2", or "4", NUL, "2" from a URL's %00) is the library's INVALID_ARGUMENT,
    with a token and without: 400, its body, no challenge."""
    secret, _ = project_42_token(store)
    for project in ("4%202", "4%002"):
        for headers in (bearer(secret), {}):
            r = get(path.format(project=project), headers)
            assert r.status_code == Status.INVALID_ARGUMENT.http == 400, project
            assert _body(r) == json.loads(tokenauth.error_json(Status.INVALID_ARGUMENT))
            assert "WWW-Authenticate" not in r.headers


def assert_refusal(case: Refusal, status: int, headers: Mapping[str, str], body: Any, realm: str) -> None:
    """The library's status and body, and the headers RFC 6750 and the RateLimit draft ask for."""
    assert status == case.status.http
    assert body == json.loads(tokenauth.error_json(case.status))
    challenge = headers.get("WWW-Authenticate")
    if case.status.http == 401:
        error = ', error="invalid_token"' if case.authorization else ""
        assert challenge == f'Bearer realm="{realm}"{error}'
    elif case.status == Status.FORBIDDEN:
        assert challenge == f'Bearer realm="{realm}", error="insufficient_scope", scope="{ROUTE_SCOPE}"'
    else:
        assert challenge is None
    if case.status == Status.RATE_LIMITED:
        assert int(headers["Retry-After"]) > 0
        assert headers["RateLimit"].startswith('"default";r=0;t=')
        assert headers["RateLimit-Policy"] == '"default";q=1;w=60'
    else:
        assert "Retry-After" not in headers
