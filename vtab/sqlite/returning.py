"""The SQLite side of RETURNING (vtab.sql.returning rewrites the text; vtab.write.returning keeps the rows):
which tables are vtab's, what each of their columns reads from a settled operation, and ``vtab_returning``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, cast

import apsw
import apsw.ext

from vtab.catalog.columns import ACCOUNT_ID, ACCOUNT_NAME, IDENTIFIER, PATCH_DOCUMENT, REGION
from vtab.sql.returning import (
    EVENT,
    LOG_TABLE,
    PROGRESS_EVENT,
    Resolver,
    ReturningColumns,
    model_member,
    quote,
)
from vtab.sqlite.accounts_table import ACCOUNTS_TABLE
from vtab.sqlite.registry import Registry
from vtab.write.returning import RETURNING_COLUMNS, transaction_error


class TableColumns(Protocol):
    """What RETURNING needs of a table's columns (vtab.sqlite.columns.Columns)."""

    names: list[str]
    visible: list[str]
    canonical: dict[str, str]
    property_of: dict[str, str]


def returning_columns(columns: TableColumns) -> ReturningColumns:
    """Each column of the table as a settled operation shows it: the ProgressEvent fields as they are;
    ``region``, ``account_id`` and ``data__Identifier`` the operation's, ``account_name`` its account's
    name as vtab_accounts has it (read only when the clause names it; the estate is read once per
    connection, so it costs no call a write has not made); a property
    column the property in the event's ResourceModel (NULL where AWS left it out: a DELETE has none); the
    write-only patch NULL, as a SELECT reads it. A column named like a ProgressEvent field (any case) is
    that field. ``*``: the ProgressEvent fields, then the columns ``SELECT *`` shows."""
    taken = {name.lower() for name in PROGRESS_EVENT}
    expressions = {name: quote(name) for name in PROGRESS_EVENT}
    for name in columns.names:
        if name.lower() in taken:
            continue
        taken.add(name.lower())
        canonical = columns.canonical[name]
        if canonical == REGION:
            expressions[name] = "region"
        elif canonical == ACCOUNT_ID:
            expressions[name] = "account_id"
        elif canonical == ACCOUNT_NAME:
            expressions[name] = ACCOUNT_NAME_OF_EVENT
        elif canonical == IDENTIFIER:
            expressions[name] = quote("Identifier")
        elif canonical == PATCH_DOCUMENT:
            expressions[name] = "NULL"
        else:
            expressions[name] = model_member(columns.property_of[name])
    star = (*PROGRESS_EVENT, *(name for name in columns.visible if name in expressions))
    return ReturningColumns(expressions, star)


ACCOUNT_NAME_OF_EVENT = (
    f"(SELECT name FROM main.{ACCOUNTS_TABLE} AS {quote('vtab account')} "
    f"WHERE {quote('vtab account')}.account_id = {EVENT}.account_id)"
)
"""RETURNING account_name: the name vtab_accounts gives the operation's account (main's: a table of your
own named vtab_accounts in temp does not answer it)."""


def resolver(registry: Registry) -> Resolver:
    """(schema, table name) -> its RETURNING columns when SQLite takes the name for one of vtab's tables on
    the registry's connection (connected first if it was not yet: an eponymous table connects at its first
    use)."""

    def live(name: str) -> ReturningColumns | None:
        for table in list(registry.tables):
            if table.name.lower() == name.lower():
                return table.returning_columns()
        return None

    def resolve(schema: str | None, name: str) -> ReturningColumns | None:
        if stored(registry.connection, schema, name):
            return None  # SQLite's own RETURNING: a table of your own comes before an eponymous one
        found = live(name)
        if found is not None:
            return found
        qualified = f"{quote(schema)}.{quote(name)}" if schema else quote(name)
        cursor = registry.connection.cursor()
        try:
            cursor.execute(f"SELECT 1 FROM {qualified} WHERE 0").fetchall()
        except apsw.Error:
            return None  # no such table: SQLite says so when the statement runs
        finally:
            cursor.close()
        return live(name)

    return resolve


def stored(connection: apsw.Connection, schema: str | None, name: str) -> bool:
    """Whether ``[schema.]name`` is a table or view that a database's schema declares, other than a
    virtual table: SQLite resolves a name to such a table (temp, main, then attached databases) before an
    eponymous one, so a write to it is not vtab's (a snapshot named like a live table, a temp table)."""
    for database in [schema] if schema else connection.db_names():
        try:
            rows = connection.execute(
                f"SELECT sql FROM {quote(database)}.sqlite_schema WHERE type IN ('table', 'view') "
                "AND name = ? COLLATE NOCASE",
                (name,),
            ).fetchall()
        except apsw.SQLError:
            return False  # no such database: SQLite says so when the statement runs
        if rows:
            (sql,) = rows[0]
            return not str(sql or "").upper().startswith("CREATE VIRTUAL TABLE")
    return False


def install_log_table(connection: apsw.Connection, registry: Registry) -> None:
    """``vtab_returning``: the rows of the last statement that sent writes; ``vtab_returning(1)`` (what a
    rewritten RETURNING reads): those of the RETURNING write that ran just before, none if it sent none."""

    def vtab_returning(just_written: int = 0) -> Iterator[tuple[Any, ...]]:
        log, statement = registry.returning, registry.statement
        if not just_written:
            return iter(log.rows)
        if not registry.connection.getautocommit():
            raise transaction_error(f"[{LOG_TABLE}]")  # a write that matched no row got this far
        return iter(log.rows_of(statement.returning_number))

    vtab_returning.columns = RETURNING_COLUMNS  # type: ignore[attr-defined]
    vtab_returning.column_access = apsw.ext.VTColumnAccess.By_Index  # type: ignore[attr-defined]
    apsw.ext.make_virtual_module(
        connection, LOG_TABLE, cast("apsw.ext.VirtualModuleCallable", vtab_returning)
    )
