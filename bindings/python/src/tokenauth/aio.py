"""Awaitable access to a store for asyncio and trio code (needs ``anyio``).

What may block, and for how long:

- ``verify``, ``require``, ``record_usage`` and ``token_rate_limit`` never wait for a writer: a
  token seen before is decided in memory (about a microsecond), a first verification (and
  ``token_rate_limit``) reads SQLite through a pooled reader (about 10 µs; with PostgreSQL, a round
  trip to the server). They run inline.
- Every call that writes (``define_scope``, ``put_member``, ``set_member_active``,
  ``remove_member``, ``create_token``, ``create_tokens``, ``rename``, ``set_active``, ``revoke``,
  ``delete``, ``rotate``, ``flush``) waits for the database's writer lock, held by any other thread
  or process writing, up to ``busy_timeout_ms`` (default 5 s), then commits durably (an fsync).
  ``open`` may create or migrate the schema; ``close`` flushes; ``set_rate_limit_policy`` may
  create the shared rate-limit table beside the database. They run in a worker thread
  (``anyio.to_thread.run_sync``), as do the reads that build JSON of any size (``scopes``,
  ``members``, ``member_list_for``, ``actor_rights``, ``list_tokens``, ``token_page``,
  ``get_token``, ``token_actions``, ``stats``, ``audit``, ``report``, ``rate_limit_info``).

``ctypes`` releases the GIL during every call, so the worker thread does not hold up the loop.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Coroutine, Optional

import anyio.to_thread

from ._ratelimit import TokenRateLimit
from ._store import Credential, Store, Text, Words
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

    def verify(
        self, credential: Credential, required_scopes: Optional[Words] = None, *, resource: Optional[Text] = None
    ) -> Verdict:
        """:meth:`tokenauth.Store.verify` (``resource``: the entity the request touches), inline:
        it never waits for a writer."""
        return self.store.verify(credential, required_scopes, resource=resource)

    def require(
        self, credential: Credential, required_scopes: Optional[Words] = None, *, resource: Optional[Text] = None
    ) -> Verdict:
        """:meth:`tokenauth.Store.require`, inline."""
        return self.store.require(credential, required_scopes, resource=resource)

    def record_usage(self, token_id: str, operation: str, http_status: int) -> None:
        """:meth:`tokenauth.Store.record_usage`, inline: buffered, never waits for a writer."""
        self.store.record_usage(token_id, operation, http_status)

    def token_rate_limit(self, token_id: Text) -> TokenRateLimit:
        """:meth:`tokenauth.Store.token_rate_limit`, inline: one read that never waits for a writer."""
        return self.store.token_rate_limit(token_id)

    close = _in_thread("close")
    flush = _in_thread("flush")
    set_rate_limit_policy = _in_thread("set_rate_limit_policy")
    rate_limit_info = _in_thread("rate_limit_info")
    define_scope = _in_thread("define_scope")
    scopes = _in_thread("scopes")
    put_member = _in_thread("put_member")
    set_member_active = _in_thread("set_member_active")
    remove_member = _in_thread("remove_member")
    members = _in_thread("members")
    member_list_for = _in_thread("member_list_for")
    actor_rights = _in_thread("actor_rights")
    create_token = _in_thread("create_token")
    create_tokens = _in_thread("create_tokens")
    rename = _in_thread("rename")
    set_active = _in_thread("set_active")
    revoke = _in_thread("revoke")
    delete = _in_thread("delete")
    rotate = _in_thread("rotate")
    list_tokens = _in_thread("list_tokens")
    get_token = _in_thread("get_token")
    token_page = _in_thread("token_page")
    token_actions = _in_thread("token_actions")
    stats = _in_thread("stats")
    audit = _in_thread("audit")
    report = _in_thread("report")
