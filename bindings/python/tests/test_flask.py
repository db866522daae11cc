"""tokenauth.contrib.flask, through Flask's test client, on examples/flask_app.py."""

from __future__ import annotations

import json
from typing import Any, Iterator, Optional, Tuple

import pytest

import tokenauth
from tokenauth.contrib import Gateway
from tokenauth.contrib.flask import Route, TokenAuthMiddleware

from conftest import (READER, REFUSALS, assert_ill_formed_resource_is_400, assert_reaches_project_42_only,
                      assert_refusal, bearer, in_child, issued_token, load_example, project_42_token, refusal_cases)

pytest.importorskip("flask")

FORBIDDEN = {"success": False, "errors": ["Forbidden"], "data": None}
example = load_example("flask_app.py")


@pytest.fixture
def env(tmp_path: Any) -> Iterator[Tuple[tokenauth.Store, Any, Gateway]]:
    """(a store on the app's database, Flask's test client, the middleware's gateway)."""
    db = str(tmp_path / "tokens.db")
    gateway = Gateway(db)
    with tokenauth.Store.open(db) as store:
        store.put_member("alice", READER)
        store.put_member("bob", "tickets:write assets:read ManagePersonalAccessTokens")
        app = example.create_app(gateway)
        app.testing = True
        yield store, app.test_client(), gateway
    gateway.close()



def test_allowed_request_reaches_the_app_with_the_subject(env: tuple) -> None:
    store, client, gateway = env
    secret, token_id = store.create_token("ci", "tickets:read", actor="alice")
    r = client.get("/api/tickets", headers=bearer(secret))
    assert r.status_code == 200
    assert r.get_json()["subject"] == "alice" and r.get_json()["success"] is True
    assert "RateLimit" not in r.headers  # unlimited token
    assert client.get("/api/tickets/2", headers=bearer(secret)).status_code == 200
    assert client.head("/api/tickets/2", headers=bearer(secret)).status_code == 200  # HEAD is GET's
    assert client.get("/api/tickets/99", headers=bearer(secret)).status_code == 404
    gateway.flush()
    st = store.stats(token_id)
    assert st["by_operation"] == {"GET /api/tickets": 1, "GET /api/tickets/*": 3}
    assert st["by_status"] == {"200": 3, "404": 1} and st["use_count"] == 4


def test_public_route_needs_no_token(env: tuple) -> None:
    _, client, _ = env
    r = client.get("/health")
    assert r.status_code == 200 and r.get_json()["library"] == tokenauth.version()


@pytest.mark.parametrize("name", REFUSALS)
def test_every_refusal_status_with_its_headers(env: tuple, name: str) -> None:
    store, client, _ = env
    case = refusal_cases(store)[name]
    headers = {"Authorization": case.authorization} if case.authorization else {}
    for _ in range(case.passes_first):
        assert client.get("/api/tickets", headers=headers).status_code == 200
    r = client.get("/api/tickets", headers=headers)
    assert r.headers["Content-Type"] == "application/json"
    assert_refusal(case, r.status_code, r.headers, r.get_json(), "api")


def test_403_missing_scope_and_downgrade(env: tuple) -> None:
    store, client, _ = env
    secret, _ = store.create_token("ci", "tickets:read", actor="alice")
    r = client.post("/api/tickets", headers=bearer(secret), json={"title": "x"})
    assert r.status_code == 403 and r.get_json() == FORBIDDEN
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="api", error="insufficient_scope", scope="tickets:write"'
    bob, _ = store.create_token("bob", "tickets:write assets:read", actor="bob")
    r = client.post("/api/tickets", headers=bearer(bob), json={"title": "new"})
    assert r.status_code == 201 and r.get_json()["data"]["created_by"] == "bob"
    assert client.get("/api/assets", headers=bearer(bob)).status_code == 200
    store.put_member("bob", "tickets:write ManagePersonalAccessTokens")  # downgraded
    r = client.get("/api/assets", headers=bearer(bob))
    assert r.status_code == 403 and r.get_json() == FORBIDDEN


def test_rate_limit_headers_on_success(env: tuple) -> None:
    store, client, _ = env
    secret, _ = store.create_token("rl", "tickets:read", actor="alice", rate_limit=2, rate_window_ms=10_000)
    r = client.get("/api/tickets", headers=bearer(secret))
    assert r.status_code == 200
    assert r.headers["RateLimit-Policy"] == '"default";q=2;w=10'
    assert r.headers["RateLimit"].startswith('"default";r=1;t=')


