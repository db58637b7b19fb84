"""Which SQL statement queued a write, inside an explicit transaction, and whether that statement failed.

SQLite undoes a failed statement of a transaction for ordinary tables, but tells a virtual table nothing
(no RollbackTo; verified on SQLite 3.54). Without this, rows queued by an INSERT that failed on its third
row would still be sent at COMMIT. A statement that queued writes and then failed changed no rows in
SQLite's count (``total_changes`` does not move), which is what we watch for at the next statement's start.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import apsw

from vtab.sql.returning import MARKER, as_written
from vtab.sql.tokens import significant, tokenize


@dataclass(eq=False)
class Statement:
    """One top-level SQL statement of the transaction."""

    total_changes: int
    """``Connection.total_changes()`` when it started."""
    queued: int = 0
    """Writes it queued."""
    rows: int = 0
    """Rows it passed to the Update callbacks (numbering for messages)."""
    updates: dict[tuple[str | None, str, str], Any] = field(default_factory=dict)
    """(account, region, identifier) -> the update it queued for that resource (one per resource: the last
    wins)."""
    deletes: set[tuple[str | None, str, str]] = field(default_factory=set)
    """(account, region, identifier) of each resource it queued a delete of (a global one's rows share
    one)."""


class StatementTracker:
    """Follows statements with ``trace_v2`` while an explicit transaction has writes of one table."""

    def __init__(
        self,
        connection: apsw.Connection,
        on_failed: Callable[[Statement], None],
        on_start: Callable[[], None],
    ) -> None:
        self.connection = connection
        self.on_failed = on_failed
        self.on_start = on_start
        self.current = Statement(0)
        self._tracing = False

    def begin(self) -> None:
        """The transaction's first write statement is running now."""
        self.current = Statement(self.connection.total_changes())
        if not self.connection.getautocommit() and not self._tracing:
            self.connection.trace_v2(apsw.SQLITE_TRACE_STMT, self._trace, id=self)
            self._tracing = True

    @property
    def in_transaction(self) -> bool:
        """Whether the writes belong to an explicit transaction (BEGIN ... COMMIT), not one statement."""
        return self._tracing

    def end(self) -> None:
        if self._tracing:
            self._tracing = False
            # The connection may be being freed (a transaction left open): its traces go with it.
            with contextlib.suppress(ReferenceError):
                self.connection.trace_v2(0, None, id=self)
        self.current = Statement(0)

    def _trace(self, event: dict[str, Any]) -> None:
        if event.get("trigger"):
            return  # a trigger step, or a query a virtual table runs: part of the current statement
        finished = self.current
        total = int(event.get("total_changes", 0))
        self.current = Statement(total)
        if finished.queued and total == finished.total_changes:
            self.on_failed(finished)
        self.on_start()


class StatementText:
    """The SQL text of the statement SQLite started last on a connection, as it was prepared.

    Kept with ``trace_v2`` from ``register()`` on, for checks that depend on how the statement is written
    (an UPDATE or DELETE without WHERE; a write with a RETURNING clause, vtab.sql.returning). A trigger's
    statements count as themselves: a virtual table has no triggers, so a statement that writes this table
    never fires one, and while a trigger's statement writes it, that statement is the last one traced.
    """

    def __init__(self, connection: apsw.Connection) -> None:
        self.sql = ""
        self.number = 0
        """Top-level statements started so far (a trigger's steps and a virtual table's queries are part of
        theirs): which statement a write's ProgressEvents belong to."""
        self.returning_number = 0
        """The number of the last statement whose RETURNING the cursor rewrote (it holds the marker)."""
        self._id: int | None = None
        self._connection = weakref.ref(connection)
        connection.trace_v2(apsw.SQLITE_TRACE_STMT, self._trace, id=self)

    @property
    def written(self) -> str:
        """The statement's text as written: a RETURNING write's as the cursor was given it, not as rewritten
        for SQLite (for showing it: vtab_errors)."""
        if MARKER not in self.sql:
            return self.sql
        connection = self._connection()
        factory = connection.cursor_factory if connection is not None else None
        return as_written(self.sql, getattr(factory, "returning_given", None))

    @property
    def returning(self) -> bool:
        """Whether the statement running now is a write with a RETURNING clause."""
        return self.number > 0 and self.returning_number == self.number

    def _trace(self, event: dict[str, Any]) -> None:
        self.sql = str(event.get("sql", ""))
        # A trigger's steps share their statement's id. apsw also flags as a trigger's any statement whose
        # text starts with "-- " (SQLite traces a trigger step as "-- name"): a new id is a new statement.
        if not event.get("trigger") or event.get("id") != self._id:
            self.number += 1
            if MARKER in self.sql:
                self.returning_number = self.number
        self._id = event.get("id")


def created_virtual_table(sql: str) -> tuple[str, str] | None:
    """(schema, table) of ``CREATE VIRTUAL TABLE [IF NOT EXISTS] [schema.]table ...`` (any case, quoting,
    comments; the schema is ``main`` when none is named), or None for any other statement."""
    words = significant(tokenize(sql))
    head = [token.text.upper() for token in words[:3]]
    if head != ["CREATE", "VIRTUAL", "TABLE"]:
        return None
    at = 3
    if [token.text.upper() for token in words[at : at + 3]] == ["IF", "NOT", "EXISTS"]:
        at += 3
    name = words[at : at + 3]
    if len(name) == 3 and name[1].text == "." and name[0].is_identifier and name[2].is_identifier:
        return name[0].identifier, name[2].identifier
    if name and name[0].is_identifier and (len(name) == 1 or name[1].text != "."):
        return "main", name[0].identifier
    return None


def creates_table(sql: str, schema: str, table: str) -> bool:
    """Whether ``sql`` is the CREATE VIRTUAL TABLE of ``schema.table`` (names compared as SQLite does, in
    any case): for temp, the statement a table there must come from to count as the session's own SQL."""
    created = created_virtual_table(sql)
    return created is not None and (created[0].lower(), created[1].lower()) == (schema.lower(), table.lower())
