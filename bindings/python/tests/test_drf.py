"""tokenauth.contrib.drf, through Django's test client, on the example project
(examples/drf_project: the settings and views docs/python.md shows)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Iterator, Optional, Tuple

import pytest

pytest.importorskip("django")
pytest.importorskip("rest_framework")

import django  # noqa: E402

from conftest import (  # noqa: E402
    READER, REFUSALS, REPO, assert_ill_formed_resource_is_400, assert_reaches_project_42_only, assert_refusal,
    in_child, project_42_token, refusal_cases,
)

sys.path.insert(0, str(REPO / "bindings" / "python" / "examples" / "drf_project"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tickets.settings")
os.environ["DJANGO_DB"] = ":memory:"
django.setup()

from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

import tokenauth  # noqa: E402
from tokenauth import Status  # noqa: E402
from tokenauth.contrib import drf  # noqa: E402

REALM = "tickets"


class Undeclared(APIView):
    """A view that forgot required_scopes."""

    def get(self, request: Any) -> Response:
        return Response({})


class ReadOnlyDeclared(APIView):
    """Declares GET only, but also handles DELETE."""

    required_scopes = {"get": "tickets:read"}

    def get(self, request: Any) -> Response:
        return Response({"user": type(request.user).__name__, "username": request.user.username})

    def delete(self, request: Any) -> Response:
        return Response(status=204)


class ProjectSearch(APIView):
    """Names its resource from the query string, through get_required_resource."""

    required_scopes = ["tickets:read"]

    def get_required_resource(self, request: Any) -> Optional[str]:
        project = request.query_params.get("project")
        return f"project/{project}" if project else None

    def get(self, request: Any) -> Response:
        return Response({"token": request.auth.token_id})


class MisnamedResource(APIView):
    required_scopes = ["tickets:read"]
    required_resource = "project/{project_id}"  # the URL's kwarg is "pk"

    def get(self, request: Any, pk: int) -> Response:
        return Response({})


urlpatterns = [
    path("", include("tickets.urls")),
    path("test/undeclared", Undeclared.as_view()),
    path("test/read-only", ReadOnlyDeclared.as_view()),
    path("test/search", ProjectSearch.as_view()),
    path("test/misnamed/<int:pk>", MisnamedResource.as_view()),
]


@pytest.fixture
def api(tmp_path: Any) -> Iterator[Tuple[tokenauth.Store, Client]]:
    """(a store on the app's token database, a test client); the app opens its own store."""
    db = str(tmp_path / "tokens.db")
    with tokenauth.Store.open(db) as store, override_settings(
        TOKENAUTH={"STORE": db, "REALM": REALM}, ROOT_URLCONF=__name__
    ):
        store.put_member("alice", READER)
        store.put_member("bob", "tickets:read tickets:write assets:read ManagePersonalAccessTokens")
        yield store, Client()


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def as_meta(headers: dict) -> dict:
    """Request headers as Django's test client takes them (``HTTP_AUTHORIZATION=...``)."""
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}


def usage(store: tokenauth.Store, token_id: str) -> dict:
    drf.gateway().flush()  # the app queues usage, and its handle buffers it
    return store.stats(token_id)


