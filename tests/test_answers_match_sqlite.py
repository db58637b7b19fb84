"""Answers that must match SQLite's own: the same rows in a native table and behind vtab give the same
result. Each test holds a cause the differential test found: a key SQLite trusted to be unique, a pushed-
down value compared without SQLite's affinity, a space-only id part taken for empty, an empty IN list."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import apsw
import pytest

from tests.readhelpers import connect, rows
from vtab.emulator import Emulator

LOG_GROUP = "AWS::Logs::LogGroup"
REGIONS = "us-east-1,eu-west-1"


def _groups(emulator: Emulator) -> apsw.Connection:
    """`shared` in both regions, `42` and `1.5` in us-east-1, `e` in eu-west-1; a native copy of the
    rows in table `native` (the oracle)."""
    db = connect(emulator, regions=REGIONS)
    db.execute(
        "INSERT INTO logs_log_groups (log_group_name, region) VALUES ('shared', 'us-east-1'), "
        "('shared', 'eu-west-1'), ('42', 'us-east-1'), ('1.5', 'us-east-1'), ('e', 'eu-west-1')"
    )
    db.execute(
        "CREATE TEMP TABLE native(log_group_name TEXT, region TEXT, data__Identifier TEXT); "
        "INSERT INTO native SELECT log_group_name, region, data__Identifier FROM logs_log_groups"
    )
    emulator.clear_calls()
    return db


def _both(db: apsw.Connection, sql: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """``sql`` over vtab's table and over the native copy, rows sorted."""
    ours = sorted(rows(db, sql.format(t="logs_log_groups")), key=repr)
    oracle = sorted(rows(db, sql.format(t="native")), key=repr)
    return ours, oracle


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(DISTINCT data__Identifier) FROM {t}",
        "SELECT DISTINCT data__Identifier FROM {t}",
        "SELECT region, log_group_name FROM {t} WHERE region = 'eu-west-1' OR log_group_name = 'shared'",
        "SELECT region FROM {t} WHERE log_group_name = 'shared' OR data__Identifier = 'shared'",
    ],
)
def test_one_identifier_in_two_regions_is_two_rows_to_sqlite(emulator: Emulator, sql: str) -> None:
    """No declared key says an identifier is unique: SQLite neither counts DISTINCT by it nor drops an
    OR's second match of it."""
    ours, oracle = _both(_groups(emulator), sql)
    assert ours == oracle


@pytest.mark.parametrize(
    "where",
    [
        "log_group_name = 42",
        "log_group_name = 1.5",
        "log_group_name IN (42, 'e')",
        "data__Identifier = 42",
        "data__Identifier IN (42, 1.5)",
        "log_group_name = x'3432'",  # a BLOB never equals text
        "log_group_name = NULL",
        "region = 'us-east-1' AND log_group_name = 42",
    ],
)
def test_a_value_pushed_down_compares_with_sqlites_affinity(emulator: Emulator, where: str) -> None:
    """A TEXT column compared with a number compares the number's text, as SQLite does."""
    ours, oracle = _both(_groups(emulator), f"SELECT region, log_group_name FROM {{t}} WHERE {where}")
    assert ours == oracle


@pytest.mark.parametrize("where", ["region = X'41'", "data__Identifier = X'FF'", "log_group_name = X'3432'"])
def test_a_blob_matches_no_text_column_and_makes_no_call(emulator: Emulator, where: str) -> None:
    """SQLite orders a BLOB after all text: it equals no region, identifier or name (it used to be an
    error for region and identifier)."""
    db = _groups(emulator)
    assert rows(db, f"SELECT * FROM logs_log_groups WHERE {where}") == []
    assert emulator.calls == []


def test_a_bound_number_finds_the_text_id(emulator: Emulator) -> None:
    db = _groups(emulator)
    assert rows(db, "SELECT log_group_name FROM logs_log_groups WHERE data__Identifier = ?", (42,)) == [
        ("42",)
    ]


def _create(client: Any, type_name: str, desired: dict[str, Any]) -> None:
    """Create a resource straight through boto3 (not through vtab's checks) and wait for it."""
    event = client.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"]
    while event["OperationStatus"] == "IN_PROGRESS":
        event = client.get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"]
    assert event["OperationStatus"] == "SUCCESS", event


