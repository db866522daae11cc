"""How a handle shares rate limits (set_rate_limit_policy, rate_limit_info) and token_rate_limit."""

from __future__ import annotations

from typing import Iterator, Tuple

import pytest

import tokenauth
from tokenauth import RateLimitPolicy, Status, TokenRateLimit

from conftest import READER


def test_the_policies_are_the_headers() -> None:
    assert int(RateLimitPolicy.SHARED) == 0 and int(RateLimitPolicy.PER_HANDLE) == 1


def test_a_file_store_shares_by_default(db_path: str) -> None:
    with tokenauth.Store.open(db_path) as store:
        info = store.rate_limit_info()
        assert info["policy"] == "host" and info["table"] == db_path + "-ratelimit"
        assert info["problem"] is None and info["unshared_verifications"] == 0
        assert {"slots", "buckets_in_use"} <= set(info)
        store.set_rate_limit_policy(RateLimitPolicy.PER_HANDLE)
        assert store.rate_limit_info()["policy"] == "handle"
        store.set_rate_limit_policy("shared")
        assert store.rate_limit_info()["policy"] == "host"


def test_a_memory_store_keeps_its_buckets_to_itself(store: tokenauth.Store) -> None:
    assert store.rate_limit_info()["policy"] == "handle"
    with pytest.raises(tokenauth.Conflict, match="memory"):
        store.set_rate_limit_policy(RateLimitPolicy.SHARED)
    store.set_rate_limit_policy("PER_HANDLE")


def test_policies_the_library_or_the_binding_refuses(store: tokenauth.Store) -> None:
    with pytest.raises(tokenauth.InvalidArgument, match="'shared' or 'per_handle'"):
        store.set_rate_limit_policy("fleet")
    with pytest.raises(tokenauth.InvalidArgument) as e:
        store.set_rate_limit_policy(7)
    assert e.value.status == Status.INVALID_ARGUMENT and "policy" in e.value.message
    with pytest.raises(tokenauth.InvalidArgument):
        store.set_rate_limit_policy(2**40)
    with pytest.raises(TypeError):
        store.set_rate_limit_policy(None)  # type: ignore[arg-type]


@pytest.fixture
def two_handles(db_path: str) -> Iterator[Tuple[tokenauth.Store, tokenauth.Store, str]]:
    """Two handles on one file, and a token limited to 2 requests a minute."""
    with tokenauth.Store.open(db_path) as one, tokenauth.Store.open(db_path) as two:
        one.put_member("alice", READER)
        secret, _ = one.create_token("ci", "tickets:read", actor="alice", rate_limit=2, rate_window_ms=60_000)
        yield one, two, secret


def test_shared_handles_draw_from_one_budget(two_handles: Tuple[tokenauth.Store, tokenauth.Store, str]) -> None:
    one, two, secret = two_handles
    assert one.verify(secret).ok and one.verify(secret).ok
    assert two.verify(secret).status == Status.RATE_LIMITED
    assert one.rate_limit_info()["buckets_in_use"] >= 1


def test_per_handle_buckets_are_separate(two_handles: Tuple[tokenauth.Store, tokenauth.Store, str]) -> None:
    one, two, secret = two_handles
    two.set_rate_limit_policy(RateLimitPolicy.PER_HANDLE)
    assert one.verify(secret).ok and one.verify(secret).ok
    assert one.verify(secret).status == Status.RATE_LIMITED
    assert two.verify(secret).ok and two.verify(secret).rate_remaining == 0


def test_token_rate_limit(team: tokenauth.Store) -> None:
    limited = team.create_token("rl", "tickets:read", actor="alice", rate_limit=5, rate_window_ms=10_000)
    assert team.token_rate_limit(limited.id) == TokenRateLimit(5, 10_000)
    assert team.token_rate_limit(limited.id).window_ms == 10_000
    assert not team.token_rate_limit(limited.id).unlimited
    free = team.create_token("free", "tickets:read", actor="alice")
    assert team.token_rate_limit(free.id) == (0, 0) and team.token_rate_limit(free.id).unlimited
    with pytest.raises(tokenauth.NotFound):
        team.token_rate_limit("tok_nonexistent00000")
    with pytest.raises(tokenauth.InvalidArgument):
        team.token_rate_limit("bad id!")


def test_the_default_window_is_stored_with_the_token() -> None:
    with tokenauth.Store.open(":memory:", default_rate_limit=3) as store:
        store.put_member("alice", READER)
        _, token_id = store.create_token("d", "tickets:read", actor="alice")
        assert store.token_rate_limit(token_id) == (3, 60_000)
