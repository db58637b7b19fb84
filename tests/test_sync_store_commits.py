"""Task writes that end while the sync file is busy are committed together (vtab/sync/store.py
``Store._together``), each still all or nothing: on a real sync file, with the file held busy by the test
while the tasks queue their writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import apsw

from vtab.sync.plan import SyncMode, Task, TaskStatus
from vtab.sync.store import Run, Store, TaskResult

ACCOUNT, REGION, AT = "111111111111", "us-east-1", "2026-12-07T11:00:00.000Z"
TASKS = [
    Task(ACCOUNT, REGION, f"logs_{name}", f"AWS::Logs::{name.title()}")
    for name in ("log_groups", "destinations", "metric_filters")
]
COLUMNS = [("name", "TEXT"), ("region", "TEXT"), ("account_id", "TEXT")]


def _write(store: Store, task: Task, mode: SyncMode) -> Callable[[], None]:
    result = TaskResult(TaskStatus.DONE, AT, AT, 0.1, rows=1)
    row = (f"{task.table_name}-1", REGION, ACCOUNT, f"{task.table_name}-1")
    return lambda: store.write("s1", task, COLUMNS, [row], mode, result, AT)


def _queued_while_busy(store: Store, writes: list[Callable[[], None]]) -> list[BaseException | None]:
    """Run ``writes`` on threads of their own while the test holds the file's lock, release it once all
    are queued, and give what each raised."""
    raised: list[BaseException | None] = [None] * len(writes)

    def run(index: int) -> None:
        try:
            writes[index]()
        except BaseException as error:
            raised[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(writes))]
    with store.lock:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(store._queue) < len(writes):  # a condition, not a wait for time to pass
            assert time.monotonic() < deadline, "the writes never queued"
            time.sleep(0.001)
    for thread in threads:
        thread.join(30)
    return raised


def _status(store: Store) -> dict[str, str]:
    return dict(store.db.execute("SELECT table_name, status FROM _vtab_sync").fetchall())


def test_writes_queued_while_the_file_is_busy_are_committed_in_one_transaction(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "sync.db"))
    try:
        store.begin(Run("s1", AT, None, SyncMode.OVERWRITE, "{}", ""), TASKS)
        commits: list[int] = []
        store.db.set_commit_hook(lambda: bool(commits.append(1)))
        raised = _queued_while_busy(store, [_write(store, task, SyncMode.OVERWRITE) for task in TASKS])
        assert raised == [None, None, None]
        assert len(commits) == 1
        assert _status(store) == {task.table_name: "done" for task in TASKS}
        for task in TASKS:
            assert store.db.execute(f"SELECT name FROM {task.table_name}").fetchall() == [
                (f"{task.table_name}-1",)
            ]
    finally:
        store.close()


def test_a_write_that_fails_in_a_batch_is_undone_alone_and_raised_in_its_own_task(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "sync.db"))
    try:
        store.begin(Run("s1", AT, None, SyncMode.OVERWRITE, "{}", ""), TASKS)
        first, second, third = TASKS
        result = TaskResult(TaskStatus.DONE, AT, AT, 0.1, rows=1)
        short_row = [("only-a-name",)]  # fewer values than the insert's columns: the file refuses it

        def broken() -> None:
            store.write("s1", first, COLUMNS, short_row, SyncMode.OVERWRITE, result, AT)

        raised = _queued_while_busy(
            store,
            [_write(store, second, SyncMode.OVERWRITE), broken, _write(store, third, SyncMode.OVERWRITE)],
        )
        assert raised[0] is None and raised[2] is None
        assert isinstance(raised[1], apsw.BindingsError)
        assert _status(store) == {
            first.table_name: "pending",
            second.table_name: "done",
            third.table_name: "done",
        }
        tables = {row[0] for row in store.db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
        assert first.table_name not in tables  # its CREATE was undone with its rows
        _write(store, first, SyncMode.OVERWRITE)()  # and is made again by its next write
        assert _status(store)[first.table_name] == "done"
    finally:
        store.close()


def test_a_write_alone_still_commits_at_once(tmp_path: Path) -> None:
    mode = SyncMode.OVERWRITE
    store = Store(str(tmp_path / "sync.db"))
    try:
        store.begin(Run("s1", AT, None, mode, "{}", ""), TASKS[:1])
        _write(store, TASKS[0], mode)()
        assert _status(store) == {TASKS[0].table_name: "done"}
        assert store.db.getautocommit()
    finally:
        store.close()
