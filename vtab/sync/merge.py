"""Shard files into OUT: each batch of them ATTACHed to OUT's connection (at most MERGE_BATCH at once, well
under the 125 databases apsw's SQLite attaches), then every task copied as the thread executor writes it
(store.py ``copy``: its rows, the mode's stale rows removed, its ``_vtab_sync`` row, in one transaction),
so OUT after a merge is the file the thread executor makes, and ``--resume`` works on it alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import apsw

from vtab.catalog.columns import quote
from vtab.sync.apart import ShardFile
from vtab.sync.plan import Task, TaskStatus
from vtab.sync.progress import Progress
from vtab.sync.store import IDENTIFIER_COLUMN, SYNCED_AT_COLUMN, TASKS_TABLE, Run, Store, TaskResult

MERGE_BATCH = 64
"""Shard files ATTACHed at once (SQLite's limit here is 125)."""

TASK_FIELDS = ("account_id", "region", "table_name", "type_name")
RESULT_FIELDS = tuple(name for name in TaskResult.__dataclass_fields__ if name != "status")
"""A shard file's ``_vtab_sync`` columns a merge reads: the Task's, its status, then the TaskResult's."""


def merge(store: Store, run: Run, files: Sequence[ShardFile], progress: Progress) -> int:
    """Every task of ``run`` in the shard files (on this machine: ``path``) into ``store``'s file; returns
    how many failed. A task its shard left pending (the shard stopped) stays pending in OUT."""
    failed = 0
    for start in range(0, len(files), MERGE_BATCH):
        schemas: list[str] = []
        try:
            for found in files[start : start + MERGE_BATCH]:
                schema = f"shard{len(schemas)}"
                store.db.execute(f"ATTACH ? AS {schema}", (found.path,))
                schemas.append(schema)
                progress.retries += found.retries
            for schema in schemas:
                failed += _merge_shard(store, run, schema, progress)
        finally:
            for schema in schemas:
                store.db.execute(f"DETACH {schema}")
    return failed


def _merge_shard(store: Store, run: Run, schema: str, progress: Progress) -> int:
    failed, sync_id = 0, run.sync_id
    names = ", ".join((*TASK_FIELDS, "status", *RESULT_FIELDS))
    cursor = store.db.execute(f"SELECT {names} FROM {schema}.{TASKS_TABLE} ORDER BY rowid")
    rows: list[tuple[Any, ...]] = [tuple(row) for row in cursor]
    for row in rows:
        task = Task(*(str(value) for value in row[: len(TASK_FIELDS)]))
        status = TaskStatus(row[len(TASK_FIELDS)])
        if status is TaskStatus.PENDING:
            continue
        result = TaskResult(status, **dict(zip(RESULT_FIELDS, row[len(TASK_FIELDS) + 1 :], strict=True)))
        if status is TaskStatus.DONE:
            try:
                columns, source = _columns(store, schema, task), _source(schema, task)
                store.copy(sync_id, task, columns, source, run.mode, result, run.started_at)
            except apsw.Error as error:  # e.g. OUT's table kept in the other mode: as the thread executor
                result.status, result.rows = TaskStatus.FAILED, 0
                result.error_code, result.error_message = type(error).__name__, str(error)
                store.record(sync_id, task, result)
        else:
            store.record(sync_id, task, result)
        failed += result.status is TaskStatus.FAILED
        progress.calls(result.calls, result.throttles)
        progress.finished(task, result)
    return failed


def _source(schema: str, task: Task) -> str:
    return f"{schema}.{quote(task.table_name)}"


def _columns(store: Store, schema: str, task: Task) -> list[tuple[str, str]]:
    """The task table's live columns (name, declared type) as the shard file declares them."""
    info = store.db.execute(f"PRAGMA {schema}.table_info({quote(task.table_name)})").fetchall()
    kept = {IDENTIFIER_COLUMN, SYNCED_AT_COLUMN}
    return [(str(row[1]), str(row[2] or "")) for row in info if row[1] not in kept]
