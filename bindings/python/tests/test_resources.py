"""Tokens whose grants are scoped to resources (SCOPE@PATTERN): Store.verify(..., resource=...)."""

from __future__ import annotations

import pytest

import tokenauth
from tokenauth import Status


@pytest.fixture
def p42(store: tokenauth.Store) -> tokenauth.IssuedToken:
    """A service token of the project lead that reads the tickets of project 42 only."""
    store.put_member("lead", "tickets:write@project/42 ManageServiceAccessTokens")
    return store.create_token("jira sync p42", "tickets:read@project/42", kind="service", actor="lead")


def test_a_qualified_grant_allows_its_resource_and_refuses_another(
    store: tokenauth.Store, p42: tokenauth.IssuedToken
) -> None:
    ok = store.verify("Bearer " + p42.secret, "tickets:read", resource="project/42/tickets/7")
    assert ok.ok and ok.token_id == p42.id and ok.http_status == 200
    assert store.verify(p42.secret, ["tickets:read"], resource="project/42").ok
    assert store.verify(p42.secret, "tickets:read", resource=b"project/42/tickets").ok
    other = store.verify(p42.secret, "tickets:read", resource="project/43/tickets/1")
    assert other.status == Status.FORBIDDEN and other.http_status == 403
    assert other.missing_scope == "tickets:read" and "project/43" in other.message
    assert not store.verify(p42.secret, "tickets:read", resource="project").ok  # above the pattern
    assert not store.verify(p42.secret, "tickets:write", resource="project/42").ok  # not granted
    with pytest.raises(tokenauth.Forbidden) as e:
        store.require(p42.secret, "tickets:read", resource="project/43")
    assert e.value.missing_scope == "tickets:read" and "project/43" in e.value.message
    assert store.require(p42.secret, "tickets:read", resource="project/42").subject == p42.id


def test_plain_verify_of_a_qualified_only_token_is_forbidden(
    store: tokenauth.Store, p42: tokenauth.IssuedToken
) -> None:
    for verdict in (store.verify(p42.secret, "tickets:read"),
                    store.verify(p42.secret, "tickets:read", resource=None),
                    store.verify(p42.secret, "tickets:read", resource="")):
        assert verdict.status == Status.FORBIDDEN and verdict.http_status == 403
        assert verdict.missing_scope == "tickets:read"
    assert store.verify(p42.secret).ok  # no scope required: any valid token


def test_an_unqualified_grant_covers_every_resource(team: tokenauth.Store) -> None:
    secret, _ = team.create_token("all", "tickets:read", actor="alice")
    assert team.verify(secret, "tickets:read", resource="project/43/tickets/1").ok
    assert team.verify(secret, "tickets:read").ok


def test_an_owner_narrowed_to_a_resource_narrows_the_personal_token(team: tokenauth.Store) -> None:
    secret, _ = team.create_token("mine", "tickets:read", actor="alice")
    team.put_member("alice", "tickets:read@project/42 ManagePersonalAccessTokens")
    assert team.verify(secret, "tickets:read", resource="project/42/tickets/1").ok
    assert team.verify(secret, "tickets:read", resource="project/43").status == Status.FORBIDDEN
    assert team.verify(secret, "tickets:read").status == Status.FORBIDDEN


@pytest.mark.parametrize("resource", ["project/4 2", "project//42", "/project", "project/*", "x" * 1025, "é"])
def test_an_ill_formed_resource_is_invalid_argument_and_counts_nowhere(
    store: tokenauth.Store, resource: str
) -> None:
    store.put_member("lead", "tickets:read ManageServiceAccessTokens")
    secret, token_id = store.create_token("one", "tickets:read", kind="service", actor="lead",
                                          rate_limit=1, rate_window_ms=60_000)
    verdict = store.verify(secret, "tickets:read", resource=resource)
    assert verdict.status == Status.INVALID_ARGUMENT and verdict.http_status == 400
    assert "resource" in verdict.message and verdict.token_id == ""
    with pytest.raises(tokenauth.InvalidArgument):
        store.require(secret, "tickets:read", resource=resource)
    assert store.verify(secret, "tickets:read", resource="project/1").ok  # the one unit is still there
    store.flush()
    assert store.stats(token_id)["denied_count"] == 0


def test_resource_arguments_the_binding_refuses(store: tokenauth.Store, p42: tokenauth.IssuedToken) -> None:
    with pytest.raises(tokenauth.InvalidArgument, match="resource contains a NUL byte"):
        store.verify(p42.secret, "tickets:read", resource="project/42\0/x")
    with pytest.raises(TypeError):
        store.verify(p42.secret, "tickets:read", resource=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.verify(p42.secret, "tickets:read", "project/42")  # type: ignore[misc]  # keyword only


def test_the_grant_used_is_counted_as_written(store: tokenauth.Store, p42: tokenauth.IssuedToken) -> None:
    assert store.verify(p42.secret, "tickets:read", resource="project/42/tickets/7").ok
    store.flush()
    assert store.stats(p42.id)["scopes_used"] == ["tickets:read@project/42"]
    assert store.get_token(p42.id)["scopes"] == ["tickets:read@project/42"]


def test_creation_keeps_least_privilege_per_grant(store: tokenauth.Store) -> None:
    store.put_member("lead", "tickets:write@project/42 ManageServiceAccessTokens")
    for scopes in ("tickets:read@project/43", "tickets:read", "tickets:read@project/*"):
        with pytest.raises(tokenauth.PermissionDenied):
            store.create_token("wider", scopes, kind="service", actor="lead")
    narrower = store.create_token("one ticket", "tickets:read@project/42/tickets/7", kind="service", actor="lead")
    assert store.verify(narrower.secret, "tickets:read", resource="project/42/tickets/7").ok
    assert not store.verify(narrower.secret, "tickets:read", resource="project/42/tickets/8").ok
    with pytest.raises(tokenauth.UnknownScope):
        store.create_token("typo", "tickets:raed@project/42", kind="service")
