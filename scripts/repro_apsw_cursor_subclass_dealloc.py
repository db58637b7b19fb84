"""apsw bug: a Cursor subclass loses a reference to its class each time apsw defers the cursor's dealloc.

apsw only, no vtab (apsw 3.54.1.0, CPython 3.11.7, Linux). Exits 0 when apsw is fixed; with the bug it
prints the class's reference count going negative and dies (Segmentation fault, exit status 139; under
``python -X dev`` already at ``Connection.close()``):

    .venv/bin/python scripts/repro_apsw_cursor_subclass_dealloc.py

``APSWCursor_dealloc`` (src/cursor.c) cannot take the connection's mutex while another thread runs a
statement on that connection, so it appends the cursor to the connection's dependents
(``Connection_add_dependent_hard``) and returns without freeing it. For an instance of a Python subclass,
CPython's ``subtype_dealloc`` then does ``Py_DECREF(type)`` as if the object had been freed. The class loses
one reference per deferral (and its instance ``__dict__`` is cleared while the object lives on); once the
class is freed, the next cursor of it to be freed reads freed memory. In vtab this surfaced as a segfault
in the garbage collection at exit (issue 16): vtab's read threads collected garbage cycles holding cursors
while the main thread was inside a statement. vtab's workaround: vtab/sql/closing_cursor.py.
"""

from __future__ import annotations

import sys
import threading

import apsw

CURSORS = 20


class MyCursor(apsw.Cursor):
    """Any subclass will do: a class defined in Python is a heap type, which its instances reference."""


def main() -> int:
    connection = apsw.Connection(":memory:")
    connection.cursor_factory = MyCursor
    inside, release = threading.Event(), threading.Event()

    def hold() -> int:
        inside.set()  # the statement below is running: the connection's mutex is held
        release.wait()
        return 1

    connection.create_scalar_function("hold", hold)
    before = sys.getrefcount(MyCursor)
    cursors = [connection.cursor() for _ in range(CURSORS)]
    busy = threading.Thread(target=lambda: connection.execute("SELECT hold()").fetchall())
    busy.start()
    inside.wait()
    del cursors  # each dealloc finds the mutex busy: apsw defers it, CPython drops a class reference anyway
    release.set()
    busy.join()
    print(
        f"references to MyCursor: {before} before the cursors, {sys.getrefcount(MyCursor)} with the "
        f"{CURSORS} deferred cursors still alive",
        flush=True,
    )
    connection.close()  # frees the deferred cursors: each drops its class reference a second time
    after = sys.getrefcount(MyCursor)
    print(f"after Connection.close() freed them: {after} (want {before}; a class is freed at 0)", flush=True)
    return 0 if after == before else 1


if __name__ == "__main__":
    sys.exit(main())