def test_a_space_only_id_part_is_a_name(emulator: Emulator, cloudcontrol: Callable[..., Any]) -> None:
    """AWS allows a log stream named ' ': the table lists it, and reading it by identifier finds it."""
    _create(cloudcontrol(), LOG_GROUP, {"LogGroupName": "g"})
    _create(cloudcontrol(), "AWS::Logs::LogStream", {"LogGroupName": "g", "LogStreamName": " "})
    db = connect(emulator)
    listed = rows(db, "SELECT data__Identifier FROM logs_log_streams WHERE log_group_name = 'g'")
    assert listed == [("g| ",)]
    assert rows(db, "SELECT log_stream_name FROM logs_log_streams WHERE data__Identifier = 'g| '") == [(" ",)]
    assert rows(
        db,
        "SELECT log_stream_name FROM logs_log_streams WHERE log_group_name = 'g' AND log_stream_name = ' '",
    ) == [(" ",)]


@pytest.mark.parametrize(
    "where",
    [
        "data__Identifier IN (SELECT name FROM wanted WHERE 0)",
        "region IN (SELECT name FROM wanted WHERE 0)",
        "log_group_name IN (SELECT name FROM wanted)",  # the table is empty
        "data__Identifier IN wanted",
    ],
)
def test_an_empty_in_list_gives_no_row_and_no_call(emulator: Emulator, where: str) -> None:
    db = _groups(emulator)
    db.execute("CREATE TEMP TABLE wanted(name TEXT)")
    assert rows(db, f"SELECT * FROM logs_log_groups WHERE {where}") == []
    assert emulator.calls == []


def test_an_in_list_from_a_subquery_still_matches_every_value(emulator: Emulator) -> None:
    db = _groups(emulator)
    db.execute("CREATE TEMP TABLE wanted(name TEXT); INSERT INTO wanted VALUES ('shared'), ('e'), ('nope')")
    ours, oracle = _both(
        db, "SELECT region, log_group_name FROM {t} WHERE data__Identifier IN (SELECT name FROM wanted)"
    )
    assert ours == oracle
    assert len(ours) == 3


TRUST = (Path(__file__).resolve().parent.parent / "docs" / "trust.md").read_text()


def _section_statements() -> list[str]:
    section = TRUST[TRUST.index("## Answers match SQLite's") :]
    block = re.search(r"```sql\n(.*?)```", section, re.DOTALL)
    assert block is not None
    lines = [line for line in block.group(1).splitlines() if line and not line.startswith("--")]
    return [line.rstrip(";") for line in lines]


@pytest.mark.parametrize("sql", _section_statements())
def test_the_trust_pages_examples_answer_as_sqlite_does(emulator: Emulator, sql: str) -> None:
    db = _groups(emulator)
    db.execute("CREATE TEMP TABLE wanted(name TEXT)")
    ours = sorted(rows(db, sql), key=repr)
    oracle = sorted(rows(db, sql.replace("logs_log_groups", "native")), key=repr)
    assert ours == oracle


def _streams(emulator: Emulator) -> apsw.Connection:
    """Groups ``g`` (retention 7), ``h`` (retention 14) and ``07`` in us-east-1, streams ``a``, ``007``,
    ``7``, ``7.0``, ``14`` under ``g``; native copies ``native_groups`` and ``native_streams`` (oracle)."""
    db = connect(emulator, regions="us-east-1")
    db.execute(
        "INSERT INTO logs_log_groups (log_group_name, retention_in_days, region) "
        "VALUES ('g', 7, 'us-east-1'), ('h', 14, 'us-east-1'), ('07', NULL, 'us-east-1')"
    )
    for name in ("a", "007", "7", "7.0", "14"):
        db.execute(
            "INSERT INTO logs_log_streams (log_group_name, log_stream_name, region) "
            "VALUES ('g', ?, 'us-east-1')",
            (name,),
        )
    db.execute(
        "CREATE TEMP TABLE native_groups(log_group_name TEXT, retention_in_days INTEGER, region TEXT, "
        "data__Identifier TEXT); CREATE TEMP TABLE native_streams(log_group_name TEXT, log_stream_name TEXT, "
        "region TEXT, data__Identifier TEXT); "
        "INSERT INTO native_groups SELECT log_group_name, retention_in_days, region, data__Identifier "
        "FROM logs_log_groups; INSERT INTO native_streams SELECT log_group_name, log_stream_name, region, "
        "data__Identifier FROM logs_log_streams WHERE log_group_name = 'g'"
    )
    emulator.clear_calls()
    return db


