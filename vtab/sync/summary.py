"""What a sync did, from its ``_vtab_sync`` rows: the object ``vtab.sync()`` returns and the JSONL line
``--summary FILE`` appends (CloudQuery's field names where they fit: resources, errors,
resources_per_table, errors_per_table, durations_per_table_ms, sync_id)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from vtab.sync.plan import OnError, SyncMode, TaskStatus


@dataclass
class SyncSummary:
    """One sync (a resumed run's summary covers the tasks of both parts)."""

    sync_id: str
    path: str
    mode: SyncMode
    started_at: str
    finished_at: str
    tasks: int = 0
    tasks_done: int = 0
    tasks_failed: int = 0
    tasks_pending: int = 0
    resources: int = 0
    calls: int = 0
    pages: int = 0
    throttles: int = 0
    retries: int = 0
    resources_per_table: dict[str, int] = field(default_factory=dict)
    errors_per_table: dict[str, int] = field(default_factory=dict)
    durations_per_table_ms: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    """The failed tasks: account_id, region, table_name, error_code, error_message."""
    on_error: OnError = OnError.SKIP
    """What the run did after a failure (a resume's: given, else the run's)."""

    @property
    def errors(self) -> int:
        return self.tasks_failed

    @property
    def complete(self) -> bool:
        """Every task done: the file holds the whole estate the sync was asked for."""
        return self.tasks_done == self.tasks

    @classmethod
    def of(
        cls,
        sync_id: str,
        path: str,
        mode: SyncMode,
        started_at: str,
        finished_at: str,
        rows: list[dict[str, Any]],
        retries: int,
        on_error: OnError = OnError.SKIP,
        account_names: Mapping[str, str] | None = None,
    ) -> SyncSummary:
        """``account_names``: each account's name, for the failures (``account_name``; None unknown)."""
        summary = cls(
            sync_id, path, mode, started_at, finished_at, tasks=len(rows), retries=retries, on_error=on_error
        )
        resources: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        durations: Counter[str] = Counter()
        for row in rows:
            table = row["table_name"]
            status = TaskStatus(row["status"])
            summary.calls += row["calls"] or 0
            summary.pages += row["pages"] or 0
            summary.throttles += row["throttles"] or 0
            durations[table] += round((row["seconds"] or 0) * 1000)
            if status is TaskStatus.DONE:
                summary.tasks_done += 1
                resources[table] += row["rows"] or 0
            elif status is TaskStatus.FAILED:
                summary.tasks_failed += 1
                errors[table] += 1
                failure = {
                    key: row[key]
                    for key in ("account_id", "region", "table_name", "error_code", "error_message")
                }
                failure["account_name"] = (account_names or {}).get(str(row["account_id"]))
                summary.failures.append(failure)
            else:
                summary.tasks_pending += 1
        summary.resources = sum(resources.values())
        summary.resources_per_table = dict(sorted(resources.items()))
        summary.errors_per_table = dict(sorted(errors.items()))
        summary.durations_per_table_ms = dict(sorted(durations.items()))
        return summary

    def record(self) -> dict[str, Any]:
        """The JSONL object: CloudQuery's names first, then vtab's own."""
        return {
            "sync_id": self.sync_id,
            "resources": self.resources,
            "errors": self.errors,
            "resources_per_table": self.resources_per_table,
            "errors_per_table": self.errors_per_table,
            "durations_per_table_ms": self.durations_per_table_ms,
            "sync_time": self.started_at,
            "finished_at": self.finished_at,
            "destination": self.path,
            "mode": self.mode.value,
            "on_error": self.on_error.value,
            "tasks": self.tasks,
            "tasks_done": self.tasks_done,
            "tasks_failed": self.tasks_failed,
            "tasks_pending": self.tasks_pending,
            "complete": self.complete,
            "calls": self.calls,
            "pages": self.pages,
            "throttles": self.throttles,
            "retries": self.retries,
            "failures": self.failures,
        }

    def append_to(self, path: str) -> None:
        with open(path, "ab") as out:
            out.write(orjson.dumps(self.record()) + b"\n")

    def text(self) -> str:
        """One line for stderr: ``OUT.db: 40/40 tasks done, 310 rows, 52 calls``."""
        line = f"{self.path}: {self.tasks_done}/{self.tasks} tasks done, {self.resources} rows"
        line += f", {self.calls} calls"
        if self.tasks_failed:
            line += f", {self.tasks_failed} failed"
        if self.tasks_pending:
            line += f", {self.tasks_pending} not run (vtab sync {self.path} --resume runs them)"
        return line
