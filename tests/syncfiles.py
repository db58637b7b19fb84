"""Sync files written with plain SQL, in vtab sync's file contract (docs/sync.md), for the diff tests.

One call of ``write_sync`` is one sync run: each resource table gets its rows stamped ``synced_at``, and
``_vtab_sync`` a task per (account, region, table) the run covered. Calling it again on the same file is
an ``append`` sync (history); a table whose columns grew gets them added (a schema change).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import apsw

ACCOUNT = "111111111111"
REGION = "us-east-1"

TASK_DDL = (
    "CREATE TABLE IF NOT EXISTS _vtab_sync(account_id TEXT, region TEXT, table_name TEXT, type_name TEXT, "
    "status TEXT, pages INTEGER, rows INTEGER, calls INTEGER, seconds REAL, error_code TEXT, "
    "error_message TEXT, sync_id TEXT, started_at TEXT, finished_at TEXT)"
)

Place = tuple[str, str, str]
"""(table, account_id, region)."""


def stamp(when: datetime.datetime) -> str:
    """vtab sync's time format: ISO 8601 UTC with milliseconds and a Z."""
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def resource(
    identifier: str, account: str = ACCOUNT, region: str = REGION, **properties: Any
) -> dict[str, Any]:
    """A synced row: its key, and its properties (dicts and lists become JSON text)."""
    return {"_vtab_identifier": identifier, "account_id": account, "region": region, **properties}


def write_sync(
    path: Path,
    synced_at: str,
    resources: Mapping[str, Sequence[dict[str, Any]]],
    statuses: Mapping[Place, str] | None = None,
    empty_places: Sequence[Place] = (),
) -> None:
    """One sync run into ``path``: rows of ``resources`` (table -> rows) stamped ``synced_at`` and a task
    per place, ``done`` unless ``statuses`` says otherwise (a failed or pending task writes no rows, as a
    sync's one transaction per task leaves it); ``empty_places`` are done tasks that found nothing."""
    statuses = dict(statuses or {})
    start = datetime.datetime.fromisoformat(synced_at)
    db = apsw.Connection(str(path))
    with db:
        db.execute(TASK_DDL)
        places: dict[Place, int] = {place: 0 for place in empty_places}
        for table, rows in resources.items():
            columns = list(dict.fromkeys(name for row in rows for name in row))
            _ensure_table(db, table, columns)
            for row in rows:
                place = (table, row["account_id"], row["region"])
                places.setdefault(place, 0)
                if statuses.get(place, "done") != "done":
                    continue
                places[place] += 1
                cells = {name: _cell(value) for name, value in row.items()} | {"_vtab_synced_at": synced_at}
                names = ", ".join(f'"{name}"' for name in cells)
                db.execute(
                    f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(cells))})',
                    tuple(cells.values()),
                )
        places.update({place: 0 for place in statuses if place not in places})
        for number, ((table, account, region), count) in enumerate(sorted(places.items())):
            status = statuses.get((table, account, region), "done")
            started = stamp(start + datetime.timedelta(milliseconds=number + 1))
            error = ("AccessDenied", "not authorized to list") if status == "failed" else (None, None)
            db.execute(
                "INSERT INTO _vtab_sync VALUES (?, ?, ?, ?, ?, 1, ?, 1, 0.1, ?, ?, ?, ?, ?)",
                (
                    account,
                    region,
                    table,
                    f"AWS::Test::{table}",
                    status,
                    count,
                    *error,
                    synced_at,
                    started,
                    started,
                ),
            )
    db.close()


def _ensure_table(db: apsw.Connection, table: str, columns: list[str]) -> None:
    own = ["region", "account_id", "_vtab_identifier", "_vtab_synced_at"]
    present = [str(row[1]) for row in db.execute(f'PRAGMA table_info("{table}")')]
    if not present:
        properties = [name for name in columns if name not in own]
        quoted = ", ".join(f'"{name}"' for name in [*properties, *own])
        db.execute(f'CREATE TABLE "{table}" ({quoted})')
        return
    for name in columns:
        if name not in present:
            db.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}"')


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def file_rows(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """``sql``'s rows from the file at ``path``, opened read-only as any sqlite3 client would."""
    db = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return [tuple(row) for row in db.execute(sql, params)]
    finally:
        db.close()


def assert_same_resources(path: Path, expected: Path) -> None:
    """Every table ``expected``'s tasks wrote holds row for row the same resources in ``path`` (each row
    but its ``_vtab_synced_at``, the last column: the runs' times differ)."""
    for table in {row[0] for row in file_rows(expected, "SELECT table_name FROM _vtab_sync")}:
        query = f"SELECT * FROM {table} ORDER BY account_id, region, _vtab_identifier"
        assert [row[:-1] for row in file_rows(path, query)] == [
            row[:-1] for row in file_rows(expected, query)
        ], table


TIMING = {"_vtab_synced_at", "sync_id", "seconds", "started_at", "finished_at"}
"""Columns that differ between any two syncs of the same estate (when, and which run)."""


def file_content(path: Path, without_account: str = "") -> dict[str, Any]:
    """Every table and index of the file, and each table's rows (sorted) without the timing columns (and
    without ``without_account``'s rows of _vtab_sync): what two executors' files of one estate share."""
    schema = file_rows(path, "SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
    found: dict[str, Any] = {"schema": schema}
    for kind, name, _ in schema:
        if kind != "table" or name == "_vtab_sync_runs":  # one row per run: its id and times only
            continue
        columns = [row[1] for row in file_rows(path, f'PRAGMA table_info("{name}")') if row[1] not in TIMING]
        listed = ", ".join(f'"{column}"' for column in columns)
        rows = file_rows(path, f'SELECT {listed} FROM "{name}"')
        if name == "_vtab_sync":
            rows = [row for row in rows if not without_account or without_account not in row]
        found[name] = sorted((tuple(_no_request_id(value) for value in row) for row in rows), key=repr)
    return found


def _no_request_id(value: Any) -> Any:
    """An error message without its request id (a new one every call)."""
    return re.sub(r"\(request id [^)]*\)", "(request id)", value) if isinstance(value, str) else value
