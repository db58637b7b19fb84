"""Waiting on the SQLite thread without missing ``Connection.interrupt()``.

SQLite only looks at its interrupt flag between its own steps, and a vtab callback blocked on worker
threads (a scan's next page, a write's next poll) is not one of them. So every wait of the SQLite thread
is cut into slices of POLL_SECONDS and reads ``Connection.is_interrupted`` between them; an interrupted
wait raises ``apsw.InterruptError`` and leaves cleaning up (cancelling queued calls, reporting sent
writes) to its caller. The connection then works for the next statement: SQLite clears the flag once no
statement is running.

Ctrl-C (KeyboardInterrupt) arriving during such a wait means the same and is raised as InterruptError,
as sqlite3's shell does: the statement ends, and writes already sent are reported, not forgotten.

A call made on the SQLite thread itself (a single listing's pages: vtab.read.stream) waits inside the
call, for a rate-limit token and between retries, where no caller can slice the wait. Such a caller
names what interrupts the waits of the code it runs (``InterruptibleWaits``), and those waits sleep
through ``pause``, which then slices itself as ``sleep`` does. Everywhere else ``pause`` is ``time.sleep``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar, Token
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


_WAITS: ContextVar[tuple[Interrupted, str] | None] = ContextVar("vtab_interruptible_waits", default=None)
"""What interrupts ``pause`` in this context, and what its interrupt names; None: nothing does. A context
variable rather than a global: only the thread that set it sees it (a pool's workers start with none)."""


class InterruptibleWaits:
    """Within a ``with`` block, ``pause`` ends early with InterruptError(``what``) once ``interrupted()``:
    for a call made on the SQLite thread, whose own waits would otherwise hold the statement. Entered
    around each call, never across a yield (the consumer's code would run under it); one object may be
    entered again once it was left. A class, not a generator: it is entered once a page."""

    __slots__ = ("_token", "_watched")

    def __init__(self, interrupted: Interrupted, what: str) -> None:
        self._watched = None if interrupted is never else (interrupted, what)
        """None: nothing can interrupt, so pause stays one sleep rather than a wake every POLL_SECONDS."""
        self._token: Token[tuple[Interrupted, str] | None] | None = None

    def __enter__(self) -> None:
        if self._watched is not None:
            self._token = _WAITS.set(self._watched)

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _WAITS.reset(self._token)
            self._token = None


def pause(seconds: float) -> None:
    """A call's own wait (a rate-limit token, a retry's back-off): ``time.sleep``, or, under
    ``InterruptibleWaits``, InterruptError as soon as the statement is interrupted (checked every
    POLL_SECONDS), so nothing more is sent."""
    watched = _WAITS.get()
    if watched is None:
        time.sleep(seconds)
    else:
        sleep(seconds, *watched)
