"""The thread pools a connection's read cursors borrow, so a statement starts no threads of its own.

A scan's tasks run on a pool that its cursor has to itself while it is open: a scan blocked on SQLite
(the outer side of a join) must never hold the threads another cursor's scan (the inner side) needs. A
cursor whose scan ran to its end gives its pool back, idle, and the connection's next statement borrows
it: starting a pool's threads cost a statement more CPU than its call (``vtab sync`` runs thousands of
one-call statements). A pool whose scan was left part way (LIMIT, an error, an interrupt) may still have
tasks winding down, so it is shut down instead, as before.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


class ReadPools:
    """Idle read pools of one connection, by size (a table's ``max_workers``)."""

    def __init__(self) -> None:
        self._idle: dict[int, list[ThreadPoolExecutor]] = {}
        self._lock = threading.Lock()

    def borrow(self, workers: int) -> ThreadPoolExecutor:
        """A pool of ``workers`` threads for one cursor: an idle one, else a new one (threads start as tasks
        need them)."""
        with self._lock:
            idle = self._idle.get(workers)
            if idle:
                return idle.pop()
        return ThreadPoolExecutor(workers, thread_name_prefix="vtab-read")

    def give_back(self, pool: ThreadPoolExecutor, workers: int) -> None:
        """``pool``, whose scan ended (every task over), for the connection's next statement."""
        with self._lock:
            self._idle.setdefault(workers, []).append(pool)

    def close(self) -> None:
        """End the idle pools' threads (the connection is closing)."""
        with self._lock:
            pools = [pool for idle in self._idle.values() for pool in idle]
            self._idle.clear()
        for pool in pools:
            pool.shutdown(wait=False)
