"""What one table is, for its reads and its writes alike.

A ``TableContext`` is the one place that says which type a table reads, with which options, through which
client and cache: the read scan, the fetch layer, the conflict resolver and the write queue all take it,
so a new dimension of a table (its account) is added here once. What a read of a type needs of it (no
name, columns or writes) is its base, ``TypeContext``: ``vtab_resources`` reads every type through one
each, without building 1,700 tables' columns.
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


class TypeContext:
    """What reading one type needs: its schema, the options, the Cloud Control client, the read cache and
    the interrupt flag (vtab.read.scan reads through one)."""

    def __init__(
        self,
        schema: ResourceSchema,
        options: Options,
        cloud: CloudControl,
        cache: ResultStore,
        interrupted: Interrupted = never,
    ) -> None:
        self.schema = schema
        self.options = options
        self.cloud = cloud
        self.cache = cache
        """The connection's TTL cache for these options (shared by the tables that read alike)."""
        self.interrupted = interrupted
        """The connection's interrupt flag: every wait of the SQLite thread stops when it is set."""

    @property
    def workers(self) -> int:
        return self.options.max_workers

    @property
    def account_id(self) -> str | None:
        """The account_id option (None: looked up when a listing or INSERT needs it)."""
        return self.options.account_id

    def preferred_region(self) -> str | None:
        """The region a global type is listed through when a query asks it among others: the first of the
        ``regions`` option, else boto3's default region (see vtab.read.regions)."""
        return preferred_region(self.options, self.cloud)


def preferred_region(options: Options, cloud: CloudControl) -> str | None:
    """The first of the ``regions`` option, else boto3's default region (see TypeContext)."""
    return options.regions[0] if options.regions else cloud.default_region


class TableContext(TypeContext):
    """One table: its type's context, and its name, columns, the rows a write transaction read, and the
    threads its writes use (started on first use)."""

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
        super().__init__(schema, options, cloud, cache, interrupted)
        self.name = name
        self.columns = columns
        self.read_rows = ReadRows(schema.is_global)
        """Rows read while a write transaction runs, by rowid: UPDATE diffs against them, DELETE takes
        their region and identifier."""
        self._pool: ThreadPoolExecutor | None = None
        self._poll_pool: ThreadPoolExecutor | None = None

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

    def default_regions(self) -> list[str]:
        """The regions a read lists in when WHERE gives none (see ``default_regions``)."""
        return default_regions(self.options, self.cloud, self.name)


def default_regions(options: Options, cloud: CloudControl, table: str) -> list[str]:
    """The regions a read of ``table`` lists in when WHERE gives none: the ``regions`` option, else
    boto3's; an error naming the ways to give one when neither does."""
    regions = list(options.regions) or ([cloud.default_region] if cloud.default_region else [])
    if not regions:
        raise apsw.SQLError(
            f"{table}: no region. Add WHERE region = 'us-east-1' (or IN (...)), "
            f"{hints.set_option('regions', 'us-east-1')} (or regions= in CREATE VIRTUAL TABLE), "
            "or set AWS_REGION"
        )
    return [cloud.check_region(region) for region in regions]
