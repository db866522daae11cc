"""tokenauth.contrib.fastapi, through FastAPI's TestClient, on examples/fastapi_app.py."""

from __future__ import annotations

import logging
from typing import Any, Iterator, Optional, Tuple

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi import FastAPI, Request, Security  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

import tokenauth  # noqa: E402
from tokenauth.contrib import Gateway  # noqa: E402
from tokenauth.contrib.fastapi import TokenAuth  # noqa: E402

from conftest import (  # noqa: E402
    READER, REFUSALS, assert_ill_formed_resource_is_400, assert_reaches_project_42_only, assert_refusal, bearer,
    load_example, project_42_token, refusal_cases,
)

REALM = "tickets"
example = load_example("fastapi_app.py")


@pytest.fixture
def api(tmp_path: Any) -> Iterator[Tuple[tokenauth.Store, TestClient, Gateway]]:
    """(a store on the app's database, a TestClient of the example app, the app's gateway)."""
    db = str(tmp_path / "tokens.db")
    gateway = Gateway(db, realm=REALM)
    with tokenauth.Store.open(db) as store, TestClient(example.create_app(gateway)) as client:
        store.put_member("alice", READER)
        store.put_member("bob", "tickets:read tickets:write ManagePersonalAccessTokens")
        yield store, client, gateway
    gateway.close()



def test_the_verdict_reaches_the_endpoint(api: Tuple[tokenauth.Store, TestClient, Gateway]) -> None:
    store, client, _ = api
    secret, _ = store.create_token("ci", "tickets:read", actor="alice")
    r = client.get("/api/tickets", headers=bearer(secret))
    assert r.status_code == 200 and r.json()["subject"] == "alice"
    assert client.get("/health").json() == {"ok": True}


def test_scopes_per_route(api: Tuple[tokenauth.Store, TestClient, Gateway]) -> None:
    store, client, _ = api
    reader, _ = store.create_token("r", "tickets:read", actor="alice")
    writer, _ = store.create_token("w", "tickets:write", actor="bob")
    r = client.post("/api/tickets", json={"title": "x"}, headers=bearer(reader))
    assert r.status_code == 403
    assert r.headers["WWW-Authenticate"] == f'Bearer realm="{REALM}", error="insufficient_scope", scope="tickets:write"'
    r = client.post("/api/tickets", json={"title": "new"}, headers=bearer(writer))
    assert r.status_code == 201 and r.json()["data"]["created_by"] == "bob"


@pytest.mark.parametrize("name", REFUSALS)
def test_every_refusal_status_with_its_headers(api: Tuple[tokenauth.Store, TestClient, Gateway], name: str) -> None:
    store, client, _ = api
    case = refusal_cases(store)[name]
    headers = {"Authorization": case.authorization} if case.authorization else {}
    for _ in range(case.passes_first):
        assert client.get("/api/tickets", headers=headers).status_code == 200
    r = client.get("/api/tickets", headers=headers)
    assert r.headers["content-type"] == "application/json"
    assert_refusal(case, r.status_code, r.headers, r.json(), REALM)


def test_rate_limit_headers_on_success(api: Tuple[tokenauth.Store, TestClient, Gateway]) -> None:
    store, client, _ = api
    secret, _ = store.create_token("rl", "tickets:read", actor="alice", rate_limit=5, rate_window_ms=10_000)
    r = client.get("/api/tickets", headers=bearer(secret))
    assert r.status_code == 200
    assert r.headers["RateLimit-Policy"] == '"default";q=5;w=10'
    assert r.headers["RateLimit"].startswith('"default";r=4;t=')


def test_usage_is_recorded_with_the_response_status(api: Tuple[tokenauth.Store, TestClient, Gateway]) -> None:
    store, client, gateway = api
    secret, token_id = store.create_token("ci", "tickets:read", actor="alice")
    assert client.get("/api/tickets/1", headers=bearer(secret)).status_code == 200
    assert client.get("/api/tickets/99", headers=bearer(secret)).status_code == 404
    assert client.get("/api/tickets/x", headers=bearer(secret)).status_code == 422  # validation
    gateway.flush()
    st = store.stats(token_id)
    assert st["by_operation"] == {"GET /api/tickets/{ticket_id}": 3}
    assert st["by_status"] == {"200": 1, "404": 1, "422": 1}


def test_the_openapi_document_names_the_scheme_and_the_scopes(api: Tuple[tokenauth.Store, TestClient, Gateway]) -> None:
    _, client, _ = api
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["tokenauth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "tokenauth",
        "description": "An API access token: `Authorization: Bearer <token>`.",
    }
    assert doc["paths"]["/api/tickets"]["get"]["security"] == [{"tokenauth": ["tickets:read"]}]
    assert doc["paths"]["/api/tickets"]["post"]["security"] == [{"tokenauth": ["tickets:write"]}]
    assert "security" not in doc["paths"]["/health"]["get"]


