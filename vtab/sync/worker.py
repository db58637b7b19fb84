"""One shard's tasks, run through vtab's own read path.

A task is ``SELECT *, data__Identifier FROM <table> WHERE account_id = ? AND region = ?`` on a vtab
connection, so walks, hydration, AssumeRole, botocore's retries and masking are the live tables'. A shard
(one account and region) runs on a few connections at once (a connection runs one statement at a time),
all drawing on the same token bucket; the calls and pages of a task are its connection's call log since the
task began. A task that fails on throttling is put back at the end of its shard's queue after a back-off
that pauses the whole shard, while the sync's retry budget (its own, apart from botocore's) lasts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import apsw

from vtab.aws.accounts import AssumedRoles
from vtab.aws.calllog import CallRecord
from vtab.aws.errors import error_stem
from vtab.catalog import load_catalog
from vtab.catalog.columns import quote
from vtab.sqlite.install import connect_with_registry
from vtab.sqlite.registry import Caches, Registry
from vtab.sync.plan import Shard, Task, TaskStatus
from vtab.sync.progress import Progress
from vtab.sync.refusals import ASSUME_ROLE, Refusal, RoleRefusals
from vtab.sync.store import TaskResult

THROTTLING_STEMS = frozenset({"Throttling", "RequestLimitExceeded", "TooManyRequests"})
"""Error codes (without ``Exception``) that mean "slow down": a synchronous ThrottlingException, or a
FAILED ProgressEvent's ErrorCode Throttling."""

TASK_WHERE = "WHERE account_id = ? AND region = ?"
"""A task's read: pushed down, so it lists in its account and region only."""

BACKOFF_FIRST = 0.5
BACKOFF_MOST = 20.0
"""Seconds a throttled shard pauses: doubling from the first to the most, per throttled task in a row."""


def iso_now(seconds: float | None = None) -> str:
    """``2026-12-07T15:04:05.123Z``: the ISO 8601 UTC text of the file's times."""
    stamp = time.time() if seconds is None else seconds
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{int(stamp * 1000) % 1000:03d}Z"


