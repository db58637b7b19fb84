"""``vtab sync``: every table of every account and region into a plain SQLite file (docs/sync.md), and
the diff of two syncs (diff.py, docs/diff.md).

plan.py (settings, types, tasks and shards; no calls), store.py (the output file), worker.py (a shard's
tasks on vtab connections; refusals.py: an account whose role was refused is asked once), progress.py,
summary.py, resume.py (what a resume may be given), seeds.py (a resume's walk parents, from the file),
run.py (``sync()`` and the executor seam); shards run on threads of this process (threads.py), in worker
processes of this machine whose tasks' outcomes the sync writes (processes.py), or apart from the client,
each into its own file (apart.py), on Dask (dask_executor.py: docs/sync-dask.md), then merged into the
output file (merge.py).
"""

from vtab.sync.dask_executor import DaskExecutor
from vtab.sync.plan import OnError, SyncMode
from vtab.sync.processes import ProcessExecutor
from vtab.sync.resume import NothingToResume
from vtab.sync.run import sync
from vtab.sync.summary import SyncSummary
from vtab.sync.threads import Executor, ThreadExecutor

__all__ = [
    "DaskExecutor",
    "Executor",
    "NothingToResume",
    "OnError",
    "ProcessExecutor",
    "SyncMode",
    "SyncSummary",
    "ThreadExecutor",
    "sync",
]
