"""PEP 249's type objects and constructors, and the parameters apsw is given.

SQLite has no column types, only declared ones with an affinity (vtab.read.affinity). A cursor's
``description`` gives each column's declared type as its ``type_code`` (``'TEXT'``, ``'INTEGER'``; None for
an expression), and the type objects compare equal to the declared types of their kind, as PEP 249 asks:
``description[0][1] == vtab.dbapi.STRING``. vtab's JSON columns are TEXT (their values are JSON text).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping, Sequence
from typing import Any

import apsw

from vtab.read.affinity import Affinity, affinity_of

DATETIME_WORDS = ("DATE", "TIME")
"""Declared types that hold dates and times as text or numbers (SQLAlchemy declares DATETIME, DATE, TIME)."""


class TypeObject:
    """Equal to the declared types (type codes) of one kind; ``name`` is how it prints."""

    def __init__(self, name: str, *affinities: Affinity) -> None:
        self.name = name
        self.affinities = frozenset(affinities)

    def __eq__(self, type_code: object) -> bool:
        if isinstance(type_code, TypeObject):
            return type_code is self
        if not isinstance(type_code, str):
            return False
        dated = any(word in type_code.upper() for word in DATETIME_WORDS)
        if self.name == "DATETIME":
            return dated
        return not dated and affinity_of(type_code) in self.affinities

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"vtab.dbapi.{self.name}"


STRING = TypeObject("STRING", Affinity.TEXT)
"""TEXT, VARCHAR, CLOB ...: every vtab column of text, JSON text included."""
BINARY = TypeObject("BINARY", Affinity.BLOB)
"""BLOB, or a column declared without a type."""
NUMBER = TypeObject("NUMBER", Affinity.INTEGER, Affinity.REAL, Affinity.NUMERIC)
"""INTEGER, REAL, NUMERIC ...: vtab's integer, number and boolean (0/1) columns."""
DATETIME = TypeObject("DATETIME")
"""Declared types naming a date or time (SQLite keeps the values as text or numbers)."""
ROWID = TypeObject("ROWID")
"""PEP 249 names it; SQLite's description does not tell a rowid apart, so no type code equals it."""

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime


def DateFromTicks(ticks: float) -> datetime.date:
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:
    return Timestamp(*time.localtime(ticks)[:6])


def Binary(data: bytes | bytearray | memoryview) -> bytes:
    return bytes(data)


def bound_value(value: Any) -> Any:
    """A parameter as apsw binds it: PEP 249's dates and times become ISO 8601 text (as Python's sqlite3
    module has always stored them), everything else goes as it is (apsw refuses what SQLite cannot hold)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


def bound(parameters: Sequence[Any] | Mapping[str, Any] | None) -> apsw.Bindings | None:
    """The parameters of one statement as apsw takes them: a sequence for ``?`` (qmark, the paramstyle),
    a mapping for ``:name``."""
    if parameters is None:
        return None
    if isinstance(parameters, Mapping):
        return {name: bound_value(value) for name, value in parameters.items()}
    return tuple(bound_value(value) for value in parameters)


def described(columns: tuple[tuple[str, str | None], ...]) -> tuple[tuple[Any, ...], ...] | None:
    """apsw's (name, declared type) pairs as PEP 249's 7-item description; None when there are none."""
    return tuple((name, declared or None, None, None, None, None, None) for name, declared in columns) or None
