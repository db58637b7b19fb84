"""What a read scan is given (the table's client, pool and caches) and what it yields (rows)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from vtab.aws.cloudcontrol import CloudControl, Properties
from vtab.read.cache import ResultStore
from vtab.read.progress import ReadProgress
from vtab.sql.interrupt import Interrupted, never


class Row(NamedTuple):
    """One resource as the cursor serves it (a NamedTuple: rows are built by the ten thousand)."""

    region: str
    identifier: str
    properties: Properties


class ReadContext:
    """What a scan needs from its table: the client, the pool, the caches."""

    def __init__(
        self,
        cloud: CloudControl,
        pool: ThreadPoolExecutor,
        workers: int,
        cache: ResultStore,
        progress: ReadProgress | None = None,
        interrupted: Interrupted = never,
        preferred_region: str | None = None,
        account_id: str | None = None,
    ) -> None:
        self.cloud = cloud
        self.pool = pool
        self.workers = workers
        self.cache = cache
        self.progress = progress
        """Where counts go when the progress option is on (None: nothing is counted)."""
        self.interrupted = interrupted
        """The connection's interrupt flag: the consumer stops waiting when it is set."""
        self.preferred_region = preferred_region
        """The region a global type is listed through when the query asks it (see ``read/regions.py``)."""
        self.account_id = account_id
        """The table's account_id option (None: looked up when a listing needs it)."""
