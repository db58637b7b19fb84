"""``vtab_diff``: the diff of two vtab sync files as a table-valued function, the apsw glue over
vtab.sqlite.diff (docs/diff.md).

``SELECT * FROM vtab_diff('old.db', 'new.db') WHERE change = 'changed'``: its arguments are hidden
columns (the two files, the two times, the table globs), its rows stream from a ``Diff`` as SQLite asks.
It opens files named in SQL, so it is direct-only (vtab.sqlite.trust): a view or trigger stored in a
database file cannot make it read files of the file author's choosing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apsw

from vtab.sqlite import callbacks, trust
from vtab.sqlite.diff import CHANGE_COLUMNS, Change, Diff
from vtab.sqlite.registry import Registry

TABLE = "vtab_diff"

ARGUMENTS = ("old_file", "new_file", "from_time", "to_time", "tables")
"""The hidden columns, in the order the function's arguments fill them."""

DDL = f"CREATE TABLE {TABLE}({', '.join([*CHANGE_COLUMNS, *(f'{name} HIDDEN' for name in ARGUMENTS)])})"

USAGE = (
    f"{TABLE} needs the old sync file: SELECT * FROM {TABLE}('old.db', 'new.db'), or "
    f"{TABLE}('history.db') for an append file's last two synced times, or "
    f"{TABLE}('history.db', NULL, 'FROM-TIME', 'TO-TIME'); a fifth argument picks tables ('ec2_*,eks_*')"
)


class DiffModule:
    """The apsw module of vtab_diff (eponymous only, read-only)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @callbacks.guarded
    def Connect(
        self, connection: apsw.Connection, modulename: str, databasename: str, tablename: str, *args: str
    ) -> tuple[str, DiffTable]:
        trust.direct_only(connection, self.registry.options)  # it opens the files its arguments name
        return DDL, DiffTable()


class DiffTable:
    """The one vtab_diff table of a connection."""

    @callbacks.guarded
    def BestIndexObject(self, info: apsw.IndexInfo) -> bool:
        given: list[str] = []
        unusable = False
        for i in range(info.nConstraint):
            column = info.get_aConstraint_iColumn(i) - len(CHANGE_COLUMNS)
            if column < 0 or info.get_aConstraint_op(i) != apsw.SQLITE_INDEX_CONSTRAINT_EQ:
                continue
            if not info.get_aConstraint_usable(i):
                unusable = unusable or ARGUMENTS[column] == ARGUMENTS[0]
                continue
            if ARGUMENTS[column] in given:
                continue
            given.append(ARGUMENTS[column])
            info.set_aConstraintUsage_argvIndex(i, len(given))
            info.set_aConstraintUsage_omit(i, True)
        if ARGUMENTS[0] not in given:
            if unusable:
                return False  # given by an outer loop's row: another plan gives it
            raise apsw.SQLError(USAGE)
        info.idxStr = ",".join(given)
        info.estimatedCost = 1e6
        info.estimatedRows = 100_000
        return True

    @callbacks.guarded
    def Open(self) -> DiffCursor:
        return DiffCursor()

    def Disconnect(self) -> None:
        """Nothing to release: each cursor owns its diff."""

    Destroy = Disconnect


class DiffCursor:
    """Streams one Diff's changes."""

    def __init__(self) -> None:
        self.diff: Diff | None = None
        self.changes: Iterator[Change] = iter(())
        self.row: tuple[Any, ...] | None = None
        self.number = 0

    @callbacks.guarded
    def Filter(self, indexnum: int, indexname: str, constraintargs: tuple[Any, ...]) -> None:
        self.Close()
        args = dict(zip(indexname.split(","), constraintargs, strict=True))
        for name, value in args.items():
            if value is not None and not isinstance(value, str):
                raise apsw.SQLError(f"{TABLE}: {name} is {value!r}; give it as text")
        self.args = tuple(args.get(name) for name in ARGUMENTS)
        old, new, from_time, to_time, tables = self.args
        if old is None:
            raise apsw.SQLError(f"{TABLE}: {ARGUMENTS[0]} is NULL; {USAGE}")
        self.diff = Diff(old, new, from_time, to_time, tables)
        self.changes = iter(self.diff)
        self.number = 0
        self.Next()

    def Eof(self) -> bool:
        return self.row is None

    @callbacks.guarded
    def Next(self) -> None:
        change = next(self.changes, None)
        self.row = None if change is None else change.row() + self.args
        self.number += 1

    def Column(self, number: int) -> apsw.SQLiteValue:
        assert self.row is not None
        value: apsw.SQLiteValue = self.row[number]
        return value

    def Rowid(self) -> int:
        return self.number

    @callbacks.guarded
    def Close(self) -> None:
        if self.diff is not None:
            self.diff.close()
            self.diff = None
        self.changes = iter(())