def test_unmapped_route_fails_closed(env: tuple) -> None:
    store, client, _ = env
    secret, _ = store.create_token("ci", "tickets:read", actor="alice")
    r = client.get("/api/secret", headers=bearer(secret))
    assert r.status_code == 404
    assert r.get_json() == json.loads(tokenauth.error_json(tokenauth.Status.NOT_FOUND))


def test_workers_forked_before_the_first_request_open_their_own_store(tmp_path: Any) -> None:
    db = str(tmp_path / "tokens.db")
    secret, token_id = issued_token(db)
    gateway = Gateway(db)
    client = example.create_app(gateway).test_client()

    def worker() -> int:
        status = client.get("/api/tickets", headers=bearer(secret)).status_code
        gateway.close()  # flushes this worker's usage
        return status

    assert [in_child(worker) for _ in range(2)] == [200, 200]
    assert not gateway.is_open
    with tokenauth.Store.open(db) as store:
        assert store.stats(token_id)["by_status"] == {"200": 2}


def test_a_worker_forked_with_the_store_open_answers_503(env: tuple) -> None:
    store, client, gateway = env
    secret, _ = store.create_token("ci", "tickets:read", actor="alice")
    assert client.get("/api/tickets", headers=bearer(secret)).status_code == 200
    assert in_child(lambda: client.get("/api/tickets", headers=bearer(secret)).status_code) == 503
    assert client.get("/api/tickets", headers=bearer(secret)).status_code == 200


def test_a_token_scoped_to_a_project_reaches_that_project_only(env: tuple) -> None:
    store, client, gateway = env
    token_id = assert_reaches_project_42_only(
        store, lambda path, headers: client.get(path, headers=headers), "/api/projects/{project}/tickets",
        "/api/tickets", "api")
    gateway.flush()
    assert store.stats(token_id)["by_operation"] == {"GET /api/projects/{project}/tickets": 1}


def test_an_ill_formed_resource_is_400(env: tuple) -> None:
    store, client, _ = env
    assert_ill_formed_resource_is_400(
        store, lambda path, headers: client.get(path, headers=headers), "/api/projects/{project}/tickets")


def test_a_resource_callable_gets_the_environ_and_the_placeholders(env: tuple) -> None:
    store, _, _ = env
    secret, _ = project_42_token(store)
    seen = []

    def resource(environ: dict, params: dict) -> Optional[str]:
        seen.append((environ["PATH_INFO"], params))
        return None if params["project"] == "all" else f"project/{params['project']}"

    routes = {"GET /api/projects/{project}/tickets": Route("tickets:read", resource=resource)}
    gateway = Gateway(store.path)
    client = example.create_app(gateway, routes).test_client()
    assert client.get("/api/projects/42/tickets", headers=bearer(secret)).status_code == 200
    assert client.get("/api/projects/all/tickets", headers=bearer(secret)).status_code == 403
    gateway.close()
    assert seen == [("/api/projects/42/tickets", {"project": "42"}), ("/api/projects/all/tickets", {"project": "all"})]


def test_routes_with_placeholders_and_prefixes() -> None:
    routes = {
        "GET /api/tickets/*": "a",
        "GET /api/tickets/{id}": Route("b", "ticket/{id}"),
        "GET /api/tickets/{id}/*": "c",
        "GET /api/tickets/new": "d",
        "GET /api/{kind}/{id}": "e",
    }
    mw = TokenAuthMiddleware(lambda e, s: [], ":memory:", routes)
    assert mw.match("GET", "/api/tickets/new")[:2] == (Route("d"), "GET /api/tickets/new")
    assert mw.match("GET", "/api/tickets/7") == (Route("b", "ticket/{id}"), "GET /api/tickets/{id}", {"id": "7"})
    assert mw.match("HEAD", "/api/tickets/7/notes")[1:] == ("GET /api/tickets/{id}/*", {"id": "7"})
    assert mw.match("GET", "/api/tickets/")[1] == "GET /api/tickets/*"
    assert mw.match("GET", "/api/assets/9")[1:] == ("GET /api/{kind}/{id}", {"kind": "assets", "id": "9"})
    assert mw.match("GET", "/api/assets/9/x") is None and mw.match("POST", "/api/tickets/7") is None
    for bad in ({"GET /p/{a}/{a}": "s"},
                {"GET /p/{a}": Route("s", "project/{b}")},
                {"GET /p": Route("s", "project/{b}")},
                {"GET /p/{a}": Route("s", "project/{a.b}")}):
        with pytest.raises(ValueError):
            TokenAuthMiddleware(lambda e, s: [], ":memory:", bad)
