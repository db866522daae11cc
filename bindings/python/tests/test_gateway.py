"""tokenauth.contrib.Gateway: what the framework integrations share."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

import tokenauth
from tokenauth import Status
from tokenauth.contrib import Gateway, ResourceTemplate, scopes_for_method
from tokenauth.contrib._gateway import OPERATION_MAX, as_gateway

from conftest import READER, in_child, issued_token, project_42_token


def test_scopes_for_method() -> None:
    assert scopes_for_method(["a:read"], "DELETE") == ["a:read"]
    assert scopes_for_method("a:read", "get") == "a:read"
    per_method = {"get": ["a:read"], "POST": ["a:write"]}
    assert scopes_for_method(per_method, "GET") == ["a:read"]
    assert scopes_for_method(per_method, "head") == ["a:read"]
    assert scopes_for_method(per_method, "post") == ["a:write"]
    assert scopes_for_method(per_method, "DELETE") is None
    assert scopes_for_method({"HEAD": []}, "HEAD") == []


def test_nothing_opens_before_the_first_request(tmp_path: Any) -> None:
    db = tmp_path / "t.db"
    gateway = Gateway(str(db))
    assert not gateway.is_open and not db.exists()
    assert gateway.check(None).status == 401
    assert gateway.is_open and db.exists()
    gateway.close()
    assert not gateway.is_open


def test_store_options_and_openers(tmp_path: Any) -> None:
    gateway = Gateway(str(tmp_path / "t.db"), token_prefix="acme", default_rate_limit=3)
    store = gateway.store()
    store.put_member("alice", READER)
    secret, _ = store.create_token("x", "tickets:read", actor="alice")
    assert secret.startswith("acmep_") and gateway.check("Bearer " + secret).verdict.rate_limit == 3
    gateway.close()
    opened = []
    custom = Gateway(lambda: opened.append(1) or tokenauth.Store.open(":memory:"))
    assert custom.store() is custom.store()
    assert opened == [1]
    custom.close()
    with pytest.raises(TypeError):
        Gateway(lambda: tokenauth.Store.open(":memory:"), token_prefix="x")
    assert as_gateway(custom) is custom
    with pytest.raises(TypeError):
        as_gateway(custom, token_prefix="x")


def test_answers(tmp_path: Any) -> None:
    gateway = Gateway(str(tmp_path / "t.db"), realm='a "quoted" realm')
    store = gateway.store()
    store.put_member("alice", READER)
    secret, _ = store.create_token("x", "tickets:read", actor="alice")
    ok = gateway.check(b"Bearer " + secret.encode(), ["tickets:read"])
    assert ok.ok and ok.status == 200 and ok.body is None and ok.json() is None and dict(ok.headers) == {}
    missing = gateway.check("  ")
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="a \\"quoted\\" realm"'
    forbidden = gateway.check("Bearer " + secret, ["tickets:write", "assets:read"])
    assert forbidden.status == 403 and not forbidden.ok and forbidden.verdict is not None
    assert forbidden.headers["WWW-Authenticate"].endswith('error="insufficient_scope", scope="tickets:write assets:read"')
    assert forbidden.json() == {"success": False, "errors": ["Forbidden"], "data": None}
    not_found = gateway.refuse(Status.NOT_FOUND)
    assert not_found.status == 404 and not_found.verdict is None and dict(not_found.headers) == {}
    assert not gateway.check("Bearer €" + secret).ok  # not latin-1: passed as UTF-8, judged by the library
    gateway.close()


def test_an_unopenable_store_is_503_until_it_opens(tmp_path: Any, caplog: Any) -> None:
    folder = tmp_path / "later"
    gateway = Gateway(str(folder / "t.db"))
    with caplog.at_level(logging.ERROR, "tokenauth"):
        answer = gateway.check("Bearer x")
    assert answer.status == 503 and answer.json()["errors"] == ["Service Unavailable"]
    assert "could not be opened" in caplog.text and not gateway.is_open
    folder.mkdir()
    assert gateway.check("Bearer x").status == 401 and gateway.is_open
    gateway.close()


def test_usage_is_recorded_and_never_fails_a_request(tmp_path: Any, caplog: Any) -> None:
    gateway = Gateway(str(tmp_path / "t.db"))
    store = gateway.store()
    store.put_member("alice", READER)
    secret, token_id = store.create_token("x", "tickets:read", actor="alice")
    verdict = gateway.check("Bearer " + secret).verdict
    long_name = "GET /" + "é" * 300
    gateway.record(verdict, long_name, 200)
    gateway.flush()
    [(name, count)] = store.stats(token_id)["by_operation"].items()
    assert count == 1 and len(name.encode()) <= OPERATION_MAX and long_name.startswith(name)
    store.delete(token_id)
    with caplog.at_level(logging.WARNING, "tokenauth"):
        gateway.record(verdict, "GET /", 200)  # deleted meanwhile: logged, not raised
        gateway.flush()
    assert "not recorded" in caplog.text
    gateway.close()


def test_usage_is_recorded_by_a_background_thread(tmp_path: Any) -> None:
    gateway = Gateway(str(tmp_path / "t.db"))
    store = gateway.store()
    store.put_member("alice", READER)
    secret, token_id = store.create_token("x", "tickets:read", actor="alice")
    verdict = gateway.check("Bearer " + secret).verdict
    for status in (200, 200, 404):
        gateway.record(verdict, "GET /x", status)
    deadline = time.monotonic() + 10
    while gateway._usage._queue and time.monotonic() < deadline:
        time.sleep(0.01)  # nobody drains it but the thread
    store.flush()
    assert store.stats(token_id)["by_status"] == {"200": 2, "404": 1}
    gateway.close()


def test_usage_queued_at_exit_is_recorded_before_the_store_closes(tmp_path: Any) -> None:
    db = str(tmp_path / "t.db")
    secret, token_id = issued_token(db)
    script = textwrap.dedent(f"""
        from tokenauth.contrib import Gateway, _usage
        _usage.DRAIN_INTERVAL_S = 3600  # only the exit may record it
        gateway = Gateway({db!r})
        answer = gateway.check("Bearer {secret}")
        gateway.record(answer.verdict, "GET /x", 201)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with tokenauth.Store.open(db) as store:
        assert store.stats(token_id)["by_status"] == {"201": 1}


