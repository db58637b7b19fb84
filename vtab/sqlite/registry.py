"""The per-connection state vtab's tables share: the base options, the call log, the Cloud Control clients,
and the live tables (so a write, or ``vtab_clear_cache()``, can drop every cached read of a type).

It knows the tables only as ``ConnectedTable`` (what it asks of them), so the table module builds on this
one and not the other way round; ``vtab.sqlite.install`` puts both on a connection.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from typing import Any, Protocol

import apsw

from vtab.aws.accounts import AssumedRoles, Estate
from vtab.aws.calllog import CallLog, iso_utc
from vtab.aws.cloudcontrol import CloudControl, Item, Page
from vtab.aws.identity import AccountIds
from vtab.aws.rate_limits import RateLimiters
from vtab.catalog.schema import ResourceSchema
from vtab.options import CREDENTIAL_OPTIONS, Options
from vtab.read.accounts import AccountErrors
from vtab.read.cache import ResultStore
from vtab.read.fetch import listing_key
from vtab.read.pools import ReadPools
from vtab.sql.interrupt import Interrupted, never, watch
from vtab.sql.returning import ReturningColumns
from vtab.sql.statements import StatementText
from vtab.sqlite.trust import OwnTempTables
from vtab.write.dryrun import DryRunLog
from vtab.write.queue import WriteQueue
from vtab.write.returning import ReturningLog

CACHE_MAX_ITEMS = 10_000
"""Resources one read cache holds at most (a bigger scan streams through without being kept)."""

LIST_SETTLE_SECONDS = 10.0
"""After a write, listings of its type are read fresh (not cached) for this long."""

CLIENT_OPTIONS = (
    "profile",
    "endpoint_url",
    "role_arn",
    "rate_limit",
    "max_attempts",
    "max_workers",
    "connect_timeout",
    "read_timeout",
)
"""The options a Cloud Control client is built from (cloud_for's key): tables alike in these share one."""

ESTATE_OPTIONS = (*CLIENT_OPTIONS, *sorted(CREDENTIAL_OPTIONS - set(CLIENT_OPTIONS)))
"""The options that decide which accounts a table reads, how it reaches them and with which Cloud Control
client (cloud_for's key): tables alike in these share one estate (discovered once, each role assumed
once)."""

CALL_COLUMNS = (
    "seq",
    "started",
    "operation",
    "region",
    "account_id",
    "type_name",
    "identifier",
    "resource_model",
    "pages",
    "items",
    "ms",
    "cache",
    "error_code",
    "request_token",
    "status",
    "request_id",
)


Caches = dict[tuple[Any, ...], ResultStore]
"""Read caches by what they read with (cache_for's key)."""


class ConnectedTable(Protocol):
    """What the registry asks of a live table (vtab.sqlite.table.Table)."""

    name: str

    @property
    def writes(self) -> WriteQueue:
        """The table's write queue (made at its first use)."""
        ...

    @property
    def json_names(self) -> frozenset[str]:
        """The columns whose text is JSON by the schema (objects and arrays)."""
        ...

    def returning_columns(self) -> ReturningColumns:
        """What a RETURNING of a write to the table may name (vtab.sqlite.returning)."""
        ...


class Registry:
    def __init__(self, connection: apsw.Connection, options: Options) -> None:
        self.connection: apsw.Connection = weakref.proxy(connection)
        """Weak: the connection holds the registry (through its modules and tables), so a strong reference
        back would make a cycle that outlives the user's last reference, with its threads and clients."""
        self.options = options
        self.log = CallLog()
        self.rate_limiters = RateLimiters()
        self.accounts = AccountIds()
        """The caller's account ids this connection looked up (once each, when a statement needed one)."""
        self.dry_runs = DryRunLog()
        """The writes dry_run tables did not send (the vtab_dry_run table)."""
        self.returning = ReturningLog()
        """The ProgressEvents of the last statement that sent writes (RETURNING, the vtab_returning table)."""
        self.applied_writes: list[str] = []
        """Writes applied by the transaction's syncs so far (``table CREATE row ...``): a later table's
        failure lists them, as real as its own applied ones. Emptied when the transaction ends."""
        self.tables: set[ConnectedTable] = set()
        self._clouds: dict[tuple[Any, ...], CloudControl] = {}
        self._caches: Caches = {}
        self.statement = StatementText(connection)
        """The text of the statement started last (the unfiltered-write guard reads it)."""
        self.own_temp_tables = OwnTempTables()
        """The temp tables the session's own SQL created (a file copied into temp is not)."""
        self._estates: dict[tuple[Any, ...], Estate] = {}
        self.roles = AssumedRoles()
        """The roles its estates assumed (each once, whichever estate needs it first)."""
        self._lender: tuple[Registry, int] | None = None
        """The registry whose Cloud Control clients this one's borrow (``share_with``), and how many
        connections' statements borrow them at once."""
        self._lent: dict[tuple[Any, ...], CloudControl] = {}
        self._lent_lock = threading.Lock()
        self.account_errors = AccountErrors()
        """The (account, region) pairs ``on_account_error='skip'`` statements left out (vtab_errors)."""
        self.read_pools = ReadPools()
        """The thread pools the connection's read cursors borrow (a statement starts no threads)."""
        self.interrupted: Interrupted = watch(self.connection)
        """Whether the statement running was interrupted: what its tables' waits look at (``unwatched``)."""

    def share_with(self, other: Registry, statements: int, roles: AssumedRoles, caches: Caches) -> None:
        """Draw on ``other``'s rate limits, looked-up account ids and Cloud Control clients, and on
        ``roles`` and ``caches``, before this connection's first call; its calls stay in its own log.
        ``vtab sync`` reads one account and region on several connections, which must share its budget,
        and many account-regions at once, which need not each build a botocore Session and clients; a
        shard's connections assume its account's role once, and a listing one of them made (the parents
        of a walk) serves the others. ``statements``: how many connections share the clients at once
        (their connection pools are sized for it)."""
        self.rate_limiters = other.rate_limiters
        self.accounts = other.accounts
        self.roles = roles
        self._caches = caches
        self._lender = (other, statements)

    def unwatched(self) -> None:
        """Nothing interrupts the connection's statements: a vtab sync's task connection, which only the
        sync holds (Ctrl-C stops a sync between tasks). Their waits then block instead of waking every
        POLL_SECONDS to look at the interrupt flag: each wake costs CPU (about 50 us here), and a sync's
        hundreds of connections wait at once. Before its tables connect (each takes the watch then)."""
        self.interrupted = never

    def _lend(self, options: Options, statements: int) -> CloudControl:
        """The Cloud Control whose Session and clients connections sharing this one's borrow: one per
        client options, its connection pools sized for ``statements``."""
        key = tuple(getattr(options, name) for name in CLIENT_OPTIONS)
        with self._lent_lock:
            lent = self._lent.get(key)
            if lent is None:
                lent = self._lent[key] = CloudControl(
                    options, self.log, self.rate_limiters, self.accounts, statements=statements
                )
            return lent

    def estate(self) -> Estate:
        """The accounts the connection reads (its options say which), made at first use: discovery and
        credentials happen when a statement needs them, never at connect."""
        return self.estate_for(self.options)

    def estate_for(self, options: Options) -> Estate:
        """The estate of a table's options: the connection's own, unless the table names other accounts
        or credentials (each estate discovered once, when a statement needs it)."""
        key = tuple(getattr(options, name) for name in ESTATE_OPTIONS)
        estate = self._estates.get(key)
        if estate is None:
            estate = self._estates[key] = Estate(options, self.cloud_for, self.roles)
        return estate

    def cloud_for(self, options: Options) -> CloudControl:
        """The Cloud Control client of these options, shared by every table of the connection that has
        them (one boto3 Session per profile and endpoint, one client per region: building a Session takes
        about 160 ms, so 1,700 tables must not each build their own)."""
        key = tuple(getattr(options, name) for name in CLIENT_OPTIONS)
        cloud = self._clouds.get(key)
        if cloud is None:
            if self._lender is not None:
                lender, statements = self._lender
                cloud = lender._lend(options, statements).lend(self.log, options)
            else:
                cloud = CloudControl(options, self.log, self.rate_limiters, self.accounts)
            self._clouds[key] = cloud
        return cloud

    def cache_for(self, options: Options) -> ResultStore:
        """The read cache of these options, shared by every table of the connection that reads the same
        account the same way: a walk of eks_nodegroups lists the clusters, and a SELECT from eks_clusters
        then reuses that listing (entries are keyed by region, type and request)."""
        key = (options.profile, options.endpoint_url, options.role_arn, options.cache_ttl)
        cache = self._caches.get(key)
        if cache is None:
            # connections sharing the caches (share_with) may make one at once: the first one kept wins
            made = ResultStore(ttl=options.cache_ttl, max_items=CACHE_MAX_ITEMS)
            cache = self._caches.setdefault(key, made)
        return cache

    def seed_listing(
        self, schema: ResourceSchema, region: str, account_id: str, model: dict[str, str], items: list[Item]
    ) -> bool:
        """Remember a listing of ``schema`` in ``account_id`` and ``region`` that the caller already holds
        (a resumed sync's walk parents, from the rows its run wrote), where this connection's scans look
        for it (the cache of its options, the key a scan of that account uses), whatever the TTL."""
        options = self.options
        account = account_id if options.reads_several_accounts else None  # as TypeContext.targets names it
        key = listing_key(schema, region, model, self.cloud_for(options).partition_of, account)
        return self.cache_for(options).seed(key, [Page(items)], max(len(items), 1))

    def clear_cache(self, type_name: str | None = None) -> int:
        """Forget cached reads: of one type after a write to it (whose listings are then not cached for
        LIST_SETTLE_SECONDS, as AWS lists lag behind writes), or all of them."""
        hold = LIST_SETTLE_SECONDS if type_name is not None else 0.0
        return sum(cache.invalidate(type_name, hold_lists=hold) for cache in list(self._caches.values()))

    def write_queues(self) -> list[WriteQueue]:
        """Every live table's write queue, by table name (a COMMIT sends parents' writes first)."""
        return [table.writes for table in sorted(self.tables, key=lambda table: table.name)]

    def json_columns(self, table: str | None) -> frozenset[str]:
        """The columns of vtab table ``table`` whose text is JSON by the schema (objects and arrays), so
        output formats can nest them; empty for a table that is not vtab's."""
        for live in list(self.tables):
            if table is not None and live.name.lower() == table.lower():
                return live.json_names
        return frozenset()

    def calls(self) -> Iterator[tuple[Any, ...]]:
        for record in self.log.snapshot():
            values = vars(record) | {
                "started": iso_utc(record.started),
                "ms": round(record.ms, 3),
            }
            yield tuple(values[column] for column in CALL_COLUMNS)
