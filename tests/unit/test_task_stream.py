"""The task stream on its own: plain functions as tasks on a real thread pool, no table and no HTTP."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import apsw
import pytest

from vtab.read.rows import Row
from vtab.read.stream import Cancelled, Pulled, Task, TaskStream
from vtab.sql import interrupt


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as executor:
        yield executor


def rows(*names: str) -> list[Row]:
    return [Row("us-east-1", name, {"Name": name}) for name in names]


def stream_of(
    pool: ThreadPoolExecutor,
    start: Callable[[TaskStream], Pulled | None],
    *,
    limit: int | None = None,
    kept: Callable[[list[Row]], list[Row]] = lambda rows: rows,
    widens: Callable[[Task], bool] = lambda fn: True,
    interrupted: Callable[[], bool] = lambda: False,
) -> TaskStream:
    holder: list[TaskStream] = []
    stream = TaskStream(
        pool,
        4,
        start=lambda: start(holder[0]),
        kept=kept,
        widens=widens,
        limit=limit,
        leaf_depth=1,
        label="the test scan",
        interrupted=interrupted,
    )
    holder.append(stream)
    return stream


def test_rows_of_every_task_and_of_the_tasks_they_submit_arrive(pool: ThreadPoolExecutor) -> None:
    def child(stream: TaskStream, name: str) -> None:
        stream.emit(rows(name))

    def parent(stream: TaskStream) -> None:
        for name in ("b", "c"):
            stream.submit(child, stream, name)

    def start(stream: TaskStream) -> None:
        stream.submit(parent, stream, depth=0)
        stream.submit(child, stream, "a")

    assert sorted(row.identifier for row in stream_of(pool, start)) == ["a", "b", "c"]


def test_a_stream_with_no_tasks_ends_at_once(pool: ThreadPoolExecutor) -> None:
    assert list(stream_of(pool, lambda stream: None)) == []


def test_only_matching_rows_are_emitted(pool: ThreadPoolExecutor) -> None:
    def start(stream: TaskStream) -> None:
        stream.submit(lambda: stream.emit(rows("keep", "drop", "keep2")))

    stream = stream_of(
        pool, start, kept=lambda rows: [row for row in rows if row.identifier.startswith("keep")]
    )
    assert sorted(row.identifier for row in stream) == ["keep", "keep2"]


def test_a_limit_runs_depth_first_and_stops_submitting_once_enough_rows_came(
    pool: ThreadPoolExecutor,
) -> None:
    """Under LIMIT 2 a 'parent' with ten 'pages' reads one page at a time, its children first: the window
    (one task, then two once a leaf ends short) lets at most a third page start before the second leaf's
    row is enough, never the ten."""
    pages_read: list[int] = []

    def leaf(stream: TaskStream, page: int) -> None:
        stream.emit(rows(f"row-{page}"))

    def parent(stream: TaskStream, page: int) -> None:
        pages_read.append(page)
        stream.submit(leaf, stream, page)
        if page < 9 and stream.lazy:
            stream.submit(parent, stream, page + 1, depth=0)

    start = lambda stream: stream.submit(parent, stream, 0, depth=0)  # noqa: E731
    stream = stream_of(pool, start, limit=2, widens=lambda fn: fn is leaf)
    got = [row.identifier for row in stream]
    assert got[0] == "row-0"
    assert len(got) >= 2
    assert stream.enough
    assert pages_read[:2] == [0, 1]
    assert len(pages_read) <= 3


def test_a_task_error_ends_the_stream_with_that_error(pool: ThreadPoolExecutor) -> None:
    def fails() -> None:
        raise apsw.NotFoundError("the parent is gone")

    with pytest.raises(apsw.NotFoundError, match="the parent is gone"):
        list(stream_of(pool, lambda stream: stream.submit(fails)))


def test_an_interrupt_while_waiting_is_an_interrupt_error_and_cancels_the_tasks(
    pool: ThreadPoolExecutor,
) -> None:
    release = threading.Event()
    interrupted = threading.Event()

    def blocked(stream: TaskStream) -> None:
        interrupted.set()
        release.wait(timeout=30)
        stream.emit(rows("late"))

    stream = stream_of(pool, lambda stream: stream.submit(blocked, stream), interrupted=interrupted.is_set)
    try:
        with pytest.raises(apsw.InterruptError, match="the test scan"):
            list(stream)
        assert stream.cancelled.is_set()
    finally:
        release.set()


def test_close_cancels_tasks_not_started(pool: ThreadPoolExecutor) -> None:
    ran: list[Any] = []
    gate = threading.Event()

    def first(stream: TaskStream) -> None:
        stream.emit(rows("first"))
        gate.wait(timeout=30)

    def later() -> None:
        ran.append("later")

    def start(stream: TaskStream) -> None:
        stream.submit(first, stream)
        stream.submit(later, depth=1)

    stream = stream_of(pool, start, limit=10, widens=lambda fn: False)  # a window of one task
    assert next(iter(stream)).identifier == "first"
    stream.close()
    gate.set()
    assert ran == []


def test_a_listing_start_returns_is_read_on_the_consumers_thread_with_the_rows_of_tasks_it_submits(
    pool: ThreadPoolExecutor,
) -> None:
    threads: list[int] = []

    def pages(stream: TaskStream) -> Iterator[list[Row]]:
        for name in ("a", "b"):
            threads.append(threading.get_ident())
            stream.submit(lambda name=name: stream.emit(rows(f"{name}-hydrated")))
            yield rows(name)

    stream = stream_of(pool, pages)
    got = sorted(row.identifier for row in stream)
    assert got == ["a", "a-hydrated", "b", "b-hydrated"]
    assert threads == [threading.get_ident()] * 2
    assert stream.over


def test_a_listing_read_on_the_consumers_thread_stops_at_the_limit_and_at_an_interrupt(
    pool: ThreadPoolExecutor,
) -> None:
    pulled: list[int] = []

    def endless(stream: TaskStream) -> Iterator[list[Row]]:
        for page in itertools.count():
            pulled.append(page)
            yield rows(f"row-{page}")

    assert [row.identifier for row in stream_of(pool, endless, limit=2)] == ["row-0", "row-1"]
    assert pulled == [0, 1]

    pulled.clear()
    flag = threading.Event()
    stream = stream_of(pool, endless, interrupted=flag.is_set)
    read = iter(stream)
    assert next(read).identifier == "row-0"
    flag.set()
    with pytest.raises(apsw.InterruptError, match="the test scan"):
        next(read)
    assert pulled == [0]
    assert stream.cancelled.is_set()


def test_a_task_error_while_the_consumer_reads_a_listing_ends_the_stream_with_that_error(
    pool: ThreadPoolExecutor,
) -> None:
    def fails() -> None:
        raise apsw.NotFoundError("the hydrating get failed")

    def pages(stream: TaskStream) -> Iterator[list[Row]]:
        stream.submit(fails)
        yield rows("a")
        assert stream.cancelled.wait(timeout=30)  # the failed task cancels the stream
        raise Cancelled  # as a fetch does at its next page

    with pytest.raises(apsw.NotFoundError, match="the hydrating get failed"):
        list(stream_of(pool, pages))


def test_a_wait_inside_a_listings_call_on_the_consumers_thread_ends_at_an_interrupt(
    pool: ThreadPoolExecutor,
) -> None:
    """A page's call waits inside it (a rate-limit token, a retry's back-off, through ``pause``): the
    stream's interrupt ends that wait, with the stream's message, and no later page is fetched. Its tasks'
    waits on the pool do not answer to it (the stream's own wait for them does)."""
    flag = threading.Event()
    pulled: list[int] = []

    def waits(stream: TaskStream) -> Iterator[list[Row]]:
        yield rows("row-0")
        pulled.append(1)
        flag.set()  # the interrupt comes while the next page's call waits
        assert pool.submit(interrupt.pause, 0).result(timeout=30) is None  # a worker's: a plain sleep
        interrupt.pause(3600)
        pulled.append(2)
        yield rows("row-1")

    stream = stream_of(pool, waits, interrupted=flag.is_set)
    read = iter(stream)
    assert next(read).identifier == "row-0"
    with pytest.raises(apsw.InterruptError, match=r"^Interrupted: the test scan stopped"):
        next(read)
    assert pulled == [1]
    assert stream.cancelled.is_set()
    interrupt.pause(0)  # the consumer's own waits answer to the stream only during its calls
