"""Every Store method against the contract: scopes, members, tokens, verify, oversight."""

from __future__ import annotations

import re

import pytest

import tokenauth
from tokenauth import Status, TokenKind

from conftest import now_ms

BASE62 = r"[0-9A-Za-z]"


# ------------------------------------------------------------------ scopes and members


def test_scope_catalog(store: tokenauth.Store) -> None:
    cat = {s["scope"]: s for s in store.scopes()}
    assert set(cat) == {"admin", "assets:read", "assets:write", "tickets:read", "tickets:write",
                        "users:read", "users:write"}
    assert cat["tickets:write"]["implies"] == ["tickets:read"]
    store.define_scope("reports:read", None, "Read reports")
    store.define_scope("reports:write", ["reports:read"], "Write reports")
    cat = {s["scope"]: s for s in store.scopes()}
    assert cat["reports:write"]["implies"] == ["reports:read"]
    assert cat["reports:read"]["description"] == "Read reports"
    store.define_scope("reports:read", None, None)  # NULL keeps the description
    assert {s["scope"]: s for s in store.scopes()}["reports:read"]["description"] == "Read reports"
    store.define_scope("reports:read", None, "")  # "" clears it
    assert {s["scope"]: s for s in store.scopes()}["reports:read"]["description"] in (None, "")
    with pytest.raises(tokenauth.InvalidArgument):  # a cycle
        store.define_scope("reports:read", "reports:write")
    with pytest.raises(tokenauth.InvalidArgument):
        store.define_scope("Bad Scope")
    with pytest.raises(tokenauth.UnknownScope) as e:
        store.define_scope("x:y", "no:such")
    assert e.value.http_status == 400


def test_members(store: tokenauth.Store) -> None:
    store.put_member("bob", ["tickets:read", "ListAccessTokens", "tickets:read"])
    store.put_member("alice", "assets:read")
    ms = store.members()
    assert [m["id"] for m in ms] == ["alice", "bob"]
    assert ms[1]["permissions"] == ["ListAccessTokens", "tickets:read"]
    assert ms[1]["active"] is True
    store.set_member_active("bob", False)
    assert store.members()[1]["active"] is False
    store.remove_member("alice")
    assert [m["id"] for m in store.members()] == ["bob"]
    with pytest.raises(tokenauth.NotFound):
        store.remove_member("alice")
    with pytest.raises(tokenauth.NotFound):
        store.set_member_active("nobody", True)
    with pytest.raises(tokenauth.InvalidArgument):
        store.put_member("system", "")
    with pytest.raises(tokenauth.InvalidArgument):
        store.put_member("x" * 64, "")
    with pytest.raises(tokenauth.InvalidArgument):
        store.put_member("carol", None)  # type: ignore[arg-type]
    with pytest.raises(tokenauth.UnknownScope):
        store.put_member("carol", "nope:scope")
    with pytest.raises(tokenauth.InvalidArgument):
        store.put_member("carol", "Not-An-Action")


# ------------------------------------------------------------------ creating and verifying


def test_create_and_verify_personal(team: tokenauth.Store) -> None:
    issued = team.create_token("ci", "tickets:read", actor="alice")
    secret, token_id = issued
    assert issued.secret == secret and issued.id == token_id
    assert re.fullmatch(r"tkap_" + BASE62 + r"{38}", secret)
    assert re.fullmatch(r"tok_" + BASE62 + r"{16}", token_id)
    assert secret not in repr(issued) and issued.hint in repr(issued)
    assert issued.hint == team.get_token(token_id)["hint"]

    v = team.verify(secret, "tickets:read")
    assert isinstance(v, tokenauth.Verdict) and v.ok and bool(v)
    assert v.status is Status.OK and v.http_status == 200 and v.name == "TA_OK"
    assert v.kind is TokenKind.PERSONAL and v.token_id == token_id and v.subject == "alice"
    assert v.expires_at_ms == 0 and v.retry_after_ms == 0 and v.missing_scope == ""
    assert v.error() is None and v.error_json is None and v.raise_for_status() is v
    with pytest.raises(Exception):
        v.status = Status.FORBIDDEN  # type: ignore[misc]  # frozen

    assert team.verify("Bearer " + secret).ok
    assert team.verify(b"bEaReR   " + secret.encode(), ["tickets:read"]).ok
    assert team.verify(bytearray(secret.encode())).ok
    assert team.require(secret, "tickets:read").subject == "alice"


