"""A resumed sync takes a walk's parents from its own file: a parent whose task the killed run did is not
listed again by the walks of the tasks left (issue 19: a sync killed half-way and resumed makes about the
calls of one run), and the file ends as a clean sync's."""

from __future__ import annotations

from pathlib import Path

from tests.orgs import REGIONS
from tests.syncfiles import assert_same_resources, file_rows
from tests.synckill import sync_killed_half_way
from vtab.catalog import load_catalog
from vtab.emulator import Emulator
from vtab.sync import sync

TABLES = "logs_*,apigatewayv2_*"


def _parents_of(type_names: set[str]) -> set[str]:
    """The types the walks of ``type_names`` list first."""
    catalog = load_catalog()
    return {step.type_name for name in type_names for step in catalog.schema(name).parents}


def test_a_resume_lists_no_parent_whose_task_the_killed_run_did(emulator: Emulator, tmp_path: Path) -> None:
    for region in REGIONS:
        emulator.seed(region, websocket_apis=2, integrations=2, responses=2, http_apis=1)
        emulator.seed_type("AWS::Logs::LogGroup", region, count=3)
    clean, killed = tmp_path / "clean.db", tmp_path / "killed.db"
    sync(str(clean), tables=TABLES, endpoint_url=emulator.endpoint_url, regions=",".join(REGIONS))

    emulator.configure(latency=0.02)  # slow enough that the kill lands while tasks remain
    arguments = ["--tables", TABLES, "--regions", ",".join(REGIONS), "--endpoint-url", emulator.endpoint_url]
    sync_killed_half_way(killed, *arguments, "--shard-connections", "1")
    tasks = file_rows(killed, "SELECT account_id, region, type_name, status FROM _vtab_sync")
    done = {(account, region, kind) for account, region, kind, status in tasks if status == "done"}
    left = {(account, region, kind) for account, region, kind, status in tasks if status != "done"}
    # what the resume would list again: a parent done, under a task left that walks it
    again = {
        (account, region, parent)
        for account, region, kind in left
        for parent in _parents_of({kind})
        if (account, region, parent) in done
    }
    assert again, f"the kill left no walk whose parent was done: {sorted(tasks)}"

    emulator.configure(latency=0.0)
    emulator.clear_calls()
    assert sync(
        str(killed), resume=True, endpoint_url=emulator.endpoint_url, regions=",".join(REGIONS)
    ).complete
    listed = {
        (call.account_id, call.region, call.type_name)
        for call in emulator.calls
        if call.operation == "ListResources"
    }
    assert not listed & done, sorted(listed & done)
    assert_same_resources(killed, clean)
