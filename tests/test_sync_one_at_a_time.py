"""Hunt: two syncs into one file at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from vtab.emulator import Emulator
from vtab.sync import ThreadExecutor, sync
from vtab.sync.plan import Shard


class SecondSyncFirst:
    """Runs another sync into the same file after this one recorded its tasks, before its shards run:
    what two processes syncing one file do, in an order fixed for the test."""

    def __init__(self, second: Callable[[], object]) -> None:
        self.second = second
        self.refused: BaseException | None = None

    def run(self, shards: Sequence[Shard], run_shard: Callable[[Shard], None]) -> None:
        try:
            self.second()
        except ValueError as error:
            self.refused = error
        ThreadExecutor().run(shards, run_shard)


def test_a_second_sync_into_a_file_being_synced_is_refused(emulator: Emulator, tmp_path: Path) -> None:
    emulator.seed("us-east-1", websocket_apis=2, integrations=1, responses=1, http_apis=1)
    out = tmp_path / "estate.db"
    common = {"endpoint_url": emulator.endpoint_url, "regions": "us-east-1"}
    # unrefused, the second sync's rows of apigatewayv2_apis are removed as stale by the first one's task,
    # which ran after it: the file then holds the first sync's rows under a task of the second sync's,
    # and vtab diff reads that place as emptied (every API "removed")
    executor = SecondSyncFirst(
        lambda: sync(str(out), tables="apigatewayv2_apis,apigatewayv2_integrations", **common)
    )
    assert sync(str(out), tables="apigatewayv2_apis", executor=executor, **common).complete
    assert executor.refused is not None
    assert f"another vtab sync is writing {out}" in str(executor.refused)
    # once the first has ended (or failed to start), the file is free again
    with pytest.raises(ValueError, match="differ"):
        sync(str(out), tables="apigatewayv2_routes", resume=True, **common)
    assert sync(str(out), tables="apigatewayv2_apis,apigatewayv2_integrations", **common).complete