def test_required_scopes_as_a_list_tuple_or_iterable(team: tokenauth.Store) -> None:
    """A list or tuple of scopes is joined once and reused; every form is judged alike, and a
    word that is not a str is refused each time, whether or not it can be hashed."""
    secret = team.create_token("sync", "tickets:read tickets:write", kind="service", actor="bob").secret
    for _ in range(2):
        assert team.verify(secret, ["tickets:read", "tickets:write"]).ok
        assert team.verify(secret, ("tickets:read", "tickets:write")).ok
        assert team.verify(secret, iter(["tickets:read", "tickets:write"])).ok
        assert team.verify(secret, ["tickets:read", "tickets:delete"]).missing_scope == "tickets:delete"
        for bad in (["tickets:read", 7], ["tickets:read", ["tickets:write"]], ("tickets:read", b"x")):
            with pytest.raises(TypeError, match="must hold str"):
                team.verify(secret, bad)  # type: ignore[arg-type]
        with pytest.raises(tokenauth.InvalidArgument):
            team.verify(secret, ["tickets:read\0"])


def test_create_service_token(team: tokenauth.Store) -> None:
    secret, token_id = team.create_token("sync", "tickets:write", kind="service", actor="bob",
                                         rate_limit=100, rate_window_ms=1000)
    assert secret.startswith("tkas_")
    v = team.verify(secret, "tickets:read")  # implied
    assert v.ok and v.kind is TokenKind.SERVICE and v.subject == token_id
    assert v.rate_limit == 100 and v.rate_remaining == 99
    t = team.get_token(token_id)
    assert t["kind"] == "service" and t["owner"] is None and t["created_by"] == "bob"
    assert t["rate_limit"] == {"limit": 100, "window_ms": 1000}
    host = team.create_token("host", ["assets:write"], kind=TokenKind.SERVICE)
    assert team.get_token(host.id)["created_by"] == "system"


def test_verdicts_are_immutable_values_compared_without_their_message(team: tokenauth.Store) -> None:
    secret, token_id = team.create_token("ci", "tickets:read", actor="alice")
    first, second = team.verify(secret, "tickets:read"), team.verify(secret, "tickets:read")
    assert first == second and hash(first) == hash(second) and first.message == ""
    assert first._replace(message="other words") == first
    assert first._replace(rate_remaining=first.rate_remaining + 1) != first
    assert (first.token_id, first.subject, first.missing_scope) == (token_id, "alice", "")
    denied = team.verify(secret, "tickets:write")
    assert not denied and denied.missing_scope == "tickets:write" and denied.message
    with pytest.raises(AttributeError):
        first.status = Status.FORBIDDEN  # type: ignore[misc]


def test_verdicts_of_the_same_bytes_are_decoded_once_and_kept_within_a_bound(team: tokenauth.Store) -> None:
    from tokenauth import _native, _verdict

    secret, _ = team.create_token("ci", "tickets:read", actor="alice")
    assert team.verify(secret, "tickets:read") is team.verify(secret, "tickets:read")
    first, second = team.verify(secret, "tickets:write"), team.verify(secret, "tickets:write")
    assert first == second and first is not second and first.message  # a denial keeps its own message
    raw = _native.TaVerdict()
    for i in range(_verdict._DECODED_MAX + 10):
        raw.token_id = b"tk_%d" % i
        assert _verdict.Verdict._from_c(raw).token_id == f"tk_{i}"
        assert len(_verdict._DECODED) <= _verdict._DECODED_MAX


