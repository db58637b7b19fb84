"""What a statement and a connection set up, made once rather than each time (issue 19: a sync runs
thousands of one-call statements on hundreds of connections, and their setup was most of its CPU)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import apsw

from tests.readhelpers import KNOWN_ACCOUNT, connect, rows
from vtab.sqlite.install import connect_with_registry
from vtab.sqlite.registry import Registry
from vtab.sync.store import Store

WALK = "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1'"
"""A walk: APIs, then their integrations, then each one's responses, on several of the cursor's threads."""


def _read_threads() -> set[int]:
    """The native ids of the live read threads (the kernel's, not reused as soon as Python's idents)."""
    return {
        t.native_id or 0 for t in threading.enumerate() if t.name.startswith("vtab-read") and t.is_alive()
    }


def test_a_connections_statements_reuse_its_read_threads(emulator: Any, seeded: Any) -> None:
    db = connect(emulator, max_workers=2)
    others = _read_threads()  # other connections' idle pools
    seen: set[int] = set()
    every = sorted(rows(db, WALK))
    for _ in range(4):
        cursor = db.execute(WALK)
        first = next(cursor)  # the statement runs: its scan's threads are alive
        seen |= _read_threads() - others
        assert sorted([first, *cursor]) == every
    assert 0 < len(seen) <= 2, f"4 statements ran on {len(seen)} threads, more than one pool of 2"


def test_a_connection_can_install_only_the_tables_it_reads(emulator: Any) -> None:
    connection, _ = connect_with_registry(
        ":memory:",
        tables={"logs_log_groups": "AWS::Logs::LogGroup"},
        endpoint_url=emulator.endpoint_url,
        regions="us-east-1",
    )
    modules = {str(name) for (name,) in connection.execute("SELECT name FROM pragma_module_list")}
    assert "logs_log_groups" in modules and "vtab_calls" in modules
    assert "integration_responses" not in modules and "eks_clusters" not in modules
    connection.close()


def test_tables_of_one_type_on_two_connections_share_their_columns(emulator: Any, seeded: Any) -> None:
    connections: list[tuple[apsw.Connection, Registry]] = []
    for _ in range(2):
        connection, registry = connect_with_registry(
            ":memory:", endpoint_url=emulator.endpoint_url, regions="us-east-1", **KNOWN_ACCOUNT
        )
        rows(connection, "SELECT api_id FROM apigatewayv2_apis WHERE region = 'us-east-1'")
        connections.append((connection, registry))  # kept open: a closed one's tables disconnect
    first, second = (next(iter(registry.tables)) for _, registry in connections)
    assert first is not second and first.columns is second.columns  # type: ignore[attr-defined]


def test_register_leaves_the_names_stackql_lacks_unbuilt(emulator: Any) -> None:
    """They name every catalog type (inflection's plurals) and only an unknown name's error needs them."""
    script = (
        "import sys, vtab\n"
        "from vtab.sqlite.install import ABSENT_STACKQL_NAMES\n"
        "vtab.connect(endpoint_url=sys.argv[1], regions='us-east-1')\n"
        "print('_names' in vars(ABSENT_STACKQL_NAMES))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script, emulator.endpoint_url], capture_output=True, text=True, check=True
    )
    assert ran.stdout.strip() == "False"


def test_the_sync_file_commits_without_waiting_for_the_disk(tmp_path: Path) -> None:
    """WAL's synchronous=NORMAL: commits stay atomic, none waits for an fsync under the store's lock."""
    store = Store(str(tmp_path / "sync.db"))
    try:
        assert store.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert store.db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    finally:
        store.close()
