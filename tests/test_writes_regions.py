"""Writes over several regions: resources of one identifier in two regions (a log group named `a` in
us-east-1 and in eu-west-1) are two rows, each with its own rowid, and an UPDATE or DELETE acts on each
row it matched, in its own region; a global type's rows in several regions are one resource."""

from __future__ import annotations

import json
from typing import Any

import apsw

from tests.test_writes_helpers import connect, rows, sent_writes
from vtab.emulator import Emulator

LOG_GROUP = "AWS::Logs::LogGroup"
REGIONS = "us-east-1,eu-west-1"


def _groups(emulator: Emulator, eu_west_a: int = 7) -> apsw.Connection:
    """Log group `a` in both regions and `b` in eu-west-1, retention 7 each (`a` in eu-west-1:
    ``eu_west_a``); the endpoint's calls emptied."""
    db = connect(emulator, regions=REGIONS)
    db.execute(
        "INSERT INTO logs_log_groups (log_group_name, retention_in_days, region) "
        "VALUES ('a', 7, 'us-east-1'), ('a', ?, 'eu-west-1'), ('b', 7, 'eu-west-1')",
        (eu_west_a,),
    )
    emulator.clear_calls()
    return db


def _retention(emulator: Emulator, region: str, name: str) -> Any:
    model = emulator.resource(region, LOG_GROUP, name)
    assert model is not None
    return model.get("RetentionInDays")


def test_an_update_of_one_identifier_in_two_regions_updates_both(emulator: Emulator) -> None:
    db = _groups(emulator)
    db.execute("UPDATE logs_log_groups SET retention_in_days = 14 WHERE log_group_name = 'a'")
    assert sorted(call.region for call in sent_writes(emulator, "UpdateResource")) == [
        "eu-west-1",
        "us-east-1",
    ]
    assert (_retention(emulator, "us-east-1", "a"), _retention(emulator, "eu-west-1", "a")) == (14, 14)


def test_an_update_diffs_each_region_against_its_own_row(emulator: Emulator) -> None:
    db = _groups(emulator, eu_west_a=30)
    # us-east-1 has 7, eu-west-1 already 30: only us-east-1 changes.
    db.execute("UPDATE logs_log_groups SET retention_in_days = 30 WHERE log_group_name = 'a'")
    assert [call.region for call in sent_writes(emulator, "UpdateResource")] == ["us-east-1"]
    assert (_retention(emulator, "us-east-1", "a"), _retention(emulator, "eu-west-1", "a")) == (30, 30)


def test_an_update_filtered_on_a_column_sqlite_checks_changes_only_the_matching_region(
    emulator: Emulator,
) -> None:
    db = _groups(emulator, eu_west_a=30)
    db.execute(
        "UPDATE logs_log_groups SET retention_in_days = 14 "
        "WHERE log_group_name = 'a' AND retention_in_days = 7"
    )
    assert [call.region for call in sent_writes(emulator, "UpdateResource")] == ["us-east-1"]
    assert (_retention(emulator, "us-east-1", "a"), _retention(emulator, "eu-west-1", "a")) == (14, 30)


def test_a_delete_of_an_identifier_read_in_two_regions_deletes_each_row_it_matched(
    emulator: Emulator,
) -> None:
    """SQLite hands DELETE the rowid of each row its WHERE matched, and the rowid stands for (region,
    identifier): both rows named `a` are deleted, each in its own region (it used to be refused, when
    the identifier alone was the key and the region of a match was unknown)."""
    db = _groups(emulator)
    db.execute("DELETE FROM logs_log_groups WHERE log_group_name = 'a'")
    assert sorted(call.region for call in sent_writes(emulator, "DeleteResource")) == [
        "eu-west-1",
        "us-east-1",
    ]
    assert emulator.resource("us-east-1", LOG_GROUP, "a") is None
    assert emulator.resource("eu-west-1", LOG_GROUP, "a") is None
    assert emulator.resource("eu-west-1", LOG_GROUP, "b") is not None


def test_a_delete_filtered_on_a_column_sqlite_checks_deletes_only_the_matching_region(
    emulator: Emulator,
) -> None:
    db = _groups(emulator, eu_west_a=30)
    db.execute("DELETE FROM logs_log_groups WHERE log_group_name = 'a' AND retention_in_days = 30")
    assert [call.region for call in sent_writes(emulator, "DeleteResource")] == ["eu-west-1"]
    assert emulator.resource("eu-west-1", LOG_GROUP, "a") is None
    assert _retention(emulator, "us-east-1", "a") == 7


def test_a_rowid_read_earlier_deletes_that_resource_in_its_region(emulator: Emulator) -> None:
    """The rowid is the same in every statement: selected, then used in WHERE, it names one resource."""
    db = _groups(emulator)
    ((rowid,),) = rows(
        db, "SELECT rowid FROM logs_log_groups WHERE region = 'eu-west-1' AND log_group_name = 'a'"
    )
    assert rows(
        db, "SELECT rowid FROM logs_log_groups WHERE region = 'eu-west-1' AND log_group_name = 'a'"
    ) == [(rowid,)]
    db.execute("DELETE FROM logs_log_groups WHERE log_group_name = 'a' AND rowid = ?", (rowid,))
    assert [call.region for call in sent_writes(emulator, "DeleteResource")] == ["eu-west-1"]
    assert _retention(emulator, "us-east-1", "a") == 7


def test_a_global_types_rows_in_two_regions_are_one_resource(emulator: Emulator) -> None:
    db = connect(emulator, regions=REGIONS)
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    db.execute(
        "INSERT INTO iam_roles (role_name, assume_role_policy_document, region) VALUES ('r', ?, 'us-east-1')",
        (trust,),
    )
    db.execute("CREATE TEMP TABLE wanted (name TEXT); INSERT INTO wanted VALUES ('us-east-1'), ('eu-west-1')")
    assert len(rows(db, "SELECT t.region FROM wanted w JOIN iam_roles t ON t.region = w.name")) == 2
    emulator.clear_calls()
    db.execute(
        "UPDATE iam_roles SET description = 'd' FROM wanted w WHERE iam_roles.region = w.name "
        "AND role_name = 'r'"
    )
    assert len(sent_writes(emulator, "UpdateResource")) == 1
    db.execute("DELETE FROM iam_roles WHERE region IN (SELECT name FROM wanted) AND role_name = 'r'")
    assert len(sent_writes(emulator, "DeleteResource")) == 1
    assert emulator.resource("us-east-1", "AWS::IAM::Role", "r") is None