def test_create_refusals(team: tokenauth.Store) -> None:
    with pytest.raises(tokenauth.InvalidArgument):  # the host cannot own a personal token
        team.create_token("n", "tickets:read")
    with pytest.raises(tokenauth.PermissionDenied) as e:  # not held
        team.create_token("n", "tickets:write", actor="alice")
    assert e.value.http_status == 403 and e.value.message
    with pytest.raises(tokenauth.PermissionDenied):  # not a member
        team.create_token("n", "tickets:read", actor="mallory")
    with pytest.raises(tokenauth.PermissionDenied):  # no ManageServiceAccessTokens
        team.create_token("n", "tickets:read", kind="service", actor="alice")
    with pytest.raises(tokenauth.UnknownScope):
        team.create_token("n", "tickets:delete", actor="alice")
    with pytest.raises(tokenauth.InvalidArgument):
        team.create_token("", "tickets:read", actor="alice")
    with pytest.raises(tokenauth.InvalidArgument):
        team.create_token("x" * 201, "tickets:read", actor="alice")
    with pytest.raises(tokenauth.InvalidArgument):
        team.create_token("n", "", actor="alice")
    with pytest.raises(tokenauth.InvalidArgument):  # past expiry
        team.create_token("n", "tickets:read", actor="alice", expires_at_ms=now_ms() - 1000)
    with pytest.raises(tokenauth.InvalidArgument):
        team.create_token("n", "tickets:read", kind="robot", actor="alice")
    with pytest.raises(tokenauth.InvalidArgument):
        team.create_token("n", "tickets:read", kind=7, actor="alice")
    with pytest.raises(tokenauth.InvalidArgument):
        team.create_token("n", "tickets:read", actor="alice", rate_limit=2**32)
    with pytest.raises(tokenauth.InvalidArgument):
        team.create_token("n\0x", "tickets:read", actor="alice")


def test_create_tokens_in_one_batch(team: tokenauth.Store) -> None:
    made = team.create_tokens(
        [
            tokenauth.TokenSpec("sync 0", "tickets:write", kind="service"),
            {"name": "sync 1", "scopes": ["assets:read"], "kind": TokenKind.SERVICE, "rate_limit": 5},
            tokenauth.TokenSpec("sync 2", "tickets:read", kind="service", expires_at_ms=now_ms() + 60_000),
        ],
        actor="bob",
    )
    assert [type(t) for t in made] == [tokenauth.IssuedToken] * 3
    assert len({t.id for t in made}) == 3
    for i, (secret, token_id) in enumerate(made):
        assert secret not in repr(made[i])
        v = team.verify(secret)
        assert v.ok and v.kind is TokenKind.SERVICE and v.subject == token_id
        t = team.get_token(token_id)
        assert t["name"] == f"sync {i}" and t["created_by"] == "bob"
    assert team.get_token(made[1].id)["rate_limit"]["limit"] == 5
    created = team.audit({"event": "token.created"})
    assert {e["token_id"] for e in created} == {t.id for t in made}
    # Personal tokens belong to the actor, as with create_token.
    mine = team.create_tokens([tokenauth.TokenSpec(f"cli {i}", "tickets:read") for i in range(4)], actor="alice")
    assert {t["id"] for t in team.list_tokens(actor="alice")} == {t.id for t in mine}
    assert all(team.verify(t.secret, "tickets:read").subject == "alice" for t in mine)


