"""Hunt: a diff that reads a file while a sync writes it (WAL) sees one state of the file."""

from __future__ import annotations

import shutil
from pathlib import Path

from vtab.emulator import Emulator
from vtab.sqlite.diff import Diff
from vtab.sync import sync


def test_a_sync_committing_while_a_diff_streams_does_not_turn_its_resources_into_removals(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.seed("us-east-1", websocket_apis=2, integrations=1, responses=1, http_apis=1)
    out, before = tmp_path / "estate.db", tmp_path / "before.db"
    options = {"tables": "apigatewayv2_apis", "endpoint_url": emulator.endpoint_url, "regions": "us-east-1"}
    assert sync(str(out), **options).complete
    shutil.copy(out, before)
    assert sync(str(out), **options).complete

    with Diff(str(before), str(out)) as changes:  # its places are read: the rows stream as iterated
        assert sync(str(out), **options).complete  # a sync of the same resources commits meanwhile
        found = [(change.kind.value, change.identifier) for change in changes]
    # the file as the diff began reading it, or as it ended: unchanged either way (it said every API was
    # removed: the versions it chose were replaced under it)
    assert found == []
