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
