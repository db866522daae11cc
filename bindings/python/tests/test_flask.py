"""The WSGI middleware example, through Flask's test client."""

from __future__ import annotations

import importlib.util
import json
from typing import Any, Iterator

import pytest

import tokenauth

from conftest import REPO, now_ms

flask = pytest.importorskip("flask")

FORBIDDEN = {"success": False, "errors": ["Forbidden"], "data": None}


def _load_example() -> Any:
    path = REPO / "bindings" / "python" / "examples" / "flask_app.py"
    spec = importlib.util.spec_from_file_location("flask_app_example", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def env() -> Iterator[tuple]:
    example = _load_example()
    with tokenauth.Store.open(":memory:") as store:
        store.put_member("alice", "tickets:read ManagePersonalAccessTokens")
        store.put_member("bob", "tickets:write assets:read ManagePersonalAccessTokens")
        app = example.create_app(store)
        app.testing = True
        yield store, app.test_client()


def auth(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_allowed_request_reaches_the_app_with_the_subject(env: tuple) -> None:
    store, client = env
    secret, token_id = store.create_token("ci", "tickets:read", actor="alice")
    r = client.get("/api/tickets", headers=auth(secret))
    assert r.status_code == 200
    assert r.get_json()["subject"] == "alice" and r.get_json()["success"] is True
    assert "RateLimit" not in r.headers  # unlimited token
    assert client.get("/api/tickets/2", headers=auth(secret)).status_code == 200
    assert client.get("/api/tickets/99", headers=auth(secret)).status_code == 404
    st = store.stats(token_id)
    assert st["by_operation"] == {"GET /api/tickets": 1, "GET /api/tickets/*": 2}
    assert st["by_status"] == {"200": 2, "404": 1} and st["use_count"] == 3


def test_public_route_needs_no_token(env: tuple) -> None:
    _, client = env
    r = client.get("/health")
    assert r.status_code == 200 and r.get_json()["library"] == tokenauth.version()


def test_401s_use_the_library_body(env: tuple) -> None:
    store, client = env
    unauthorized = json.loads(tokenauth.error_json(tokenauth.Status.MALFORMED))
    r = client.get("/api/tickets")
    assert r.status_code == 401 and r.get_json() == unauthorized
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    r = client.get("/api/tickets", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    secret, token_id = store.create_token("ci", "tickets:read", actor="alice")
    store.revoke(token_id)
    r = client.get("/api/tickets", headers=auth(secret))
    assert r.status_code == 401
    assert r.get_json() == json.loads(tokenauth.error_json(tokenauth.Status.REVOKED))


def test_403_missing_scope_and_downgrade(env: tuple) -> None:
    store, client = env
    secret, _ = store.create_token("ci", "tickets:read", actor="alice")
    r = client.post("/api/tickets", headers=auth(secret), json={"title": "x"})
    assert r.status_code == 403 and r.get_json() == FORBIDDEN
    assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
    bob, _ = store.create_token("bob", "tickets:write assets:read", actor="bob")
    r = client.post("/api/tickets", headers=auth(bob), json={"title": "new"})
    assert r.status_code == 201 and r.get_json()["data"]["created_by"] == "bob"
    assert client.get("/api/assets", headers=auth(bob)).status_code == 200
    store.put_member("bob", "tickets:write ManagePersonalAccessTokens")  # downgraded
    r = client.get("/api/assets", headers=auth(bob))
    assert r.status_code == 403 and r.get_json() == FORBIDDEN


def test_429_has_retry_after_and_ratelimit_headers(env: tuple) -> None:
    store, client = env
    store.set_clock(now_ms())
    secret, _ = store.create_token("rl", "tickets:read", actor="alice", rate_limit=2,
                                   rate_window_ms=10_000)
    r1 = client.get("/api/tickets", headers=auth(secret))
    assert r1.status_code == 200
    assert r1.headers["RateLimit-Policy"] == '"default";q=2;w=10'
    assert r1.headers["RateLimit"].startswith('"default";r=1;t=')
    assert client.get("/api/tickets", headers=auth(secret)).status_code == 200
    r3 = client.get("/api/tickets", headers=auth(secret))
    assert r3.status_code == 429
    assert r3.get_json() == json.loads(tokenauth.error_json(tokenauth.Status.RATE_LIMITED))
    assert int(r3.headers["Retry-After"]) == 5  # 1 unit per 5 s
    assert r3.headers["RateLimit"].startswith('"default";r=0;t=')


def test_unmapped_route_fails_closed(env: tuple) -> None:
    store, client = env
    secret, _ = store.create_token("ci", "tickets:read", actor="alice")
    r = client.get("/api/secret", headers=auth(secret))
    assert r.status_code == 404
    assert r.get_json() == json.loads(tokenauth.error_json(tokenauth.Status.NOT_FOUND))
