"""Which rows of a vtab sync file are one version of the estate, and which places it synced completely.

A sync file (docs/sync.md) holds a table per type, each row a resource keyed by (account_id, region,
_vtab_identifier) and stamped ``_vtab_synced_at``, and ``_vtab_sync``, one task per (account, region,
table) with its status. An ``append`` file holds several synced times. The version of a file *as of* a
time T is, per place (account, region, table), the rows of the place's latest synced time at or before T
(one sync stamps every row it writes with the same time). The task behind it is the place's latest task
started before the file's next synced time after T: a place is complete when that task is ``done``; a done
task started after the rows' own synced time means that later sync found no rows there. A table an
overwrite mode wrote keeps one version: a place a later sync did again has lost its earlier rows.
"""

from __future__ import annotations

import bisect
import datetime
import enum
import os
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import apsw

from vtab.catalog.columns import ACCOUNT_ID, REGION, quote

SYNC_TABLE = "_vtab_sync"
"""The sync's task table; every table whose name starts with ``_vtab`` is the sync's own, not resources."""

IDENTIFIER = "_vtab_identifier"
SYNCED_AT = "_vtab_synced_at"
ONE_VERSION_INDEX = "__vtab_key"
"""The suffix of the key index vtab sync gives a table written in an overwrite mode: one row per resource,
so the file holds only its latest version (an append table's index ends ``__vtab_history``)."""
KEY = (ACCOUNT_ID, REGION, IDENTIFIER)
"""A resource of a sync file: the Cloud Control identifier in its account and region."""

TASK_COLUMNS = (ACCOUNT_ID, REGION, "table_name", "status", "started_at", "error_code", "error_message")
"""The columns of ``_vtab_sync`` a diff reads."""


GLOBAL_REGION = "global"
"""The region of a global type's place (IAM, Route 53): one per account, whichever region a sync listed it
through (the first of its regions by name), so two syncs of other regions compare its resources once."""

NOT_STARTED = datetime.datetime.max.replace(tzinfo=datetime.UTC)
"""The start of a task not started yet (a pending one without started_at) whose run's start is not known:
after every synced time."""

APPEND_MODE = "append"
"""``_vtab_sync_runs.mode`` of a run that keeps every synced time (``vtab sync --mode append``)."""
RUNS_TABLE = "_vtab_sync_runs"
"""The sync's runs: a task not started yet counts from its run's start (``sync_id``, ``started_at``), so
the pending tasks of a run stopped and never resumed do not come after every later run's."""


class DiffError(apsw.SQLError):
    """A diff that cannot be made: a file that is missing or no sync file, a time it has not synced."""


class TaskStatus(enum.StrEnum):
    """A ``_vtab_sync`` task's status, as the sync writes it."""

    DONE = "done"
    FAILED = "failed"
    PENDING = "pending"


class Side(enum.IntEnum):
    """The two versions a diff compares."""

    OLD = 0
    NEW = 1


@dataclass(frozen=True, order=True)
class Place:
    """Where one task of a sync ran: a table in an account and region."""

    table: str
    account_id: str
    region: str

    def __str__(self) -> str:
        return f"{self.table} in {self.account_id}/{self.region}"


@dataclass(frozen=True)
class Task:
    """One ``_vtab_sync`` row."""

    place: Place
    status: str
    started_at: datetime.datetime
    error: str

    def why_incomplete(self) -> str | None:
        """None for a done task, else what went wrong (``failed: AccessDenied: ...``)."""
        if self.status == TaskStatus.DONE:
            return None
        return f"{self.status}{': ' + self.error if self.error else ''}"


