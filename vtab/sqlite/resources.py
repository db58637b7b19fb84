"""``vtab_resources``: every resource type as one read-only table, the apsw glue.

BestIndexObject offers SQLite the constraints that choose listings (vtab.read.resources.PUSHED) and
writes the plan into idxStr; Filter works out the types, the places (the estate's accounts, as a typed
table reads them, x regions) and the listings, and iterates a vtab.read.resources_scan.ResourcesScan. A
listing that fails never ends the others: once they were read, the statement's failures are settled as a
typed table's failing accounts are (vtab.read.accounts: ``on_account_error``, vtab_errors).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import apsw
import orjson

from vtab.catalog.store import load_catalog
from vtab.read.accounts import StatementAccounts, Target, settle
from vtab.read.affinity import Affinity
from vtab.read.cache import ResultStore
from vtab.read.context import TypeContext, default_regions, preferred_region
from vtab.read.plan import IN_LIST_GUESS, LIST_COST, UNCONSTRAINED_REGION_FACTOR
from vtab.read.progress import ReadProgress
from vtab.read.resources import (
    COLUMNS,
    HIDDEN,
    PUSHED,
    TABLE,
    Column,
    Condition,
    Op,
    ResourcesPlan,
    listable_types,
    listings,
    places,
    select_types,
    type_tables,
    unlistable_error,
)
from vtab.read.resources_scan import ResourceRow, ResourcesScan
from vtab.read.rowids import ROWID_BITS
from vtab.sql.inlists import may_give_empty_in, prepared_text
from vtab.sql.interrupt import result, watch
from vtab.sqlite import callbacks, trust
from vtab.sqlite.cursor import MEMO_MAX_ITEMS
from vtab.sqlite.registry import Registry

_DECLARED = (f"{column} {Affinity.TEXT.value}{' HIDDEN' * (column in HIDDEN)}" for column in Column)
DDL = f"CREATE TABLE {TABLE}({', '.join(_DECLARED)})"

_OPS = {
    apsw.SQLITE_INDEX_CONSTRAINT_EQ: Op.EQ,
    apsw.SQLITE_INDEX_CONSTRAINT_LIKE: Op.LIKE,
    apsw.SQLITE_INDEX_CONSTRAINT_GLOB: Op.GLOB,
    apsw.SQLITE_INDEX_CONSTRAINT_LIMIT: Op.LIMIT,
    apsw.SQLITE_INDEX_CONSTRAINT_OFFSET: Op.OFFSET,
}

_PROPERTIES, _ACCOUNT_NAME = COLUMNS.index(Column.PROPERTIES), COLUMNS.index(Column.ACCOUNT_NAME)

PATTERN_GUESS = 50
"""Types a LIKE or GLOB on type_name is guessed to select (a service's: ``AWS::EC2::%`` has 100)."""


class ResourcesModule:
    """The apsw module of vtab_resources (eponymous only: it takes no options of its own)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @callbacks.guarded
    def Connect(
        self, connection: apsw.Connection, modulename: str, databasename: str, tablename: str, *args: str
    ) -> tuple[str, ResourcesTable]:
        trust.direct_only(connection, self.registry.options)  # it calls AWS: no view of a file may
        return DDL, ResourcesTable(self.registry)


class ResourcesTable:
    """The one vtab_resources table of a connection."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @callbacks.guarded
    def BestIndexObject(self, info: apsw.IndexInfo) -> bool:
        conditions: list[Condition] = []
        sql = prepared_text()
        for i in range(info.nConstraint):
            op = _OPS.get(info.get_aConstraint_op(i))
            if op is None or not info.get_aConstraint_usable(i):
                continue
            if op in (Op.LIMIT, Op.OFFSET):
                if info.nOrderBy == 0:  # a LIMIT under an ORDER BY SQLite sorts is no bound on the rows
                    info.set_aConstraintUsage_argvIndex(i, len(conditions) + 1)
                    conditions.append(Condition(op.value, op))
                continue
            column = info.get_aConstraint_iColumn(i)
            if column < 0 or op not in PUSHED.get(Column(COLUMNS[column]), ()):
                continue
            if op is Op.EQ and info.get_aConstraint_collation(i) != "BINARY":
                continue
            rhs = info.get_aConstraint_rhs(i)
            info.set_aConstraintUsage_argvIndex(i, len(conditions) + 1)
            info.set_aConstraintUsage_omit(i, op is Op.EQ)  # SQLite checks a pattern itself (see matching)
            if info.get_aConstraintUsage_in(i) and not may_give_empty_in(sql):
                info.set_aConstraintUsage_in(i, True)
            conditions.append(Condition(COLUMNS[column], op, None if rhs is None else str(rhs)))
        plan = ResourcesPlan(tuple(conditions))
        info.idxStr = plan.encode("estate" if self.registry.options.reads_several_accounts else "caller")
        listed = _guess(plan)
        info.estimatedCost = LIST_COST * listed
        info.estimatedRows = int(min(25 * listed, 1e12))
        return True

    @callbacks.guarded
    def Open(self) -> ResourcesCursor:
        return ResourcesCursor(self)

    @callbacks.guarded
    def Disconnect(self) -> None:
        pass

    Destroy = Disconnect


def _guess(plan: ResourcesPlan) -> float:
    """The listings a plan is guessed to make: types x regions, a region not given costing so much that a
    join giving it always pushes it down (as for a typed table, vtab.read.plan)."""
    types = float(_listable_count())
    regions = UNCONSTRAINED_REGION_FACTOR
    for condition in plan.conditions:
        one = 1.0 if condition.shown is not None else float(IN_LIST_GUESS)
        if condition.column == Column.REGION:
            regions = min(regions, one)
        elif condition.column in (Column.TYPE_NAME, Column.TABLE_NAME):
            types = min(types, PATTERN_GUESS if condition.op is not Op.EQ else one)
    return types * regions


@functools.cache
def _listable_count() -> int:
    """How many types a read naming none lists (the catalog does not change while the process runs)."""
    return len(listable_types(load_catalog()))


class ResourcesCursor:
    """One statement's cursor on vtab_resources."""

    def __init__(self, table: ResourcesTable) -> None:
        self.table = table
        self.registry = table.registry
        self.memo = ResultStore(ttl=None, max_items=MEMO_MAX_ITEMS)
        """The statement's memo: a parent listed for one type's walk is not listed again for another."""
        options = self.registry.options
        self._progress = ReadProgress(TABLE) if options.progress else None
        self._runners: ThreadPoolExecutor | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._scan: ResourcesScan | None = None
        self.accounts = StatementAccounts()
        """The statement's accounts (every Filter's): each reached once, and what failed in each."""
        self._listed = 0
        self._rows: Iterator[ResourceRow] = iter(())
        self._row: ResourceRow | None = None

    @callbacks.guarded
    def Filter(self, indexnum: int, indexname: str, constraintargs: tuple[Any, ...]) -> None:
        self._close_scan()
        self._row = None
        plan = ResourcesPlan.decode(indexname)
        given = list(zip(plan.conditions, constraintargs, strict=True))
        catalog = load_catalog()
        selection = select_types(catalog, given)
        if selection.unlistable and not selection.types:
            raise unlistable_error(catalog, selection.unlistable)
        options = self.registry.options
        cloud = self.registry.cloud_for(options)
        region_values = _wanted(given, Column.REGION)
        if region_values is None:
            regions = default_regions(options, cloud, TABLE)
        else:
            regions = [cloud.check_region(region) for region in sorted(region_values)]
        limit = _limit(given)
        if not selection.types or not regions or limit == 0:
            return
        runners, pool = self._pools()
        interrupted = watch(self.registry.connection)
        cache = self.registry.cache_for(options)
        estate = self.registry.estate_for(options)
        statement = self.registry.statement

        def context_of_type(type_name: str) -> TypeContext:
            return TypeContext(
                catalog.schema(type_name),
                options,
                cloud,
                cache,
                interrupted,
                estate,
                self.registry.account_errors,
                lambda: statement.written,
            )

        # The accounts are the estate's whatever the type: the first type's context chooses them.
        reached = self._accounts(
            context_of_type(selection.types[0]), _wanted(given, Column.ACCOUNT_ID), runners
        )
        planned = listings(
            catalog,
            selection.types,
            places(reached, regions),
            cloud.partition_of,
            preferred_region(options, cloud),
        )
        self._listed = len(planned)
        self._scan = ResourcesScan(
            planned,
            lambda listing: context_of_type(listing.type_name),
            type_tables(catalog),
            targets=list(reached.values()),
            runners=runners,
            pool=pool,
            workers=options.max_workers,
            memo=self.memo,
            accounts=self.accounts,
            limit=limit,
            progress=self._progress,
            interrupted=interrupted,
        )
        self._rows = iter(self._scan)
        self.Next()

    def _accounts(
        self, context: TypeContext, wanted: set[str] | None, runners: ThreadPoolExecutor
    ) -> dict[str, Target]:
        """Account id -> its target, for each account the read lists in: those a typed table's read would
        (TypeContext.targets: the estate's readable accounts, those WHERE gives for account_id; without
        account options the caller's own), found on a worker so that an interrupt stops the wait (the
        estate's discovery and the caller's account id may call Organizations and STS)."""
        fix = f"give it with WHERE {Column.ACCOUNT_ID.value} = '...'"

        def find() -> dict[str, Target]:
            targets = context.targets(wanted, self.accounts)
            return {target.account_id or context.own_account(fix): target for target in targets}

        return result(runners.submit(find), watch(self.registry.connection), "the accounts lookup")

    def _pools(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
        """The runners' threads (one per listing in progress) and the calls' (each listing's scan)."""
        workers = self.registry.options.max_workers
        if self._runners is None or self._pool is None:
            self._runners = ThreadPoolExecutor(workers, thread_name_prefix=f"{TABLE}-runner")
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix=f"vtab-read-{TABLE}")
        return self._runners, self._pool

    def Eof(self) -> bool:
        return self._row is None

    @callbacks.guarded
    def Next(self) -> None:
        self._row = next(self._rows, None)
        if self._row is None and self._scan is not None:
            registry = self.registry
            mode = registry.options.on_account_error
            failures = self.accounts.unreported()
            settle(failures, mode, registry.account_errors, registry.statement.written, TABLE, self._listed)

    def Column(self, number: int) -> apsw.SQLiteValue:
        row = self._row
        assert row is not None
        if number == _PROPERTIES:
            return orjson.dumps(row.properties).decode()
        if number == _ACCOUNT_NAME:
            return self.registry.estate_for(self.registry.options).name_of(row.account_id)
        return cast("str", row[number])

    def Rowid(self) -> int:
        """A hash of (type, account, region, identifier): the same resource, the same rowid."""
        row = self._row
        assert row is not None
        text = "\x00".join(row[:5]).encode("utf-8", "surrogatepass")
        return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") >> (64 - ROWID_BITS)

    @callbacks.guarded
    def Close(self) -> None:
        self._close_scan()
        if self._progress is not None:
            self._progress.close()
        for pool in (self._runners, self._pool):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self._runners = self._pool = None

    def _close_scan(self) -> None:
        if self._scan is not None:
            self._scan.close()
            self._scan = None


def _wanted(given: list[tuple[Condition, Any]], column: Column) -> set[str] | None:
    """The values ``=``/``IN`` give ``column`` (every condition's, intersected); None when none does.
    NULL matches nothing."""
    wanted: set[str] | None = None
    for condition, value in given:
        if condition.column == column and condition.op is Op.EQ:
            values = value if isinstance(value, set | frozenset) else {value}
            texts = {str(v) for v in values if v is not None}
            wanted = texts if wanted is None else wanted & texts
    return wanted


def _limit(given: list[tuple[Condition, Any]]) -> int | None:
    """LIMIT + OFFSET: the rows the statement may read (None: all)."""
    bounds = {condition.op: value for condition, value in given if condition.op in (Op.LIMIT, Op.OFFSET)}
    limit = bounds.get(Op.LIMIT)
    if not isinstance(limit, int) or limit < 0:
        return None
    offset = bounds.get(Op.OFFSET)
    return limit + max(0, offset if isinstance(offset, int) else 0)
