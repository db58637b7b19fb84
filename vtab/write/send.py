"""Sending queued writes: all in parallel (bounded), each polled to SUCCESS or FAILED (the verdict on
them all: vtab.write.verdict).

The SQLite thread runs a small scheduler; worker threads only make HTTP calls, never wait. An operation
that is IN_PROGRESS is polled again at its RetryAfter, but never sooner (counted from when the previous
call was sent) than a backoff that doubles from 50 ms to 5 s (a RetryAfter already past never makes
polling spin), so waiting costs no worker, and a statement of N rows takes about one operation's
latency, not N. The last poll is at ``write_timeout``.

Start calls and polls have budgets of their own: at most ``max_workers`` start calls in flight, and
besides them at most ``POLLS_PER_WORKER * max_workers`` polls. With one shared budget a 50-row INSERT
at 16 workers sends all 50 start calls before its first poll, then queues 150 polls behind 16 slots:
2.4x one row's time, where the start calls alone allow about 1.6x. A poll is a cheap read of one
operation, which has at most one call in flight; ``rate_limit`` still bounds the calls per second.

Operations on the same resource (an UPDATE then a DELETE of one row in one transaction) run one after the
other, in statement order, since Cloud Control refuses a second concurrent operation on a resource; a
create runs after the deletes that may free its unique key (DELETE then INSERT of one key).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import apsw

from vtab.aws import errors
from vtab.aws.calllog import CallRecord
from vtab.aws.cloudcontrol import POLLS_PER_WORKER, CloudControl, OperationStatus
from vtab.catalog.facts import Verb
from vtab.catalog.schema import ResourceSchema
from vtab.sql.interrupt import POLL_SECONDS, Interrupted, never
from vtab.write.conflict import frees_key
from vtab.write.operation import Operation, Outcome, WriteStatus, unique_key

FIRST_BACKOFF = 0.05
MAX_BACKOFF = 5.0
"""The least poll spacing (RetryAfter may ask for more): doubling from 50 ms with each poll, capped at 5 s."""
MAX_LOST_POLLS = 3
"""A write whose status polls are lost in transport this many times in a row (each after botocore's own
retries) is reported UNKNOWN, with its RequestToken, instead of being polled on."""


@dataclass
class _Task:
    op: Operation
    record: CallRecord
    token: str | None = None
    deadline: float = 0.0
    polls: int = 0
    lost_polls: int = 0
    """Polls in a row whose answer was lost in transport."""
    sent_at: float = 0.0
    """When a worker took up the latest call of this operation (the poll floor counts from there, not from
    the hand-over to the pool, so a worker slow to start never shortens the spacing AWS sees)."""
    outcome: Outcome | None = None
    event: dict[str, Any] | None = None
    """The last ProgressEvent answered for it."""
    waits_for: int = 0
    """Unfinished operations this one must follow."""
    dependents: list[_Task] = field(default_factory=list)
    """Operations that follow this one (the next on the same resource; creates of the key it frees)."""


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    task: _Task = field(compare=False)


class _Waiting:
    """Operations waiting for their next call, in two queues: start calls in the order they became ready
    (statement order, then dependents as they are freed), and polls by the time they are due. Apart, so a
    due poll never waits behind start calls queued for a worker, nor a start behind polls."""

    def __init__(self) -> None:
        self.starts: deque[_Task] = deque()
        self.polls: list[_Due] = []
        self._order = itertools.count()

    def add(self, task: _Task, at: float) -> None:
        if task.token is None:
            self.starts.append(task)
        else:
            heapq.heappush(self.polls, _Due(at, next(self._order), task))

    def next_start(self, now: float) -> _Task | None:
        return self.starts.popleft() if self.starts else None

    def due_poll(self, now: float) -> _Task | None:
        if self.polls and self.polls[0].at <= now:
            return heapq.heappop(self.polls).task
        return None

    def __bool__(self) -> bool:
        return bool(self.starts or self.polls)


class Sender:
    """Sends one batch of operations of one table and waits for every one of them.

    Two budgets of calls in flight: ``concurrency`` start calls (Create/Update/DeleteResource, on
    ``pool``) and ``poll_concurrency`` status polls (on threads of this Sender's own), so the polls of
    operations already started go on while later rows still wait for a start slot."""

    def __init__(
        self,
        cloud: CloudControl,
        schema: ResourceSchema,
        pool: ThreadPoolExecutor,
        *,
        concurrency: int,
        timeout: float,
        interrupted: Interrupted = never,
        poll_concurrency: int | None = None,
        cloud_of: Callable[[str | None], CloudControl] | None = None,
    ) -> None:
        self.interrupted = interrupted
        self.cloud = cloud
        self._cloud_of = cloud_of or (lambda account: cloud)
        """Account (None: the caller's own) -> the Cloud Control an operation in it is sent through."""
        self.schema = schema
        self.pool = pool
        self.concurrency = max(1, concurrency)
        self.poll_concurrency = max(1, poll_concurrency or POLLS_PER_WORKER * self.concurrency)
        self.timeout = timeout
        self._wake = threading.Event()

    def run(self, ops: list[Operation]) -> list[Outcome]:
        """Every operation's outcome, in the order given, with its last ProgressEvent (for RETURNING)."""
        tasks = [self._task(op) for op in ops]
        outcomes = self._schedule(tasks)
        for task, outcome in zip(tasks, outcomes, strict=True):
            if outcome.event is None:
                outcome.event = task.event
        return outcomes

    def _schedule(self, tasks: list[_Task]) -> list[Outcome]:
        """Send and poll every task to its end."""
        self._link(tasks)
        waiting = _Waiting()
        for task in tasks:
            if not task.waits_for:
                waiting.add(task, time.monotonic())
        starting: dict[Future[dict[str, Any]], _Task] = {}
        polling: dict[Future[dict[str, Any]], _Task] = {}
        polls = ThreadPoolExecutor(self.poll_concurrency, thread_name_prefix="vtab-poll")
        try:
            while waiting or starting or polling:
                if self.interrupted():
                    return self._interrupted(tasks, {**starting, **polling})
                self._send(starting, self.pool, self.concurrency, waiting.next_start)
                self._send(polling, polls, self.poll_concurrency, waiting.due_poll)
                # Wait in slices, so an interrupt is seen within POLL_SECONDS.
                wait_for = POLL_SECONDS
                if waiting.polls and len(polling) < self.poll_concurrency:
                    wait_for = min(wait_for, max(0.0, waiting.polls[0].at - time.monotonic()))
                if starting or polling:
                    done, _ = wait([*starting, *polling], timeout=wait_for, return_when=FIRST_COMPLETED)
                    for future in done:
                        task = starting.pop(future) if future in starting else polling.pop(future)
                        outcome = self._advance(task, future, waiting)
                        if outcome is not None:
                            self._finish(task, outcome, waiting)
                elif wait_for:
                    self._wake.wait(wait_for)  # until the earliest RetryAfter
        except KeyboardInterrupt:
            # Ctrl-C: the writes already sent must not be forgotten; report them like an interrupt.
            return self._interrupted(tasks, {**starting, **polling})
        finally:
            polls.shutdown(wait=False, cancel_futures=True)
        return [task.outcome or Outcome(task.op, WriteStatus.UNKNOWN, message="not sent") for task in tasks]

    def _send(
        self,
        running: dict[Future[dict[str, Any]], _Task],
        pool: ThreadPoolExecutor,
        budget: int,
        take: Callable[[float], _Task | None],
    ) -> None:
        """Hand the calls ``take`` says are due to ``pool`` while ``running`` has room in its budget."""
        now = time.monotonic()
        while len(running) < budget:
            task = take(now)
            if task is None:
                return
            running[pool.submit(self._step, task)] = task

    def _interrupted(self, tasks: list[_Task], running: dict[Future[dict[str, Any]], _Task]) -> list[Outcome]:
        """Stop waiting: each unfinished write is reported as still running (its RequestToken), maybe
        accepted (its start call had no answer yet) or not sent; the finished ones keep their outcome."""
        in_flight = set()
        for future, task in running.items():
            if future.cancel():
                continue  # never started: not sent
            if future.done():
                # answered meanwhile: take what it says (its RequestToken, or its end)
                outcome = self._advance(task, future, _Waiting())
                if outcome is not None:
                    task.outcome = outcome
                continue
            in_flight.add(id(task))
        outcomes = []
        for task in tasks:
            if task.outcome is None:
                task.outcome = self._stopped(task, id(task) in in_flight)
                task.record.error_code = task.record.error_code or "Interrupted"
            outcomes.append(task.outcome)
        return outcomes

    def _stopped(self, task: _Task, in_flight: bool) -> Outcome:
        op = task.op
        if task.token is not None:
            return Outcome(
                op,
                WriteStatus.INTERRUPTED,
                None,
                task.token,
                "Interrupted",
                f"still {task.record.status or 'IN_PROGRESS'} when the statement was interrupted; it may "
                "still complete: check later with GetResourceRequestStatus (its RequestToken is in "
                "vtab_calls)",
                apsw.InterruptError,
            )
        if in_flight:
            return Outcome(
                op,
                WriteStatus.INTERRUPTED,
                None,
                None,
                "Interrupted",
                f"interrupted while its {op.call} call was waiting for an answer",
                apsw.InterruptError,
                maybe_accepted=True,
            )
        task.record.status = WriteStatus.NOT_SENT
        return Outcome(
            op,
            WriteStatus.NOT_SENT,
            error_code="Interrupted",
            message="the statement was interrupted first",
            error_class=apsw.InterruptError,
        )

    # -- scheduling -----------------------------------------------------------------------------------

    def _task(self, op: Operation) -> _Task:
        record = self._cloud_of(op.account).log_start(
            op.call, op.region, self.schema.type_name, identifier=op.identifier
        )
        task = _Task(op, record)
        if op.request_token is not None:  # left running by an earlier COMMIT: poll it, do not send it again
            task.token = record.request_token = op.request_token
            task.deadline = time.monotonic() + self.timeout
        return task

    def _link(self, tasks: list[_Task]) -> None:
        """Operations on one resource run in queue order; a create runs after every DELETE that may free
        its unique key (DELETE then INSERT of one key in a transaction), whatever their queue order.
        Deletes and updates never wait for a create, so there is no cycle."""
        last_on: dict[tuple[str, str], _Task] = {}
        key = unique_key(self.schema)
        parents = self.schema.list_requires
        deletes: dict[tuple[Any, ...], list[_Task]] = {}
        """("key", region, key values) -> deletes of a known key; ("parent", region, parent ids or None)
        -> deletes whose row did not show the key (identifier-only listings): a create looks only at
        its own key's and at the unknown ones under its parent."""
        for task in tasks:
            op = task.op
            if op.identifier is not None:
                resource = (op.region, op.identifier)
                if resource in last_on:
                    self._follow(task, last_on[resource])
                last_on[resource] = task
            if op.verb is Verb.DELETE and key:
                known = op.properties or {}
                if all(p in known for p in key):
                    bucket: tuple[Any, ...] = ("key", op.region, tuple(known[p] for p in key))
                elif all(p in known for p in parents):
                    bucket = ("parent", op.region, tuple(known[p] for p in parents))
                else:
                    bucket = ("parent", op.region, None)
                deletes.setdefault(bucket, []).append(task)
        if not deletes:
            return
        for task in tasks:
            op = task.op
            if op.verb is not Verb.CREATE or op.desired is None:
                continue
            candidates = (
                deletes.get(("key", op.region, tuple(op.desired.get(p) for p in key)), [])
                + deletes.get(("parent", op.region, tuple(op.desired.get(p) for p in parents)), [])
                + deletes.get(("parent", op.region, None), [])
            )
            for delete in candidates:
                if frees_key(self.schema, delete.op, op):
                    self._follow(task, delete)

    @staticmethod
    def _follow(task: _Task, first: _Task) -> None:
        first.dependents.append(task)
        task.waits_for += 1

    def _finish(self, task: _Task, outcome: Outcome, waiting: _Waiting) -> None:
        """Record the outcome; start the operations that waited only for this one."""
        task.outcome = outcome
        if outcome.identifier:
            task.record.identifier = outcome.identifier
        if outcome.error_code and not task.record.error_code:
            task.record.error_code = outcome.error_code
        for dependent in task.dependents:
            if dependent.outcome is not None:
                continue  # already held back by another operation it follows
            if outcome.retryable:
                # Sending it now would break the order a retried COMMIT must keep: it waits too.
                dependent.record.status = WriteStatus.NOT_SENT
                self._finish(
                    dependent,
                    Outcome(
                        dependent.op,
                        WriteStatus.NOT_SENT,
                        message=f"it follows {task.op.describe(self.schema)}, which failed",
                        error_class=apsw.BusyError,
                    ),
                    waiting,
                )
                continue
            dependent.waits_for -= 1
            if not dependent.waits_for:
                waiting.add(dependent, time.monotonic())

    # -- one step of one operation (worker thread) ----------------------------------------------------

    def _step(self, task: _Task) -> dict[str, Any]:
        task.sent_at = time.monotonic()  # read by the SQLite thread only once this call has returned
        op = task.op
        cloud = self._cloud_of(op.account)
        if task.token is None:
            return cloud.start_write(task.record, self.schema, op.verb, op.method, **op.params())
        return cloud.request_status(task.record, self.schema, op.verb, task.token)

    # -- results (SQLite thread) ----------------------------------------------------------------------

    def _advance(self, task: _Task, future: Future[dict[str, Any]], waiting: _Waiting) -> Outcome | None:
        """The outcome when ``task`` is finished; otherwise schedule its next poll and return None."""
        op = task.op
        error = future.exception()
        if error is not None:
            return self._call_failed(task, error, waiting)
        event = task.event = future.result()
        now = time.monotonic()
        if task.token is None:
            task.token = event["RequestToken"]  # CloudControl checked that the answer holds one
            task.deadline = now + self.timeout
        else:
            task.polls += 1
            task.lost_polls = 0
        status = OperationStatus.of(event.get("OperationStatus"))
        if status is OperationStatus.SUCCESS:
            return Outcome(op, WriteStatus.SUCCESS, event.get("Identifier") or op.identifier, task.token)
        if status is not None and status.terminal:
            code = event.get("ErrorCode") or (
                "Cancelled" if status is OperationStatus.CANCEL_COMPLETE else "Unknown"
            )
            task.record.error_code = code
            message = self._scrubbed(op, event.get("StatusMessage") or str(status))
            if errors.error_stem(code) in ("AccessDenied", "InvalidCredentials"):
                message += errors.permission_hint(self.schema, op.verb)
            return Outcome(
                op,
                WriteStatus.FAILED,
                event.get("Identifier") or op.identifier,
                task.token,
                code,
                message,
                errors.exception_class(code),
            )
        if now >= task.deadline:
            return self._timed_out(task)
        waiting.add(task, min(self._next_poll(task, event, now), task.deadline))
        return None

    def _next_poll(self, task: _Task, event: dict[str, Any], now: float) -> float:
        """At RetryAfter, but not before the backoff floor (a RetryAfter in the past must not spin).

        The floor counts from when the previous call was sent, so a slow answer already pays for it."""
        floor_at = task.sent_at + min(MAX_BACKOFF, FIRST_BACKOFF * 2**task.polls)
        retry_after = event.get("RetryAfter")
        if isinstance(retry_after, datetime):
            return max(floor_at, now + retry_after.timestamp() - time.time())
        if isinstance(retry_after, (int, float)):
            return max(floor_at, now + float(retry_after) - time.time())
        return max(floor_at, now)

    def _call_failed(self, task: _Task, error: BaseException, waiting: _Waiting) -> Outcome | None:
        """A start call or a poll raised. A start call lost in transport (no answer, or no usable one,
        after botocore's retries) may or may not have been accepted: LOST, busy, so that a retried COMMIT
        sends it again with the same ClientToken. A poll lost in transport says nothing about the write:
        it is polled again (up to MAX_LOST_POLLS times in a row), then UNKNOWN, busy, polled again by its
        RequestToken on a retried COMMIT."""
        code = task.record.error_code or type(error).__name__
        error_class = type(error) if isinstance(error, apsw.Error) else apsw.SQLError
        lost = errors.lost_in_transport(error)
        if task.token is None:
            return Outcome(
                task.op,
                WriteStatus.LOST if lost else WriteStatus.REFUSED,
                None,
                None,
                code,
                self._scrubbed(task.op, str(error)),
                apsw.BusyError if lost else error_class,
                maybe_accepted=lost,
            )
        if lost:
            task.lost_polls += 1
            now = time.monotonic()
            if task.lost_polls < MAX_LOST_POLLS and now < task.deadline:
                task.record.error_code = None  # the write itself has not failed
                waiting.add(task, min(self._next_poll(task, {}, now), task.deadline))
                return None
        return Outcome(
            task.op,
            WriteStatus.UNKNOWN,
            None,
            task.token,
            code,
            self._scrubbed(task.op, f"its status could not be read ({error}); it may still complete"),
            apsw.BusyError if lost else error_class,
        )

    def _scrubbed(self, op: Operation, text: str) -> str:
        """AWS's words about ``op`` (a StatusMessage, an error) without the write-only values it carried:
        a message may quote the model or the patch, and vtab cannot choose AWS's wording."""
        sensitive = self.schema.sensitive
        return sensitive.scrub(text, sensitive.secrets(op.desired, op.patch)) if sensitive else text

    def _timed_out(self, task: _Task) -> Outcome:
        task.record.error_code = "Timeout"
        return Outcome(
            task.op,
            WriteStatus.TIMEOUT,
            None,
            task.token,
            "Timeout",
            f"still {task.record.status or 'IN_PROGRESS'} after write_timeout={self.timeout:g}s; it may "
            "still complete: check later with GetResourceRequestStatus (its RequestToken is in vtab_calls)",
            apsw.BusyError,
        )
