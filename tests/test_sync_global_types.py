"""Hunt: a global type (IAM) in a sync file: listed once per account, through one of the sync's regions."""

from __future__ import annotations

import json
from pathlib import Path

import apsw

from vtab.emulator import Emulator
from vtab.sync import sync

TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


def test_a_global_type_synced_again_with_the_regions_reordered_is_not_copied_twice(
    emulator: Emulator, tmp_path: Path
) -> None:
    import vtab

    live = vtab.connect(":memory:", endpoint_url=emulator.endpoint_url, regions="us-east-1")
    live.execute(
        "INSERT INTO iam_roles (role_name, assume_role_policy_document) VALUES ('a', ?), ('b', ?)",
        (TRUST, TRUST),
    )
    out = tmp_path / "estate.db"
    common = {"tables": "iam_roles", "endpoint_url": emulator.endpoint_url}
    assert sync(str(out), regions="us-east-1,eu-west-1", **common).complete
    assert sync(str(out), regions="eu-west-1,us-east-1", **common).complete
    assert _roles(out) == [("a", "eu-west-1"), ("b", "eu-west-1")]  # each role once, as listed: not twice
    # another set of regions lists them through another region: the earlier rows are stale all the same
    assert sync(str(out), regions="us-east-1,us-west-2", **common).complete
    assert _roles(out) == [("a", "us-east-1"), ("b", "us-east-1")]


def _roles(path: Path) -> list[tuple[str, str]]:
    db = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return sorted(
            (str(name), str(region)) for name, region in db.execute("SELECT role_name, region FROM iam_roles")
        )
    finally:
        db.close()