class StopFlag(Protocol):
    """Set when no further task may start: a ``threading.Event``, or a ``multiprocessing`` one that the
    sync's process sets for its worker processes (processes.py)."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class RetryBudget:
    """Task retries the whole sync may spend on throttling (apart from botocore's retries of a call)."""

    def __init__(self, total: int) -> None:
        self.left = total
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


@dataclass
class SyncContext:
    """What every shard of one sync shares."""

    sync_id: str
    options: dict[str, Any]
    """The connection options of every task (checked), but the account and region options."""
    write: Callable[[Task, list[tuple[str, str]], list[tuple[Any, ...]], TaskResult], None]
    record: Callable[[Task, TaskResult], None]
    progress: Progress
    budget: RetryBudget
    root: Registry
    """The registry whose rate limits, looked-up account ids and Cloud Control clients every task
    connection shares (Registry.share_with)."""
    connections_per_shard: int = 4
    shards_at_once: int = 1
    """Shards this process runs at once: their connections share the root's Cloud Control clients."""
    stop: StopFlag = field(default_factory=threading.Event)
    """Set when no further task may start (``--on-error fail``, Ctrl-C)."""
    fail_fast: bool = False
    """``--on-error fail``: a failed task sets ``stop``."""
    refusals: RoleRefusals = field(default_factory=RoleRefusals)
    """Accounts whose role was refused: their other tasks fail without asking STS again."""
    columns: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Each table's live columns, read once in the process (every shard has a task of most tables)."""

    @property
    def statements_at_once(self) -> int:
        """Task connections running statements at once in this process."""
        return self.connections_per_shard * self.shards_at_once


class ShardRun:
    """A shard's queue of tasks and its back-off; ``run`` ends when the queue is empty or the sync stops."""

    def __init__(self, shard: Shard, context: SyncContext) -> None:
        self.shard = shard
        self.context = context
        self.queue: deque[Task] = deque(shard.tasks)
        self.lock = threading.Lock()
        self.paused_until = 0.0
        self.throttled_in_row = 0
        self.earlier: dict[Task, TaskResult] = {}
        """What a retried task's throttled attempts spent: its row counts every attempt's calls."""
        self.roles = AssumedRoles()
        """The shard's assumed role, assumed once by whichever connection needs it first: per shard, not
        per sync, so a shard's calls are the same wherever it runs (another process under Dask)."""
        self.caches: Caches = {}
        """The shard's read cache: a walk's parents listed by one connection serve the others' walks."""
        self.tables = {task.table_name: task.type_name for task in shard.tasks}
        """The resource tables its connections install: its tasks' only (a connection's setup is then a
        fraction of one with every type's)."""
        self.seeded = False
        """Whether the shard's parent listings (a resume's) are in its read cache."""
        self.errors: list[BaseException] = []
        """What ended a connection's thread other than a task's failure (a bug, the file gone): raised by
        ``run``, so the sync fails loudly instead of leaving the shard's tasks pending unsaid."""

    def run(self) -> None:
        count = min(self.context.connections_per_shard, len(self.queue))
        threads = [
            threading.Thread(target=self._work, name=f"vtab-sync-{i}", daemon=True) for i in range(count)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self.errors:
            raise self.errors[0]

    def _options(self) -> dict[str, Any]:
        options = dict(self.context.options)
        # skip: a failing account is a row of the connection's vtab_errors, its own message (AWS's code and
        # text, the fix), not a statement error about "the other accounts" a task does not have
        options.update(regions=(self.shard.region,), on_account_error="skip", progress=False, read_only=True)
        for name in ("accounts", "organizational_units", "skip_accounts", "profiles"):
            options.pop(name, None)
        if self.shard.profile is not None:
            options["profile"] = self.shard.profile
        else:
            options["accounts"] = (self.shard.account_id,)
        return options

    def _next(self) -> Task | None:
        with self.lock:
            if self.context.stop.is_set() or not self.queue:
                return None
            task = self.queue.popleft()
            pause = self.paused_until - time.monotonic()
        if pause > 0:
            self.context.stop.wait(pause)  # the shard's back-off after throttling: every connection waits
        return task

    def _work(self) -> None:
        try:
            connection, registry = connect_with_registry(":memory:", tables=self.tables, **self._options())
        except BaseException as error:
            self._failed(error)
            return
        registry.share_with(self.context.root, self.context.statements_at_once, self.roles, self.caches)
        registry.unwatched()
        runner = TaskRunner(connection, registry, self.context.columns)
        try:
            self._seed(registry)
            while (task := self._next()) is not None:
                self._one(runner, task)
        except BaseException as error:
            self._failed(error)
        finally:
            connection.close()
            registry.read_pools.close()

    def _seed(self, registry: Registry) -> None:
        """The shard's walk parents a resume took from the file, into the read cache its connections share:
        by the first connection, before any of them starts a task (the others wait for the queue's lock)."""
        with self.lock:
            if self.seeded:
                return
            self.seeded = True
            catalog = load_catalog()
            for listing in self.shard.listings:
                schema = catalog.schema(listing.type_name)
                registry.seed_listing(
                    schema, self.shard.region, self.shard.account_id, listing.model, listing.items
                )

    def _failed(self, error: BaseException) -> None:
        with self.lock:
            self.errors.append(error)
        self.context.stop.set()

    def _one(self, runner: TaskRunner, task: Task) -> None:
        context = self.context
        first, refusal = context.refusals.before(task.account_id)
        if refusal is not None:  # the account's role was refused to an earlier task: not asked again
            self._refused(task, refusal)
            return
        context.progress.started(task)
        outcome: Outcome | None = None
        try:
            outcome = runner.run(task)
        finally:
            refused = outcome.refusal if outcome is not None else None
            if first or refused is not None:  # the account's other tasks wait for the first one's answer
                context.refusals.learned(task.account_id, refused)
        assert outcome is not None
        result = outcome.result
        context.progress.calls(result.calls, result.throttles)
        before = self.earlier.pop(task, None)
        if before is not None:
            result.attempts += before.attempts
            result.calls += before.calls
            result.pages += before.pages
            result.throttles += before.throttles
        if result.status is TaskStatus.FAILED and outcome.throttled and context.budget.take():
            with self.lock:
                self.throttled_in_row += 1
                backoff = min(BACKOFF_MOST, BACKOFF_FIRST * 2 ** (self.throttled_in_row - 1))
                self.paused_until = max(self.paused_until, time.monotonic() + backoff)
                self.queue.append(task)
                self.earlier[task] = result
            context.progress.retried(task)
            return
        if result.status is TaskStatus.DONE:
            with self.lock:
                self.throttled_in_row = 0
        settle(context, task, outcome.columns, outcome.rows, result)

    def _refused(self, task: Task, refusal: Refusal) -> None:
        now = iso_now()
        result = TaskResult(TaskStatus.FAILED, now, now, 0.0, calls=0)
        result.error_code, result.error_message = refusal.error_code, refusal.error_message
        settle(self.context, task, [], [], result)


def settle(
    context: SyncContext,
    task: Task,
    columns: list[tuple[str, str]],
    rows: list[tuple[Any, ...]],
    result: TaskResult,
) -> None:
    """A task over: a done one's rows and row written (a write the file refuses makes it failed), any
    other's row recorded; under fail_fast a failure stops the sync; then the progress counts it. Where the
    file is written: in the shard's process, or in the sync's for a task run in a worker process
    (processes.py)."""
    if result.status is TaskStatus.DONE:
        try:
            context.write(task, columns, rows, result)
        except apsw.Error as error:  # e.g. a table of the file kept in the other mode
            result.status, result.rows = TaskStatus.FAILED, 0
            result.error_code, result.error_message = type(error).__name__, str(error)
            context.record(task, result)
    else:
        context.record(task, result)
    if result.status is TaskStatus.FAILED and context.fail_fast:
        context.stop.set()
    context.progress.finished(task, result)


@dataclass
class Outcome:
    result: TaskResult
    columns: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    throttled: bool = False
    refusal: Refusal | None = None
    """Set when the task's AssumeRole into its account was refused: the account's other tasks fail so."""


class TaskRunner:
    """Runs tasks on one vtab connection, one at a time."""

    def __init__(
        self,
        connection: apsw.Connection,
        registry: Registry,
        columns: dict[str, list[tuple[str, str]]] | None = None,
    ) -> None:
        self.connection = connection
        self.registry = registry
        self._columns = {} if columns is None else columns
        """Shared by the process's connections: a PRAGMA per table, not per task."""

    def columns(self, table: str) -> list[tuple[str, str]]:
        """The live table's visible columns (name, declared type), in order: the file's table has them."""
        found = self._columns.get(table)
        if found is None:
            info = self.connection.execute(f"PRAGMA table_xinfo({quote(table)})").fetchall()
            found = self._columns[table] = [(str(row[1]), str(row[2] or "")) for row in info if row[6] == 0]
        return found

    def run(self, task: Task) -> Outcome:
        mark = self.registry.log.mark()
        errors_mark = self.registry.account_errors.mark()
        started = time.time()
        clock = time.perf_counter()
        try:
            columns = self.columns(task.table_name)
            select = f"SELECT *, data__Identifier FROM {quote(task.table_name)} {TASK_WHERE}"
            rows = self.connection.execute(select, (task.account_id, task.region)).fetchall()
            error: apsw.Error | None = None
        except apsw.Error as failure:
            columns, rows, error = [], [], failure
        skipped = self.registry.account_errors.since(errors_mark)  # vtab_errors' rows: the account failed
        calls = self.registry.log.since(mark)
        seconds = time.perf_counter() - clock
        result = TaskResult(
            status=TaskStatus.DONE if error is None and not skipped else TaskStatus.FAILED,
            started_at=iso_now(started),
            finished_at=iso_now(),
            seconds=seconds,
            pages=sum(call.pages for call in calls if _sent(call) and call.operation == "ListResources"),
            rows=len(rows),
            calls=sum(1 for call in calls if _sent(call)),
            throttles=sum(1 for call in calls if _throttled(call)),
        )
        refusal = None
        if skipped:
            _, _, _, code, message, _ = skipped[0]
            result.error_code, result.error_message = str(code), str(message)
            columns, rows = [], []
            if any(call.operation == ASSUME_ROLE and call.error_code for call in calls):
                refusal = Refusal(result.error_code, result.error_message)
        elif error is not None:
            failed = [call for call in calls if call.error_code]
            result.error_code = failed[-1].error_code if failed else type(error).__name__
            result.error_message = str(error)
        rows = [tuple(row) for row in rows]
        return Outcome(result, columns, rows, throttled=bool(result.throttles), refusal=refusal)


def _sent(call: CallRecord) -> bool:
    """A call that reached the endpoint (not the cache, the statement's memo or a dry run)."""
    return call.cache == "miss"


def _throttled(call: CallRecord) -> bool:
    return call.error_code is not None and error_stem(call.error_code) in THROTTLING_STEMS
