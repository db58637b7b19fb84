"""Hunt: vtab diff on files vtab sync wrote, where the file's mode matters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.orgs import LOG_GROUP, Org
from vtab.cli.main import main
from vtab.emulator import Emulator
from vtab.sync import sync


def test_one_overwrite_file_synced_twice_is_not_diffed_as_everything_added(
    emulator: Emulator, org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "estate.db"
    options = {
        "tables": "logs_log_groups",
        "endpoint_url": emulator.endpoint_url,
        "accounts": org.named("prod-a").account_id,
        "regions": "us-east-1,eu-west-1",
    }
    assert sync(str(out), **options).complete
    emulator.refuse_type(LOG_GROUP, "eu-west-1")  # the second sync keeps eu-west-1's first rows
    sync(str(out), **options)  # nothing changed in us-east-1 in between

    assert main(["diff", str(out), "--format", "json"]) == 0
    changes = json.loads(capsys.readouterr().out)
    # the file no longer holds us-east-1 as the first sync saw it (the second replaced its rows): not
    # every resource "added" (it was, before), but places the diff could not compare, saying why
    assert [(c["change"], c["region"]) for c in changes] == [
        ("unknown", "eu-west-1"),
        ("unknown", "us-east-1"),
    ]
    assert "rows replaced by a later sync" in changes[1]["reason"]
