"""A task's ``_vtab_sync`` row counts every attempt of it: a task that failed, then ran again under
``--resume``, keeps the calls, pages and seconds of both runs, as its ``attempts`` and ``throttles`` do, so
a resumed run's summary counts the calls of both its parts."""

from __future__ import annotations

from pathlib import Path

from tests.syncfiles import file_rows
from vtab.emulator import Emulator
from vtab.sync import sync

LOG_GROUP = "AWS::Logs::LogGroup"
REFUSED = "SELECT attempts, calls, seconds FROM _vtab_sync WHERE region = 'eu-west-1'"


def test_a_task_failed_then_resumed_counts_the_calls_of_both_runs(emulator: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "estate.db"
    options = {"endpoint_url": emulator.endpoint_url}
    emulator.refuse_type(LOG_GROUP, "eu-west-1")
    first = sync(str(out), tables="logs_log_groups", regions="us-east-1,eu-west-1", **options)
    assert first.tasks_failed == 1
    [(attempts, calls, _)] = file_rows(out, REFUSED)
    assert (attempts, calls) == (1, 1)
    emulator.clear_calls()
    resumed = sync(str(out), resume=True, **options)  # the refused task alone runs again, and fails again
    assert resumed.tasks_failed == 1
    sent = len(emulator.calls)
    [(attempts_after, calls_after, _)] = file_rows(out, REFUSED)
    assert attempts_after == 2
    assert calls_after == calls + sent, (calls, sent, calls_after)
    assert resumed.calls == first.calls + sent
