"""Hunt: vtab diff after a sync that was stopped and not resumed (a later sync ran afresh)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from vtab.cli.main import main
from vtab.emulator import Emulator
from vtab.sync import ThreadExecutor, sync
from vtab.sync.plan import Shard


class Stopped(Exception):
    pass


class FirstShardThenStop:
    """Runs the first shard, then stops the sync as a Ctrl-C would: the other shards' tasks stay pending."""

    def run(self, shards: Sequence[Shard], run_shard: Callable[[Shard], None]) -> None:
        ThreadExecutor().run(shards[:1], run_shard)
        raise Stopped


@pytest.mark.parametrize("mode", ["overwrite-delete-stale", "append"])
def test_a_stopped_sync_not_resumed_does_not_hide_the_next_syncs_places_forever(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    out = tmp_path / "estate.db"
    before = tmp_path / "before.db"
    common = {"tables": "logs_log_groups", "endpoint_url": emulator.endpoint_url, "mode": mode}
    common["regions"] = "us-east-1,eu-west-1"
    assert sync(str(out), **common).complete
    shutil.copy(out, before)
    with pytest.raises(Stopped):
        sync(str(out), executor=FirstShardThenStop(), **common)  # one region done, one left pending
    assert sync(str(out), **common).complete  # run again afresh, not resumed: every place done

    assert main(["diff", str(before), str(out), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []  # nothing changed, and nothing left out
    assert "not compared" not in captured.err
