"""When each queued write is called next (vtab.write.send sends): polls when AWS says, else on a backoff,
and which due poll goes first when the poll budget is full. Pure logic on the clocks it is given, so it is
tested without an endpoint (tests/unit/test_poll_schedule.py).
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vtab.aws.calllog import CallRecord
from vtab.write.operation import Operation, Outcome

FIRST_BACKOFF = 0.05
MAX_BACKOFF = 5.0
"""The poll spacing when AWS gives no RetryAfter ahead: doubling from 50 ms with each poll, capped at 5 s."""
MIN_SPACING = FIRST_BACKOFF
"""The least time between two calls of one operation, whatever RetryAfter says."""


def next_poll_at(sent_at: float, polls: int, retry_after: Any, now: float, wall_now: float) -> float:
    """When to poll an operation whose previous call was sent at ``sent_at`` (``now``'s clock) and has
    been polled ``polls`` times: when AWS says (``retry_after``, an epoch time or datetime, read against
    the wall clock ``wall_now``) if that is still ahead, else after the backoff. Both count from the
    sending, so a slow answer already pays for the wait."""
    if isinstance(retry_after, datetime):
        retry_after = retry_after.timestamp()
    if isinstance(retry_after, (int, float)):
        said = now + float(retry_after) - wall_now
        if said > now:
            return max(said, sent_at + MIN_SPACING)
    # No RetryAfter, or one already past: polling at once could spin, so back off.
    return max(now, sent_at + min(MAX_BACKOFF, FIRST_BACKOFF * 2**polls))


@dataclass
class Task:
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
    dependents: list[Task] = field(default_factory=list)
    """Operations that follow this one (the next on the same resource; creates of the key it frees)."""


@dataclass(order=True)
class _Due:
    key: float
    seq: int
    at: float = field(compare=False)
    task: Task = field(compare=False)


class Waiting:
    """Operations waiting for their next call: start calls in the order they became ready (statement
    order, then dependents as they are freed), and polls by the time they are due. Apart, so a due poll
    never waits behind start calls queued for a worker, nor a start behind polls.

    Polls that are due go out most urgent first: by ``due + spacing``, the time a poll is due plus the
    wait before it (capped at MAX_BACKOFF). A write polled every 100 ms is late by a large share of its
    spacing after a few ms; one polled every 5 s is not. With an earliest-due order, the first polls of
    the last rows of a 50-row INSERT queued behind the third polls of its first rows, which finish long
    before the statement does. No write is starved: a poll's key is at most MAX_BACKOFF after it fell
    due, and every poll falling due after that key gets a later one."""

    def __init__(self) -> None:
        self.starts: deque[Task] = deque()
        self._later: list[_Due] = []
        """Polls not yet due, by due time (``key`` = ``at``)."""
        self._due: list[_Due] = []
        """Polls due, by urgency (``key`` = ``at`` + spacing)."""
        self._order = itertools.count()

    def add(self, task: Task, at: float) -> None:
        if task.token is None:
            self.starts.append(task)
        else:
            heapq.heappush(self._later, _Due(at, next(self._order), at, task))

    def next_start(self, now: float) -> Task | None:
        return self.starts.popleft() if self.starts else None

    def due_poll(self, now: float) -> Task | None:
        """The most urgent poll due at ``now``."""
        while self._later and self._later[0].at <= now:
            due = heapq.heappop(self._later)
            spacing = min(MAX_BACKOFF, max(0.0, due.at - due.task.sent_at))
            heapq.heappush(self._due, _Due(due.at + spacing, due.seq, due.at, due.task))
        return heapq.heappop(self._due).task if self._due else None

    def next_poll_at(self) -> float | None:
        """When the next poll is due (in the past when one already is), or None when none waits."""
        if self._due:
            return self._due[0].at
        return self._later[0].at if self._later else None

    def __bool__(self) -> bool:
        return bool(self.starts or self._later or self._due)
