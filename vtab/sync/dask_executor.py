"""``--executor dask``: a sync's shards on the workers of a Dask cluster (docs/sync-dask.md).

Each shard (one account and region, so one throttle budget) is one Dask task: ``Client.map`` with
``pure=False`` sends ``run_shard_file`` (apart.py) and plain data; the worker writes the shard's own SQLite
file; the client takes the shards as they finish (``distributed.as_completed``, in batches) and merges them
into OUT (merge.py). Without ``scheduler`` a LocalCluster of worker processes on this machine runs them,
and the shard files stay in a directory of this machine; with ``scheduler`` (``tcp://HOST:8786``) the
workers send each file back as bytes, unless ``shard_dir`` names a directory they and the client share.
``distributed`` is imported only here, and only when a dask sync runs (``pip install 'vtab[dask]'``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

from vtab import hints
from vtab.options import OptionError
from vtab.sync.apart import ShardFile, ShardJob, local_path, run_shard_file
from vtab.sync.plan import Shard

LOCAL_THREADS_PER_WORKER = 16
"""Shards one worker process of a LocalCluster runs at once (they wait on the network, not the CPU)."""

CONNECT_TIMEOUT_SECONDS = 30.0
"""How long the client tries to reach ``scheduler`` (Dask's own default)."""

INSTALL_HINT = "pip install 'vtab[dask]'"


def distributed_module() -> ModuleType:
    """``distributed``, or an error that says how to install it."""
    try:
        import distributed
    except ImportError as error:
        dask, threads = (hints.assignment("executor", repr(kind)) for kind in ("dask", "threads"))
        raise OptionError(
            f"{dask} needs Dask's distributed scheduler, which is not installed: {INSTALL_HINT} "
            f"(or run with {threads}, the default)"
        ) from error
    return distributed


class DaskExecutor:
    """Shards on a Dask cluster: ``scheduler`` is an existing one's address (``tcp://HOST:8786``) or a
    ``distributed.Client``; None starts a LocalCluster of ``workers`` processes for the sync."""

    def __init__(
        self,
        scheduler: Any = None,
        shard_dir: str | None = None,
        workers: int | None = None,
        threads_per_worker: int = LOCAL_THREADS_PER_WORKER,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    ) -> None:
        self.scheduler = scheduler
        self.connect_timeout = connect_timeout
        self.shard_dir = shard_dir
        self.workers = workers
        self.threads_per_worker = threads_per_worker
        distributed_module()  # a missing install is an error before the sync records anything

    def run_apart(
        self, shards: Sequence[Shard], job: ShardJob, merge: Callable[[Sequence[ShardFile]], int]
    ) -> None:
        if not shards:
            return
        distributed = distributed_module()
        received = tempfile.mkdtemp(prefix="vtab-sync-shards-")
        local = self.scheduler is None
        shared = self.shard_dir or (received if local else None)
        job = dataclasses.replace(job, shard_dir=shared)
        try:
            with self._client(distributed) as client:
                futures = client.map(run_shard_file, list(shards), job=job, pure=False)
                try:
                    self._collect(distributed, client, futures, job, merge, received)
                except BaseException:
                    client.cancel(futures)
                    raise
        finally:
            shutil.rmtree(received, ignore_errors=True)

    def _collect(
        self,
        distributed: ModuleType,
        client: Any,
        futures: list[Any],
        job: ShardJob,
        merge: Callable[[Sequence[ShardFile]], int],
        received: str,
    ) -> None:
        """Merge shards as they finish, each batch of finished ones at once; under fail_fast, a failed
        task cancels every shard not yet merged (their tasks stay pending)."""
        for batch in distributed.as_completed(futures).batches():
            finished = [future.result() for future in batch if not future.cancelled()]
            files = [
                dataclasses.replace(found, path=local_path(found, received), content=None)
                for found in finished
            ]
            try:
                failed = merge(files)
            finally:
                for found in files:
                    assert found.path is not None
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(found.path)
            if failed and job.fail_fast:
                client.cancel([future for future in futures if not future.done()])

    @contextlib.contextmanager
    def _client(self, distributed: ModuleType) -> Iterator[Any]:
        if isinstance(self.scheduler, distributed.Client):
            yield self.scheduler
            return
        if self.scheduler is not None:
            try:
                client = distributed.Client(self.scheduler, timeout=self.connect_timeout)
            except OSError as error:  # refused, unresolvable, or timed out
                raise OptionError(
                    f"{hints.assignment('scheduler', repr(self.scheduler))}: no Dask scheduler answered "
                    f"within {self.connect_timeout:g} s ({error}); give a running scheduler's address "
                    f"(tcp://HOST:8786), or leave {hints.option('scheduler')} out for a local cluster. The "
                    f"sync's tasks are recorded as pending: run it again with {hints.option('resume')}"
                ) from error
            with client:
                yield client
            return
        cluster = distributed.LocalCluster(
            n_workers=self.workers or os.cpu_count() or 1,
            threads_per_worker=self.threads_per_worker,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        with cluster, distributed.Client(cluster) as client:
            yield client
