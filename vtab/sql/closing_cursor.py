"""A cursor class whose instances close themselves before apsw frees them (a workaround for an apsw bug).

apsw frees a cursor only when it can take the connection's mutex. When another thread is running a
statement on the connection, apsw keeps the cursor for later and returns; for a Python subclass of
``apsw.Cursor`` CPython then drops a reference to the class as if the cursor had been freed. Every such
deferral costs the class a reference, and once the class is freed the next of its cursors to die crashes the
interpreter. vtab's read threads (and the garbage collector running in them) free cursors while the main
thread is inside a statement: the segfault "in garbage collection" at exit of issue 16.
scripts/repro_apsw_cursor_subclass_dealloc.py reproduces it with apsw alone.

A closed cursor no longer holds the connection, so apsw frees it at once. ``__del__`` runs before apsw's
dealloc and closes the cursor; when the connection is busy in another thread, closing raises
``ThreadingViolationError`` without waiting, and the cursor is kept alive in ``ClosingCursor._unclosed``
(Python does not call ``__del__`` twice) until a later cursor's ``__del__`` manages to close it.
"""

from __future__ import annotations

from collections import deque
from typing import ClassVar

import apsw


class ClosingCursor(apsw.Cursor):
    """An ``apsw.Cursor`` subclass that is safe to free from any thread (see the module docstring).

    What ``__del__`` uses lives on the class, which outlives the module's globals at interpreter exit."""

    _unclosed: ClassVar[deque[apsw.Cursor]] = deque()
    """Cursors that died while their connection was busy in another thread, waiting to be closed."""
    _busy: ClassVar[type[apsw.Error]] = apsw.ThreadingViolationError

    def __del__(self) -> None:
        base_del = getattr(super(), "__del__", None)  # a user's cursor class below this one
        if base_del is not None:
            base_del()
        for _ in range(len(self._unclosed)):
            try:
                cursor = self._unclosed.popleft()
            except IndexError:  # another thread emptied it meanwhile
                break
            if not self._try_close(cursor):
                self._unclosed.append(cursor)
        if not self._try_close(self):
            self._unclosed.append(self)  # alive again (__del__ is not called twice); freed once closed

    @classmethod
    def _try_close(cls, cursor: apsw.Cursor) -> bool:
        """Close ``cursor`` unless its connection is running a statement in another thread."""
        try:
            cursor.close(force=True)
        except cls._busy:
            return False
        return True
