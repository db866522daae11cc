"""The helpers for consoles over large stores: token_page, token_actions, actor_rights,
member_list_for."""

from __future__ import annotations

import pytest

import tokenauth


def test_token_page_pages_in_descending_id_order(team: tokenauth.Store) -> None:
    ids = sorted((team.create_token(f"tok {i}", "tickets:read", actor="alice").id for i in range(5)), reverse=True)
    first = team.token_page({"limit": 2}, actor="alice")
    assert [t["id"] for t in first["tokens"]] == ids[:2]
    assert first["next"] == ids[1] and first["scanned"] >= 2
    assert {"as_of", "usage_flush_ms"} <= set(first)
    rest = team.token_page(f"limit=10 after={first['next']}", actor="alice")
    assert [t["id"] for t in rest["tokens"]] == ids[2:] and rest["next"] is None
    assert first["tokens"][0]["actions"] == ["rename", "deactivate", "revoke", "rotate", "delete"]


def test_token_page_filters(team: tokenauth.Store) -> None:
    team.create_token("Nightly Sync", "tickets:read", actor="alice")
    team.create_token("other", "tickets:read", actor="alice")
    page = team.token_page(name_contains="nightly", actor="alice")
    assert [t["name"] for t in page["tokens"]] == ["Nightly Sync"]
    svc = team.create_token("svc", "tickets:read", kind="service", actor="bob")
    page = team.token_page({"kind": "service", "usage_days": 3})
    assert [t["id"] for t in page["tokens"]] == [svc.id] and page["tokens"][0]["recent_uses"] == [0, 0, 0]
    with pytest.raises(tokenauth.InvalidArgument):
        team.token_page("limit=0")
    with pytest.raises(tokenauth.InvalidArgument):
        team.token_page({"colour": "red"})


def test_token_actions(team: tokenauth.Store) -> None:
    secret, token_id = team.create_token("ci", "tickets:read", actor="alice")
    assert team.token_actions(token_id, actor="alice") == {
        "token_id": token_id, "actions": ["rename", "deactivate", "revoke", "rotate", "delete"]}
    team.set_active(token_id, False, actor="alice")
    assert "activate" in team.token_actions(token_id, actor="alice")["actions"]
    assert "rotate" not in team.token_actions(token_id, actor="root")["actions"]  # only the owner
    with pytest.raises(tokenauth.NotFound):
        team.token_actions(token_id, actor="bob")  # bob cannot see alice's token


def test_actor_rights(team: tokenauth.Store) -> None:
    alice = team.actor_rights("alice")
    assert alice["actor"] == "alice" and alice["create"] == ["personal"]
    assert [s["scope"] for s in alice["grantable_scopes"]] == ["tickets:read"]
    assert alice["audit"] is False and alice["all_members"] is False
    host = team.actor_rights()
    assert host["actor"] == "system" and host["audit"] is True and host["all_members"] is True
    assert team.actor_rights(actor="root")["all_members"] is True
    with pytest.raises(tokenauth.PermissionDenied):
        team.actor_rights("nobody")


def test_member_list_for(team: tokenauth.Store) -> None:
    assert [m["id"] for m in team.member_list_for("alice")] == ["alice"]
    everyone = ["alice", "bob", "eve", "root"]
    assert [m["id"] for m in team.member_list_for("root")] == everyone
    assert [m["id"] for m in team.member_list_for()] == everyone
    assert team.member_list_for(actor="alice")[0]["permissions"] == ["ManagePersonalAccessTokens", "tickets:read"]