def test_create_tokens_is_all_or_nothing(team: tokenauth.Store) -> None:
    good = tokenauth.TokenSpec("ok", "tickets:read")
    cases = [
        (tokenauth.TokenSpec("", "tickets:read"), tokenauth.InvalidArgument, "specs[1]: name is empty"),
        (tokenauth.TokenSpec("n", "tickets:delete"), tokenauth.UnknownScope, "specs[1]: "),
        (tokenauth.TokenSpec("n", "tickets:write"), tokenauth.PermissionDenied, "specs[1]: "),
        (tokenauth.TokenSpec("n", "tickets:read", kind="service"), tokenauth.PermissionDenied, "specs[1]: "),
    ]
    for bad, exc, prefix in cases:
        with pytest.raises(exc) as e:
            team.create_tokens([good, bad, good], actor="alice")
        assert e.value.message.startswith(prefix), e.value.message
        assert team.list_tokens() == []
    assert team.audit({"event": "token.created"}) == []
    denied = team.audit({"event": "iam.denied", "actor": "alice"})
    assert {e["detail"]["action"] for e in denied} == {"token_create_batch"}
    assert sum(e["detail"]["count"] for e in denied) == 2  # aggregated per minute
    # Argument errors the binding catches itself, as for create_token.
    with pytest.raises(tokenauth.InvalidArgument):
        team.create_tokens([good, tokenauth.TokenSpec("n\0x", "tickets:read")], actor="alice")
    with pytest.raises(TypeError):
        team.create_tokens([{"name": "n", "scope": "tickets:read"}], actor="alice")


def test_create_tokens_count_bounds(team: tokenauth.Store) -> None:
    with pytest.raises(tokenauth.InvalidArgument) as e:
        team.create_tokens([], actor="alice")
    assert "count" in e.value.message
    spec = tokenauth.TokenSpec("bulk", "tickets:read", kind="service")
    with pytest.raises(tokenauth.InvalidArgument):
        team.create_tokens([spec] * (tokenauth.BATCH_MAX + 1))
    made = team.create_tokens([spec] * tokenauth.BATCH_MAX)
    assert len({t.id for t in made}) == tokenauth.BATCH_MAX
    assert len(team.list_tokens()) == tokenauth.BATCH_MAX


def test_verification_outcomes_raise_their_exceptions(team: tokenauth.Store) -> None:
    secret, token_id = team.create_token("ci", "tickets:read", actor="alice")
    cases = [
        ("garbage", None, tokenauth.Malformed, Status.MALFORMED, 401),
        (secret[:-1] + ("0" if secret[-1] != "0" else "1"), None, tokenauth.Malformed,
         Status.MALFORMED, 401),
        ("Basic " + secret, None, tokenauth.Malformed, Status.MALFORMED, 401),
        (secret, "tickets:write", tokenauth.Forbidden, Status.FORBIDDEN, 403),
    ]
    for cred, scopes, cls, status, http in cases:
        v = team.verify(cred, scopes)
        assert v.status == status and v.http_status == http and not v
        with pytest.raises(cls) as e:
            team.require(cred, scopes)
        assert e.value.status == status and e.value.http_status == http
        assert e.value.verdict is not None and e.value.error_json == tokenauth.error_json(status)
    with pytest.raises(tokenauth.Forbidden) as e:
        team.require(secret, "tickets:read tickets:write")
    assert e.value.missing_scope == "tickets:write"
    assert e.value.error_body() == {"success": False, "errors": ["Forbidden"], "data": None}
    v = team.verify(secret, "Not A Scope")
    assert v.status == Status.INVALID_ARGUMENT and v.http_status == 400
    v = team.verify(secret, "users:read")  # well-formed and in the catalog, not granted
    assert v.status == Status.FORBIDDEN and v.missing_scope == "users:read"
    v = team.verify(secret, "made:up")  # well-formed, not in the catalog: never in force
    assert v.status == Status.FORBIDDEN and v.missing_scope == "made:up"


