"""``vtab sync`` then ``vtab diff`` on the local endpoint: the two commands agree on the file, end to end
(test_diff.py checks the diff on files written by hand; test_sync.py the sync alone)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.orgs import LOG_GROUP, Org, assume, client, create_log_group
from vtab.cli.main import main
from vtab.emulator import Emulator
from vtab.sync import sync


def _settle(cloudcontrol: Any, event: dict[str, Any]) -> None:
    token = event["ProgressEvent"]["RequestToken"]
    for _ in range(10):
        status = cloudcontrol.get_resource_request_status(RequestToken=token)["ProgressEvent"]
        if status["OperationStatus"] == "SUCCESS":
            return
    raise AssertionError(f"request {token} did not succeed")


def _diff(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    assert main(["diff", *argv, "--format", "json"]) == 0
    return sorted(json.loads(capsys.readouterr().out), key=lambda change: change["identifier"])


@pytest.mark.parametrize("mode", ["append", "overwrite-delete-stale"])
def test_a_diff_of_two_syncs_shows_what_changed_in_the_account(
    emulator: Emulator, org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    prod = org.named("prod-a")
    gone, changed = prod.log_groups["us-east-1"][:2]
    options = {
        "tables": "logs_log_groups",
        "endpoint_url": emulator.endpoint_url,
        "accounts": prod.account_id,
        "regions": "us-east-1,eu-west-1",  # two tasks a run: a run's rows share one time all the same
        "mode": mode,
    }
    out = tmp_path / "estate.db"
    assert sync(str(out), **options).complete
    before = tmp_path / "before.db"
    shutil.copy(out, before)  # WAL: the copy is whole once the sync's connection closed

    cloudcontrol = client(emulator, "cloudcontrol", "us-east-1", **assume(emulator, prod.account_id))
    _settle(cloudcontrol, cloudcontrol.delete_resource(TypeName=LOG_GROUP, Identifier=gone))
    patch = json.dumps([{"op": "add", "path": "/RetentionInDays", "value": 7}])
    _settle(
        cloudcontrol,
        cloudcontrol.update_resource(TypeName=LOG_GROUP, Identifier=changed, PatchDocument=patch),
    )
    create_log_group(cloudcontrol, "added-between-syncs")
    assert sync(str(out), **options).complete

    expected = [
        ("added", "added-between-syncs", None),
        ("changed", changed, [{"op": "add", "path": "/retention_in_days", "value": 7}]),
        ("removed", gone, None),
    ]
    # two files: the copy taken after the first sync, and the file after the second
    got = _diff(capsys, str(before), str(out))
    assert [(c["change"], c["identifier"], c.get("patch")) for c in got] == sorted(
        expected, key=lambda change: change[1]
    )
    assert {(c["table"], c["account_id"], c["region"]) for c in got} == {
        ("logs_log_groups", prod.account_id, "us-east-1")
    }
    if mode == "append":  # one file holds both times: by default its last two are compared
        assert _diff(capsys, str(out)) == got


def test_an_append_sync_that_found_no_rows_is_a_synced_time_whose_removals_the_diff_shows(
    emulator: Emulator, org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every log group of the selection deleted between two append syncs: the second run stamped no row,
    yet its done tasks make it a synced time, so the file's last two times are the two runs (not "it has
    1 synced time", nor an older pair that hides the removals)."""
    prod = org.named("prod-a")
    groups = prod.log_groups["us-east-1"]
    assert groups
    options = {
        "tables": "logs_log_groups",
        "endpoint_url": emulator.endpoint_url,
        "accounts": prod.account_id,
        "regions": "us-east-1",
        "mode": "append",
    }
    out = tmp_path / "history.db"
    assert sync(str(out), **options).complete
    cloudcontrol = client(emulator, "cloudcontrol", "us-east-1", **assume(emulator, prod.account_id))
    for group in groups:
        _settle(cloudcontrol, cloudcontrol.delete_resource(TypeName=LOG_GROUP, Identifier=group))
    emptied = sync(str(out), **options)
    assert emptied.complete and emptied.resources == 0

    got = _diff(capsys, str(out))
    assert [(c["change"], c["identifier"]) for c in got] == [("removed", group) for group in sorted(groups)]
