"""Store lifecycle: open, close exactly once, use after close, files, several handles."""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import tokenauth

from conftest import READER, in_child


def test_open_memory_and_context_manager() -> None:
    with tokenauth.Store.open(":memory:") as s:
        assert not s.closed
        assert [x["scope"] for x in s.scopes()][:2] == ["admin", "assets:read"]
    assert s.closed


def test_constructor_is_open() -> None:
    s = tokenauth.Store(":memory:", default_rate_limit=5)
    try:
        assert "open" in repr(s)
    finally:
        s.close()
    assert "closed" in repr(s)


def test_close_is_idempotent_and_use_after_close_raises() -> None:
    s = tokenauth.Store.open(":memory:")
    s.close()
    s.close()  # no-op
    with pytest.raises(tokenauth.StoreClosed) as e:
        s.members()
    assert isinstance(e.value, tokenauth.InvalidArgument)
    assert e.value.status == tokenauth.Status.INVALID_ARGUMENT and e.value.http_status == 400
    for call in (lambda: s.verify("x"), s.flush, lambda: s.set_clock(1), lambda: s.audit(),
                 lambda: s.create_token("n", "tickets:read")):
        with pytest.raises(tokenauth.StoreClosed):
            call()
    with pytest.raises(tokenauth.StoreClosed):
        with s:
            pass


def test_garbage_collected_store_closes_itself(db_path: str) -> None:
    s = tokenauth.Store.open(db_path)
    s.put_member("alice", READER)
    del s
    gc.collect()
    with tokenauth.Store.open(db_path) as again:
        assert [m["id"] for m in again.members()] == ["alice"]


def test_close_waits_for_calls_in_flight() -> None:
    s = tokenauth.Store.open(":memory:")
    s.put_member("alice", READER)
    secret, _ = s.create_token("t", "tickets:read", actor="alice")
    errors: list = []
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            try:
                assert s.verify(secret, "tickets:read").ok
            except tokenauth.StoreClosed:
                return
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    s.close()
    stop.set()
    for t in threads:
        t.join(10)
    assert not errors


def test_file_store_persists_and_prefix_is_fixed(db_path: str) -> None:
    with tokenauth.Store.open(db_path, token_prefix="acme") as s:
        s.put_member("alice", READER)
        secret, token_id = s.create_token("ci", "tickets:read", actor="alice")
        assert secret.startswith("acmep_")
    with tokenauth.Store.open(db_path) as s:  # NULL prefix keeps the database's
        assert s.verify(secret).ok
        assert s.get_token(token_id)["hint"] == secret[: len("acme") + 6]
    with pytest.raises(tokenauth.Conflict) as e:
        tokenauth.Store.open(db_path, token_prefix="other")
    assert e.value.http_status == 409 and e.value.message


def test_two_handles_share_a_file(db_path: str) -> None:
    with tokenauth.Store.open(db_path) as a, tokenauth.Store.open(db_path) as b:
        a.put_member("alice", READER)
        secret, token_id = a.create_token("ci", "tickets:read", actor="alice")
        assert b.verify(secret).ok
        a.revoke(token_id)
        assert b.verify(secret).status == tokenauth.Status.REVOKED


def test_bad_prefix_and_config() -> None:
    for prefix in ("A", "toolongprefix", "ab1", "x"):
        with pytest.raises(tokenauth.InvalidArgument):
            tokenauth.Store.open(":memory:", token_prefix=prefix)
    with pytest.raises(tokenauth.InvalidArgument):
        tokenauth.Store.open(":memory:", default_rate_limit=-1)
    with pytest.raises(tokenauth.InvalidArgument):
        tokenauth.Store.open(":memory:", usage_flush_ms=2**32)
    with pytest.raises(TypeError):
        tokenauth.Store.open(":memory:", busy_timeout_ms="5")  # type: ignore[arg-type]


def test_unopenable_path_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(tokenauth.StorageError) as e:
        tokenauth.Store.open(str(tmp_path / "no" / "such" / "dir" / "x.db"))
    assert e.value.http_status == 503


def test_not_a_database_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just some text\n" * 200)
    with pytest.raises(tokenauth.StorageError):
        tokenauth.Store.open(str(junk))


def test_another_sqlite_database_is_a_conflict(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("create table users(id integer primary key, name text)")
    con.commit()
    con.close()
    with pytest.raises(tokenauth.Conflict):
        tokenauth.Store.open(str(other))


def test_path_types(tmp_path: Path) -> None:
    p = tmp_path / "pathlike.db"
    with tokenauth.Store.open(p) as s:
        assert s.path == str(p)
    with tokenauth.Store.open(str(p).encode()) as s:
        assert s.members() == []
    with pytest.raises(tokenauth.InvalidArgument):
        tokenauth.Store.open("bad\0path")


def test_index_limit_keeps_answers(store: tokenauth.Store) -> None:
    store.put_member("alice", READER)
    secret, token_id = store.create_token("ci", "tickets:read", actor="alice")
    for limit in (0, 1, 1_000_000):
        store.set_index_limit(limit)
        assert store.verify(secret, "tickets:read").ok
    store.revoke(token_id)
    assert store.verify(secret).status == tokenauth.Status.REVOKED
    with pytest.raises(tokenauth.InvalidArgument):
        store.set_index_limit(-1)


def test_a_child_forked_with_a_store_open_never_touches_the_library(db_path: str) -> None:
    store = tokenauth.Store.open(db_path)
    store.put_member("alice", READER)
    secret, _ = store.create_token("x", "tickets:read", actor="alice")

    def child() -> str:
        assert store.closed and "forked" in repr(store)
        with pytest.raises(tokenauth.StoreClosed, match="before this process forked"):
            store.verify(secret)
        store.close()  # a no-op: the parent's handle is not the child's to close
        with pytest.raises(tokenauth.UnsafeAfterFork) as refused:
            tokenauth.Store.open(db_path)
        assert refused.value.http_status == 503 and isinstance(refused.value, tokenauth.StorageError)
        return str(refused.value)

    assert f"forked from pid {os.getpid()}" in in_child(child)
    assert store.verify(secret).ok and not store.closed
    store.close()


def test_a_child_forked_with_every_store_closed_opens_its_own(db_path: str) -> None:
    with tokenauth.Store.open(db_path) as store:
        store.put_member("alice", READER)
        secret, _ = store.create_token("x", "tickets:read", actor="alice")

    def child() -> bool:
        with tokenauth.Store.open(db_path) as own:
            return own.verify(secret).ok

    assert in_child(child) is True


def test_stores_open_at_exit_are_closed_and_their_usage_flushed(db_path: str) -> None:
    script = textwrap.dedent(f"""
        import threading, time
        import tokenauth
        store = tokenauth.Store.open({db_path!r}, usage_flush_ms=3_600_000)
        store.put_member("alice", "tickets:read ManagePersonalAccessTokens")
        secret, token_id = store.create_token("x", "tickets:read", actor="alice")
        assert store.verify(secret).ok
        store.record_usage(token_id, "GET /x", 200)
        print(token_id)
        # Held by a daemon thread's frame, it is never collected: only the exit hook closes it.
        threading.Thread(target=lambda held=store: time.sleep(3600), daemon=True).start()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with tokenauth.Store.open(db_path) as again:
        stats = again.stats(done.stdout.strip())
    assert stats["use_count"] == 1 and stats["by_status"] == {"200": 1}