def test_a_child_forked_before_the_first_request_opens_its_own_store(tmp_path: Any) -> None:
    db = str(tmp_path / "t.db")
    secret, _ = issued_token(db)
    gateway = Gateway(db)

    def child() -> Any:
        answer = gateway.check("Bearer " + secret)
        gateway.close()
        return answer.ok

    assert in_child(child) is True and not gateway.is_open


def test_a_child_forked_with_the_store_open_answers_503(tmp_path: Any, caplog: Any) -> None:
    gateway = Gateway(str(tmp_path / "t.db"))
    parent = gateway.store()
    parent.put_member("alice", READER)
    secret, _ = parent.create_token("x", "tickets:read", actor="alice")

    def child() -> Any:
        assert not gateway.is_open and parent.closed and "forked" in repr(parent)
        with caplog.at_level(logging.ERROR, "tokenauth"):
            answer = gateway.check("Bearer " + secret)
        return answer.status, "forked from pid" in caplog.text

    assert in_child(child) == (503, True)
    assert gateway.store() is parent and gateway.check("Bearer " + secret).ok
    gateway.close()


def test_check_on_a_resource() -> None:
    gateway = Gateway(":memory:")
    secret, _ = project_42_token(gateway.store())
    header = "Bearer " + secret
    assert gateway.check(header, "tickets:read", resource="project/42/tickets/7").ok
    refused = gateway.check(header, "tickets:read", resource="project/43")
    assert refused.status == 403 and refused.headers["WWW-Authenticate"].endswith('scope="tickets:read"')
    assert "project/43" in refused.verdict.message
    assert gateway.check(header, "tickets:read").status == 403
    bad = gateway.check(header, "tickets:read", resource="project/4 2")
    assert bad.status == 400 and bad.verdict.status == Status.INVALID_ARGUMENT and not bad.headers
    gateway.close()


def test_resource_templates() -> None:
    t = ResourceTemplate("project/{project_id}/tickets/{ticket_id}")
    assert t.fields == ("project_id", "ticket_id")
    assert t.fill({"project_id": 42, "ticket_id": "7", "other": 1}) == "project/42/tickets/7"
    assert ResourceTemplate("site/{{x}}").fill({}) == "site/{x}"  # literal braces: the library judges
    assert ResourceTemplate("project/42").fields == ()
    with pytest.raises(LookupError, match="ticket_id"):
        t.fill({"project_id": 42})
    for bad in ("p/{a.b}", "p/{a[0]}", "p/{a!r}", "p/{a:>3}", "p/{}", "p/{0}", "p/{a"):
        with pytest.raises(ValueError):
            ResourceTemplate(bad)
    with pytest.raises(TypeError):
        ResourceTemplate(b"p/{a}")  # type: ignore[arg-type]
