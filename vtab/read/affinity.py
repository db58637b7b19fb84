"""SQLite's comparison affinity, applied to the values a WHERE clause pushes down to vtab.

SQLite hands a virtual table the value of ``column = value`` as written: ``log_group_name = 42`` arrives
as the integer 42. Comparing that itself, SQLite would first give 42 the TEXT column's affinity ('42'),
and the row named '42' matches (sqlite.org/datatype3.html, "Type Conversions Prior To Comparison"). As
vtab tells SQLite it has checked a pushed-down constraint, it must compare the same way:

- a TEXT column and a number: the number as SQLite renders it as text (42 -> '42', 1e20 -> '1.0e+20');
- an INTEGER or REAL column and text that reads as a number: that number ('42' -> 42, ' 1e2' -> 100);
- a column without a declared type (BLOB affinity): the value as it is;
- NULL equals nothing, and a BLOB is never equal to text or a number: no row.

SQLite itself converts (an in-memory database per thread), so the text of a REAL and which text reads as
a number are exactly SQLite's, not an imitation of them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum

import apsw


class Affinity(StrEnum):
    """A column's type affinity, from its declared type."""

    TEXT = "TEXT"
    NUMERIC = "NUMERIC"
    INTEGER = "INTEGER"
    REAL = "REAL"
    BLOB = "BLOB"


def affinity_of(declared_type: str) -> Affinity:
    """SQLite's rules for a declared type's affinity, in SQLite's order (datatype3.html section 3.1)."""
    kind = declared_type.upper()
    if "INT" in kind:
        return Affinity.INTEGER
    if any(word in kind for word in ("CHAR", "CLOB", "TEXT")):
        return Affinity.TEXT
    if "BLOB" in kind or not kind.strip():
        return Affinity.BLOB
    if any(word in kind for word in ("REAL", "FLOA", "DOUB")):
        return Affinity.REAL
    return Affinity.NUMERIC


class _NoRow:
    """The value of a comparison no row can satisfy."""

    def __repr__(self) -> str:
        return "NO_ROW"


NO_ROW = _NoRow()


def compared_value(affinity: Affinity, value: apsw.SQLiteValue) -> apsw.SQLiteValue | _NoRow:
    """``value`` as SQLite compares it with a column of ``affinity``: converted, or NO_ROW when no value
    of the column can equal it (NULL; a BLOB against a TEXT or numeric column)."""
    if value is None:
        return NO_ROW
    if affinity is Affinity.BLOB:
        return value
    if isinstance(value, bytes):
        return NO_ROW  # SQLite orders numbers < text < blobs: a blob equals neither
    if affinity is Affinity.TEXT:
        return value if isinstance(value, str) else _converted(value)[0]
    return _converted(value)[1] if isinstance(value, str) else value


def compared_values(
    affinity: Affinity, given: apsw.SQLiteValue | set[apsw.SQLiteValue]
) -> set[apsw.SQLiteValue]:
    """The values a row's column may equal to match ``column = given`` (or ``column IN given``, a set):
    each compared as SQLite would, those no row can equal left out (an empty set: no row)."""
    values = given if isinstance(given, set) else {given}
    return {v for v in (compared_value(affinity, value) for value in values) if not isinstance(v, _NoRow)}


@dataclass(frozen=True)
class Wanted:
    """What a row's column must hold to match a pushed-down ``=``/``IN``."""

    keys: set[apsw.SQLiteValue]
    """Values looked up and matched exactly."""
    numbers: set[int | float] = field(default_factory=set)
    """Numbers given for a TEXT column by a join column, subquery or parameter. SQLite may compare them as
    text ('7') or, when the other side has numeric affinity, as numbers ('007' and '7.0' equal 7): they are
    no lookup key; a row matches one when its value, read as a number, equals it (``matches``)."""

    def matches(self, value: apsw.SQLiteValue) -> bool:
        """Whether a row's ``value`` may equal one of the values given (exactly, or as a number)."""
        if value in self.keys:
            return True
        if not self.numbers or value is None or isinstance(value, bytes):
            return False
        number = _converted(value)[1] if isinstance(value, str) else value
        return not isinstance(number, str) and number in self.numbers


def wanted(affinity: Affinity, given: apsw.SQLiteValue | set[apsw.SQLiteValue], literal: bool) -> Wanted:
    """The values of ``column = given`` (or ``IN given``). ``literal``: the value is a plain literal (no
    affinity), so a number given for a TEXT column is its text. Otherwise the other side's affinity is
    unknown (a join column, a subquery, a parameter): a number for a TEXT column is kept as a number."""
    if literal or affinity is not Affinity.TEXT:
        return Wanted(compared_values(affinity, given))
    values = given if isinstance(given, set) else {given}
    return Wanted(
        {v for v in values if isinstance(v, str)},
        {v for v in values if isinstance(v, int | float)},  # NULL and BLOBs equal no text
    )


_local = threading.local()


def converter() -> apsw.Connection:
    """This thread's private connection for conversions: read-only (only its temp table is written), so
    that, listed by the shell's ``.connection`` under ``--read-only``, it cannot write a file either."""
    db = getattr(_local, "db", None)
    if db is None:
        db = _local.db = apsw.Connection(":memory:", flags=apsw.SQLITE_OPEN_READONLY)
        db.execute("CREATE TEMP TABLE affinity(t TEXT, n NUMERIC)")
    return db


def _converted(value: apsw.SQLiteValue) -> tuple[apsw.SQLiteValue, apsw.SQLiteValue]:
    """(``value`` with TEXT affinity, with NUMERIC affinity), as SQLite stores it in such columns."""
    db = converter()
    ((text, number),) = db.execute(
        "INSERT OR REPLACE INTO temp.affinity(rowid, t, n) VALUES (1, ?1, ?1) RETURNING t, n", (value,)
    ).fetchall()
    return text, number
