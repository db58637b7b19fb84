"""A process exits though a statement over vtab was left open mid-scan (no hang at interpreter exit)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import time

    import apsw, vtab
    from vtab.emulator import Emulator

    emulator = Emulator().__enter__()
    db = apsw.Connection(":memory:")
    vtab.register(db, endpoint_url=emulator.endpoint_url, regions="us-east-1", rate_limit=None,
                  cache_ttl=0, max_workers=2, max_writes=1000)
    numbers = "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < {}) SELECT v FROM n"
    db.execute(f"INSERT INTO logs_log_groups (log_group_name) SELECT 'g' || v FROM ({numbers.format(80)})")
    db.execute(
        "INSERT INTO logs_log_streams (log_group_name, log_stream_name) SELECT 'g' || a.v, 's' || b.v "
        f"FROM ({numbers.format(80)}) a, ({numbers.format(5)}) b"
    )
    cursor = db.execute("SELECT * FROM logs_log_streams")
    print(next(cursor)[0], flush=True)
    # Exit with the statement open once the walk's workers wait for room in its queue of pages (4 pages
    # queued, one read, one held by each of the 2 workers).
    def listed():
        return sum(call.operation == "ListResources" and call.type_name == "AWS::Logs::LogStream"
                   for call in emulator.calls)
    while listed() < 6:  # a condition, polled: the endpoint has no event to wait on
        time.sleep(0.01)
    """
)


def test_a_process_with_a_scan_left_open_exits() -> None:
    """The workers of a scan nobody reads any more used to wait for room forever, and Python waits for
    them at exit: the process hung (the differential test's 900 s hang)."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", SCRIPT], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("g")
