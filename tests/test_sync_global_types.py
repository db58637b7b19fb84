"""Hunt: a global type (IAM) in a sync file: listed once per account, through one of the sync's regions."""

from __future__ import annotations

import json
from pathlib import Path

import apsw

import vtab
from vtab.emulator import Emulator
from vtab.sync import sync
from vtab.sync.diff import diff

TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


def test_a_global_type_synced_again_with_the_regions_reordered_is_not_copied_twice(
    emulator: Emulator, tmp_path: Path
) -> None:
    _roles_a_and_b(emulator)
    out = tmp_path / "estate.db"
    common = {"tables": "iam_roles", "endpoint_url": emulator.endpoint_url}
    assert sync(str(out), regions="us-east-1,eu-west-1", **common).complete
    assert sync(str(out), regions="eu-west-1,us-east-1", **common).complete
    assert _roles(out) == [("a", "eu-west-1"), ("b", "eu-west-1")]  # each role once, as listed: not twice
    # another set of regions lists them through another region: the earlier rows are stale all the same
    assert sync(str(out), regions="us-east-1,us-west-2", **common).complete
    assert _roles(out) == [("a", "us-east-1"), ("b", "us-east-1")]


def _roles_a_and_b(emulator: Emulator) -> apsw.Connection:
    """IAM roles a and b, made through a live connection (returned, to change them)."""
    live = vtab.connect(":memory:", endpoint_url=emulator.endpoint_url, regions="us-east-1")
    live.execute(
        "INSERT INTO iam_roles (role_name, assume_role_policy_document) VALUES ('a', ?), ('b', ?)",
        (TRUST, TRUST),
    )
    return live


def _roles(path: Path) -> list[tuple[str, str]]:
    db = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return sorted(
            (str(name), str(region)) for name, region in db.execute("SELECT role_name, region FROM iam_roles")
        )
    finally:
        db.close()


def test_a_diff_of_a_global_type_synced_through_other_regions_compares_each_resource_once(
    emulator: Emulator, tmp_path: Path
) -> None:
    live = _roles_a_and_b(emulator)
    common = {"tables": "iam_roles", "endpoint_url": emulator.endpoint_url}
    monday, tuesday = tmp_path / "monday.db", tmp_path / "tuesday.db"
    assert sync(str(monday), regions="us-east-1,eu-west-1", **common).complete  # listed through eu-west-1
    live.execute("DELETE FROM iam_roles WHERE role_name = 'b'")
    assert sync(str(tuesday), regions="us-east-1,us-west-2", **common).complete  # through us-east-1
    with diff(str(monday), str(tuesday)) as changes:
        found = sorted((change.kind.value, change.identifier, change.region) for change in changes)
        assert found == [("removed", "b", "eu-west-1")], found  # the region its row carries
        assert not changes.left_out
