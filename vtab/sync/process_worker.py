"""A worker process of ``vtab sync --executor processes``: its start, its first job, and a group of shards
run on its threads, each task's outcome sent to the sync's process (vtab.sync.processes) over one pipe.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Sequence
from enum import StrEnum
from multiprocessing.connection import Connection
from typing import Any

from vtab import hints
from vtab.aws import mfa
from vtab.aws.cloudcontrol import warm_loader
from vtab.sqlite.install import connect_with_registry
from vtab.sync.apart import ShardJob, use_endpoints
from vtab.sync.plan import Shard, Task
from vtab.sync.progress import Progress
from vtab.sync.store import TaskResult
from vtab.sync.threads import MAX_SHARDS_AT_ONCE, RunningShards, ThreadExecutor
from vtab.sync.worker import RetryBudget, ShardRun, StopFlag, SyncContext


class Message(StrEnum):
    """What a worker sends the sync's process."""

    STARTED = "started"
    CALLS = "calls"
    RETRIED = "retried"
    WRITE = "write"
    """A task done: its columns, rows and result (written into OUT by ``settle``)."""
    RECORD = "record"
    """A task not done: its result alone."""
    ENDED = "ended"
    """A group's job is over (its last message): the sync's process stops waiting at once, not at its
    next wake (up to WAKE_SECONDS after the last task, about 7% of the 20 x 2 bench's floor)."""


WARM_ENDPOINT = "http://127.0.0.1:9"
"""The endpoint of the connection a worker's first job makes: it makes no call."""


def warm() -> None:
    """A worker's first job, run while the sync plans: what the process keeps for every connection made
    here, made now (vtab's tables registered a first time; botocore's Cloud Control and STS models and
    endpoint rules read by the process's loader: about 80 ms of CPU a worker, which its first shards
    otherwise wait for). No credentials are looked up and no call is made."""
    connection, _ = connect_with_registry(  # a region checked: botocore's partitions read
        ":memory:", endpoint_url=WARM_ENDPOINT, regions=("us-east-1",), read_only=True, progress=False
    )
    connection.close()
    warm_loader()


_pipe: _Sender | None = None
_stop: StopFlag | None = None


class _Sender:
    """A worker's end of the pipe, shared by its threads and (through the lock) the other workers."""

    def __init__(self, writer: Connection, lock: Any) -> None:
        self.writer = writer
        self.lock = lock

    def send(self, *message: Any) -> None:
        with self.lock:
            self.writer.send(message)


def init_worker(
    writer: Connection,
    lock: Any,
    stop: StopFlag,
    environment: dict[str, str],
    alive: Connection,
    inherited: Connection | None = None,
) -> None:
    """A worker process's start. Its environment is the sync's process's now (what a spawned child
    inherits), not the forkserver's, started earlier: the AWS variables (profile, region, endpoints) may
    have changed since. Ctrl-C is the sync's process's to handle (it sets ``stop``); when that process is
    gone (killed, or left at a second Ctrl-C), the worker exits. ``inherited``: a forked worker's copy of
    the end of ``alive`` that only the sync's process may hold, closed here."""
    global _pipe, _stop
    if inherited is not None:
        inherited.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(environment)
    _pipe, _stop = _Sender(writer, lock), stop
    threading.Thread(target=_exit_with_the_sync, args=(alive,), name="vtab-sync-alive", daemon=True).start()


ORPHANED_STATUS = 70
"""A worker's exit status when the sync's process went away first."""


def _exit_with_the_sync(alive: Connection) -> None:
    """Block (no wakes) until the sync's process closes its end of ``alive`` or ends, then exit: a pool
    worker would otherwise wait for its next job forever, and hold the sync's stderr open."""
    with contextlib.suppress(EOFError, OSError):
        alive.recv()  # nothing is ever sent
    os._exit(ORPHANED_STATUS)


class _SentProgress(Progress):
    """A worker's progress: each event sent to the sync's process, whose display counts it (a task's end
    comes with its outcome)."""

    def __init__(self, pipe: _Sender) -> None:
        super().__init__(0)
        self.pipe = pipe

    def started(self, task: Task) -> None:
        self.pipe.send(Message.STARTED, task)

    def calls(self, calls: int, throttles: int) -> None:
        self.pipe.send(Message.CALLS, None, calls, throttles)

    def retried(self, task: Task) -> None:
        self.pipe.send(Message.RETRIED, task)

    def finished(self, task: Task, result: TaskResult) -> None:
        pass  # counted where the outcome is settled


def run_group(shards: Sequence[Shard], job: ShardJob, most_at_once: int = MAX_SHARDS_AT_ONCE) -> None:
    """In a worker process: the group's shards at once on threads, as the thread executor runs them, each
    task's outcome sent to the sync's process."""
    assert _pipe is not None and _stop is not None, "run_group runs in a worker init_worker started"
    with mfa.provided(job.credentials), hints.speaking_to(job.audience):  # as in the sync's process
        _run_group(shards, job, _pipe, _stop, most_at_once)


def _run_group(
    shards: Sequence[Shard], job: ShardJob, pipe: _Sender, stop: StopFlag, most_at_once: int
) -> None:
    use_endpoints(job.endpoints)
    root_connection, root = connect_with_registry(":memory:", **job.options)
    root.accounts.learn(job.account_ids)
    shards_at_once = min(most_at_once, len(shards)) or 1
    context = SyncContext(
        sync_id=job.sync_id,
        options=job.options,
        write=lambda task, columns, rows, result: pipe.send(Message.WRITE, task, columns, rows, result),
        record=lambda task, result: pipe.send(Message.RECORD, task, result),
        progress=_SentProgress(pipe),
        budget=RetryBudget(job.retry_budget),
        root=root,
        connections_per_shard=job.connections_per_shard,
        shards_at_once=shards_at_once,
        stop=stop,
        fail_fast=job.fail_fast,
    )
    running = RunningShards()
    try:
        ThreadExecutor(shards_at_once).run(shards, running.of(lambda shard: ShardRun(shard, context).run()))
    except BaseException:
        stop.set()  # a shard's error ends the sync, as with threads: every worker stops
        running.ended()  # the running tasks end (and are sent) before the connections close
        raise
    finally:
        root_connection.close()
        pipe.send(Message.ENDED, None)  # the group's last message: nothing of it is left in flight
