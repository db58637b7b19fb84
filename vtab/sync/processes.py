"""``--executor processes``: a sync's shards in worker processes of this machine, so the client's CPU work
(building, signing and parsing calls, the scans, the cells) runs on every core instead of under one GIL.

The shards are split into one group per worker process, by account (each account's regions in one
process, so an account whose role is refused is asked once per run, as with threads), or by account-region
when there are fewer accounts than processes. A worker gets a plain ``ShardJob`` (apart.py: options,
never a key) and its group, builds its own vtab connections, and runs its shards as the thread executor
does (``ShardRun``, each shard's token bucket in that one process). It writes no file: each task's
outcome (its rows, or its failure) is sent over a pipe to the sync's process the moment the task ends,
and written there into OUT by ``settle``, as the thread executor writes it. So OUT is the thread
executor's file, a task done is recorded at once (a sync killed half-way resumes as a threads one does),
and the progress counts as tasks end. The sync's process sets one ``multiprocessing`` Event to stop the
workers (Ctrl-C, ``--on-error fail``): each ends after its running tasks, which it still sends.

Workers are forked from the sync's process when it runs one thread at their start (Linux; the command's
case: they begin with everything the sync's process has imported, in a few milliseconds), else started
through a forkserver (spawn where there is none) that imports vtab once (about 0.4 s). Ctrl-C reaches the
whole process group, and the workers ignore it: the sync's process tells them to stop.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
import pickle
import struct
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any

from vtab.sync.apart import ShardJob
from vtab.sync.plan import Shard
from vtab.sync.process_worker import Message, init_worker, run_group, warm
from vtab.sync.threads import MAX_SHARDS_AT_ONCE
from vtab.sync.worker import StopFlag, SyncContext, settle

WAKE_SECONDS = 0.2
"""How often the sync's process, waiting for the workers' messages, wakes to see whether they ended (and
lets Ctrl-C in)."""

START_METHODS = ("forkserver", "spawn")
"""How worker processes start when they cannot be forked safely, the first this platform has."""
FORK = "fork"
"""How worker processes start while the sync's process runs one thread (``_can_fork``): a fork copies a
process whose every lock is free, and the workers need no import of their own."""


class Stopped(KeyboardInterrupt):
    """A Ctrl-C the workers obeyed: their running tasks ended and were settled, so the pool closes as after
    a whole run (not abandoned: a process that exits with the pool's semaphores alive has multiprocessing's
    resource tracker warn of leaked semaphores)."""


class WorkerLostError(RuntimeError):
    """A worker process ended without finishing its jobs (killed, out of memory, crashed), or the workers
    never started (most often a script that calls the sync outside ``if __name__ == "__main__":``: each
    worker imports the script's main module, which multiprocessing then refuses)."""

    def __init__(self, started: bool = True, forked: bool = False) -> None:
        if started or forked:  # a forked worker imports nothing: the guard cannot be the cause
            text = (
                "a worker process of --executor processes ended abruptly (killed, out of memory, or "
                "crashed), so the sync stopped: the tasks done are written, the others stay pending; run "
                "the same sync with --resume (resume=True) to finish them"
            )
        else:
            text = (
                "the worker processes of --executor processes ended before their first job, so no task "
                "ran (the error above, printed by a worker, says why); from a Python script, call "
                'vtab.sync() under if __name__ == "__main__": (each worker imports the script\'s main '
                "module, as with any use of multiprocessing), or use executor='threads'"
            )
        super().__init__(text)


class ProcessExecutor:
    """Shards in ``workers`` processes of this machine (default: one per core), each running up to
    ``shards_at_once`` of its shards at once."""

    def __init__(self, workers: int | None = None, shards_at_once: int = MAX_SHARDS_AT_ONCE) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.shards_at_once = shards_at_once
        self._pool: _Pool | None = None

    def start(self) -> None:
        """Start the worker processes in the background: the sync calls it before it plans, so their start
        (the forkserver importing vtab, about 0.4 s of CPU) overlaps the estate's discovery."""
        if self._pool is None:
            self._pool = _Pool(self.workers)

    def close(self) -> None:
        """End the worker processes (the sync's end, or its failure before the shards ran)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def run_processes(self, shards: Sequence[Shard], job: ShardJob, context: SyncContext) -> None:
        """Run every shard in the worker processes; each task's outcome is settled into ``context`` (the
        sync's file and progress) here, as it arrives. Ends when every worker has ended; raises a worker's
        error after that, or KeyboardInterrupt once the running tasks are in (a second one: at once)."""
        groups = groups_of(shards, self.workers)
        if not groups:
            return
        self.start()
        assert self._pool is not None
        workers = self._pool
        try:
            pool = workers.ready()
            futures = [
                pool.submit(run_group, group, _share(job, group), self.shards_at_once) for group in groups
            ]
            _Receiver(workers.reader, context, workers.stop).until_ended(futures)
        except Stopped:
            self.close()  # every worker's jobs ended: they exit now, and their semaphores go with them
            raise
        except BaseException as error:
            workers.stop.set()
            self._pool = None
            if isinstance(error, BrokenProcessPool):  # its own words name neither the cause nor the fix
                started = workers.started()
                workers.close()  # the pool's workers are gone already: closing waits for none of them
                raise WorkerLostError(started=started, forked=workers.forked) from error
            workers.abandon()
            raise
        self.close()


class _Pool:
    """The worker processes, the pipe their messages come back on and the Event that stops them: forked
    here and now while this process runs one thread, else started on a thread of their own (a forkserver's
    first fork waits for its imports)."""

    def __init__(self, workers: int) -> None:
        method = FORK if _can_fork() else _start_method()
        self.forked = method == FORK
        """Whether the workers are forks of this process (else started afresh, importing vtab)."""
        mp = multiprocessing.get_context(method)
        if method == "forkserver":
            mp.set_forkserver_preload([__name__])  # vtab imported once, in the forkserver
        self.reader, self.writer = mp.Pipe(duplex=False)
        self.stop = mp.Event()
        self.alive, self._alive_end = mp.Pipe(duplex=False)
        """Only this process holds ``_alive_end`` (a forked worker closes its copy): when this process ends
        (killed, too), the workers' ``alive`` reaches its end and they exit, instead of waiting for a next
        job forever."""
        inherited = self._alive_end if method == FORK else None
        self.pool = ProcessPoolExecutor(
            workers,
            mp_context=mp,
            initializer=init_worker,
            initargs=(self.writer, mp.Lock(), self.stop, dict(os.environ), self.alive, inherited),
        )
        self._error: BaseException | None = None
        self._warm: list[Future[None]] = []
        """Each worker's first job (``process_worker.warm``)."""
        self._starting: threading.Thread | None = None
        if method == FORK:  # multiprocessing flushes stdout and stderr before each fork (None: no stream)
            self._start(workers)  # the first submit forks every worker, on this thread, the only one
        else:
            self._starting = threading.Thread(target=self._start, args=(workers,), name="vtab-sync-processes")
            self._starting.start()

    def _joined(self) -> None:
        if self._starting is not None:
            self._starting.join()

    def _start(self, workers: int) -> None:
        try:
            for _ in range(workers):  # each submit while none is idle starts one more process
                self._warm.append(self.pool.submit(warm))
        except BaseException as error:  # raised by ready(), in the sync's thread
            self._error = error

    def ready(self) -> ProcessPoolExecutor:
        self._joined()
        if self._error is not None:
            raise self._error
        return self.pool

    def started(self) -> bool:
        """Whether a worker ran its first job: False when the pool broke before any could."""
        self._joined()
        return any(job.done() and not job.cancelled() and job.exception() is None for job in self._warm)

    def close(self) -> None:
        self._joined()
        self.pool.shutdown(cancel_futures=True)
        self._close_pipes()

    def abandon(self) -> None:
        """A second Ctrl-C, or a worker lost: the workers exit now, their running tasks left pending."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self._close_pipes()

    def _close_pipes(self) -> None:
        for end in (self.reader, self.writer, self.alive, self._alive_end):
            end.close()


READ_BYTES = 1 << 20
"""The most read off the workers' pipe at once."""


class _Messages:
    """The workers' messages off the pipe, whole ones only. A worker killed while it sends (SIGKILL, the
    OOM killer) leaves part of a message in the pipe: ``Connection.recv`` would wait for the rest forever
    (this process holds a writing end of the pipe, so it never ends), and the sync would hang instead of
    reporting the lost worker. Here a message is taken only once all of it is read; a part left when
    the workers have ended is a task that never finished (it stays pending, and a resume runs it)."""

    def __init__(self, reader: Connection) -> None:
        self.reader = reader
        self._fd = reader.fileno() if sys.platform != "win32" else None  # Windows: recv, its framing
        self._buffer = bytearray()

    def poll(self, timeout: float) -> bool:
        return self.reader.poll(timeout)

    def take(self) -> Iterator[tuple[Any, ...]]:
        """The whole messages readable now (after ``poll`` said so: the read does not wait for more), each
        off the buffer as it is handed over (a Ctrl-C while one is settled leaves the others there)."""
        if self._fd is None:  # pragma: no cover - POSIX only in tests
            yield self.reader.recv()
            return
        self._buffer += os.read(self._fd, READ_BYTES)
        while (framed := _framed(self._buffer)) is not None:
            start, end = framed
            message = pickle.loads(self._buffer[start:end])
            del self._buffer[:end]
            yield message


def _framed(buffer: bytearray) -> tuple[int, int] | None:
    """Where the first message in ``buffer`` starts and ends, framed as ``Connection.send_bytes`` frames it
    (its size as 4 bytes, or -1 then 8 bytes); None until all of it is in ``buffer``."""
    if len(buffer) < 4:
        return None
    (size,) = struct.unpack_from("!i", buffer)
    start = 4
    if size == -1:
        if len(buffer) < 12:
            return None
        (size,) = struct.unpack_from("!Q", buffer, 4)
        start = 12
    end = start + size
    return (start, end) if len(buffer) >= end else None


class _Receiver:
    """The sync's side of the pipe: every message settled into the sync's context, until the workers end."""

    def __init__(self, reader: Connection, context: SyncContext, stop: StopFlag) -> None:
        self.messages = _Messages(reader)
        self.context = context
        self.stop = stop
        self.ended = 0
        """Groups whose job sent its ENDED."""

    def until_ended(self, futures: Sequence[Future[None]]) -> None:
        interrupted = False
        messages = self.messages
        while True:
            try:
                if messages.poll(WAKE_SECONDS):
                    taken = False
                    for message in messages.take():
                        self._take(message)
                        taken = True
                    if taken and self.ended < len(futures):
                        continue
                    if self.ended == len(futures):
                        break  # every group's job sent its last message: each returns now
                if self.context.stop.is_set():
                    self.stop.set()  # a task settled here failed under fail_fast: the workers stop too
                if all(future.done() for future in futures):
                    break
            except KeyboardInterrupt:
                if interrupted:
                    raise  # a second Ctrl-C: the running tasks are given up
                interrupted = True
                self.stop.set()  # no task starts; the running ones end and are sent
        # a worker sends each message before its job returns: what it sent is in the pipe by now
        while messages.poll(0):
            for message in messages.take():
                self._take(message)
        for future in futures:
            error = future.exception()
            if error is not None:
                raise error
        if interrupted:
            raise Stopped

    def _take(self, message: tuple[Any, ...]) -> None:
        kind, task, *rest = message
        progress = self.context.progress
        if kind == Message.ENDED:
            self.ended += 1
            return
        if kind == Message.STARTED:
            progress.started(task)
        elif kind == Message.CALLS:
            progress.calls(*rest)
        elif kind == Message.RETRIED:
            progress.retried(task)
        elif kind == Message.WRITE:
            columns, rows, result = rest
            settle(self.context, task, columns, rows, result)
        else:
            settle(self.context, task, [], [], rest[0])
        if self.context.stop.is_set():
            self.stop.set()


def groups_of(shards: Sequence[Shard], workers: int) -> list[list[Shard]]:
    """The shards in at most ``workers`` groups of about the same number of tasks: whole accounts when
    there are at least as many accounts as workers, else single shards."""
    by_account: dict[str, list[Shard]] = {}
    for shard in shards:
        by_account.setdefault(shard.account_id, []).append(shard)
    units = list(by_account.values())
    if len(units) < workers:
        units = [[shard] for shard in shards]
    count = min(workers, len(units))
    groups: list[list[Shard]] = [[] for _ in range(count)]
    sizes = [0] * count
    for unit in sorted(units, key=lambda found: -sum(len(shard.tasks) for shard in found)):
        smallest = sizes.index(min(sizes))
        groups[smallest].extend(unit)
        sizes[smallest] += sum(len(shard.tasks) for shard in unit)
    return [group for group in groups if group]


def _share(job: ShardJob, group: Sequence[Shard]) -> ShardJob:
    """The job with the group's share of the sync's retry budget."""
    tasks = sum(len(shard.tasks) for shard in group)
    share = max(1, math.ceil(job.retry_budget * tasks / max(1, job.tasks)))
    return dataclasses.replace(job, retry_budget=share, tasks=tasks)


def _can_fork() -> bool:
    """Whether the workers may be forked from this process now: on Linux, while it runs one thread (its
    threads counted by the kernel, so a library's own are seen too). A fork copies only the thread that
    forks; any other's locks would stay held in the copy."""
    if not sys.platform.startswith("linux") or FORK not in multiprocessing.get_all_start_methods():
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _start_method() -> str:
    available = multiprocessing.get_all_start_methods()
    return next(method for method in START_METHODS if method in available)