def parse_time(text: str, where: str) -> datetime.datetime:
    """An ISO 8601 time (``2026-12-07T15:04:05.123Z``, or a date) as an aware UTC datetime; a naive one is
    UTC. ``where`` names the value in the error."""
    try:
        parsed = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise DiffError(
            f"{where}: {text!r} is not an ISO 8601 time; give one like 2026-12-07T15:04:05Z or 2026-12-07"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def time_text(when: datetime.datetime) -> str:
    """A time as messages show it: ISO 8601 UTC with a Z, to the second, with the fraction a file's stamp
    (milliseconds) or the user's time has, never padded to microseconds: ``2026-12-07T15:04:05Z``,
    ``2026-12-07T15:04:05.123Z``. Not cut to the second: given back as ``--from``/``--to`` (as of it, at or
    before), a time cut short would come before the sync it names and read the one before."""
    utc = when.astimezone(datetime.UTC)
    micro = utc.microsecond
    fraction = "" if not micro else f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
    return f"{utc:%Y-%m-%dT%H:%M:%S}{fraction}Z"


def read_only_uri(path: str) -> str:
    """A ``file:`` URI opening ``path`` read-only, whatever characters the path holds."""
    return "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"


@dataclass(eq=False)
class SyncFile:
    """A sync file ATTACHed read-only as ``schema`` to a diff's private connection: its resource tables
    and their columns, its tasks, and each place's synced times."""

    db: apsw.Connection
    path: str
    schema: str
    columns: dict[str, list[str]] = field(default_factory=dict)
    """Resource table -> its columns, in the file's order."""
    tasks: dict[Place, list[Task]] = field(default_factory=lambda: defaultdict(list))
    """Each place's tasks, oldest first."""
    stamps: dict[Place, list[tuple[datetime.datetime, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """Each place's synced times (parsed, and the text as stored), oldest first."""
    synced_times: list[datetime.datetime] = field(default_factory=list)
    """Every synced time of the tables read, oldest first."""
    task_run: str = "NULL"
    """The ``_vtab_sync`` column naming a task's run (``sync_id``), else NULL."""
    run_starts: dict[str, datetime.datetime] = field(default_factory=dict)
    """Each run's start (``_vtab_sync_runs``, when the file has it), by sync_id."""
    append_runs: set[str] = field(default_factory=set)
    """The runs in ``append`` mode: each is a synced time of the places it did, rows or none."""
    one_version: set[str] = field(default_factory=set)
    """Tables an overwrite mode wrote: a later sync's done task replaced the place's earlier rows."""

    @classmethod
    def attach(cls, db: apsw.Connection, path: str, schema: str) -> SyncFile:
        if not os.path.isfile(path):
            raise DiffError(f"{path}: no such file; give a file that vtab sync wrote")
        try:
            db.execute(f"ATTACH ? AS {schema}", (read_only_uri(path),))
            db.execute(f"SELECT count(*) FROM {schema}.sqlite_schema").fetchall()
        except apsw.NotADBError:
            raise DiffError(f"{path}: not a SQLite database; give a file that vtab sync wrote") from None
        except apsw.CantOpenError as error:
            raise DiffError(f"{path}: cannot be opened read-only ({error})") from None
        return cls(db, path, schema)

    def describe(self) -> None:
        """Check that it is a sync file, and read its tables, their columns and its runs. The diff reads
        this and everything after in one read transaction: a sync writing the file meanwhile (WAL) is not
        seen half-way, its rows replacing those of the versions the diff chose."""
        db, path, schema = self.db, self.path, self.schema
        names = [
            str(name)
            for (name,) in db.execute(
                f"SELECT name FROM {schema}.sqlite_schema WHERE type = 'table' ORDER BY name"
            )
        ]
        if SYNC_TABLE not in names:
            raise DiffError(
                f"{path}: not a vtab sync file (it has no {SYNC_TABLE} table); "
                "give a file that vtab sync wrote"
            )
        task_columns = set(self.table_columns(SYNC_TABLE))
        missing = [name for name in TASK_COLUMNS if name not in task_columns]
        if missing:
            raise DiffError(
                f"{path}: its {SYNC_TABLE} table has no column {', '.join(missing)}: not a vtab sync file"
            )
        for name in names:
            if name.startswith(("_vtab", "sqlite_")):
                continue
            columns = self.table_columns(name)
            if set(KEY) | {SYNCED_AT} <= set(columns):
                self.columns[name] = columns
        run_columns = set(self.table_columns(RUNS_TABLE)) if RUNS_TABLE in names else set()
        if {"sync_id", "started_at"} <= run_columns:
            mode = "mode" if "mode" in run_columns else "NULL"
            runs = db.execute(f"SELECT sync_id, started_at, {mode} FROM {schema}.{RUNS_TABLE}")
            for sync_id, started, run_mode in runs:
                where = f"{path}: {RUNS_TABLE}.started_at of {sync_id}"
                self.run_starts[str(sync_id)] = parse_time(str(started), where)
                if run_mode == APPEND_MODE:
                    self.append_runs.add(str(sync_id))
        if "sync_id" in task_columns:
            self.task_run = "sync_id"
        indexes = db.execute(f"SELECT name FROM {schema}.sqlite_schema WHERE type = 'index'")
        self.one_version = {
            str(index)[: -len(ONE_VERSION_INDEX)]
            for (index,) in indexes
            if str(index).endswith(ONE_VERSION_INDEX)
        }

    def table_columns(self, table: str) -> list[str]:
        return [str(row[1]) for row in self.db.execute(f"PRAGMA {self.schema}.table_info({quote(table)})")]

    def read(self, wanted: Callable[[str], bool], is_global: Callable[[str], bool]) -> None:
        """Read the tasks and synced times of the tables ``wanted`` takes; a global table's (``is_global``)
        places are one per account, in GLOBAL_REGION."""

        def place_of(table: str, account: object, region: object) -> Place:
            return Place(table, str(account), GLOBAL_REGION if is_global(table) else str(region))

        rows = self.db.execute(
            f"SELECT {', '.join(TASK_COLUMNS)}, {self.task_run} FROM {self.schema}.{SYNC_TABLE}"
        )
        done_runs: set[str] = set()
        for account, region, table, status, started, code, message, sync_id in rows:
            if not wanted(str(table)):
                continue
            if status == TaskStatus.DONE:
                done_runs.add(str(sync_id))
            place = place_of(str(table), account, region)
            where = f"{self.path}: {SYNC_TABLE}.started_at of {place}"
            if started is None:
                when = self.run_starts.get(str(sync_id), NOT_STARTED)
            else:
                when = parse_time(str(started), where)
            error = ": ".join(str(part) for part in (code, message) if part)
            self.tasks[place].append(Task(place, str(status), when, error))
        for table in sorted(filter(wanted, self.columns)):
            stamps = self.db.execute(
                f"SELECT DISTINCT {ACCOUNT_ID}, {REGION}, {SYNCED_AT} FROM {self.schema}.{quote(table)}"
            )
            for account, region, stamp in stamps:
                place = place_of(table, account, region)
                where = f"{self.path}: {table}.{SYNCED_AT} in {account}/{region}"
                self.stamps[place].append((parse_time(str(stamp), where), str(stamp)))
        for found in self.stamps.values():
            found.sort()
        for tasks in self.tasks.values():
            tasks.sort(key=lambda task: task.started_at)  # SQLite sorts a NULL (not started) first
        # An append run that found no rows in the tables read (every resource deleted) stamped none, yet
        # it is a synced time: its done tasks say those places were empty then.
        empty_runs = {self.run_starts[run] for run in done_runs & self.append_runs if run in self.run_starts}
        stamped = {when for found in self.stamps.values() for when, _ in found}
        self.synced_times = sorted(stamped | empty_runs)

    def times(self) -> list[datetime.datetime]:
        """Every synced time of the file's tables read, oldest first."""
        return self.synced_times


@dataclass(frozen=True)
class PlaceVersion:
    """A place in one version: the synced time whose rows are its resources (None: no rows), and why it
    is not complete (None when its task is done)."""

    stamp: str | None
    incomplete: str | None


def version_of(file: SyncFile, place: Place, as_of: datetime.datetime | None) -> PlaceVersion:
    """``place`` in ``file`` as of ``as_of`` (None: the latest), as the module docstring says."""
    times = file.times()
    later = len(times) if as_of is None else bisect.bisect_right(times, as_of)
    after = times[later] if later < len(times) else None
    tasks = [task for task in file.tasks.get(place, ()) if after is None or task.started_at < after]
    if not tasks:
        return PlaceVersion(None, "not synced (no task in _vtab_sync)")
    task = tasks[-1]
    replaced = after is not None and any(
        t.status == TaskStatus.DONE and t.started_at >= after for t in file.tasks[place]
    )
    if replaced and place.table in file.one_version:
        return PlaceVersion(
            None,
            f"rows replaced by a later sync (the file keeps one version of {place.table}: "
            "sync with --mode append to keep each synced time)",
        )
    stamps = [(when, text) for when, text in file.stamps.get(place, ()) if as_of is None or when <= as_of]
    stamp = None
    if stamps:
        when, text = stamps[-1]
        following = bisect.bisect_right(times, when)
        # a done task started at or after the next synced time belongs to a later sync that found no rows
        stamp = text if following == len(times) or task.started_at < times[following] else None
    return PlaceVersion(stamp, task.why_incomplete())
