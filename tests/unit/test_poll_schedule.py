"""When a write is polled and which due poll goes first (vtab.write.schedule), on a fake clock: the schedule
is pure logic, so each case states the times and checks the answer (no endpoint, no waiting)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vtab.aws.calllog import CallLog
from vtab.catalog.facts import Verb
from vtab.write.operation import Operation
from vtab.write.schedule import FIRST_BACKOFF, MAX_BACKOFF, MIN_SPACING, Task, Waiting, next_poll_at

WALL = 1_800_000_000.0
"""The wall clock (epoch seconds, RetryAfter's clock) at the monotonic time 0."""


def _at(seconds: float) -> object:
    """A monotonic time read back from an epoch RetryAfter (a float of 10 digits before the point)."""
    return pytest.approx(seconds, abs=1e-6)


def test_a_retry_after_still_ahead_is_followed_even_below_the_backoff() -> None:
    # Third poll of a write, its previous call sent at 10.0 and answered at 10.1, saying "again at
    # 10.2": polled at 10.2, not at the backoff's 10.0 + 0.4.
    assert next_poll_at(10.0, 3, WALL + 10.2, 10.1, WALL + 10.1) == _at(10.2)
    # The same as a datetime (what boto3 gives).
    said = datetime.fromtimestamp(WALL + 10.2, UTC)
    assert next_poll_at(10.0, 3, said, 10.1, WALL + 10.1) == _at(10.2)


def test_a_retry_after_later_than_the_backoff_is_waited_for() -> None:
    assert next_poll_at(10.0, 0, WALL + 13.0, 10.1, WALL + 10.1) == _at(13.0)


def test_a_retry_after_just_ahead_still_leaves_the_least_spacing() -> None:
    # "Again in 1 ms" from an answer that came at once: never two calls within MIN_SPACING.
    assert next_poll_at(10.0, 5, WALL + 10.002, 10.001, WALL + 10.001) == 10.0 + MIN_SPACING


def test_a_retry_after_in_the_past_or_none_backs_off_from_the_sending() -> None:
    for said in (WALL + 9.0, WALL + 10.1, None, "soon"):
        assert next_poll_at(10.0, 0, said, 10.01, WALL + 10.1) == 10.0 + FIRST_BACKOFF
        assert next_poll_at(10.0, 3, said, 10.01, WALL + 10.1) == 10.0 + 8 * FIRST_BACKOFF
        assert next_poll_at(10.0, 20, said, 10.01, WALL + 10.1) == 10.0 + MAX_BACKOFF
    # A slow answer already paid for the backoff: polled at once.
    assert next_poll_at(10.0, 1, None, 10.5, WALL + 10.5) == 10.5


def _polled(name: str, sent_at: float, polls: int) -> Task:
    log = CallLog()
    op = Operation(Verb.CREATE, "us-east-1", 1, 0, desired={"IntegrationResponseKey": name})
    task = Task(op, log.start("CreateResource", "us-east-1", "AWS::ApiGatewayV2::IntegrationResponse"))
    task.token, task.sent_at, task.polls = name, sent_at, polls
    return task


def test_due_polls_go_most_urgent_first_not_earliest_due() -> None:
    """A write polled every 0.1 s goes before one polled 0.4 s after its last call that fell due a moment
    earlier: a few ms cost the first a large share of its spacing, the second little."""
    waiting = Waiting()
    third_poll_of_an_early_row = _polled("early", 0.0, 2)
    first_poll_of_the_last_row = _polled("last", 0.31, 0)
    waiting.add(third_poll_of_an_early_row, 0.40)  # due + spacing = 0.80
    waiting.add(first_poll_of_the_last_row, 0.41)  # due + spacing = 0.51

    assert waiting.due_poll(0.405) is third_poll_of_an_early_row  # the only one due yet
    waiting.add(third_poll_of_an_early_row, 0.40)
    assert waiting.next_poll_at() == 0.40
    assert waiting.due_poll(0.42) is first_poll_of_the_last_row
    assert waiting.due_poll(0.42) is third_poll_of_an_early_row
    assert waiting.due_poll(0.42) is None and not waiting


def test_a_poll_due_long_ago_goes_before_newer_ones_however_often_they_are_polled() -> None:
    """No starvation: a poll's urgency is its due time plus at most MAX_BACKOFF, so every poll that falls
    due later than that comes after it."""
    waiting = Waiting()
    rare = _polled("rare", 0.0, 10)
    waiting.add(rare, MAX_BACKOFF)  # due + spacing = 2 * MAX_BACKOFF
    newer = [_polled(f"n{i}", 2 * MAX_BACKOFF + i, 0) for i in range(3)]
    for i, task in enumerate(newer):
        waiting.add(task, 2 * MAX_BACKOFF + i + 0.05)
    assert waiting.due_poll(3 * MAX_BACKOFF) is rare
    assert [waiting.due_poll(3 * MAX_BACKOFF) for _ in newer] == newer
