"""The sync's output file: a plain SQLite database any sqlite3 client reads, even while the sync runs.

It is in WAL mode, and each task's rows are written in one transaction, so a reader always sees whole
tasks. One table per synced type, with the live table's visible columns (same order and types), then
``_vtab_identifier`` (the Cloud Control identifier) and ``_vtab_synced_at`` (the start of the run that
wrote the row, ISO 8601 UTC: one time per run, a resumed run's included, so that a time names one version
of the estate, which ``vtab diff`` compares; each task's own start is in ``_vtab_sync``). ``_vtab_sync``
holds a row per task of every run, ``_vtab_sync_runs`` a row per run. The store is shared by the sync's
threads: one connection, its writes under a lock (SQLite has one writer anyway).
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import apsw

from vtab.catalog import load_catalog
from vtab.catalog.columns import quote
from vtab.catalog.schema import Scope
from vtab.options import OptionError
from vtab.sync.plan import SyncMode, Task, TaskStatus

IDENTIFIER_COLUMN = "_vtab_identifier"
SYNCED_AT_COLUMN = "_vtab_synced_at"
TASKS_TABLE = "_vtab_sync"
RUNS_TABLE = "_vtab_sync_runs"
ACCOUNTS_TABLE = "_vtab_accounts"
ACCOUNT_COLUMNS = ("account_id", "name", "email", "status", "ou_path", "ou_id", "joined_at")
"""What the file keeps of each account a run reads (vtab_accounts' first columns: all but the connection's
own tries), so that plain sqlite3 can name the accounts of the rows."""
BUSY_TIMEOUT_MS = 60_000
"""How long a write waits for another writer of the file (a reader never blocks it: WAL)."""

TASK_COLUMNS = (
    "sync_id",
    "account_id",
    "region",
    "table_name",
    "type_name",
    "status",
    "pages",
    "rows",
    "calls",
    "seconds",
    "error_code",
    "error_message",
    "started_at",
    "finished_at",
    "attempts",
    "throttles",
)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {RUNS_TABLE} (
    sync_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    mode TEXT NOT NULL,
    settings TEXT NOT NULL,
    credentials TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS {TASKS_TABLE} (
    sync_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    table_name TEXT NOT NULL,
    type_name TEXT NOT NULL,
    status TEXT NOT NULL,
    pages INTEGER,
    rows INTEGER,
    calls INTEGER,
    seconds REAL,
    error_code TEXT,
    error_message TEXT,
    started_at TEXT,
    finished_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    throttles INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sync_id, account_id, region, table_name)
);
"""


@dataclass(frozen=True)
class Run:
    """A row of ``_vtab_sync_runs``: one sync (a ``--resume`` continues it)."""

    sync_id: str
    started_at: str
    finished_at: str | None
    mode: SyncMode
    settings: str
    """JSON of the settings a resume reuses (mode, on_error, tables) and its account options, which a
    resume must give alike (vtab.sync.resume: external_id a digest only)."""
    credentials: str
    """A digest of the credential options (which accounts, as whom): a resume must give the same."""


@dataclass
class TaskResult:
    """What one task did, for its ``_vtab_sync`` row."""

    status: TaskStatus
    started_at: str
    finished_at: str
    seconds: float
    pages: int = 0
    rows: int = 0
    calls: int = 0
    attempts: int = 1
    throttles: int = 0
    error_code: str | None = None
    error_message: str | None = None


def _is_global(type_name: str) -> bool:
    """A type listed once per partition (IAM): its resources are the same whichever region lists them."""
    try:
        return load_catalog().entry(type_name).scope is Scope.GLOBAL
    except KeyError:
        return False


def _one_writer(path: str) -> BinaryIO | None:
    """The file opened and locked for this sync alone (an advisory lock, gone with the process), or None
    when another sync holds it. Two syncs at once would remove each other's rows as stale, and leave
    places whose rows are older than their last done task, which ``vtab diff`` then reads as emptied."""
    handle = open(path, "rb")  # noqa: SIM115 (held open, closed by Store.close)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    except OSError:  # a filesystem without locks (some network ones): the sync runs unguarded, as before
        pass
    return handle


