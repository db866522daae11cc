"""tokenauth.aio: the calls that wait for the writer lock run off the event loop."""

from __future__ import annotations

import sqlite3
import time
from typing import Any, List

import pytest

anyio = pytest.importorskip("anyio")

import tokenauth  # noqa: E402
from tokenauth.aio import AsyncStore  # noqa: E402

from conftest import READER  # noqa: E402


def test_the_loop_keeps_running_while_a_write_waits_for_the_lock(db_path: str) -> None:
    """Another process's transaction holds the writer lock: put_member waits (in a worker thread)
    while the loop keeps ticking, and a verification goes through at once (it never waits)."""
    ticks: List[float] = []

    async def main() -> float:
        async with await AsyncStore.open(db_path, busy_timeout_ms=10_000) as store:
            await store.put_member("alice", READER)
            secret, _ = await store.create_token("ci", "tickets:read", actor="alice")
            writer = sqlite3.connect(db_path, isolation_level=None)
            writer.execute("BEGIN IMMEDIATE")  # the writer lock, as another process would hold it
            done = anyio.Event()

            async def ticker() -> None:
                while not done.is_set():
                    ticks.append(time.monotonic())
                    await anyio.sleep(0.01)

            async def release() -> None:
                await anyio.sleep(0.3)
                assert store.verify("Bearer " + secret, "tickets:read").ok  # inline, lock held
                writer.execute("ROLLBACK")

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(ticker)
                tasks.start_soon(release)
                started = time.monotonic()
                await store.put_member("bob", READER)
                waited = time.monotonic() - started
                done.set()
            writer.close()
            assert [m["id"] for m in await store.members()] == ["alice", "bob"]
            return waited

    waited = anyio.run(main)
    assert waited >= 0.25  # it did wait for the lock
    assert len(ticks) >= 5  # and the loop went on meanwhile


def test_every_store_call_is_there(tmp_path: Any) -> None:
    async def main() -> None:
        store = await AsyncStore.open(str(tmp_path / "t.db"))
        await store.define_scope("reports:read", description="read reports")
        await store.put_member("alice", "reports:read tickets:read ManagePersonalAccessTokens")
        assert any(s["scope"] == "reports:read" for s in await store.scopes())
        secret, token_id = await store.create_token("one", "reports:read", actor="alice")
        [(two, two_id)] = await store.create_tokens([{"name": "two", "scopes": "tickets:read"}], actor="alice")
        assert store.require(secret, "reports:read").subject == "alice"
        store.record_usage(token_id, "GET /reports", 200)
        await store.flush()
        assert (await store.stats(token_id))["by_status"] == {"200": 1}
        await store.rename(token_id, "renamed", actor="alice")
        await store.set_active(two_id, False, actor="alice")
        rotated, rotated_id = await store.rotate(token_id, actor="alice")
        assert (await store.get_token(rotated_id))["rotated_from"] == token_id
        await store.revoke(rotated_id, actor="alice")
        await store.delete(two_id, actor="alice")
        assert {t["id"] for t in await store.list_tokens(actor="alice")} == {token_id, rotated_id}
        assert (await store.audit({"limit": 1}))[0]["event"] == "token.deleted"
        assert "tokens" in await store.report()
        await store.set_member_active("alice", False)
        await store.remove_member("alice")
        assert await store.members() == []
        await store.close()
        assert store.store.closed
        with pytest.raises(tokenauth.StoreClosed):
            store.verify(secret)

    anyio.run(main)


def test_resources_rate_limits_and_console_helpers(tmp_path: Any) -> None:
    async def main() -> None:
        async with await AsyncStore.open(str(tmp_path / "t.db")) as store:
            await store.set_rate_limit_policy("per_handle")
            assert (await store.rate_limit_info())["policy"] == "handle"
            await store.put_member("lead", "tickets:read@project/42 ManageServiceAccessTokens")
            secret, token_id = await store.create_token(
                "p42", "tickets:read@project/42", kind="service", actor="lead", rate_limit=9)
            assert store.verify(secret, "tickets:read", resource="project/42/tickets/1").ok  # inline
            assert not store.verify(secret, "tickets:read", resource="project/43").ok
            assert not store.verify(secret, "tickets:read").ok
            with pytest.raises(tokenauth.Forbidden):
                store.require(secret, "tickets:read", resource="project/43")
            assert store.require(secret, "tickets:read", resource="project/42").token_id == token_id
            assert store.token_rate_limit(token_id) == (9, 60_000)  # inline
            assert [t["id"] for t in (await store.token_page(actor="lead"))["tokens"]] == [token_id]
            assert "revoke" in (await store.token_actions(token_id, actor="lead"))["actions"]
            assert (await store.actor_rights("lead"))["create"] == ["service"]
            assert [m["id"] for m in await store.member_list_for("lead")] == ["lead"]

    anyio.run(main)
