"""vtab as a PEP 249 (DB-API 2.0) module, for the tools that take one: SQLAlchemy (the ``vtab://`` dialect,
vtab.sqlalchemy), pandas, BI tools.

import vtab.dbapi
conn = vtab.dbapi.connect("inventory.db", regions="us-east-1,eu-west-1")  # vtab.connect's options
cur = conn.cursor()
cur.execute("SELECT name, arn FROM eks_clusters WHERE region = ?", ("us-east-1",))
cur.fetchall()

apsw is deliberately not a DB-API module; this one wraps the apsw connection vtab.connect() opens, so
everything vtab does (StackQL names, RETURNING, its messages) is there. What commit() sends: see
vtab.dbapi.connection.
"""

from __future__ import annotations

from typing import Any

import apsw

from vtab.dbapi.connection import Connection, Cursor
from vtab.dbapi.errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
    translated,
)
from vtab.dbapi.types import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)
from vtab.sqlite.install import connect_with_registry

apilevel = "2.0"
threadsafety = 1
"""Threads may share the module, not connections (vtab's own threads work inside one connection)."""
paramstyle = "qmark"
"""``?`` with a sequence; apsw also takes ``:name`` with a mapping."""

sqlite_version = apsw.sqlite_lib_version()
sqlite_version_info = tuple(int(part) for part in sqlite_version.split("."))
"""The SQLite library's version, under the names Python's sqlite3 module gives it (SQLAlchemy reads them)."""


def connect(filename: str = ":memory:", *, autocommit: bool = False, **options: Any) -> Connection:
    """A PEP 249 connection to ``filename`` with vtab's tables; ``options`` are vtab.connect()'s (a bad one
    raises ProgrammingError, naming it). ``autocommit=True`` sends each statement's writes as it ends
    instead of at ``commit()``."""
    with translated():
        connection, registry = connect_with_registry(filename, **options)
    return Connection(connection, registry, autocommit=autocommit)


__all__ = [
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
]