def test_nested_security_scopes_add_up(tmp_path: Any) -> None:
    db = str(tmp_path / "t.db")
    auth = TokenAuth(db)
    app = FastAPI()
    auth.install(app)

    def admin_reader(verdict: tokenauth.Verdict = Security(auth, scopes=["tickets:read"])) -> tokenauth.Verdict:
        return verdict

    @app.get("/both")
    def both(verdict: tokenauth.Verdict = Security(admin_reader, scopes=["assets:read"])) -> dict:
        return {"id": verdict.token_id}

    with tokenauth.Store.open(db) as store, TestClient(app) as client:
        store.put_member("bob", "tickets:read assets:read ManagePersonalAccessTokens")
        one, _ = store.create_token("one", "tickets:read", actor="bob")
        two, two_id = store.create_token("two", "tickets:read assets:read", actor="bob")
        assert client.get("/both", headers=bearer(one)).status_code == 403
        assert client.get("/both", headers=bearer(two)).json() == {"id": two_id}
        security = client.get("/openapi.json").json()["paths"]["/both"]["get"]["security"]
        assert security == [{"tokenauth": ["assets:read", "tickets:read"]}]
    auth.gateway.close()


def test_without_install_refusals_are_fastapi_http_exceptions(tmp_path: Any, caplog: Any) -> None:
    db = str(tmp_path / "t.db")
    auth = TokenAuth(db, realm="bare")
    app = FastAPI()

    @app.get("/x")
    def x(verdict: tokenauth.Verdict = Security(auth, scopes=["tickets:read"])) -> dict:
        return {}

    with tokenauth.Store.open(db) as store, TestClient(app) as client, caplog.at_level(logging.WARNING, "tokenauth"):
        r = client.get("/x")
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="bare"'
        assert r.json() == {"detail": {"success": False, "errors": ["Unauthorized"], "data": None}}
        store.put_member("alice", READER)
        secret, _ = store.create_token("r", "tickets:read", actor="alice")
        assert client.get("/x", headers=bearer(secret)).status_code == 200
    assert "install(app)" in caplog.text
    auth.gateway.close()


def test_the_store_unavailable_is_503(tmp_path: Any) -> None:
    app = example.create_app(str(tmp_path / "no-such-dir" / "tokens.db"))
    with TestClient(app) as client:
        r = client.get("/api/tickets", headers={"Authorization": "Bearer x"})
    assert r.status_code == 503 and r.json()["errors"] == ["Service Unavailable"]


def test_a_token_scoped_to_a_project_reaches_that_project_only(
    api: Tuple[tokenauth.Store, TestClient, Gateway]
) -> None:
    store, client, gateway = api
    token_id = assert_reaches_project_42_only(
        store, lambda path, headers: client.get(path, headers=headers), "/api/projects/{project}/tickets",
        "/api/tickets", REALM)
    gateway.flush()
    assert store.stats(token_id)["by_operation"] == {"GET /api/projects/{project_id}/tickets": 1}
    security = client.get("/openapi.json").json()["paths"]["/api/projects/{project_id}/tickets"]["get"]["security"]
    assert security == [{"tokenauth": ["tickets:read"]}]  # the same scheme


def test_an_ill_formed_resource_is_400(api: Tuple[tokenauth.Store, TestClient, Gateway]) -> None:
    store, client, _ = api
    assert_ill_formed_resource_is_400(
        store, lambda path, headers: client.get(path, headers=headers), "/api/projects/{project}/tickets")


def test_a_resource_callable_may_be_async(tmp_path: Any) -> None:
    db = str(tmp_path / "t.db")
    seen = []

    async def project_of(request: Request) -> Optional[str]:
        seen.append(request.url.path)
        project = request.query_params.get("project")
        return f"project/{project}" if project else None

    auth = TokenAuth(db, resource=project_of)
    app = FastAPI()
    auth.install(app)

    @app.get("/search")
    def search(verdict: tokenauth.Verdict = Security(auth, scopes=["tickets:read"])) -> dict:
        return {"id": verdict.token_id}

    @app.get("/p/{project}")
    def other(verdict: tokenauth.Verdict = Security(auth.for_resource(lambda r: "project/" + r.path_params["project"]),
                                                    scopes=["tickets:read"])) -> dict:
        return {}

    with tokenauth.Store.open(db) as store, TestClient(app) as client:
        secret, token_id = project_42_token(store)
        assert client.get("/search?project=42", headers=bearer(secret)).json() == {"id": token_id}
        assert client.get("/search?project=43", headers=bearer(secret)).status_code == 403
        assert client.get("/search", headers=bearer(secret)).status_code == 403
        assert client.get("/p/42", headers=bearer(secret)).status_code == 200
        assert client.get("/p/43", headers=bearer(secret)).status_code == 403
    assert seen == ["/search"] * 3
    assert auth.resource is project_of  # for_resource made a copy
    auth.gateway.close()


def test_a_template_naming_a_missing_parameter_is_a_configuration_error(tmp_path: Any) -> None:
    auth = TokenAuth(str(tmp_path / "t.db"), resource="project/{project_id}")
    app = FastAPI()
    auth.install(app)

    @app.get("/p/{id}")
    def p(verdict: tokenauth.Verdict = Security(auth, scopes=["tickets:read"])) -> dict:
        return {}

    with TestClient(app) as client, pytest.raises(LookupError, match=r"\{project_id\}.*\['id'\]"):
        client.get("/p/42", headers={"Authorization": "Bearer x"})
    auth.gateway.close()
