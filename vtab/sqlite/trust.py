"""What a database file's schema may make vtab do: nothing, unless the connection trusts its files.

A file (a ``.db`` someone handed you, or one you ATTACH) carries a schema: tables, views and triggers
that run when you touch them. vtab acts with your AWS credentials, so that schema must not reach it:

- every resource table is SQLITE_VTAB_DIRECTONLY (``direct_only``), so SQLite refuses it in a view or
  trigger stored in main or an ATTACHed file (a TEMP VIEW of your own still reads it), and in any
  trigger's write;
- the connection's trusted_schema is off (``configure``), so the file's views and triggers reach no
  other virtual table or function unless it is marked innocuous, and vtab's own functions with effects
  are direct-only (``FUNCTION_FLAGS``);
- a table stored in a file (any schema but temp, and a temp table no CREATE of the session made:
  ``OwnTempTables``) may not set the options that choose credentials,
  identity or destination (``vtab.options.CREDENTIAL_OPTIONS``; on a read_only or dry_run connection no
  table may, temp included: ``PINNING_MODES``), and no table may loosen the connection's ceilings
  (``vtab.options.CEILINGS``): ``Options.table_options`` decides, and a stored table it refuses becomes
  a ``RefusedTable``, and a warning when a statement creates it (``warn_if_creating``).

The connection option ``trusted_schema`` lifts the first three, never the ceilings (docs/trust.md).
"""

from __future__ import annotations

import warnings
from typing import Any, NoReturn

import apsw

from vtab.options import Options, TrustError
from vtab.sql.statements import creates_table


def configure(connection: apsw.Connection, options: Options) -> None:
    """Set SQLite's trusted_schema to the connection's ``trusted_schema`` option (off unless trusted)."""
    connection.config(apsw.SQLITE_DBCONFIG_TRUSTED_SCHEMA, int(options.trusted_schema))


def function_flags(options: Options) -> int:
    """``create_scalar_function`` flags of a vtab function with effects (vtab_clear_cache, ...):
    direct-only, so that no view or trigger of a file can call it, unless the connection trusts files."""
    return 0 if options.trusted_schema else apsw.SQLITE_DIRECTONLY


def direct_only(connection: apsw.Connection, options: Options) -> None:
    """Inside Module.Connect: make the table direct-only, unless the connection trusts its files."""
    if not options.trusted_schema:
        connection.vtab_config(apsw.SQLITE_VTAB_DIRECTONLY, 1)


COPIED_INTO_TEMP = "temp, copied there from a database file (this connection's SQL did not create it)"
"""Where a temp table that no CREATE VIRTUAL TABLE of the session made lives, as messages name it."""


class OwnTempTables:
    """The temp tables this connection's own SQL created. A file can reach temp too: the backup API
    (the shell's ``.restore temp FILE``) copies a file's schema there, stored tables and all, so a temp
    table is the session's own only when ``CREATE VIRTUAL TABLE temp.<name>`` made it (apsw connects an
    eponymous module's tables with one callback, for creating and for loading them alike)."""

    def __init__(self) -> None:
        self.created: set[tuple[str, tuple[str, ...]]] = set()
        """(name in lower case, arguments) of each temp table a statement of the session created: SQLite
        connects it again after its temp schema is reloaded (a ROLLBACK of temp DDL)."""

    def claim(self, statement: str, table: str, args: tuple[str, ...]) -> bool:
        """Whether temp table ``table`` with ``args``, being connected while ``statement`` runs, is the
        session's own: that statement creates it, or an earlier one did."""
        key = (table.lower(), args)
        if key in self.created:
            return True
        if creates_table(statement, "temp", table):
            self.created.add(key)
            return True
        return False


def stored_in(connection: apsw.Connection, databasename: str, own_temp: bool) -> str | None:
    """The schema a table being connected lives in, as messages name it (``main (/tmp/inventory.db)``),
    or None for the session's own temp table (``own_temp``, see OwnTempTables): only that is surely the
    session's own SQL (main and ATTACHed schemas can come from a file, an in-memory main from
    ``deserialize``, and temp from a backup)."""
    if databasename == "temp":
        return None if own_temp else COPIED_INTO_TEMP
    filename = connection.db_filename(databasename)
    return f"{databasename} ({filename})" if filename else databasename


class RefusedTable:
    """A stored table whose options its connection does not allow: every use raises why, but DROP TABLE
    still removes it (SQLite connects a table to drop it, so refusing the connect would keep it forever)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def refuse(self, *args: Any) -> NoReturn:
        raise apsw.SQLError(self.reason)

    BestIndexObject = Open = Begin = UpdateInsertRow = UpdateChangeRow = UpdateDeleteRow = refuse

    def Disconnect(self) -> None:
        """Nothing to release: the table never built a client."""

    Destroy = Disconnect


class StoredTableWarning(UserWarning):
    """A virtual table was created inside a database file, which other SQLite clients then cannot read."""


def warn_if_creating(
    connection: apsw.Connection, statement: str, databasename: str, tablename: str, refused: TrustError | None
) -> None:
    """Warn when ``statement`` (the one running) creates a virtual table in a database file, not each time
    a connection loads one: other clients cannot read it, and a ``refused`` one cannot be used at all.
    apsw gives an eponymous module one callback for creating and loading a table: the text tells them
    apart."""
    filename = connection.db_filename(databasename)
    if not filename or not creates_table(statement, databasename, tablename):
        return
    where = f"{databasename}.{tablename} is stored in {filename}"
    module = "USING ..." if refused is None else "USING ... without that option"
    instead = f"CREATE VIRTUAL TABLE temp.{tablename} {module}"
    if refused is not None:
        text = f"{where}, and every use of it will be refused ({refused}); DROP TABLE it and use {instead}"
    else:
        text = (
            f"{where}: plain sqlite3 (and any client without vtab) cannot read it ('no such module'); "
            f"prefer {instead}"
        )
    warnings.warn(StoredTableWarning(text), stacklevel=4)
