"""Shards on threads of one process: the default executor (``--executor threads``), and what a worker
process of ``--executor processes`` runs its group of shards on (processes.py).

A shard is one account-region: its tasks must run in one place, so that its token bucket is the only one
spending that account-region's budget; all shards run at once (up to MAX_SHARDS_AT_ONCE), so no
account-region waits behind another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Protocol

from vtab.sync.plan import Shard

MAX_SHARDS_AT_ONCE = 64
"""Shards the thread executor runs at once (each one account-region, a few connections)."""

WAKE_SECONDS = 0.2
"""How often a main thread waiting for shards wakes: Ctrl-C's signal may reach another thread, and Python
raises KeyboardInterrupt only in the main thread, when it runs (a wait without timeout ends first)."""


class Executor(Protocol):
    """Runs every shard once. Shards are (account, region): one shard's tasks must run in one place, so
    that its token bucket is the only one spending that account-region's budget.

    ``run_shard`` runs a shard in this process, writing into the sync's Store. An executor that runs
    shards in other processes (Dask, issue 19 item 5) ships the Shard (plain data) and the task options
    instead, runs ``ShardRun`` there around a SyncContext whose ``write``/``record`` go to a Store of the
    worker's own (a shard file, the same tables and ``_vtab_sync`` rows), and merges those files into the
    sync's after: the file contract is the same."""

    def run(self, shards: Sequence[Shard], run_shard: Callable[[Shard], None]) -> None: ...


class ThreadExecutor:
    """The default executor: shards on threads of this process (no extra dependency)."""

    def __init__(self, max_shards: int = MAX_SHARDS_AT_ONCE) -> None:
        self.max_shards = max_shards

    def run(self, shards: Sequence[Shard], run_shard: Callable[[Shard], None]) -> None:
        if not shards:
            return
        pool = ThreadPoolExecutor(min(self.max_shards, len(shards)), thread_name_prefix="vtab-shard")
        try:
            running = {pool.submit(run_shard, shard) for shard in shards}
            while running:
                ended, running = wait(running, WAKE_SECONDS, return_when=FIRST_EXCEPTION)
                for future in ended:
                    future.result()  # a shard's error
        except BaseException:
            # Ctrl-C (or a shard's error): return at once, so the caller can stop the running shards (they
            # end after their current task) instead of waiting here for every shard to finish
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()


class RunningShards:
    """The shards running in this process: after Ctrl-C (or a failure) the sync waits for them to end
    (each after its running tasks: ``stop`` is set) before it closes the file they write."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def of(self, run_shard: Callable[[Shard], None]) -> Callable[[Shard], None]:
        """``run_shard``, counted while it runs."""

        def counted(shard: Shard) -> None:
            with self._idle:
                self._count += 1
            try:
                run_shard(shard)
            finally:
                with self._idle:
                    self._count -= 1
                    self._idle.notify_all()

        return counted

    def ended(self) -> bool:
        """Wait until no shard runs; False when a second Ctrl-C ends the wait first."""
        try:
            with self._idle:
                while not self._idle.wait_for(lambda: self._count == 0, WAKE_SECONDS):
                    pass  # awake now and then, so a second Ctrl-C is seen
        except KeyboardInterrupt:
            return False
        return True
