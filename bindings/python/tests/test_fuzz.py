"""Hypothesis: arbitrary bytes and text into every entry point never crash the process; each call
ends in a result, a Verdict, or a TokenAuthError (never another exception)."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tokenauth
from tokenauth import Status

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KNOWN = {int(s) for s in Status}

anything = st.one_of(st.binary(max_size=300), st.text(max_size=300))
texts = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.binary(max_size=120),
    st.sampled_from(["", " ", "system", "tok_", "a" * 63, "a" * 64, "tickets:read", "admin",
                     "kind=service", "owner=alice", "limit=1", "\udcff", "é", "\x00"]),
)


@pytest.fixture(scope="module")
def world() -> Iterator[tuple]:
    with tokenauth.Store.open(":memory:") as s:
        s.put_member("alice", "tickets:read tickets:write ManagePersonalAccessTokens")
        s.put_member("root", "admin")
        secret, token_id = s.create_token("fuzz", "tickets:read", actor="alice")
        yield s, secret, token_id


def _outcome(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except tokenauth.TokenAuthError as e:
        assert e.status in KNOWN and e.status != Status.OK
        assert e.http_status == tokenauth.status_http(e.status)
        assert e.error_json is not None
        return e


def _check_verdict(v: tokenauth.Verdict) -> None:
    assert isinstance(v, tokenauth.Verdict)
    assert int(v.status) in KNOWN
    assert v.http_status == tokenauth.status_http(v.status)
    if not v.ok:
        assert v.retry_after_ms == 0 or v.status == Status.RATE_LIMITED


@given(credential=anything)
def test_verify_arbitrary_credentials(world: tuple, credential: Any) -> None:
    store, secret, _ = world
    assume(credential not in (secret, "Bearer " + secret))
    v = store.verify(credential)
    _check_verdict(v)
    assert v.status == Status.MALFORMED and v.http_status == 401
    assert v.token_id == "" and v.subject == ""


@given(prefix=st.sampled_from(["", "Bearer ", "bearer  "]), body=st.text(alphabet=BASE62, max_size=60),
       kind=st.sampled_from("ps"))
def test_verify_well_shaped_random_tokens(world: tuple, prefix: str, body: str, kind: str) -> None:
    store = world[0]
    v = store.verify(f"{prefix}tka{kind}_{body}")
    _check_verdict(v)
    assert v.status in (Status.MALFORMED, Status.UNKNOWN_TOKEN)


@given(data=st.data())
def test_verify_mutated_secret_is_malformed(world: tuple, data: st.DataObject) -> None:
    store, secret, _ = world
    i = data.draw(st.integers(min_value=0, max_value=len(secret) - 1))
    c = data.draw(st.sampled_from(BASE62 + "_-. \x00é"))
    assume(c != secret[i])
    v = store.verify(secret[:i] + c + secret[i + 1:])
    _check_verdict(v)
    assert v.status == Status.MALFORMED
    cut = data.draw(st.integers(min_value=0, max_value=len(secret) - 1))
    assert store.verify(secret[:cut]).status == Status.MALFORMED
    assert store.verify(secret + data.draw(st.text(min_size=1, max_size=5))).status == Status.MALFORMED


@given(scopes=texts)
def test_verify_arbitrary_required_scopes(world: tuple, scopes: Any) -> None:
    store, secret, _ = world
    r = _outcome(lambda: store.verify(secret, scopes))
    if isinstance(r, tokenauth.Verdict):
        _check_verdict(r)
        assert r.status in (Status.OK, Status.FORBIDDEN, Status.INVALID_ARGUMENT)
    else:
        assert isinstance(r, tokenauth.InvalidArgument)


@given(member_id=texts, permissions=texts)
def test_member_calls(world: tuple, member_id: Any, permissions: Any) -> None:
    assume(member_id not in ("alice", "root", b"alice", b"root"))
    store = world[0]
    _outcome(lambda: store.put_member(member_id, permissions))
    _outcome(lambda: store.set_member_active(member_id, True))
    _outcome(lambda: store.remove_member(member_id))


@given(token_id=texts, name=texts, actor=st.one_of(st.none(), texts))
def test_token_calls_with_arbitrary_ids(world: tuple, token_id: Any, name: Any, actor: Any) -> None:
    store, _, real_id = world
    assume(token_id not in (real_id, real_id.encode()))
    for call in (
        lambda: store.get_token(token_id, actor=actor),
        lambda: store.rename(token_id, name, actor=actor),
        lambda: store.set_active(token_id, False, actor=actor),
        lambda: store.revoke(token_id, actor=actor),
        lambda: store.delete(token_id, actor=actor),
        lambda: store.rotate(token_id, actor=actor),
        lambda: store.stats(token_id, actor=actor),
        lambda: store.record_usage(token_id, name, 200),
    ):
        r = _outcome(call)
        assert isinstance(r, tokenauth.TokenAuthError), r


@given(name=texts, scopes=texts, kind=st.sampled_from(["personal", "service"]),
       actor=st.one_of(st.none(), st.sampled_from(["alice", "root"]), texts))
def test_create_with_arbitrary_input(world: tuple, name: Any, scopes: Any, kind: str, actor: Any) -> None:
    store = world[0]
    r = _outcome(lambda: store.create_token(name, scopes, kind=kind, actor=actor))
    if isinstance(r, tokenauth.IssuedToken):
        assert store.verify(r.secret).ok
        store.delete(r.id)


@given(token_id=st.just("real"), name=texts)
def test_rename_real_token_with_arbitrary_names(world: tuple, token_id: str, name: Any) -> None:
    store, secret, real_id = world
    r = _outcome(lambda: store.rename(real_id, name, actor="alice"))
    if not isinstance(r, tokenauth.TokenAuthError):
        got = store.get_token(real_id)["name"]
        assert got == (name.decode() if isinstance(name, bytes) else name)
    assert store.verify(secret).ok


@given(query=texts, actor=st.one_of(st.none(), st.sampled_from(["alice", "root"]), texts))
def test_queries(world: tuple, query: Any, actor: Any) -> None:
    store = world[0]
    for call in (lambda: store.list_tokens(query, actor=actor),
                 lambda: store.audit(query, actor=actor)):
        r = _outcome(call)
        assert isinstance(r, (list, tokenauth.TokenAuthError))


@given(scope=texts, implies=st.one_of(st.none(), texts), description=st.one_of(st.none(), texts))
def test_define_scope(world: tuple, scope: Any, implies: Any, description: Any) -> None:
    store = world[0]
    _outcome(lambda: store.define_scope(scope, implies, description))


@given(operation=texts, status=st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_record_usage(world: tuple, operation: Any, status: int) -> None:
    store, _, real_id = world
    r = _outcome(lambda: store.record_usage(real_id, operation, status))
    if r is None:
        assert 100 <= status <= 599


@given(since=st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_times(world: tuple, since: int) -> None:
    store, _, real_id = world
    for call in (lambda: store.stats(real_id, since_ms=since),
                 lambda: store.report(since_ms=since)):
        r = _outcome(call)
        assert isinstance(r, (dict, tokenauth.TokenAuthError))
