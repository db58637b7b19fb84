"""The last line behind every vtab callback: no bare Python exception reaches the SQL user.

Every error vtab means to raise is an ``apsw.Error`` with a message naming the column or option, the value
and the fix, raised where the cause is known. Anything else escaping a callback is a bug in vtab, and is
said to be one: ``apsw.InternalError`` with the original exception's class and text (and the original as
its ``__cause__`` for the traceback). Interrupts (KeyboardInterrupt, SystemExit) pass through unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import apsw

P = ParamSpec("P")
R = TypeVar("R")


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Wrap an apsw callback (Filter, Next, Column, UpdateInsertRow, Sync, ...) as described above."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except apsw.Error:
            raise
        except Exception as error:
            raise bug(error, method.__qualname__) from error

    return wrapper


def bug(error: Exception, where: str) -> apsw.InternalError:
    """What ``guarded`` raises for ``error``, escaped from callback ``where``. Cursor.Column, the hottest
    callback (once per cell), catches inline instead of being wrapped: a ``try`` costs nothing until
    something is raised, a wrapper costs a call per cell."""
    return apsw.InternalError(
        f"vtab bug: {type(error).__name__}: {error} (in {where}); please report it with the statement "
        "that caused it"
    )