def _both_streams(
    db: apsw.Connection, sql: str, bindings: tuple[Any, ...] = ()
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    ours = sorted(rows(db, sql.format(g="logs_log_groups", s="logs_log_streams"), bindings), key=repr)
    oracle = sorted(rows(db, sql.format(g="native_groups", s="native_streams"), bindings), key=repr)
    return ours, oracle


NUMERIC_SIDE = [
    # The four the differential test found, reduced: the other side has INTEGER affinity, so SQLite
    # compares the TEXT column as a number ('007' and '7.0' equal 7).
    "SELECT a.log_stream_name FROM {s} a WHERE a.log_stream_name IN "
    "(SELECT b.retention_in_days FROM {g} b WHERE b.region = 'us-east-1')",
    "SELECT a.log_stream_name FROM {g} b JOIN {s} a "
    "ON a.log_group_name = b.log_group_name AND a.log_stream_name = b.retention_in_days",
    "SELECT a.log_group_name FROM {g} a WHERE a.data__Identifier IN (SELECT b.retention_in_days FROM {g} b)",
    "SELECT a.log_group_name FROM {g} b JOIN {g} a ON a.data__Identifier = b.retention_in_days",
    # A CAST gives the constant its affinity.
    "SELECT log_stream_name FROM {s} WHERE log_group_name = 'g' AND log_stream_name = CAST(7 AS INTEGER)",
    "SELECT log_stream_name FROM {s} WHERE log_group_name = 'g' AND log_stream_name = CAST(7 AS INTEGER) "
    "LIMIT 2",
]


@pytest.mark.parametrize("sql", NUMERIC_SIDE)
def test_a_number_from_a_numeric_column_matches_the_text_that_reads_as_it(
    emulator: Emulator, sql: str
) -> None:
    ours, oracle = _both_streams(_streams(emulator), sql)
    assert ours == oracle
    assert {"007", "07", "7.0"} & {value for row in oracle for value in row}


LITERAL_SIDE = [
    # No affinity on the other side (a literal, a parameter, an IN list): the number compares as its text.
    ("SELECT log_stream_name FROM {s} WHERE log_group_name = 'g' AND log_stream_name = 7", ()),
    ("SELECT log_stream_name FROM {s} WHERE log_group_name = 'g' AND log_stream_name IN (7, 14)", ()),
    ("SELECT log_stream_name FROM {s} WHERE log_group_name = 'g' AND log_stream_name = ?", (7,)),
    ("SELECT log_stream_name FROM {s} WHERE log_group_name = 'g' AND log_stream_name = ? LIMIT 1", (7,)),
    (
        "SELECT a.log_stream_name FROM {s} a WHERE a.log_stream_name IN "
        "(SELECT CAST(b.retention_in_days AS TEXT) FROM {g} b)",
        (),
    ),
]


@pytest.mark.parametrize(("sql", "bindings"), LITERAL_SIDE)
def test_a_number_without_affinity_matches_its_text_only(
    emulator: Emulator, sql: str, bindings: tuple[Any, ...]
) -> None:
    ours, oracle = _both_streams(_streams(emulator), sql, bindings)
    assert ours == oracle
    assert oracle
    assert not {"007", "07", "7.0"} & {value for row in oracle for value in row}


def test_a_text_literal_and_a_text_join_still_make_the_fewest_calls(emulator: Emulator) -> None:
    """Text is an exact key whatever the other side's affinity: one get for the literal, one list per
    group joined (three), as before."""
    db = _streams(emulator)
    sql = "SELECT log_stream_name FROM logs_log_streams WHERE log_group_name = 'g' AND log_stream_name = '7'"
    assert rows(db, sql) == [("7",)]
    literal_calls = len(emulator.calls)
    emulator.clear_calls()
    joined = (
        "SELECT a.log_stream_name FROM native_groups b JOIN logs_log_streams a "
        "ON a.log_group_name = b.log_group_name AND a.log_stream_name = b.log_group_name || '7'"
    )
    assert rows(db, joined) == []
    assert (literal_calls, len(emulator.calls)) == (1, 3)