def no_sync_to_resume(path: str) -> str:
    """Why ``--resume`` cannot start: ``path`` holds no sync at all (a sync whose every task is done is
    vtab.sync.resume.NothingToResume, another case)."""
    return f"{path} holds no sync to resume; run vtab sync {path} without --resume"


class SyncModeError(apsw.SQLError):
    """A table of the file was written in another mode (append history vs overwrite)."""


class SyncTableError(apsw.SQLError):
    """A table of the file under a synced name was not made by a sync (a user's own): never written."""


@dataclass
class _Write:
    """One task's writes, waiting to be committed with others (``Store._together``)."""

    apply: Callable[[], None]
    table_name: str
    done: bool = False
    error: BaseException | None = None


class Store:
    """The output file, opened for the sync's threads."""

    def __init__(self, path: str, *, resume: bool = False) -> None:
        """``resume``: the file must hold a sync already, and is not touched (nor made) when it does not."""
        self.path = path
        flags = apsw.SQLITE_OPEN_READWRITE | (0 if resume else apsw.SQLITE_OPEN_CREATE)
        try:
            self.db = apsw.Connection(path, flags=flags)
            self.db.setbusytimeout(BUSY_TIMEOUT_MS)
            holds_sync = self.db.execute(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (RUNS_TABLE,)
            ).fetchone()
        except (apsw.NotADBError, apsw.CantOpenError) as error:
            if resume and isinstance(error, apsw.CantOpenError):
                raise OptionError(no_sync_to_resume(path)) from None
            raise OptionError(
                f"{path} cannot be a sync file ({error}): give vtab sync a new file or one it wrote"
            ) from None
        if resume and not holds_sync:
            self.db.close()
            raise OptionError(no_sync_to_resume(path))
        writer = _one_writer(path)
        if writer is None:
            self.db.close()
            raise OptionError(
                f"another vtab sync is writing {path}: wait for it to end (or --resume it once it has), "
                "or sync into another file"
            )
        self._writer = writer
        self.db.execute("PRAGMA journal_mode = WAL")
        # A commit per task, each under the lock every task thread waits on: FULL would fsync each one
        # (1.5 ms of wall here, 1,200 in a row at 20 accounts x 2 regions). NORMAL keeps WAL's atomic
        # commits; a power cut (not a crash of the process) may undo the last tasks, left pending.
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.lock = threading.Lock()
        """Held while the file is written (a transaction of task writes, a record, the run's rows)."""
        self._queue: list[_Write] = []
        """Task writes waiting for the lock (``_together``)."""
        self._queue_lock = threading.Lock()
        self._tables: set[str] = set()
        with self.lock, self.db:
            self.db.execute(SCHEMA)

    def close(self) -> None:
        self.db.close()
        self._writer.close()

    # -- runs ---------------------------------------------------------------------------------------

    def last_run(self) -> Run | None:
        row = self.db.execute(
            f"SELECT sync_id, started_at, finished_at, mode, settings, credentials FROM {RUNS_TABLE} "
            "ORDER BY started_at DESC, rowid DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        sync_id, started, finished, mode, settings, credentials = (
            str(v) if v is not None else None for v in row
        )
        assert sync_id and started and mode and settings is not None and credentials is not None
        return Run(sync_id, started, finished, SyncMode(mode), settings, credentials)

    def begin(self, run: Run, tasks: Sequence[Task], accounts: Sequence[Sequence[Any]] = ()) -> None:
        """Record a new run and every task of it as pending, and the accounts it reads (rows of
        ACCOUNT_COLUMNS, replacing the last run's), in one transaction."""
        with self.lock, self.db:
            # account_id TEXT, as in the resource tables: account_id = 123456789012 unquoted finds it
            columns = ", ".join(ACCOUNT_COLUMNS)
            declared = ", ".join(f"{c} TEXT" if c == "account_id" else c for c in ACCOUNT_COLUMNS)
            self.db.execute(
                f"CREATE TABLE IF NOT EXISTS {ACCOUNTS_TABLE} ({declared}, PRIMARY KEY (account_id))"
            )
            present = {str(row[1]) for row in self.db.execute(f"PRAGMA table_info({ACCOUNTS_TABLE})")}
            for column in ACCOUNT_COLUMNS:
                if column not in present:  # a file an older vtab began
                    self.db.execute(f"ALTER TABLE {ACCOUNTS_TABLE} ADD COLUMN {column}")
            self.db.execute(f"DELETE FROM {ACCOUNTS_TABLE}")
            self.db.executemany(
                f"INSERT INTO {ACCOUNTS_TABLE} ({columns}) VALUES ({', '.join('?' * len(ACCOUNT_COLUMNS))})",
                accounts,
            )
            self.db.execute(
                f"INSERT INTO {RUNS_TABLE} VALUES (?, ?, NULL, ?, ?, ?)",
                (run.sync_id, run.started_at, run.mode.value, run.settings, run.credentials),
            )
            self.db.executemany(
                f"INSERT INTO {TASKS_TABLE} (sync_id, account_id, region, table_name, type_name, status) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (run.sync_id, t.account_id, t.region, t.table_name, t.type_name, TaskStatus.PENDING.value)
                    for t in tasks
                ],
            )

    def unfinished(self, sync_id: str) -> list[Task]:
        """The run's tasks not done (pending or failed), in the order they were recorded; a resume runs
        them again, so they are pending once more."""
        rows = self.db.execute(
            f"SELECT account_id, region, table_name, type_name FROM {TASKS_TABLE} "
            "WHERE sync_id = ? AND status <> ? ORDER BY rowid",
            (sync_id, TaskStatus.DONE.value),
        ).fetchall()
        with self.lock, self.db:
            self.db.execute(
                f"UPDATE {TASKS_TABLE} SET status = ?, error_code = NULL, error_message = NULL "
                "WHERE sync_id = ? AND status <> ?",
                (TaskStatus.PENDING.value, sync_id, TaskStatus.DONE.value),
            )
            self.db.execute(f"UPDATE {RUNS_TABLE} SET finished_at = NULL WHERE sync_id = ?", (sync_id,))
        return [Task(*(str(value) for value in row)) for row in rows]

    def settle(self, sync_id: str, settings: str) -> None:
        """Keep a run's settings (JSON) as a resume changed them (its ``on_error``)."""
        with self.lock, self.db:
            self.db.execute(f"UPDATE {RUNS_TABLE} SET settings = ? WHERE sync_id = ?", (settings, sync_id))

    def finish(self, sync_id: str, finished_at: str) -> None:
        with self.lock, self.db:
            self.db.execute(
                f"UPDATE {RUNS_TABLE} SET finished_at = ? WHERE sync_id = ?", (finished_at, sync_id)
            )

    def account_names(self) -> dict[str, str]:
        """Each account's name as the last run's discovery gave it (none for an account without one, or a
        file from before the accounts table)."""
        try:
            found = self.db.execute(f"SELECT account_id, name FROM {ACCOUNTS_TABLE} WHERE name != ''")
            return {str(account): str(name) for account, name in found}
        except apsw.SQLError:  # no such table
            return {}

    def task_rows(self, sync_id: str) -> list[dict[str, Any]]:
        cursor = self.db.execute(
            f"SELECT {', '.join(TASK_COLUMNS)} FROM {TASKS_TABLE} WHERE sync_id = ? ORDER BY rowid",
            (sync_id,),
        )
        return [dict(zip(TASK_COLUMNS, row, strict=True)) for row in cursor]

    # -- tasks --------------------------------------------------------------------------------------

    def write(
        self,
        sync_id: str,
        task: Task,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Sequence[Any]],
        mode: SyncMode,
        result: TaskResult,
        synced_at: str,
    ) -> None:
        """The task's rows and its ``done`` row, in one transaction. ``columns`` are the live table's
        visible ones (name, declared type); each row is their values, then the identifier. ``synced_at`` is
        the run's start."""
        names = [name for name, _ in columns] + [IDENTIFIER_COLUMN, SYNCED_AT_COLUMN]
        insert = (
            f"INSERT OR REPLACE INTO {quote(task.table_name)} ({', '.join(quote(name) for name in names)}) "
            f"VALUES ({', '.join('?' * len(names))})"
        )
        stamped = [(*row, synced_at) for row in rows]
        self._replace(
            sync_id, task, columns, mode, result, synced_at, lambda: self.db.executemany(insert, stamped)
        )

    def copy(
        self,
        sync_id: str,
        task: Task,
        columns: Sequence[tuple[str, str]],
        source: str,
        mode: SyncMode,
        result: TaskResult,
        synced_at: str,
    ) -> None:
        """What ``write`` does, with the rows read from ``source`` (``schema.table`` of a shard file
        ATTACHed to this connection, which holds exactly the task's rows, stamped: vtab/sync/merge.py)."""
        every = [name for name, _ in columns] + [IDENTIFIER_COLUMN, SYNCED_AT_COLUMN]
        names = ", ".join(quote(name) for name in every)
        insert = (
            f"INSERT OR REPLACE INTO main.{quote(task.table_name)} ({names}) SELECT {names} FROM {source}"
        )
        # BEGIN IMMEDIATE would lock every ATTACHed shard file as well (with 64 attached, 3x slower); the
        # merge is the file's one writer, so a deferred BEGIN locks main alone when it first writes
        self._replace(
            sync_id, task, columns, mode, result, synced_at, lambda: self.db.execute(insert), "BEGIN"
        )

    def _replace(
        self,
        sync_id: str,
        task: Task,
        columns: Sequence[tuple[str, str]],
        mode: SyncMode,
        result: TaskResult,
        synced_at: str,
        insert: Callable[[], object],
        begin: str = "BEGIN IMMEDIATE",
    ) -> None:
        """The task's rows (``insert``, stamped ``synced_at``), its stale rows (stamped otherwise) removed
        under the mode, and its ``done`` row, all or nothing: committed with the writes of the tasks that
        ended meanwhile (``_together``)."""
        table = quote(task.table_name)

        def apply() -> None:
            self._table(task.table_name, columns, mode)
            insert()
            if mode is SyncMode.OVERWRITE_DELETE_STALE:
                # a global type's rows carry the region it was listed through: an earlier sync's, listed
                # through another region, are the same resources, stale in whichever region they carry
                place, values = "account_id = ?", [task.account_id]
                if not _is_global(task.type_name):
                    place, values = f"{place} AND region = ?", [*values, task.region]
                self.db.execute(
                    f"DELETE FROM {table} WHERE {place} AND {SYNCED_AT_COLUMN} <> ?", (*values, synced_at)
                )
            self._record(sync_id, task, result)

        self._together(_Write(apply, task.table_name), begin)

    def _together(self, write: _Write, begin: str) -> None:
        """Commit ``write`` with every write queued while the file was busy: the first task to get the lock
        writes them all in one transaction, each in a savepoint of its own (a write that fails is undone
        alone and raised in its own task); the others find theirs done. One transaction per task held
        the lock 2.6 ms a task under the GIL, and tasks ending faster than that queued up (54 at once at
        20 accounts x 2 regions), each a task done but not in the file, lost if the sync is killed."""
        with self._queue_lock:
            self._queue.append(write)
        with self.lock:
            if not write.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch, begin)
        if write.error is not None:
            raise write.error

    def _commit(self, batch: list[_Write], begin: str) -> None:
        self.db.execute(begin)
        try:
            for write in batch:
                self.db.execute("SAVEPOINT task")
                try:
                    write.apply()
                except Exception as error:
                    self.db.execute("ROLLBACK TO task")
                    self._tables.discard(write.table_name)  # its CREATE, if it made one, is undone too
                    write.error = error
                self.db.execute("RELEASE task")
            self.db.execute("COMMIT")
        except BaseException as error:
            if not self.db.getautocommit():
                self.db.execute("ROLLBACK")
            for write in batch:
                self._tables.discard(write.table_name)
                write.error = write.error or error
            raise
        finally:
            for write in batch:
                write.done = True

    def record(self, sync_id: str, task: Task, result: TaskResult) -> None:
        """A task's row alone (a failed task writes no rows)."""
        with self.lock, self.db:
            self._record(sync_id, task, result)

    def _record(self, sync_id: str, task: Task, result: TaskResult) -> None:
        """The task's row: its status, rows and times this attempt's; its pages, calls, seconds, attempts
        and throttles those of every attempt (a task failed, then run again by a resume, made both)."""
        self.db.execute(
            f"UPDATE {TASKS_TABLE} SET status = ?, pages = coalesce(pages, 0) + ?, rows = ?, "
            "calls = coalesce(calls, 0) + ?, seconds = round(coalesce(seconds, 0) + ?, 3), "
            "error_code = ?, error_message = ?, started_at = ?, finished_at = ?, attempts = attempts + ?, "
            "throttles = throttles + ? "
            "WHERE sync_id = ? AND account_id = ? AND region = ? AND table_name = ?",
            (
                result.status.value,
                result.pages,
                result.rows,
                result.calls,
                round(result.seconds, 3),
                result.error_code,
                result.error_message,
                result.started_at,
                result.finished_at,
                result.attempts,
                result.throttles,
                sync_id,
                task.account_id,
                task.region,
                task.table_name,
            ),
        )

    def _table(self, name: str, columns: Sequence[tuple[str, str]], mode: SyncMode) -> None:
        """Create the type's table and its key index once (inside the caller's transaction); add columns
        a newer vtab knows; refuse a table whose key belongs to the other kind of mode."""
        if name in self._tables:
            return
        table = quote(name)
        declared = [f"{quote(column)} {kind}".rstrip() for column, kind in columns]
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {table} ("
            f"{', '.join(declared)}, {IDENTIFIER_COLUMN} TEXT, {SYNCED_AT_COLUMN} TEXT)"
        )
        present = {str(row[1]) for row in self.db.execute(f"PRAGMA table_info({table})")}
        if not {IDENTIFIER_COLUMN, SYNCED_AT_COLUMN} <= present:  # checked before any ALTER changes it
            raise SyncTableError(
                f"table {name} of {self.path} was not made by vtab sync (it has no {IDENTIFIER_COLUMN} and "
                f"{SYNCED_AT_COLUMN} columns), and a sync never writes into a table of yours: sync into "
                f"another file, or rename your table"
            )
        for column, kind in columns:
            if column not in present:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {quote(column)} {kind}".rstrip())
        history = mode is SyncMode.APPEND
        key = quote(f"{name}{'__vtab_history' if history else '__vtab_key'}")
        other = f"{name}{'__vtab_key' if history else '__vtab_history'}"
        if self.db.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?", (other,)
        ).fetchone():
            kept = "an append history" if not history else "one row per resource"
            fits = "append" if not history else "overwrite-delete-stale"
            raise SyncModeError(
                f"table {name} of {self.path} holds {kept}, and --mode {mode.value} cannot write into it: "
                f"sync into another file, or use --mode {fits}"
            )
        key_columns = ["account_id", "region", IDENTIFIER_COLUMN] + ([SYNCED_AT_COLUMN] if history else [])
        self.db.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {key} ON {table} ({', '.join(key_columns)})")
        self._tables.add(name)
