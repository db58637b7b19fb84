"""The sync's progress counters and their plain display (into a pipe or a log), without calls."""

from __future__ import annotations

import io
import re

from vtab.sync.plan import Task, TaskStatus
from vtab.sync.progress import Progress
from vtab.sync.store import TaskResult


def result(status: TaskStatus, rows: int = 0) -> TaskResult:
    return TaskResult(status, "2026-12-07T15:04:05.123Z", "2026-12-07T15:04:05.200Z", 0.1, rows=rows)


def test_a_plain_line_per_tenth_of_the_tasks_with_the_slowest_running_one() -> None:
    out = io.StringIO()
    progress = Progress(25, out)
    tasks = [Task("111111111111", "us-east-1", f"t{i}", f"AWS::T::{i}") for i in range(25)]
    for task in tasks:
        progress.started(task)
    progress.calls(30, 2)
    for task in tasks[:24]:
        progress.finished(task, result(TaskStatus.DONE if task.table_name != "t3" else TaskStatus.FAILED, 2))
    lines = out.getvalue().splitlines()
    assert [re.match(r"sync: (\d+)/25 tasks", line)[1] for line in lines] == [  # type: ignore[index]
        "3",
        "5",
        "8",
        "10",
        "13",
        "15",
        "18",
        "20",
        "23",
    ]
    assert "(1 failed), 44 rows" in lines[-1] and "2 throttles" in lines[-1]
    assert re.search(r"; slowest: t23 111111111111 us-east-1 \d+s$", lines[-1])  # the longest running
    progress.finished(tasks[24], result(TaskStatus.DONE))
    assert out.getvalue().splitlines()[-1].startswith("sync: 25/25 tasks (1 failed), 46 rows")
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()  # plain: no control characters


def test_nothing_is_written_without_a_stream() -> None:
    progress = Progress(2, None)
    task = Task("111111111111", "us-east-1", "t", "AWS::T::T")
    progress.started(task)
    progress.finished(task, result(TaskStatus.DONE, 3))
    assert (progress.done, progress.rows) == (1, 3)