def test_a_token_with_the_scope_passes(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    secret, token_id = store.create_token("ci", "tickets:read", actor="alice")
    r = client.get("/api/tickets/", **bearer(secret))
    assert r.status_code == 200 and r.json()["subject"] == "alice"
    assert "RateLimit" not in r.headers  # an unlimited token
    assert client.get("/health").json() == {"ok": True}  # AllowAny, no authentication


def test_request_auth_is_the_verdict(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    secret, token_id = store.create_token("assets", "assets:read", actor="bob")
    r = client.get("/api/assets/", **bearer(secret))
    assert r.status_code == 200 and r.json()["token"] == token_id


def test_scopes_per_method(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    reader, _ = store.create_token("r", "tickets:read", actor="alice")
    writer, _ = store.create_token("w", "tickets:write", actor="bob")
    r = client.post("/api/tickets/", {"title": "x"}, content_type="application/json", **bearer(reader))
    assert r.status_code == 403
    assert r.headers["WWW-Authenticate"] == f'Bearer realm="{REALM}", error="insufficient_scope", scope="tickets:write"'
    r = client.post("/api/tickets/", {"title": "new"}, content_type="application/json", **bearer(writer))
    assert r.status_code == 201 and r.json()["data"]["created_by"] == "bob"


def test_scopes_per_view(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    reader, _ = store.create_token("r", "tickets:read", actor="alice")
    assert client.get("/api/tickets/1/", **bearer(reader)).status_code == 200
    assert client.get("/api/assets/", **bearer(reader)).status_code == 403


def test_a_method_the_mapping_leaves_out_is_refused(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    secret, token_id = store.create_token("r", "tickets:read", actor="alice")
    assert client.get("/test/read-only", **bearer(secret)).status_code == 200
    assert client.head("/test/read-only", **bearer(secret)).status_code == 200  # HEAD is GET's
    r = client.delete("/test/read-only", **bearer(secret))
    assert r.status_code == 403 and r.json() == {"success": False, "errors": ["Forbidden"], "data": None}
    # No handler at all: DRF's own 405, before any refusal.
    assert client.put("/test/read-only", **bearer(secret)).status_code == 405
    assert client.put("/test/read-only").status_code == 405


@pytest.mark.parametrize("name", REFUSALS)
def test_every_refusal_status_with_its_headers(api: Tuple[tokenauth.Store, Client], name: str) -> None:
    store, client = api
    case = refusal_cases(store)[name]
    headers = {"HTTP_AUTHORIZATION": case.authorization} if case.authorization else {}
    for _ in range(case.passes_first):
        assert client.get("/api/tickets/", **headers).status_code == 200
    r = client.get("/api/tickets/", **headers)
    assert r["Content-Type"] == "application/json"
    assert_refusal(case, r.status_code, r.headers, r.json(), REALM)


def test_rate_limit_headers_on_success(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    secret, _ = store.create_token("rl", "tickets:read", actor="alice", rate_limit=5, rate_window_ms=10_000)
    r = client.get("/api/tickets/", **bearer(secret))
    assert r.status_code == 200
    assert r.headers["RateLimit-Policy"] == '"default";q=5;w=10'
    assert r.headers["RateLimit"].startswith('"default";r=4;t=')


def test_the_store_unavailable_is_503(tmp_path: Any, caplog: Any) -> None:
    missing = str(tmp_path / "no-such-dir" / "tokens.db")
    with override_settings(TOKENAUTH={"STORE": missing}), caplog.at_level(logging.ERROR, "tokenauth"):
        r = Client().get("/api/tickets/", HTTP_AUTHORIZATION="Bearer x")
    assert r.status_code == 503 and r.json() == {"success": False, "errors": ["Service Unavailable"], "data": None}
    assert "could not be opened" in caplog.text


def test_other_schemes_are_left_to_other_authenticators(api: Tuple[tokenauth.Store, Client]) -> None:
    _, client = api
    r = client.get("/api/tickets/", HTTP_AUTHORIZATION="Basic YWxpY2U6cHc=")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == f'Bearer realm="{REALM}"'


def test_a_view_without_required_scopes_is_a_configuration_error(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    secret, _ = store.create_token("r", "tickets:read", actor="alice")
    with pytest.raises(ImproperlyConfigured, match="required_scopes"):
        client.get("/test/undeclared", **bearer(secret))


def test_usage_is_recorded_with_the_response_status(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    secret, token_id = store.create_token("ci", "tickets:read", actor="alice")
    assert client.get("/api/tickets/1/", **bearer(secret)).status_code == 200
    assert client.get("/api/tickets/99/", **bearer(secret)).status_code == 404
    assert client.get("/api/tickets/", **bearer(secret)).status_code == 200
    st = usage(store, token_id)
    assert st["use_count"] == 3
    assert st["by_operation"] == {"GET /api/tickets/<int:pk>/": 2, "GET /api/tickets/": 1}
    assert st["by_status"] == {"200": 2, "404": 1}


def test_settings_are_checked(tmp_path: Any) -> None:
    with override_settings(TOKENAUTH={"STORE": str(tmp_path / "t.db"), "STROE": 1}):
        with pytest.raises(ImproperlyConfigured, match="STROE"):
            drf.gateway()
    with override_settings(TOKENAUTH={}):
        with pytest.raises(ImproperlyConfigured, match="STORE"):
            drf.gateway()


def test_prefix_and_options_reach_the_store(tmp_path: Any) -> None:
    db = str(tmp_path / "t.db")
    with override_settings(TOKENAUTH={"STORE": db, "PREFIX": "acme", "OPTIONS": {"default_rate_limit": 7}}):
        store = drf.gateway().store()
        store.put_member("alice", READER)
        secret, _ = store.create_token("x", "tickets:read", actor="alice")
        assert secret.startswith("acmep_")
        assert store.verify(secret).rate_limit == 7


def test_django_users(api: Tuple[tokenauth.Store, Client]) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command

    store, client = api
    call_command("migrate", "auth", verbosity=0)
    User.objects.create_user("alice")
    secret, _ = store.create_token("r", "tickets:read", actor="alice")
    store.put_member("svc-admin", "ManageServiceAccessTokens tickets:read")
    service, service_id = store.create_token("svc", "tickets:read", kind="service", actor="svc-admin")
    with override_settings(TOKENAUTH={**drf.tokenauth_settings(), "USER": "django"}):
        assert client.get("/test/read-only", **bearer(secret)).json() == {"user": "User", "username": "alice"}
        r = client.get("/test/read-only", **bearer(service)).json()
        assert r == {"user": "TokenPrincipal", "username": service_id}
        User.objects.filter(username="alice").update(is_active=False)
        r = client.get("/test/read-only", **bearer(secret))
        assert r.status_code == 403 and r.json() == {"success": False, "errors": ["Forbidden"], "data": None}


def test_preloaded_app_workers_open_their_own_store(api: Tuple[tokenauth.Store, Client]) -> None:
    """gunicorn --preload: the master imports the app and forks; it opened no store."""
    store, client = api
    secret, token_id = store.create_token("ci", "tickets:read", actor="alice")
    store.close()  # the master holds no store when it forks
    gateway = drf.gateway()
    assert not gateway.is_open

    def worker() -> Tuple[int, bool]:
        status = Client().get("/api/tickets/", **bearer(secret)).status_code
        opened = drf.gateway().is_open
        tokenauth._process._at_exit()  # what the worker's interpreter exit does: flush, close
        return status, opened

    assert [in_child(worker) for _ in range(2)] == [(200, True), (200, True)]
    assert not gateway.is_open  # the master still has none
    with tokenauth.Store.open(drf.tokenauth_settings()["STORE"]) as again:
        assert again.stats(token_id)["by_status"] == {"200": 2}  # both workers', flushed at exit


def test_a_worker_forked_with_the_store_open_refuses_to_use_it(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    secret, token_id = store.create_token("ci", "tickets:read", actor="alice")
    assert client.get("/api/tickets/", **bearer(secret)).status_code == 200
    inherited = drf.gateway().store()

    def worker() -> Tuple[int, Any]:
        r = Client().get("/api/tickets/", **bearer(secret))
        return r.status_code, r.json()

    assert in_child(worker) == (503, {"success": False, "errors": ["Service Unavailable"], "data": None})
    # The parent's handle is intact: it verifies, and a revoke is seen at once.
    assert client.get("/api/tickets/", **bearer(secret)).status_code == 200
    assert drf.gateway().store() is inherited
    store.revoke(token_id)
    assert client.get("/api/tickets/", **bearer(secret)).status_code == 401


def test_a_token_scoped_to_a_project_reaches_that_project_only(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    token_id = assert_reaches_project_42_only(
        store, lambda path, headers: client.get(path, **as_meta(headers)), "/api/projects/{project}/tickets/",
        "/api/tickets/", REALM)
    assert usage(store, token_id)["by_operation"] == {"GET /api/projects/<str:project_id>/tickets/": 1}


def test_an_ill_formed_resource_is_400(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    assert_ill_formed_resource_is_400(
        store, lambda path, headers: client.get(path, **as_meta(headers)), "/api/projects/{project}/tickets/")


def test_get_required_resource(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    secret, token_id = project_42_token(store)
    assert client.get("/test/search?project=42", **bearer(secret)).json() == {"token": token_id}
    assert client.get("/test/search?project=43", **bearer(secret)).status_code == 403
    assert client.get("/test/search", **bearer(secret)).status_code == 403


def test_a_template_naming_a_missing_kwarg_is_a_configuration_error(api: Tuple[tokenauth.Store, Client]) -> None:
    store, client = api
    secret, _ = project_42_token(store)
    with pytest.raises(LookupError, match=r"\{project_id\}.*\['pk'\]"):
        client.get("/test/misnamed/1", **bearer(secret))
