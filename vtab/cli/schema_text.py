"""The shell's ``.schema`` text of a vtab table: the columns it declares to SQLite, each with a comment
saying what a write must know (required, read-only, create-only, write-only, list input), from
vtab.catalog.describe, so an INSERT's needs are visible before its first try."""

from __future__ import annotations

import re

import apsw

from vtab.catalog.columns import quote
from vtab.catalog.describe import ColumnFacts, column_facts
from vtab.catalog.store import load_catalog
from vtab.sqlite.install import resource_tables


def declared_schema(db: apsw.Connection, name: str) -> str:
    """``CREATE TABLE name(...)`` as the table declares itself to SQLite (``PRAGMA table_xinfo``), with a
    ``-- required, create-only`` comment after each column of a resource table that has such facts."""
    facts = {fact.column.lower(): fact for fact in _facts(name)}
    columns = []
    for _cid, column, kind, _notnull, _default, pk, hidden in db.execute(
        'SELECT cid, name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)', (name,)
    ):
        words = [quote(str(column)) if not re.fullmatch(r"\w+", str(column)) else str(column)]
        words += [str(kind)] if kind else []
        words += ["HIDDEN"] if hidden else []
        words += ["PRIMARY KEY"] if pk else []
        fact = facts.get(str(column).lower())
        columns.append(("  " + " ".join(words), ", ".join(fact.flags()) if fact else ""))
    lines = [
        text + ("," if i < len(columns) - 1 else "") + (f" -- {comment}" if comment else "")
        for i, (text, comment) in enumerate(columns)
    ]
    body = "\n".join(lines)
    return f"/* {name}: {_where_it_lives(db, name)} */\nCREATE TABLE {name}(\n{body}\n);"


def _facts(name: str) -> list[ColumnFacts]:
    """The columns of resource table ``name`` (an eponymous one), none for any other table."""
    tables = {table.lower(): table for table in resource_tables()}
    table = tables.get(name.lower())
    if table is None:
        return []
    return column_facts(table, load_catalog().schema(resource_tables()[table]))


def _where_it_lives(db: apsw.Connection, name: str) -> str:
    """An eponymous table is on every connection and in no file; one made by CREATE VIRTUAL TABLE (which
    SQLite's own .schema output showed just above) is in the schema it was made in."""
    schemas = [
        row[0]
        for row in db.execute("SELECT schema FROM pragma_table_list WHERE name = ? COLLATE NOCASE", (name,))
    ]
    if not schemas:
        return "vtab's virtual table, on every connection, stored in no file"
    declared = "the columns the table above declares to SQLite"
    if "temp" in schemas:  # SQLite finds the temp one first, as pragma_table_xinfo did
        return f"{declared}; it is in temp, this connection's own"
    return f"{declared}; it is stored in {schemas[0]}"
