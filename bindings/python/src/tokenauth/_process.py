"""Process lifecycle: what must not cross a fork, and what to finish at exit.

A ``ta_store`` opened before ``fork()`` must never be used or closed by the child: its SQLite
connections, its background flusher and the locks other threads held at the moment of the fork do
not survive it. And a store still open when the interpreter exits holds usage counts not yet
written. Objects that own such state register with :func:`track`:

- ``os.fork()`` (and everything built on it: multiprocessing's fork start method, gunicorn's
  workers) calls their ``_after_fork_in_child()`` in the child, before any other Python code runs
  there;
- a normal interpreter exit (``atexit``) calls their ``close()``.
"""

from __future__ import annotations

import atexit
import os
import weakref
from typing import Any

_tracked: "weakref.WeakSet[Any]" = weakref.WeakSet()


def track(obj: Any) -> None:
    """Registers ``obj`` (weakly) for :func:`_after_fork_in_child` and :func:`_at_exit`."""
    _tracked.add(obj)


def _after_fork_in_child() -> None:
    # The list holds every object until each has run its hook: none is collected (and so closed
    # by its __del__) before it has learnt that it is in a child.
    for obj in list(_tracked):
        obj._after_fork_in_child()


def _at_exit() -> None:
    for obj in list(_tracked):
        obj.close()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_at_exit)
