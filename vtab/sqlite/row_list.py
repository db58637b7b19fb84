"""A cursor over rows its ``Filter`` makes whole in a list: the small tables vtab answers itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import apsw

from vtab.catalog.columns import ACCOUNT_ID, quote


class RowListCursor:
    """``Eof``/``Next``/``Column``/``Rowid`` over ``self.rows``; a subclass's ``Filter`` fills the list and
    sets ``at`` to 0 (vtab_accounts, vtab_columns)."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.at = 0

    def Eof(self) -> bool:
        return self.at >= len(self.rows)

    def Next(self) -> None:
        self.at += 1

    def Column(self, number: int) -> Any:
        if number == -1:
            return self.at
        return self.rows[self.at][number]

    def Rowid(self) -> int:
        return self.at

    def Close(self) -> None:
        self.rows = []


def declaration(columns: Sequence[str]) -> str:
    """The CREATE TABLE of a table vtab answers itself: untyped columns, but ``account_id`` TEXT, so that
    ``account_id = 123456789012`` unquoted finds the account as in every resource table (SQLite compares
    a number with a TEXT column as its text; an untyped column never equals a number)."""
    declared = (f"{quote(name)} TEXT" if name == ACCOUNT_ID else quote(name) for name in columns)
    return f"CREATE TABLE x({', '.join(declared)})"


class RowsModule:
    """An eponymous read-only table whose rows ``rows()`` gives afresh on every scan (vtab's logs)."""

    def __init__(self, columns: Sequence[str], rows: Callable[[], Iterable[tuple[Any, ...]]]) -> None:
        self.ddl = declaration(columns)
        self.rows = rows

    def Connect(self, connection: apsw.Connection, *args: Any) -> tuple[str, RowsTable]:
        return self.ddl, RowsTable(self.rows)

    Create = Connect


class RowsTable:
    """A table over rows its cursor makes whole at each scan (a full scan: SQLite checks every constraint
    itself); a subclass names its cursor and may plan better (vtab_accounts, vtab_columns)."""

    def __init__(self, source: Any) -> None:
        self.source = source

    def cursor(self) -> RowListCursor:
        return RowsCursor(self.source)

    def BestIndexObject(self, info: apsw.IndexInfo) -> bool:
        return True

    def Open(self) -> RowListCursor:
        return self.cursor()

    def Disconnect(self) -> None:
        pass

    Destroy = Disconnect


class RowsCursor(RowListCursor):
    def __init__(self, rows: Callable[[], Iterable[tuple[Any, ...]]]) -> None:
        super().__init__()
        self.source = rows

    def Filter(self, indexnum: int, indexname: str | None, constraintargs: tuple[Any, ...]) -> None:
        self.rows = list(self.source())
        self.at = 0
