"""Sending queued writes: all in parallel (bounded), each polled to SUCCESS or FAILED (the verdict on
them all: vtab.write.verdict).

The SQLite thread runs a small scheduler; worker threads only make HTTP calls, never wait. An operation
that is IN_PROGRESS is polled again when AWS says: at its RetryAfter, if that is still ahead (and at
least 50 ms after the previous call was sent, so a service saying "in 1 ms" cannot make polling spin).
Only when AWS says nothing usable (no RetryAfter, or one already past) does a backoff decide, doubling
from 50 ms to 5 s counted from when the previous call was sent. Waiting costs no worker, and a statement
of N rows takes about one operation's latency, not N. The last poll is at ``write_timeout``.

Start calls and polls have budgets of their own: at most ``max_workers`` start calls in flight, and
besides them at most ``POLLS_PER_WORKER * max_workers`` polls. With one shared budget a 50-row INSERT
at 16 workers sends all 50 start calls before its first poll, then queues 150 polls behind 16 slots:
2.4x one row's time, where the start calls alone allow about 1.6x. A poll is a cheap read of one
operation, which has at most one call in flight; ``rate_limit`` still bounds the calls per second.
When more polls are due than the budget has room for, the most urgent goes first: the earliest
``due + spacing`` (the wait before it), so a write polled every 100 ms is not held up behind one polled
every 5 s that fell due a moment earlier, and no write waits forever (see Waiting).

Operations on the same resource (an UPDATE then a DELETE of one row in one transaction) run one after the
other, in statement order, since Cloud Control refuses a second concurrent operation on a resource; a
create runs after the deletes that may free its unique key (DELETE then INSERT of one key).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import apsw

from vtab.aws import errors
from vtab.aws.cloudcontrol import POLLS_PER_WORKER, CloudControl, OperationStatus
from vtab.aws.transport import last_sent_at
from vtab.catalog.facts import Verb
from vtab.catalog.schema import ResourceSchema
from vtab.sql.interrupt import POLL_SECONDS, Interrupted, never
from vtab.write.conflict import frees_key
from vtab.write.operation import Operation, Outcome, WriteStatus, unique_key
from vtab.write.schedule import Task, Waiting, next_poll_at
from vtab.write.slots import StartSlots

MAX_LOST_POLLS = 3
"""A write whose status polls are lost in transport this many times in a row (each after botocore's own
retries) is reported UNKNOWN, with its RequestToken, instead of being polled on."""


class Sender:
    """Sends one batch of operations of one table and waits for every one of them.

    Two budgets of calls in flight: ``concurrency`` start calls (Create/Update/DeleteResource, sent by
    as many start slots on ``pool``, vtab.write.slots) and ``poll_concurrency`` status polls (on
    ``poll_pool``, which has at least that many threads), so the polls of operations already started go
    on while later rows still wait for a start slot."""

    def __init__(
        self,
        cloud: CloudControl,
        schema: ResourceSchema,
        pool: ThreadPoolExecutor,
        poll_pool: ThreadPoolExecutor,
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
        self.poll_pool = poll_pool
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

    def _schedule(self, tasks: list[Task]) -> list[Outcome]:
        """Send and poll every task to its end."""
        self._link(tasks)
        waiting = Waiting()
        for task in tasks:
            if not task.waits_for:
                waiting.add(task, time.monotonic())
        answers: queue.SimpleQueue[tuple[Task, Future[dict[str, Any]]]] = queue.SimpleQueue()
        slots = StartSlots(self.pool, self.concurrency, self._step, answers)
        starting: set[int] = set()
        """ids of the tasks handed to the start slots whose answer is not read yet."""
        polling: dict[Future[dict[str, Any]], Task] = {}
        unread: deque[tuple[Task, Future[dict[str, Any]]]] = deque()
        """Answers taken off the queue and not yet read through: a Ctrl-C among them must not lose them."""
        try:
            while waiting or starting or polling:
                if self.interrupted():
                    return self._interrupted(tasks, slots, answers, polling, unread)
                while (ready := waiting.next_start(time.monotonic())) is not None:
                    starting.add(id(ready))
                    slots.add(ready)
                self._send_polls(polling, answers, waiting)
                # Wait in slices, so an interrupt is seen within POLL_SECONDS.
                wait_for = POLL_SECONDS
                next_poll_at = waiting.next_poll_at()
                if next_poll_at is not None and len(polling) < self.poll_concurrency:
                    wait_for = min(wait_for, max(0.0, next_poll_at - time.monotonic()))
                if not (starting or polling):
                    if wait_for:
                        self._wake.wait(wait_for)  # until the earliest RetryAfter
                    continue
                try:
                    unread.append(answers.get(timeout=wait_for))
                except queue.Empty:
                    continue
                while not answers.empty():
                    unread.append(answers.get_nowait())
                while unread:
                    task, future = unread[0]
                    starting.discard(id(task))
                    polling.pop(future, None)
                    outcome = self._advance(task, future, waiting)
                    if outcome is not None:
                        self._finish(task, outcome, waiting)
                    unread.popleft()
        except KeyboardInterrupt:
            # Ctrl-C: the writes already sent must not be forgotten; report them like an interrupt.
            return self._interrupted(tasks, slots, answers, polling, unread)
        finally:
            slots.stop()  # should the scheduler fail, the slots must not go on sending the rows queued
        return [task.outcome or Outcome(task.op, WriteStatus.UNKNOWN, message="not sent") for task in tasks]

    def _send_polls(
        self,
        polling: dict[Future[dict[str, Any]], Task],
        answers: queue.SimpleQueue[tuple[Task, Future[dict[str, Any]]]],
        waiting: Waiting,
    ) -> None:
        """Hand the polls that are due to the poll pool while the poll budget has room; each answer goes
        to ``answers``."""
        now = time.monotonic()
        while len(polling) < self.poll_concurrency:
            task = waiting.due_poll(now)
            if task is None:
                return
            future = self.poll_pool.submit(self._step, task)
            polling[future] = task
            future.add_done_callback(lambda done, task=task: answers.put((task, done)))  # type: ignore[misc]

    def _interrupted(
        self,
        tasks: list[Task],
        slots: StartSlots[Task],
        answers: queue.SimpleQueue[tuple[Task, Future[dict[str, Any]]]],
        polling: dict[Future[dict[str, Any]], Task],
        unread: deque[tuple[Task, Future[dict[str, Any]]]],
    ) -> list[Outcome]:
        """Stop waiting: each unfinished write is reported as still running (its RequestToken), maybe
        accepted (its start call had no answer yet) or not sent; the finished ones keep their outcome.
        ``unread``: answers the scheduler had taken but not read through when Ctrl-C came."""
        _, sending = slots.stop()
        in_flight = {id(task) for task in sending}
        while not answers.empty():  # answered meanwhile: take what it says (its RequestToken, or its end)
            unread.append(answers.get_nowait())
        for task, future in unread:
            polling.pop(future, None)
            if task.outcome is None:
                self._take(task, future)
        for future, task in polling.items():
            if future.cancel():
                continue  # never started: not sent
            if future.done():
                self._take(task, future)
                continue
            in_flight.add(id(task))
        outcomes = []
        for task in tasks:
            if task.outcome is None:
                task.outcome = self._stopped(task, id(task) in in_flight)
                task.record.error_code = task.record.error_code or "Interrupted"
            outcomes.append(task.outcome)
        return outcomes

    def _take(self, task: Task, future: Future[dict[str, Any]]) -> None:
        """What an answer read after an interrupt says: the write's end, or its RequestToken."""
        outcome = self._advance(task, future, Waiting())
        if outcome is not None:
            task.outcome = outcome

    def _stopped(self, task: Task, in_flight: bool) -> Outcome:
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

    def _task(self, op: Operation) -> Task:
        record = self._cloud_of(op.account).log_start(
            op.call, op.region, self.schema.type_name, identifier=op.identifier
        )
        task = Task(op, record)
        if op.request_token is not None:  # left running by an earlier COMMIT: poll it, do not send it again
            task.token = record.request_token = op.request_token
            task.deadline = time.monotonic() + self.timeout
        return task

    def _link(self, tasks: list[Task]) -> None:
        """Operations on one resource run in queue order; a create runs after every DELETE that may free
        its unique key (DELETE then INSERT of one key in a transaction), whatever their queue order.
        Deletes and updates never wait for a create, so there is no cycle."""
        last_on: dict[tuple[str, str], Task] = {}
        key = unique_key(self.schema)
        parents = self.schema.list_requires
        deletes: dict[tuple[Any, ...], list[Task]] = {}
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
    def _follow(task: Task, first: Task) -> None:
        first.dependents.append(task)
        task.waits_for += 1

    def _finish(self, task: Task, outcome: Outcome, waiting: Waiting) -> None:
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

    def _step(self, task: Task) -> dict[str, Any]:
        started = time.monotonic()
        try:
            op = task.op
            cloud = self._cloud_of(op.account)
            if task.token is None:
                return cloud.start_write(task.record, self.schema, op.verb, op.method, **op.params())
            return cloud.request_status(task.record, self.schema, op.verb, task.token)
        finally:
            # read by the SQLite thread only once this call has returned; a call that sent nothing
            # counts from when it began
            task.sent_at = max(started, last_sent_at(started))

    # -- results (SQLite thread) ----------------------------------------------------------------------

    def _advance(self, task: Task, future: Future[dict[str, Any]], waiting: Waiting) -> Outcome | None:
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

    def _next_poll(self, task: Task, event: dict[str, Any], now: float) -> float:
        return next_poll_at(task.sent_at, task.polls, event.get("RetryAfter"), now, time.time())

    def _call_failed(self, task: Task, error: BaseException, waiting: Waiting) -> Outcome | None:
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

    def _timed_out(self, task: Task) -> Outcome:
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
