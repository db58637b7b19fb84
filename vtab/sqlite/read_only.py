"""Why SQLite refused a write on a connection vtab opened read-only, in words that say which table and the
fix: the connection's cursors raise it so (register() gives them explain_read_only), and so the command,
vtab.dbapi and plain apsw code on vtab.connect() all do."""

from __future__ import annotations

import apsw

from vtab import hints
from vtab.sql.guards import written_table
from vtab.sqlite.registry import Registry
from vtab.sqlite.tables import resource_tables


def explain_read_only(error: BaseException, registry: Registry | None) -> None:
    """Under ``read_only`` the database is open read-only, so SQLite refuses a write to any of its
    tables before the table sees it, vtab's too (a write to one starts a transaction on main): say which
    (hints.read_only_refusal for vtab's table, hints.read_only_files for a local one)."""
    if not isinstance(error, apsw.ReadOnlyError) or not str(error).startswith(hints.READ_ONLY_WRITE):
        return
    written = written_table(registry.statement.sql) if registry is not None else None
    live = [table.name for table in list(registry.tables)] if registry is not None else []
    ours = {name.lower() for name in [*resource_tables(), *live]}
    if written is not None and written.table.lower() in ours:
        error.args = (hints.read_only_refusal(written.table, written.verb),)
    else:
        error.args = (hints.read_only_files(str(error)),)
