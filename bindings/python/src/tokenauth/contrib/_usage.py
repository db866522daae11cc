"""Usage recorded off the request path.

A library call made between two requests runs cold: the request's own code (the framework's,
the application's) has evicted the library's from the CPU caches, and one ``ta_record_usage``
then costs several times what it costs among others. So a request only queues what to record,
and a background thread of the process records the queue every :data:`DRAIN_INTERVAL_S`, call
after call.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Callable, Deque, Optional, Tuple

DRAIN_INTERVAL_S = 0.1  # the longest a request's usage waits in the queue
STOP_TIMEOUT_S = 10.0

Usage = Tuple[str, str, int]  # (token id, operation, HTTP status)


class UsageRecorder:
    """Calls ``record(token_id, operation, http_status)`` for each queued request, from a daemon
    thread started on first use in each process; :meth:`stop` records what is left (on close and
    at exit). Appending to a ``deque`` is thread-safe, so a request takes no lock."""

    def __init__(self, record: Callable[[str, str, int], None]) -> None:
        self._record = record
        self._new_state()

    def _new_state(self) -> None:
        self._queue: Deque[Usage] = deque()
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._stopping = threading.Event()

    def add(self, token_id: str, operation: str, http_status: int) -> None:
        """Queues one request's usage (recorded within DRAIN_INTERVAL_S)."""
        self._queue.append((token_id, operation, http_status))
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._stopping = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._stopping,), name="tokenauth-usage", daemon=True
                )
                self._thread.start()

    def _run(self, stopping: threading.Event) -> None:
        while not stopping.wait(DRAIN_INTERVAL_S):
            self.drain()

    def drain(self) -> None:
        """Records everything queued so far, in this thread."""
        queue = self._queue
        while queue:
            try:
                usage = queue.popleft()
            except IndexError:  # another drain took the last one
                return
            self._record(*usage)

    def stop(self) -> None:
        """Stops the thread (a later :meth:`add` starts another) and records what is left."""
        with self._lock:
            thread, stopping, self._thread = self._thread, self._stopping, None
        if thread is not None:
            stopping.set()
            thread.join(STOP_TIMEOUT_S)
        self.drain()

    def _after_fork_in_child(self) -> None:
        # The thread did not survive the fork, and what the parent queued is the parent's to record.
        self._new_state()
