"""SQLite's comparison affinity for pushed-down values (vtab.read.affinity), checked against SQLite itself:
a native table with a column of the same declared type must match exactly when the value compares equal."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from vtab.read.affinity import (
    NO_ROW,
    Affinity,
    affinity_of,
    compared_value,
    compared_values,
    converter,
    wanted,
)
from vtab.sql.literals import constants_are_literals


@pytest.mark.parametrize(
    ("declared", "affinity"),
    [
        ("TEXT", Affinity.TEXT),
        ("VARCHAR(10)", Affinity.TEXT),
        ("INTEGER", Affinity.INTEGER),
        ("BIGINT", Affinity.INTEGER),
        ("REAL", Affinity.REAL),
        ("DOUBLE", Affinity.REAL),
        ("", Affinity.BLOB),
        ("BLOB", Affinity.BLOB),
        ("NUMERIC", Affinity.NUMERIC),
        ("DECIMAL(10,5)", Affinity.NUMERIC),
        ("CHARINT", Affinity.INTEGER),  # SQLite's rule order: INT wins
    ],
)
def test_a_declared_type_has_sqlites_affinity(declared: str, affinity: Affinity) -> None:
    assert affinity_of(declared) is affinity


@pytest.mark.parametrize(
    ("affinity", "value", "expected"),
    [
        (Affinity.TEXT, 42, "42"),
        (Affinity.TEXT, 1.5, "1.5"),
        (Affinity.TEXT, 1e20, "1.0e+20"),
        (Affinity.TEXT, 100.0, "100.0"),
        (Affinity.TEXT, 1 / 3, "0.33333333333333332"),  # SQLite's 17 digits, not Python's repr
        (Affinity.TEXT, "x", "x"),
        (Affinity.TEXT, b"42", NO_ROW),
        (Affinity.TEXT, None, NO_ROW),
        (Affinity.INTEGER, "42", 42),
        (Affinity.INTEGER, " 1e2 ", 100),
        (Affinity.INTEGER, "0x10", "0x10"),  # hex text is not a number to affinity
        (Affinity.INTEGER, "42abc", "42abc"),
        (Affinity.REAL, "1.5", 1.5),
        (Affinity.NUMERIC, 7, 7),
        (Affinity.INTEGER, b"42", NO_ROW),
        (Affinity.BLOB, 42, 42),
        (Affinity.BLOB, "42", "42"),
        (Affinity.BLOB, b"42", b"42"),
        (Affinity.BLOB, None, NO_ROW),
    ],
)
def test_a_value_takes_the_columns_affinity(affinity: Affinity, value: object, expected: object) -> None:
    assert compared_value(affinity, value) == expected  # type: ignore[arg-type]


VALUES = [42, 1.5, 1e20, 1 / 3, -0.0, "42", " 42 ", "1e2", "0x10", "abc", "", " ", b"42", 9223372036854775807]


@pytest.mark.parametrize("declared", ["TEXT", "INTEGER", "REAL", "NUMERIC", ""])
def test_the_compared_value_matches_exactly_the_rows_sqlite_matches(declared: str) -> None:
    """For every pair of a stored value and a compared one: SQLite's `column = ?` is true exactly when
    the compared value equals the stored one (as the column keeps it: vtab serves a cloud value of the
    column's type the same way). vtab never serves a BLOB, so none is stored."""
    db = apsw.Connection(":memory:")
    db.execute(f"CREATE TABLE t(c {declared})")
    affinity = affinity_of(declared)
    for stored in (value for value in VALUES if not isinstance(value, bytes)):
        db.execute("DELETE FROM t; INSERT INTO t VALUES (?)", (stored,))
        ((kept,),) = db.execute("SELECT c FROM t").fetchall()
        for value in VALUES:
            ((matched,),) = db.execute("SELECT count(*) FROM t WHERE c = ?", (value,)).fetchall()
            compared = compared_value(affinity, value)
            assert (compared is not NO_ROW and compared == kept) == bool(matched), (stored, value)


def test_an_in_list_drops_what_no_row_can_equal() -> None:
    assert compared_values(Affinity.TEXT, {42, None, b"x", "a"}) == {"42", "a"}
    assert compared_values(Affinity.TEXT, None) == set()
    assert compared_values(Affinity.INTEGER, "7") == {7}


@pytest.mark.parametrize("other", ["INTEGER", "REAL", "NUMERIC", "TEXT", ""])
def test_a_number_for_a_text_column_matches_a_superset_of_what_sqlite_matches(other: str) -> None:
    """Whatever the affinity of the other side (a join column's, a subquery's), the rows ``wanted``
    keeps for a number given to a TEXT column include every row SQLite's ``=`` keeps; text given stays
    an exact key, as a non-numeric text equals only itself even compared as numbers."""
    db = apsw.Connection(":memory:")
    db.execute(f"CREATE TABLE t(c TEXT); CREATE TABLE o(v {other})")
    names = ("7", "007", "7.0", " 7", "7e0", "a", "1.5", "x7")
    db.executemany("INSERT INTO t VALUES (?)", [(name,) for name in names])
    for given in (7, 1.5, "a", "7"):
        db.execute("DELETE FROM o; INSERT INTO o VALUES (?)", (given,))
        ((kept,),) = db.execute("SELECT v FROM o").fetchall()
        matched = {c for (c,) in db.execute("SELECT c FROM t, o WHERE c = v")}
        wants = wanted(Affinity.TEXT, kept, literal=False)
        ours = {name for name in names if wants.matches(name)}
        assert matched <= ours, (other, given)
        if isinstance(kept, str) and kept == "a":
            assert ours == matched == {"a"}


def test_a_number_literal_for_a_text_column_is_its_text_and_a_numeric_column_converts_text() -> None:
    assert wanted(Affinity.TEXT, 42, literal=True).keys == {"42"}
    assert wanted(Affinity.TEXT, 42, literal=False).keys == set()
    # An INTEGER column gives any other side NUMERIC affinity: text compares as the number it reads as.
    assert wanted(Affinity.INTEGER, "7", literal=False).keys == {7}
    db = apsw.Connection(":memory:")
    db.execute(
        "CREATE TABLE n(i INTEGER); INSERT INTO n VALUES (7); "
        "CREATE TABLE s(t TEXT); INSERT INTO s VALUES ('7')"
    )
    assert db.execute("SELECT count(*) FROM n, s WHERE i = t").fetchall() == [(1,)]


@pytest.mark.parametrize(
    ("sql", "literal"),
    [
        ("SELECT * FROM t WHERE a = 7", True),
        ("SELECT * FROM t WHERE a = CAST(7 AS INTEGER)", False),
        ("SELECT * FROM t WHERE a = cast ( 7 as real )", False),
        ("SELECT * FROM t WHERE a = 'CAST'", True),
        (None, False),
    ],
)
def test_a_cast_anywhere_means_a_constant_may_have_affinity(sql: str | None, literal: bool) -> None:
    assert constants_are_literals(sql) is literal


def test_the_private_conversion_connection_writes_no_file(tmp_path: Path) -> None:
    """It is an apsw.Connection like the user's (the shell lists it): it must not be able to write files."""
    compared_value(Affinity.TEXT, 42)  # makes this thread's converter
    db = converter()
    assert db.readonly("main")
    with pytest.raises((apsw.CantOpenError, apsw.ReadOnlyError)):  # a read-only open creates no file
        db.execute(f"ATTACH '{tmp_path / 'x.db'}' AS x; CREATE TABLE x.t(a)")
    assert not (tmp_path / "x.db").exists()