def test_lifecycle_rename_deactivate_revoke_delete(team: tokenauth.Store) -> None:
    secret, token_id = team.create_token("ci", "tickets:read", actor="alice")
    team.rename(token_id, "ci-renamed", actor="alice")
    assert team.get_token(token_id, actor="alice")["name"] == "ci-renamed"

    team.set_active(token_id, False, actor="alice")
    assert team.verify(secret).status == Status.INACTIVE
    with pytest.raises(tokenauth.Inactive) as e:
        team.require(secret)
    assert e.value.http_status == 403
    assert team.get_token(token_id)["status"] == "inactive"
    assert team.get_token(token_id)["effective_scopes"] == []
    team.set_active(token_id, True, actor="root")  # an admin may
    assert team.verify(secret).ok

    team.revoke(token_id, actor="alice")
    with pytest.raises(tokenauth.Revoked):
        team.require(secret)
    assert team.get_token(token_id)["status"] == "revoked"
    team.revoke(token_id)  # harmless again
    team.rename(token_id, "still-renamable")
    with pytest.raises(tokenauth.Conflict):
        team.set_active(token_id, True)
    with pytest.raises(tokenauth.Conflict):
        team.rotate(token_id, actor="alice")

    team.delete(token_id, actor="alice")
    with pytest.raises(tokenauth.UnknownToken):
        team.require(secret)
    with pytest.raises(tokenauth.NotFound) as e:
        team.get_token(token_id)
    assert e.value.http_status == 404


def test_visibility_and_iam(team: tokenauth.Store) -> None:
    _, alice_tok = team.create_token("mine", "tickets:read", actor="alice")
    # bob cannot see alice's personal token: its existence is not revealed
    with pytest.raises(tokenauth.NotFound):
        team.get_token(alice_tok, actor="bob")
    with pytest.raises(tokenauth.NotFound):
        team.revoke(alice_tok, actor="bob")
    # a lister sees it but may not manage it
    team.put_member("auditor", "ListAccessTokens")
    assert team.get_token(alice_tok, actor="auditor")["owner"] == "alice"
    with pytest.raises(tokenauth.PermissionDenied):
        team.revoke(alice_tok, actor="auditor")
    # only the owner may rotate a personal token, not an admin, not the host
    with pytest.raises(tokenauth.PermissionDenied):
        team.rotate(alice_tok, actor="root")
    with pytest.raises(tokenauth.PermissionDenied):
        team.rotate(alice_tok)
    with pytest.raises(tokenauth.PermissionDenied):
        team.list_tokens(actor="nobody")
    denied = team.audit({"event": "iam.denied"})
    assert denied and all(e["event"] == "iam.denied" for e in denied)
    assert {e["detail"]["action"] for e in denied} >= {"token_get", "token_revoke", "token_rotate"}


def test_rotate(team: tokenauth.Store) -> None:
    t0 = now_ms()
    team.set_clock(t0)
    old_secret, old_id = team.create_token("ci", "tickets:read", actor="alice", rate_limit=7,
                                           expires_at_ms=t0 + 3_600_000)
    new = team.rotate(old_id, grace_ms=60_000, actor="alice")
    assert new.id != old_id and new.secret != old_secret
    assert team.verify(new.secret).ok
    assert team.verify(old_secret).ok  # within grace
    old, fresh = team.get_token(old_id), team.get_token(new.id)
    assert old["rotated_to"] == new.id and fresh["rotated_from"] == old_id
    assert fresh["name"] == "ci" and fresh["rate_limit"]["limit"] == 7 and fresh["owner"] == "alice"
    assert fresh["expires_at"] == t0 + 3_600_000
    team.set_clock(t0 + 60_000)
    assert team.verify(old_secret).status == Status.REVOKED
    with pytest.raises(tokenauth.Conflict):
        team.rotate(old_id, actor="alice")
    with pytest.raises(tokenauth.InvalidArgument):
        team.rotate(new.id, grace_ms=-1, actor="alice")
    immediate = team.rotate(new.id, actor="alice")
    assert team.verify(new.secret).status == Status.REVOKED
    assert team.verify(immediate.secret).ok


