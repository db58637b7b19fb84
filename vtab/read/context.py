"""What one table is, for its reads and its writes alike.

A ``TableContext`` is the one place that says which type a table reads, with which options, through which
client and cache: the read scan, the fetch layer, the conflict resolver and the write queue all take it,
so a new dimension of a table (its account) is added here once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import apsw

from vtab import hints
from vtab.aws.cloudcontrol import POLLS_PER_WORKER, CloudControl
from vtab.catalog.schema import ResourceSchema
from vtab.options import Options
from vtab.read.cache import ResultStore
from vtab.read.rowids import ReadRows
from vtab.read.rows import Row
from vtab.sql.interrupt import Interrupted, never


class ColumnNames(Protocol):
    """The table's column names and how to read a column of a row (vtab.sqlite.columns.Columns)."""

    @property
    def property_of(self) -> dict[str, str]: ...
    @property
    def twins(self) -> dict[str, str]: ...
    @property
    def own_aliases(self) -> dict[str, str]: ...
    def value(self, name: str, row: Row) -> Any: ...


class TableContext:
    """One table: its name, type, columns, options, Cloud Control client, read cache and interrupt flag,
    the rows a write transaction read, and the threads its writes use (started on first use)."""

    def __init__(
        self,
        name: str,
        schema: ResourceSchema,
        columns: ColumnNames,
        options: Options,
        cloud: CloudControl,
        cache: ResultStore,
        interrupted: Interrupted = never,
    ) -> None:
        self.name = name
        self.schema = schema
        self.columns = columns
        self.options = options
        self.cloud = cloud
        self.cache = cache
        """The connection's TTL cache for these options (shared by the tables that read alike)."""
        self.interrupted = interrupted
        """The connection's interrupt flag: every wait of the SQLite thread stops when it is set."""
        self.read_rows = ReadRows(schema.is_global)
        """Rows read while a write transaction runs, by rowid: UPDATE diffs against them, DELETE takes
        their region and identifier."""
        self._pool: ThreadPoolExecutor | None = None
        self._poll_pool: ThreadPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self.options.max_workers

    @property
    def account_id(self) -> str | None:
        """The table's account_id option (None: looked up when a listing or INSERT needs it)."""
        return self.options.account_id

    @property
    def pool(self) -> ThreadPoolExecutor:
        """Threads for this table's writes (each read cursor has its own, see vtab.sqlite.cursor)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=f"vtab-{self.name}")
        return self._pool

    @property
    def poll_pool(self) -> ThreadPoolExecutor:
        """Threads for the status polls of this table's writes (vtab.write.send), kept across statements:
        starting a thread waits until it runs, and a 50-row INSERT that started its 32 anew paid for each
        on the way to its first polls."""
        if self._poll_pool is None:
            self._poll_pool = ThreadPoolExecutor(
                POLLS_PER_WORKER * self.workers, thread_name_prefix=f"vtab-{self.name}-poll"
            )
        return self._poll_pool

    def close(self) -> None:
        for pool in (self._pool, self._poll_pool):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def preferred_region(self) -> str | None:
        """The region a global type is listed through when a query asks it among others: the first of the
        ``regions`` option, else boto3's default region (see vtab.read.regions)."""
        return self.options.regions[0] if self.options.regions else self.cloud.default_region

    def default_regions(self) -> list[str]:
        """The regions a read lists in when WHERE gives none: the ``regions`` option, else boto3's."""
        regions = list(self.options.regions) or (
            [self.cloud.default_region] if self.cloud.default_region else []
        )
        if not regions:
            raise apsw.SQLError(
                f"{self.name}: no region. Add WHERE region = 'us-east-1' (or IN (...)), "
                f"{hints.set_option('regions', 'us-east-1')} (or regions= in CREATE VIRTUAL TABLE), "
                "or set AWS_REGION"
            )
        return [self.cloud.check_region(region) for region in regions]
