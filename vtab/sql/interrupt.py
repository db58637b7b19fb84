"""Waiting on the SQLite thread without missing ``Connection.interrupt()``.

SQLite only looks at its interrupt flag between its own steps, and a vtab callback blocked on worker
threads (a scan's next page, a write's next poll) is not one of them. So every wait of the SQLite thread
is cut into slices of POLL_SECONDS and reads ``Connection.is_interrupted`` between them; an interrupted
wait raises ``apsw.InterruptError`` and leaves cleaning up (cancelling queued calls, reporting sent
writes) to its caller. The connection then works for the next statement: SQLite clears the flag once no
statement is running.

Ctrl-C (KeyboardInterrupt) arriving during such a wait means the same and is raised as InterruptError,
as sqlite3's shell does: the statement ends, and writes already sent are reported, not forgotten.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

import apsw

POLL_SECONDS = 0.05
"""How often a blocked wait looks at the interrupt flag: short enough to feel immediate, long enough to
cost nothing."""

Interrupted = Callable[[], bool]
"""Whether the statement being run was interrupted."""

T = TypeVar("T")


def watch(connection: apsw.Connection) -> Interrupted:
    """The interrupt flag of ``connection``, as a function a wait can call between slices."""
    return lambda: bool(connection.is_interrupted)


def never() -> bool:
    """For waits that have no connection to watch."""
    return False


def interrupted_error(what: str) -> apsw.InterruptError:
    return apsw.InterruptError(
        f"Interrupted: {what} stopped (Connection.interrupt() or Ctrl-C); calls not yet sent were cancelled, "
        "calls in flight end at their timeout and their answers are dropped"
    )


def result(future: Future[T], interrupted: Interrupted, what: str) -> T:
    """``future.result()``, or InterruptError (the future cancelled if it has not started) on interrupt."""
    try:
        while True:
            if interrupted():
                raise interrupted_error(what)
            try:
                return future.result(timeout=POLL_SECONDS)
            except FutureTimeout:
                continue
    except KeyboardInterrupt:
        raise interrupted_error(what) from None
    finally:
        future.cancel()  # a no-op once it has run


def sleep(seconds: float, interrupted: Interrupted, what: str) -> None:
    """``time.sleep(seconds)``, or InterruptError as soon as an interrupt is seen."""
    end = time.monotonic() + seconds
    try:
        while True:
            if interrupted():
                raise interrupted_error(what)
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, POLL_SECONDS))
    except KeyboardInterrupt:
        raise interrupted_error(what) from None
