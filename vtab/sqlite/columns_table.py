"""``vtab_columns``: every resource table's columns and what a write may do with them (vtab.catalog.describe).

A module of its own rather than apsw.ext.make_virtual_module (which cannot push WHERE down): building the
rows of all 1,700 tables means building their schemas, so ``WHERE "table" = 'eks_clusters'`` is given to
the table, which builds that one only. SQLite still checks every constraint itself (nothing is omitted),
so ``=`` keeps SQLite's meaning exactly; the pushdown only narrows what is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import apsw

from vtab.catalog.columns import quote
from vtab.catalog.describe import COLUMN_FACT_NAMES, ColumnFacts, column_facts
from vtab.catalog.store import load_catalog
from vtab.sqlite.row_list import RowListCursor, RowsTable

COLUMNS_TABLE = "vtab_columns"

_TABLE_COLUMN = COLUMN_FACT_NAMES.index("table")
_FLAGS = ("required", "read_only", "create_only", "write_only")
_DDL = "CREATE TABLE x({})".format(
    ", ".join(f"{quote(name)} {'INTEGER' if name in _FLAGS else 'TEXT'}" for name in COLUMN_FACT_NAMES)
)
_ONE_TABLE = 1
"""The index number of a plan given the table name (``"table" = ?``)."""


def facts_of(table: str, tables: Mapping[str, str]) -> list[ColumnFacts]:
    """The columns of resource table ``table`` (any case); none when it is not one."""
    by_lower = {name.lower(): name for name in tables}
    name = by_lower.get(table.lower())
    if name is None:
        return []
    return column_facts(name, load_catalog().schema(tables[name]))


class ColumnsModule:
    def __init__(self, tables: Callable[[], Mapping[str, str]]) -> None:
        self.tables = tables

    def Connect(self, connection: apsw.Connection, *args: Any) -> tuple[str, ColumnsTable]:
        return _DDL, ColumnsTable(self.tables)

    Create = Connect


class ColumnsTable(RowsTable):
    def BestIndex(self, constraints: Sequence[tuple[int, int]], orderbys: Any) -> Any:
        for i, (column, op) in enumerate(constraints):
            if column == _TABLE_COLUMN and op == apsw.SQLITE_INDEX_CONSTRAINT_EQ:
                usage: list[Any] = [None] * len(constraints)
                usage[i] = (0, False)  # argument 0; SQLite checks it again
                return usage, _ONE_TABLE, None, False, 10.0
        return None, 0, None, False, 1_000_000.0

    def cursor(self) -> ColumnsCursor:
        return ColumnsCursor(self.source)


class ColumnsCursor(RowListCursor):
    def __init__(self, tables: Callable[[], Mapping[str, str]]) -> None:
        super().__init__()
        self.tables = tables

    def Filter(self, indexnum: int, indexname: str | None, constraintargs: tuple[Any, ...]) -> None:
        tables = self.tables()
        if indexnum == _ONE_TABLE:
            wanted = constraintargs[0]
            names = [wanted] if isinstance(wanted, str) else []
        else:
            names = sorted(tables)
        self.rows = [facts.row() for name in names for facts in facts_of(name, tables)]
        self.at = 0


def install_columns_table(connection: apsw.Connection, tables: Callable[[], Mapping[str, str]]) -> None:
    """Put ``vtab_columns`` on ``connection`` (eponymous: on every connection, in no file)."""
    connection.create_module(
        COLUMNS_TABLE, cast("apsw.VTModule", ColumnsModule(tables)), eponymous=True, eponymous_only=True
    )
