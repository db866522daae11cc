"""Shared fixtures. The library comes from TOKENAUTH_LIBRARY (make test-python sets it)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, settings

import tokenauth

settings.register_profile(
    "tokenauth",
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("tokenauth")

REPO = Path(__file__).resolve().parents[3]

READER = "tickets:read ManagePersonalAccessTokens"
WRITER = "tickets:write assets:read ManagePersonalAccessTokens ManageServiceAccessTokens"


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def store() -> Iterator[tokenauth.Store]:
    with tokenauth.Store.open(":memory:") as s:
        yield s


@pytest.fixture
def team(store: tokenauth.Store) -> tokenauth.Store:
    """alice reads tickets, bob writes tickets and reads assets, root is admin, eve has nothing."""
    store.put_member("alice", READER)
    store.put_member("bob", WRITER)
    store.put_member("root", "admin")
    store.put_member("eve", "")
    return store


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "tokens.db")
