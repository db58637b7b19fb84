"""``vtab sync``: every table of every account and region into a plain SQLite file (docs/sync.md), and
the diff of two syncs (diff.py, docs/diff.md).

plan.py (settings, types, tasks and shards; no calls), store.py (the output file), worker.py (a shard's
tasks on vtab connections), progress.py, summary.py, run.py (``sync()`` and the executor seam).
"""

from vtab.sync.plan import OnError, SyncMode
from vtab.sync.run import Executor, ThreadExecutor, sync
from vtab.sync.summary import SyncSummary

__all__ = ["Executor", "OnError", "SyncMode", "SyncSummary", "ThreadExecutor", "sync"]
