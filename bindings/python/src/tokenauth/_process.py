"""Process lifecycle: what must not cross a fork, and what to finish at exit.

A ``ta_store`` opened before ``fork()`` must never be used or closed by the child: its SQLite
connections and its background thread do not survive the fork. Worse, a lock that such a thread
(or SQLite, or the Swift runtime, on its behalf) held at the moment of the fork stays locked in the
child forever, and SQLite's per-file lock bookkeeping describes the parent's connections: a child
forked while any store was open cannot safely use the library at all (opening a new store there
has been seen to deadlock). So a child forked while a store was open refuses to open one
(:class:`~tokenauth.UnsafeAfterFork`); a process that forks its workers opens its stores after
the fork, or closes them before. And a store still open when the interpreter exits holds usage
counts not yet written. Objects that own such state register with :func:`track`:

- ``os.fork()`` (and everything built on it: multiprocessing's fork start method, gunicorn's
  workers) calls their ``_after_fork_in_child()`` in the child, before any other Python code runs
  there;
- a normal interpreter exit (``atexit``) calls their ``close()``, in the order of their
  ``_exit_rank``.
"""

from __future__ import annotations

import atexit
import os
import weakref
from typing import Any, Optional

from ._errors import Status, UnsafeAfterFork

_tracked: "weakref.WeakSet[Any]" = weakref.WeakSet()
_forked_with_open_store_by: Optional[int] = None  # the parent's pid, when it had a store open


def store_open_at_fork() -> None:
    """Called in a forked child by each store that was open in the parent at the fork."""
    global _forked_with_open_store_by
    _forked_with_open_store_by = os.getppid()


def check_usable() -> None:
    """Raises :class:`UnsafeAfterFork` in a process forked while a store was open."""
    if _forked_with_open_store_by is not None:
        raise UnsafeAfterFork(
            Status.STORAGE_ERROR,
            None,
            f"this process was forked from pid {_forked_with_open_store_by} while a tokenauth store "
            "was open there; the library's threads, locks and SQLite connections do not survive "
            "fork, so it cannot be used in this process. Open stores after forking (a "
            "tokenauth.contrib Gateway opens lazily), or close them before.",
        )


def track(obj: Any) -> None:
    """Registers ``obj`` (weakly) for :func:`_after_fork_in_child` and :func:`_at_exit`."""
    _tracked.add(obj)


def _after_fork_in_child() -> None:
    # The list holds every object until each has run its hook: none is collected (and so closed
    # by its __del__) before it has learnt that it is in a child.
    for obj in list(_tracked):
        obj._after_fork_in_child()


def _at_exit() -> None:
    # Lowest rank first: a gateway records its queued usage before the stores close.
    for obj in sorted(_tracked, key=lambda o: o._exit_rank):
        obj.close()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_at_exit)
