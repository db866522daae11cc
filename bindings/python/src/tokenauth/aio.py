"""Awaitable access to a store for asyncio and trio code (needs ``anyio``).

What may block, and for how long:

- ``verify``, ``require`` and ``record_usage`` never wait for a writer: a token seen before is
  decided in memory (about a microsecond), a first verification reads SQLite through a pooled
  reader (about 10 µs; with PostgreSQL, a round trip to the server). They run inline.
- Every call that writes (``define_scope``, ``put_member``, ``set_member_active``,
  ``remove_member``, ``create_token``, ``create_tokens``, ``rename``, ``set_active``, ``revoke``,
  ``delete``, ``rotate``, ``flush``) waits for the database's writer lock, held by any other thread
  or process writing, up to ``busy_timeout_ms`` (default 5 s), then commits durably (an fsync).
  ``open`` may create or migrate the schema; ``close`` flushes. They run in a worker thread
  (``anyio.to_thread.run_sync``), as do the reads that build JSON of any size (``scopes``,
  ``members``, ``list_tokens``, ``get_token``, ``stats``, ``audit``, ``report``).

``ctypes`` releases the GIL during every call, so the worker thread does not hold up the loop.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Coroutine, Optional

import anyio.to_thread

from ._store import Credential, Store, Words
from ._verdict import Verdict


def _in_thread(name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
    """An ``async`` method running ``Store.<name>`` in a worker thread."""

    async def method(self: "AsyncStore", *args: Any, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(functools.partial(getattr(self.store, name), *args, **kwargs))

    method.__name__ = name
    method.__qualname__ = f"AsyncStore.{name}"
    method.__doc__ = f"Awaitable :meth:`tokenauth.Store.{name}`, run in a worker thread."
    return method


class AsyncStore:
    """A :class:`~tokenauth.Store` whose blocking calls run in a worker thread.

    ::

        async with await AsyncStore.open("tokens.db") as store:
            secret, token_id = await store.create_token("ci", "tickets:read", kind="service")
            verdict = store.verify("Bearer " + secret, "tickets:read")   # inline
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    async def open(cls, path: Any = ":memory:", **config: Any) -> "AsyncStore":
        """``Store.open`` in a worker thread."""
        return cls(await anyio.to_thread.run_sync(functools.partial(Store.open, path, **config)))

    async def __aenter__(self) -> "AsyncStore":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def verify(self, credential: Credential, required_scopes: Optional[Words] = None) -> Verdict:
        """:meth:`tokenauth.Store.verify`, inline: it never waits for a writer."""
        return self.store.verify(credential, required_scopes)

    def require(self, credential: Credential, required_scopes: Optional[Words] = None) -> Verdict:
        """:meth:`tokenauth.Store.require`, inline."""
        return self.store.require(credential, required_scopes)

    def record_usage(self, token_id: str, operation: str, http_status: int) -> None:
        """:meth:`tokenauth.Store.record_usage`, inline: buffered, never waits for a writer."""
        self.store.record_usage(token_id, operation, http_status)

    close = _in_thread("close")
    flush = _in_thread("flush")
    define_scope = _in_thread("define_scope")
    scopes = _in_thread("scopes")
    put_member = _in_thread("put_member")
    set_member_active = _in_thread("set_member_active")
    remove_member = _in_thread("remove_member")
    members = _in_thread("members")
    create_token = _in_thread("create_token")
    create_tokens = _in_thread("create_tokens")
    rename = _in_thread("rename")
    set_active = _in_thread("set_active")
    revoke = _in_thread("revoke")
    delete = _in_thread("delete")
    rotate = _in_thread("rotate")
    list_tokens = _in_thread("list_tokens")
    get_token = _in_thread("get_token")
    stats = _in_thread("stats")
    audit = _in_thread("audit")
    report = _in_thread("report")
