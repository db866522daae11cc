"""The product documents' scenarios (shared/seeds), briefly, through the Python binding."""

from __future__ import annotations

import json

import pytest

import tokenauth
from tokenauth import Status

from conftest import now_ms


def test_personal_token_is_downgraded_with_its_owner(team: tokenauth.Store) -> None:
    # "If your own permissions are ever reduced, personal tokens you have created have reduced
    # scope as well" -> {"success": false, "errors": ["Forbidden"], "data": null}
    secret, token_id = team.create_token("mine", "tickets:write assets:read", actor="bob")
    assert team.verify(secret, "assets:read").ok
    team.put_member("bob", "tickets:write ManagePersonalAccessTokens")
    v = team.verify(secret, "assets:read")
    assert v.status == Status.FORBIDDEN and v.missing_scope == "assets:read"
    assert v.error_json is not None
    assert json.loads(v.error_json) == {"success": False, "errors": ["Forbidden"], "data": None}
    assert "assets:read" not in team.get_token(token_id)["effective_scopes"]
    team.put_member("bob", "tickets:write assets:read ManagePersonalAccessTokens")
    assert team.verify(secret, "assets:read").ok  # restored with the owner


def test_owner_deactivated_then_removed(team: tokenauth.Store) -> None:
    secret, token_id = team.create_token("mine", "tickets:read", actor="alice")
    team.set_member_active("alice", False)
    assert team.verify(secret).status == Status.OWNER_INACTIVE
    team.set_member_active("alice", True)
    assert team.verify(secret).ok
    team.remove_member("alice")
    v = team.verify(secret)
    assert v.status == Status.REVOKED and v.subject == ""
    team.put_member("alice", "tickets:read ManagePersonalAccessTokens")  # a new alice
    assert team.verify(secret).status == Status.REVOKED
    with pytest.raises(tokenauth.NotFound):
        team.get_token(token_id, actor="alice")
    assert team.get_token(token_id)["owner"] == "alice"


def test_service_token_keeps_its_permissions(team: tokenauth.Store) -> None:
    # "A service token's permissions are permanently fixed after you create it"
    secret, _ = team.create_token("sync", "assets:read", kind="service", actor="bob")
    team.put_member("bob", "")
    assert team.verify(secret, "assets:read").ok
    team.remove_member("bob")
    assert team.verify(secret, "assets:read").ok
    # "you can never give a service token more permissions than you have"
    with pytest.raises(tokenauth.PermissionDenied):
        team.put_member("carol", "assets:read ManageServiceAccessTokens")
        team.create_token("more", "users:read", kind="service", actor="carol")


def test_revoke_is_immediate_and_incident_response(team: tokenauth.Store) -> None:
    # "Revocation is immediate"; then "Audit logs for unauthorized access"
    team.set_clock((now_ms() // 60_000) * 60_000 + 1_000)  # denials within one UTC minute
    secret, token_id = team.create_token("leaked", "tickets:read", actor="alice")
    for _ in range(3):
        assert team.verify(secret).ok
    team.revoke(token_id, actor="alice")
    for _ in range(5):
        assert team.verify(secret).status == Status.REVOKED
    st = team.stats(token_id)
    assert st["use_count"] == 3 and st["denied_count"] == 5
    entry = team.audit({"token": token_id, "event": "verify.denied"})
    assert len(entry) == 1 and entry[0]["detail"]["count"] == 5  # aggregated, not 5 rows


def test_rotation_best_practice(team: tokenauth.Store) -> None:
    # "Create a new token with the same permissions ... Revoke the old token"
    old, old_id = team.create_token("integration", "tickets:read", actor="alice")
    new = team.rotate(old_id, grace_ms=3_600_000, actor="alice")
    assert team.verify(old).ok and team.verify(new.secret).ok
    assert team.get_token(new.id)["scopes"] == team.get_token(old_id)["scopes"]


def test_shown_once_and_hint(team: tokenauth.Store) -> None:
    # "Your API access token is visible one time"
    secret, token_id = team.create_token("ci", "tickets:read", actor="alice")
    dumped = repr(team.list_tokens()) + repr(team.get_token(token_id)) + repr(team.audit())
    assert secret not in dumped and secret[10:] not in dumped
    assert team.get_token(token_id)["hint"] == secret[:9]


def test_deactivate_and_activate(team: tokenauth.Store) -> None:
    # "A token can be used only when its status is active. Otherwise ... Forbidden"
    secret, token_id = team.create_token("ci", "tickets:read", actor="alice")
    team.set_active(token_id, False, actor="alice")
    v = team.verify(secret)
    assert v.status == Status.INACTIVE and v.http_status == 403
    team.set_active(token_id, True, actor="alice")
    assert team.verify(secret).ok


def test_iam_actions_restrict_management(team: tokenauth.Store) -> None:
    team.put_member("viewer", "tickets:read")  # no ManagePersonalAccessTokens
    with pytest.raises(tokenauth.PermissionDenied):
        team.create_token("x", "tickets:read", actor="viewer")
    team.put_member("viewer", "tickets:read ManagePersonalAccessTokens")
    assert team.create_token("x", "tickets:read", actor="viewer").id
