"""A shard run apart from the sync's own process (on a Dask worker, or any executor that cannot reach the
client's file): its tasks into a SQLite file of its own, which the client then merges into OUT (merge.py).

What crosses to the worker is plain data: a ``ShardJob`` (the connection options, which name profiles,
roles and endpoints but never hold a key; the sync id; the mode; an MFA profile's credentials only for a
worker process of this machine, vtab.aws.mfa) and the ``Shard`` (its account, region and
tasks), so a job pickles for any cluster. The worker builds its own vtab connections from them and finds its
credentials where boto3 finds them on that machine (environment, profile, instance role). The shard file
keeps OUT's table contract (store.py: same tables, same columns, the shard's ``_vtab_sync`` rows), is
written under a temporary name and renamed when whole, and is left in a directory the client shares, or
sent back as bytes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from vtab import hints
from vtab.aws.mfa import Handed
from vtab.sqlite.install import connect_with_registry
from vtab.sync.plan import Shard, SyncMode
from vtab.sync.progress import Progress
from vtab.sync.store import Run, Store
from vtab.sync.worker import RetryBudget, ShardRun, SyncContext, iso_now


class ExecutorKind(StrEnum):
    """Where a sync's shards run (``--executor``)."""

    THREADS = "threads"
    """Threads of this process, writing into OUT directly (no extra dependency)."""
    PROCESSES = "processes"
    """Worker processes of this machine, one per core; each task's outcome written into OUT here."""
    DASK = "dask"
    """Workers of a Dask cluster (``--scheduler``, else a local one), each shard into its own file."""


@dataclass(frozen=True)
class ShardJob:
    """What every shard of one sync needs on a worker: plain, picklable data, no credential but an MFA
    profile's for a worker process of this machine (``credentials``)."""

    sync_id: str
    mode: SyncMode
    options: dict[str, Any]
    """The sync's checked connection options (as ``SyncContext.options``)."""
    connections_per_shard: int
    retry_budget: int
    """The sync's retry budget for throttled tasks; a shard spends its tasks' share of it."""
    tasks: int
    """Every task of the sync, for that share."""
    fail_fast: bool
    synced_at: str
    """The run's start, every row's ``_vtab_synced_at`` (store.py)."""
    account_ids: dict[Any, str] = dataclasses.field(default_factory=dict)
    """The account ids the client looked up (AccountIds.learned): a worker's connections make no
    GetCallerIdentity the thread executor's would not."""
    shard_dir: str | None = None
    """A directory the workers and the client share (one machine, or a shared filesystem): the shard's
    file is left there and its path returned. None: the file's bytes are returned."""
    endpoints: dict[str, str] = dataclasses.field(default_factory=dict)
    """The client's endpoint settings (``endpoint_environment``): a worker on another machine sends its
    calls (Cloud Control, STS) where the client's would go, not where its own environment says."""
    credentials: tuple[Handed, ...] = ()
    """The credentials of a profile whose role needs an MFA code, asked for once in the sync's process
    (vtab.aws.mfa): for its worker processes only, over their pipe (never to workers apart, never a
    file). Empty otherwise."""
    audience: hints.Audience = hints.Audience.PYTHON
    """Whom the sync's messages speak to (hints.current() in the sync's process): a worker's task failures
    name the command's flags (``--skip-accounts``) when the command runs the sync, not Python's keywords."""

    def budget_of(self, shard: Shard) -> int:
        return max(1, math.ceil(self.retry_budget * len(shard.tasks) / max(1, self.tasks)))


@dataclass(frozen=True)
class ShardFile:
    """A shard's file as a worker hands it back: a path in the shared directory, or its bytes."""

    account_id: str
    region: str
    path: str | None = None
    content: bytes | None = None
    retries: int = 0
    """Throttled tasks the shard ran again (the summary's ``retries``)."""


@runtime_checkable
class ShardFileExecutor(Protocol):
    """An executor whose shards run apart: ``merge`` takes shard files on this machine into OUT and
    returns how many of their tasks failed (under ``fail_fast`` one is enough to start no further shard)."""

    def run_apart(
        self, shards: Sequence[Shard], job: ShardJob, merge: Callable[[Sequence[ShardFile]], int]
    ) -> None: ...


