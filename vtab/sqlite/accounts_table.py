"""``vtab_accounts``: the accounts the connection reads (vtab.aws.accounts), one row each.

A module of its own rather than apsw.ext.make_virtual_module (which cannot see the columns a statement
uses): where each account sits in the Organization (``ou_path``, ``ou_id``) can cost Organizations calls
beyond the listing of its accounts, so they are read only when a statement uses one of those columns
(SQLite's colUsed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

import apsw

from vtab.aws.accounts import ACCOUNT_COLUMNS, PLACE_COLUMNS
from vtab.sqlite.row_list import RowListCursor, RowsTable, declaration

ACCOUNTS_TABLE = "vtab_accounts"

_DDL = declaration(ACCOUNT_COLUMNS)
_PLACE_INDEXES = frozenset(ACCOUNT_COLUMNS.index(name) for name in PLACE_COLUMNS)
_WITH_PLACES = 1
"""The index number of a plan that uses ou_path or ou_id."""

Rows = Callable[[bool], Iterable[tuple[Any, ...]]]
"""The table's rows; the flag says whether the statement uses ou_path or ou_id."""


class AccountsModule:
    def __init__(self, rows: Rows) -> None:
        self.rows = rows

    def Connect(self, connection: apsw.Connection, *args: Any) -> tuple[str, AccountsTable]:
        return _DDL, AccountsTable(self.rows)

    Create = Connect


class AccountsTable(RowsTable):
    def BestIndexObject(self, info: apsw.IndexInfo) -> bool:
        info.idxNum = _WITH_PLACES if _PLACE_INDEXES & set(info.colUsed) else 0
        return True

    def cursor(self) -> AccountsCursor:
        return AccountsCursor(self.source)


class AccountsCursor(RowListCursor):
    def __init__(self, rows: Rows) -> None:
        super().__init__()
        self.source = rows

    def Filter(self, indexnum: int, indexname: str | None, constraintargs: tuple[Any, ...]) -> None:
        self.rows = list(self.source(indexnum == _WITH_PLACES))
        self.at = 0


def install_accounts_table(connection: apsw.Connection, rows: Rows) -> None:
    """Put ``vtab_accounts`` on ``connection`` (eponymous: on every connection, in no file)."""
    connection.create_module(
        ACCOUNTS_TABLE,
        cast("apsw.VTModule", AccountsModule(rows)),
        use_bestindex_object=True,
        eponymous=True,
        eponymous_only=True,
    )
