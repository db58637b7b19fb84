"""The PEP 249 Connection and Cursor over a vtab apsw connection.

Transactions are PEP 249's: a write waits for ``commit()``. Before the first INSERT, UPDATE, DELETE or
REPLACE the connection begins a transaction (as Python's sqlite3 module does; before a SAVEPOINT too, so
that its RELEASE does not commit), so a write to a vtab table is queued, checked, and sent to AWS by
``commit()`` (vtab's COMMIT: parents first, every write in parallel, polled to its end); ``rollback()``,
or ``close()`` without a commit, sends nothing. Reads begin nothing: a SELECT of a vtab table reads AWS
when it runs (within ``cache_ttl``), inside a transaction too, so it does not see the writes queued before
it. ``autocommit = True`` sends each statement as it ends instead (what
``INSERT ... RETURNING`` on a vtab table needs).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import apsw

from vtab.dbapi.errors import InterfaceError, ProgrammingError, translated
from vtab.dbapi.types import bound, described
from vtab.sql.guards import written_table
from vtab.sql.returning import has_returning
from vtab.sql.tokens import significant, tokenize
from vtab.sqlite.read_only import explain_read_only
from vtab.sqlite.registry import Registry

Parameters = Sequence[Any] | Mapping[str, Any]

RETURNING_HINT = (
    "; vtab.dbapi began that transaction itself before the write, since PEP 249 writes wait for commit(): "
    "set connection.autocommit = True (or pass autocommit=True to vtab.dbapi.connect()) to send each "
    "statement as it runs, RETURNING included"
)
"""Added to vtab's refusal of RETURNING inside a transaction, when the transaction is the module's own."""


def statements(sql: str) -> list[str]:
    """The text of each statement of ``sql`` (split at the semicolons SQLite parses, not those in quotes)."""
    tokens = significant(tokenize(sql))
    starts = [0] + [token.end for token in tokens if token.text == ";"]
    ends = [token.start for token in tokens if token.text == ";"] + [len(sql)]
    return [sql[start:end] for start, end in zip(starts, ends, strict=True)]


def writes(sql: str) -> bool:
    """Whether any statement of ``sql`` is an INSERT, UPDATE, DELETE or REPLACE (after a WITH clause too):
    the statements whose rows ``rowcount`` counts, and a transaction is begun for."""
    return any(written_table(statement) is not None for statement in statements(sql))


def opens_savepoint(sql: str) -> bool:
    """Whether a statement of ``sql`` is a SAVEPOINT. Outside a transaction SQLite makes a SAVEPOINT a
    transaction of its own, whose RELEASE commits it (and so sends vtab's writes): a transaction is begun
    first, so that RELEASE ends only the savepoint (SQLAlchemy's ``begin_nested()``) and commit() sends."""
    tokens = significant(tokenize(sql))
    firsts = tokens[:1] + [after for before, after in itertools.pairwise(tokens) if before.text == ";"]
    return any(token.text.upper() == "SAVEPOINT" for token in firsts)


class Connection:
    """A PEP 249 connection: ``cursor()``, ``commit()``, ``rollback()``, ``close()`` (see the module
    docstring for what commit sends). ``apsw_connection`` is the vtab connection underneath, for apsw's
    own API."""

    def __init__(self, connection: apsw.Connection, registry: Registry, autocommit: bool = False) -> None:
        self._apsw: apsw.Connection | None = connection
        self.registry = registry
        """What vtab's tables on the connection share (the statement text its errors are explained from)."""
        self._autocommit = autocommit

    @property
    def apsw_connection(self) -> apsw.Connection:
        if self._apsw is None:
            raise InterfaceError("the connection is closed; open another with vtab.dbapi.connect()")
        return self._apsw

    @property
    def closed(self) -> bool:
        return self._apsw is None

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (begun by a write or a SAVEPOINT, or by your own BEGIN)."""
        with self.translated():
            return not self.apsw_connection.get_autocommit()

    @property
    def autocommit(self) -> bool:
        """False (PEP 249's default): writes wait for ``commit()``. True: no transaction is begun, and each
        statement's writes are sent as it ends. Setting it to True commits an open transaction first."""
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        if value and self.in_transaction:
            self.commit()
        self._autocommit = bool(value)

    def cursor(self) -> Cursor:
        return Cursor(self)

    def translated(self) -> contextlib.AbstractContextManager[None]:
        """apsw's errors raised as PEP 249's, a write refused by a read-only file explained first."""
        return translated(lambda error: explain_read_only(error, self.registry))

    def execute(self, operation: str, parameters: Parameters | None = None) -> Cursor:
        """A new cursor's ``execute`` (a shortcut Python's sqlite3 module has too)."""
        return self.cursor().execute(operation, parameters)

    def executemany(
        self, operation: str, seq_of_parameters: Iterator[Parameters] | Sequence[Parameters]
    ) -> Cursor:
        """A new cursor's ``executemany`` (a shortcut Python's sqlite3 module has too)."""
        return self.cursor().executemany(operation, seq_of_parameters)

    def commit(self) -> None:
        """Send the transaction's writes (vtab's COMMIT) and end it; nothing to do without one.

        When AWS throttles or a write's answer is lost, commit() raises OperationalError and the transaction
        stays open: commit() again re-sends those writes with the same ClientToken."""
        if self.in_transaction:
            with self.translated():
                self.apsw_connection.execute("COMMIT")

    def rollback(self) -> None:
        """End the transaction without sending its writes; nothing to do without one."""
        if self.in_transaction:
            with self.translated():
                self.apsw_connection.execute("ROLLBACK")

    def close(self) -> None:
        """Roll back what was not committed (nothing is sent) and close; closing again does nothing."""
        if self._apsw is None:
            return
        try:
            self.rollback()
        finally:
            with self.translated():  # busy in another thread: InterfaceError, and the connection stays open
                self._apsw.close()
            self._apsw = None

    def begin_for(self, operation: str, writing: bool) -> bool:
        """Begin a transaction before ``operation`` when it is ``writing`` or opens a savepoint and none is
        open (unless autocommit); whether one was begun."""
        if self._autocommit or self.in_transaction:
            return False
        if not writing and not opens_savepoint(operation):
            return False
        with self.translated():
            self.apsw_connection.execute("BEGIN")
        return True

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Commit if the block ended normally, roll back if it raised; then close."""
        try:
            if kind is None and not self.closed:
                self.commit()
        finally:
            self.close()


class Cursor:
    """A PEP 249 cursor: ``execute``/``executemany`` with ``?`` parameters, then ``fetchone``,
    ``fetchmany``, ``fetchall`` (or iterate); ``description`` and ``rowcount`` describe the last statement."""

    arraysize = 1
    """How many rows ``fetchmany()`` returns when given no size."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: tuple[tuple[Any, ...], ...] | None = None
        """One 7-item tuple per result column: (name, declared type or None, then five Nones); None for a
        statement that returns no rows."""
        self.rowcount = -1
        """Rows the last INSERT, UPDATE or DELETE changed (a vtab write: the rows queued or sent); -1 after
        a SELECT, whose row count is not known before its rows are read."""
        self.lastrowid: int | None = None
        self._rows: Iterator[tuple[Any, ...]] | None = None
        self._columns: list[tuple[tuple[str, str | None], ...]] = [()]
        self._cursor: apsw.Cursor | None = connection.apsw_connection.cursor()
        columns = self._columns

        def trace(cursor: apsw.Cursor, sql: str, bindings: Any) -> bool:
            """Keep each statement's columns as it starts: apsw cannot describe a finished statement."""
            columns[0] = cursor.get_description()
            return True

        self._cursor.exec_trace = trace

    def _open(self) -> apsw.Cursor:
        if self._cursor is None:
            raise InterfaceError("the cursor is closed; take another with connection.cursor()")
        self.connection.apsw_connection  # noqa: B018 - raises InterfaceError when the connection is closed
        return self._cursor

    def execute(self, operation: str, parameters: Parameters | None = None) -> Cursor:
        """Run ``operation`` with ``parameters`` (a sequence for ``?``, a mapping for ``:name``)."""
        return self._run(operation, lambda cursor: cursor.execute(operation, bound(parameters)))

    def executemany(
        self, operation: str, seq_of_parameters: Iterator[Parameters] | Sequence[Parameters]
    ) -> Cursor:
        """Run ``operation`` once per parameter set (one transaction: the writes are sent by commit())."""
        rows = [bound(parameters) or () for parameters in seq_of_parameters]
        return self._run(operation, lambda cursor: cursor.executemany(operation, rows))

    def _run(self, operation: str, run: Any) -> Cursor:
        cursor = self._open()
        connection = self.connection.apsw_connection
        self.description, self.rowcount, self._rows = None, -1, None
        self._columns[0] = ()
        writing = writes(operation)
        began = self.connection.begin_for(operation, writing)
        with self.connection.translated():
            changes = connection.total_changes()
        try:
            with self.connection.translated():
                self._rows = iter(run(cursor))
        except ProgrammingError as error:
            if began and has_returning(operation):
                error.args = (f"{error.args[0]}{RETURNING_HINT}", *error.args[1:])
            raise
        self.description = described(self._columns[0])
        if writing:
            with self.connection.translated():
                self.rowcount = connection.total_changes() - changes
                self.lastrowid = connection.last_insert_rowid()
        return self

    def _result(self) -> Iterator[tuple[Any, ...]]:
        self._open()
        if self._rows is None or self.description is None:
            raise ProgrammingError(
                "no rows to fetch: the last statement returned none (or none was run); fetch after a "
                "SELECT, or a write with RETURNING"
            )
        return self._rows

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self._result()
        with self.connection.translated():
            return next(rows, None)

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """The next ``size`` rows (``arraysize`` when not given; none for 0 or less)."""
        rows = self._result()
        wanted = self.arraysize if size is None else size
        with self.connection.translated():
            return list(itertools.islice(rows, max(wanted, 0)))

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._result()
        with self.connection.translated():
            return list(rows)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self

    def __next__(self) -> tuple[Any, ...]:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def setinputsizes(self, sizes: Any) -> None:
        """PEP 249's; SQLite needs no sizes."""

    def setoutputsize(self, size: Any, column: int | None = None) -> None:
        """PEP 249's; SQLite needs no sizes."""

    def close(self) -> None:
        """Close the cursor (a statement read in part stops reading AWS); closing again does nothing."""
        if self._cursor is not None:
            cursor, self._cursor, self._rows = self._cursor, None, None
            with self.connection.translated():
                cursor.close()

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