ENDPOINT_VARIABLE_PREFIX = "AWS_ENDPOINT_URL"
"""botocore's endpoint variables: AWS_ENDPOINT_URL, and AWS_ENDPOINT_URL_<SERVICE> (CLOUDCONTROL, STS)."""
IGNORE_ENDPOINTS_VARIABLE = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"


def _is_endpoint_setting(name: str) -> bool:
    return name.startswith(ENDPOINT_VARIABLE_PREFIX) or name == IGNORE_ENDPOINTS_VARIABLE


def endpoint_environment() -> dict[str, str]:
    """This process's endpoint settings: its AWS_ENDPOINT_URL* variables and whether botocore ignores them
    (endpoints, never a credential: one carrying a user or password is refused at connect)."""
    return {name: value for name, value in os.environ.items() if _is_endpoint_setting(name)}


def use_endpoints(endpoints: dict[str, str]) -> None:
    """Make this (worker) process's endpoint settings the client's: ``endpoints`` set, the others of its
    own removed. Process-wide, as botocore reads them from the environment: a worker runs one sync's shards
    at a time with these settings (two syncs with other endpoints on one cluster would race)."""
    for name in [name for name in os.environ if _is_endpoint_setting(name) and name not in endpoints]:
        del os.environ[name]
    os.environ.update(endpoints)


def shard_file_name(sync_id: str, shard: Shard) -> str:
    return f"{sync_id}-{shard.account_id}-{shard.region}.db"


def run_shard_file(shard: Shard, job: ShardJob) -> ShardFile:
    """The worker's side: the shard's tasks on vtab connections of this process, into a file of its own."""
    directory = job.shard_dir or tempfile.mkdtemp(prefix="vtab-shard-")
    os.makedirs(directory, exist_ok=True)
    final = os.path.join(directory, shard_file_name(job.sync_id, shard))
    temporary = f"{final}.{uuid.uuid4().hex}.tmp"
    progress = Progress(len(shard.tasks))
    try:
        _run_into(temporary, shard, job, progress)
        os.replace(temporary, final)
    finally:
        for leftover in (temporary, f"{temporary}-wal", f"{temporary}-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(leftover)
    if job.shard_dir is not None:
        return ShardFile(shard.account_id, shard.region, path=final, retries=progress.retries)
    content = Path(final).read_bytes()
    shutil.rmtree(directory, ignore_errors=True)
    return ShardFile(shard.account_id, shard.region, content=content, retries=progress.retries)


def _run_into(path: str, shard: Shard, job: ShardJob, progress: Progress) -> None:
    with hints.speaking_to(job.audience):
        _run_shard_into(path, shard, job, progress)


def _run_shard_into(path: str, shard: Shard, job: ShardJob, progress: Progress) -> None:
    use_endpoints(job.endpoints)
    root_connection, root = connect_with_registry(":memory:", **job.options)
    root.accounts.learn(job.account_ids)
    store = Store(path)
    try:
        store.begin(Run(job.sync_id, iso_now(), None, job.mode, "{}", ""), shard.tasks)
        context = SyncContext(
            sync_id=job.sync_id,
            options=job.options,
            write=lambda task, columns, rows, result: store.write(
                job.sync_id, task, columns, rows, job.mode, result, job.synced_at
            ),
            record=lambda task, result: store.record(job.sync_id, task, result),
            progress=progress,
            budget=RetryBudget(job.budget_of(shard)),
            root=root,
            connections_per_shard=job.connections_per_shard,
            fail_fast=job.fail_fast,
        )
        ShardRun(shard, context).run()
        store.db.execute("PRAGMA journal_mode = DELETE")  # one whole file, no WAL beside it, to move or send
    finally:
        store.close()
        root_connection.close()


def local_path(shard_file: ShardFile, directory: str) -> str:
    """The shard's file on this machine: its path, or its bytes written into ``directory`` (whole, then
    renamed)."""
    if shard_file.path is not None:
        return shard_file.path
    assert shard_file.content is not None
    final = os.path.join(directory, f"{shard_file.account_id}-{shard_file.region}.db")
    temporary = f"{final}.tmp"
    Path(temporary).write_bytes(shard_file.content)
    os.replace(temporary, final)
    return final
