"""Threads and objects that outlive a statement: the interpreter neither crashes nor hangs because of them.

Each case runs in a child interpreter, so a crash fails the test instead of killing pytest, and a hang
fails it at the timeout. Issue 16: the differential test's runs segfaulted in garbage collection at exit
(apsw defers freeing a cursor whose connection is busy in another thread, and CPython then drops a
reference to the cursor's Python class: scripts/repro_apsw_cursor_subclass_dealloc.py), and one hung for
900 s (a half-read statement kept its scan's worker blocked, and the interpreter joins workers at exit).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from vtab.emulator import Emulator

EXIT_TIMEOUT = 120
"""Seconds a child gets to finish; it needs two or three. Reaching it is the failure being tested."""

CURSORS_FREED_ELSEWHERE = """
import sys, threading
import apsw, vtab

connection = apsw.Connection(":memory:")
vtab.register(connection, endpoint_url=sys.argv[1], regions="us-east-1", rate_limit=None)
inside, release = threading.Event(), threading.Event()

def hold():
    inside.set()
    release.wait()
    return 1

connection.create_scalar_function("hold", hold)
cursors = [connection.cursor() for _ in range(50)]

def free_them():
    inside.wait()  # the main thread is inside the statement: the connection is busy
    cursors.clear()
    release.set()

thread = threading.Thread(target=free_them)
thread.start()
rows = connection.execute("SELECT hold(), log_group_name FROM logs_log_groups").fetchall()
thread.join()
print(len(rows), "rows", flush=True)
connection.close()  # frees the cursors apsw kept aside: with the bug, their class was freed already
"""

HALF_READ_AT_EXIT = """
import sys
import apsw, vtab

connection = apsw.Connection(":memory:")
vtab.register(connection, endpoint_url=sys.argv[1], regions="us-east-1", rate_limit=None, cache_ttl=0)
rows = connection.execute("SELECT log_group_name FROM logs_log_groups")
print(next(rows)[0], flush=True)
# leaves with `rows` referenced: its scan's worker is blocked handing the next pages to a full queue
"""


def run_child(script: str, emulator: Emulator) -> subprocess.CompletedProcess[str]:
    """``script`` in a child interpreter in development mode (its debug allocator makes a use of freed
    memory crash at once); a child still running after EXIT_TIMEOUT fails the test."""
    try:
        return subprocess.run(
            [sys.executable, "-X", "dev", "-c", script, emulator.endpoint_url],
            capture_output=True,
            text=True,
            timeout=EXIT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"the child interpreter had not exited after {EXIT_TIMEOUT} s: {expired.stdout!r}")


def test_cursors_freed_by_another_thread_while_a_statement_runs_do_not_crash(emulator: Emulator) -> None:
    emulator.seed_type("AWS::Logs::LogGroup", "us-east-1", count=2)
    child = run_child(CURSORS_FREED_ELSEWHERE, emulator)
    assert child.returncode == 0, child.stdout + child.stderr
    assert child.stdout == "2 rows\n"


def test_interpreter_exits_with_a_statement_read_in_part() -> None:
    with Emulator(page_size=1) as emulator:
        emulator.seed_type("AWS::Logs::LogGroup", "us-east-1", count=60)
        child = run_child(HALF_READ_AT_EXIT, emulator)
    assert child.returncode == 0, child.stdout + child.stderr
    assert child.stdout.strip()  # the one row read