def test_expiry_with_the_store_clock(team: tokenauth.Store) -> None:
    t0 = now_ms()
    team.set_clock(t0)
    secret, token_id = team.create_token("short", "tickets:read", actor="alice",
                                         expires_at_ms=t0 + 1000)
    v = team.verify(secret)
    assert v.ok and v.expires_at_ms == t0 + 1000
    team.set_clock(t0 + 1000)
    with pytest.raises(tokenauth.Expired) as e:
        team.require(secret)
    assert e.value.http_status == 401
    assert team.get_token(token_id)["status"] == "expired"
    team.set_clock(0)


def test_rate_limit(team: tokenauth.Store) -> None:
    t0 = now_ms()
    team.set_clock(t0)
    secret, _ = team.create_token("rl", "tickets:read", actor="alice", rate_limit=2,
                                  rate_window_ms=60_000)
    a, b = team.verify(secret), team.verify(secret)
    assert a.ok and a.rate_limit == 2 and a.rate_remaining == 1
    assert b.ok and b.rate_remaining == 0 and b.rate_reset_ms > 0
    c = team.verify(secret)
    assert c.status == Status.RATE_LIMITED and c.http_status == 429
    assert 0 < c.retry_after_ms <= 30_000 and c.retry_after == -(-c.retry_after_ms // 1000)
    h = c.rate_limit_headers(60_000)
    assert h["RateLimit-Policy"] == '"default";q=2;w=60'
    assert h["RateLimit"].startswith('"default";r=0;t=') and h["Retry-After"] == str(c.retry_after)
    with pytest.raises(tokenauth.RateLimited) as e:
        team.require(secret)
    assert e.value.retry_after_ms > 0 and e.value.retry_after > 0
    assert e.value.error_body()["errors"] == ["Too Many Requests"]
    team.set_clock(t0 + 30_000)  # one unit back
    assert team.verify(secret).ok
    assert team.verify(secret).status == Status.RATE_LIMITED


def test_default_rate_limit_from_open() -> None:
    with tokenauth.Store.open(":memory:", default_rate_limit=1, default_rate_window_ms=1000) as s:
        s.put_member("alice", "tickets:read ManagePersonalAccessTokens")
        secret, token_id = s.create_token("t", "tickets:read", actor="alice")
        assert s.get_token(token_id)["rate_limit"] == {"limit": 1, "window_ms": 1000}
        assert s.verify(secret).ok
        assert s.verify(secret).status == Status.RATE_LIMITED


# ------------------------------------------------------------------ listing and oversight


def test_list_and_get(team: tokenauth.Store) -> None:
    _, p1 = team.create_token("p1", "tickets:read", actor="alice")
    _, s1 = team.create_token("s1", "assets:read", kind="service", actor="bob")
    _, p2 = team.create_token("p2", "tickets:write", actor="bob")
    everything = team.list_tokens()
    assert [t["id"] for t in everything] == [p2, s1, p1]  # newest first
    t = team.get_token(p1)
    for key in ("id", "name", "kind", "owner", "created_by", "scopes", "effective_scopes",
                "status", "created_at", "expires_at", "last_used_at", "use_count", "hint",
                "rate_limit", "rotated_from", "rotated_to"):
        assert key in t, key
    assert t["kind"] == "personal" and t["owner"] == "alice" and t["status"] == "active"
    assert t["scopes"] == ["tickets:read"] and t["effective_scopes"] == ["tickets:read"]
    assert "secret" not in t and "hash" not in t
    assert [x["id"] for x in team.list_tokens("kind=service")] == [s1]
    assert [x["id"] for x in team.list_tokens({"owner": "alice"})] == [p1]
    assert [x["id"] for x in team.list_tokens({"kind": "personal", "owner": "bob"})] == [p2]
    assert [x["id"] for x in team.list_tokens(actor="alice")] == [p1]
    assert {x["id"] for x in team.list_tokens(actor="bob")} == {p2, s1}
    for bad in ("kind=robot", "colour=red", "kind=service kind=personal", "status"):
        with pytest.raises(tokenauth.InvalidArgument):
            team.list_tokens(bad)
    with pytest.raises(tokenauth.InvalidArgument):
        team.list_tokens({"owner": "a b"})


def test_usage_stats_and_record_usage(team: tokenauth.Store) -> None:
    secret, token_id = team.create_token("ci", "tickets:read", actor="alice")
    assert team.verify(secret, "tickets:read").ok
    team.record_usage(token_id, "GET /api/tickets", 200)
    assert team.verify(secret, "tickets:write").status == Status.FORBIDDEN
    team.flush()
    st = team.stats(token_id)
    assert st["token_id"] == token_id and st["use_count"] == 1 and st["denied_count"] == 1
    assert st["by_operation"] == {"GET /api/tickets": 1} and st["by_status"] == {"200": 1}
    assert st["scopes_used"] == ["tickets:read"]
    assert sum(st["by_day"].values()) == 1 and st["last_used_at"]
    assert team.stats(token_id, since_ms=now_ms() + 3 * 86_400_000)["use_count"] == 0
    assert team.get_token(token_id)["use_count"] == 1
    with pytest.raises(tokenauth.NotFound):
        team.record_usage("tok_doesnotexist0000", "GET /x", 200)
    with pytest.raises(tokenauth.InvalidArgument):
        team.record_usage(token_id, "GET /x", 99)
    with pytest.raises(tokenauth.InvalidArgument):
        team.record_usage(token_id, "x" * 201, 200)
    with pytest.raises(tokenauth.NotFound):
        team.stats(token_id, actor="bob")


def test_audit(team: tokenauth.Store) -> None:
    secret, token_id = team.create_token("ci", "tickets:read", actor="alice")
    team.revoke(token_id)
    assert team.verify(secret).status == Status.REVOKED
    log = team.audit()
    events = [e["event"] for e in log]
    assert events[0] in ("token.revoked", "verify.denied")
    assert {"member.put", "token.created", "token.revoked", "verify.denied"} <= set(events)
    revoked = team.audit({"token": token_id, "event": "token.revoked"})
    assert len(revoked) == 1 and revoked[0]["actor"] == "system"
    assert revoked[0]["token_id"] == token_id
    denied = team.audit(f"token={token_id} event=verify.denied")
    assert denied[0]["detail"]["status"] == "TA_REVOKED" and denied[0]["detail"]["count"] == 1
    assert denied[0]["actor"] == "alice"
    assert len(team.audit({"limit": 2})) == 2
    assert team.audit({"event": "no.such.event"}) == []
    assert team.audit(actor="root")
    with pytest.raises(tokenauth.PermissionDenied):
        team.audit(actor="alice")
    for bad in ("limit=0", "since=abc", "foo=bar", "limit=1 limit=2"):
        with pytest.raises(tokenauth.InvalidArgument):
            team.audit(bad)


def test_report(team: tokenauth.Store) -> None:
    secret, token_id = team.create_token("wide", "tickets:write assets:read", actor="bob")
    _, dead = team.create_token("dead", "tickets:read", actor="alice")
    team.revoke(dead)
    assert team.verify(secret, "tickets:read").ok
    rep = team.report()
    assert {"generated_at", "since", "tokens"} <= set(rep)
    entries = {t["token_id"]: t for t in rep["tokens"]}
    assert dead not in entries
    e = entries[token_id]
    assert e["never_used"] is False and e["never_expires"] is True and e["expires_soon"] is False
    assert "assets:read" in e["unused_scopes"] and "tickets:write" in e["unused_scopes"]
    assert e["recommendations"] and all(isinstance(r, str) for r in e["recommendations"])
    assert {t["token_id"] for t in team.report(actor="alice")["tokens"]} == set()


def test_set_clock_zero_returns_to_wall_clock(team: tokenauth.Store) -> None:
    team.set_clock(1_000)
    team.set_clock(0)
    secret, _ = team.create_token("c", "tickets:read", actor="alice", expires_at_ms=now_ms() + 60_000)
    assert team.verify(secret).ok
    with pytest.raises(tokenauth.InvalidArgument):
        team.set_clock(2**63)
