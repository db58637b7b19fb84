"""What a lost worker's error says: the main-guard fix only where it can be the cause (workers started
afresh, each importing the script), never for forked workers, which import nothing."""

from __future__ import annotations

from vtab.sync.processes import WorkerLostError

GUARD = 'if __name__ == "__main__":'


def test_workers_that_never_started_afresh_are_told_the_guard_and_forked_ones_are_not() -> None:
    assert GUARD in str(WorkerLostError(started=False, forked=False))
    forked = str(WorkerLostError(started=False, forked=True))
    assert GUARD not in forked and "--resume" in forked
    assert GUARD not in str(WorkerLostError(started=True)) and "ended abruptly" in str(WorkerLostError())
