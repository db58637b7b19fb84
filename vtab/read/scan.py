"""Runs a read Plan: gets, lists and parent walks, in every (account, region) it asks, streamed as pages
arrive.

A Scan turns a plan into tasks (the levels of a walk, the gets of given identifiers, one parent's
identifiers read from its listing) and answers into rows: partial items hydrated by their own GetResource
when a selected column needs it. Each account's tasks are an ``AccountScan``'s (its walk, its fetcher,
its Cloud Control, reached on first use); all share one task stream. Which accounts, and what a failing
one does, is vtab.read.accounts'; reaching each account of the estate (its role assumed, then its regions
started), vtab.read.estate_reach's; what the walk's listings and rows are, vtab.read.walk's; scheduling the
tasks and handing rows to the SQLite thread, vtab.read.stream's; the memoised and cached calls,
vtab.read.fetch's.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vtab.aws.cloudcontrol import Page, Properties
from vtab.catalog.columns import ACCOUNT_ID, ACCOUNT_NAME
from vtab.catalog.schema import ParentStep, ResourceSchema
from vtab.read.accounts import StatementAccounts, Target, account_failure, settle
from vtab.read.cache import ResultStore
from vtab.read.context import TypeContext
from vtab.read.estate_reach import EstateReach
from vtab.read.fetch import Fetcher
from vtab.read.plan import Plan, PlanKind
from vtab.read.progress import ReadProgress
from vtab.read.regions import home_region, placing_order, scan_regions
from vtab.read.rows import Row
from vtab.read.stream import Pulled, Task, TaskStream
from vtab.read.walk import Known, Model, Walk, exists_in
from vtab.sql.interrupt import never


class Scan:
    """One Filter call: iterate it for Rows; ``close()`` stops the remaining work."""

    def __init__(
        self,
        table: TypeContext,
        pool: ThreadPoolExecutor,
        memo: ResultStore,
        plan: Plan,
        values: dict[str, set[Any]],
        regions: list[str],
        limit: int | None = None,
        progress: ReadProgress | None = None,
        accounts: StatementAccounts | None = None,
    ) -> None:
        schema = table.schema
        self.table = table
        self.schema = schema
        self.plan = plan
        self.progress = progress
        self.memo = memo
        values = dict(values)
        self.wanted_accounts = values.pop(ACCOUNT_ID, None)
        """The account ids WHERE gives (None: every account of the estate)."""
        self.wanted_names = values.pop(ACCOUNT_NAME, None)
        """The account names WHERE gives (None: any)."""
        self.values = values
        self.regions = scan_regions(
            schema,
            regions,
            table.preferred_region(),
            table.cloud.partition_of,
            listing=plan.kind is not PlanKind.GET,
        )
        """Every region asked, or one per partition for a global type (its rows carry that region)."""
        self.asked = list(dict.fromkeys(regions))
        """Every region asked: a type listed account-wide shows the rows of these only (read/regions.py)."""
        self.partition_of = table.cloud.partition_of
        self.accounts = accounts or StatementAccounts()
        """The statement's accounts: reached once, failed pairs not asked again (vtab.read.accounts)."""
        self.filter = Walk(schema, values, self.own_account_of, self.asked)
        """The walk of the values WHERE gives, whichever account: which rows match, which identifiers."""
        self.stream: TaskStream[Row] = TaskStream(
            pool,
            table.workers,
            start=self._start,
            kept=self.filter.kept,
            widens=_widens,
            limit=limit,
            leaf_depth=self.filter.leaf_depth,
            label=f"the scan of {schema.type_name}",
            interrupted=table.interrupted,
            progress=progress,
            failed=self._failed,
        )

    def own_account_of(self, region: str, fix: str) -> str:
        """The caller's account id (an account-wide listing of the connection's own account needs it)."""
        return self.table.cloud.account_id(region, self.table.account_id, fix)

    def __iter__(self) -> Iterator[Row]:
        for page in self.pages():
            yield from page

    def pages(self) -> Iterator[list[Row]]:
        """The rows a page (or a get) at a time, then the statement's failed pairs settled: the cursor reads
        them so, a row then being a list's next item rather than a step through two generators."""
        yield from self.stream.batches()
        self._settle()

    def batches(self) -> Iterator[list[Row]]:
        """The rows a page (or a get) at a time, as the tasks emitted them (failed pairs left unsettled)."""
        return self.stream.batches()

    @property
    def over(self) -> bool:
        """Whether every task of the scan ended (its rows all handed over): none runs on its pool now."""
        return self.stream.over

    def close(self) -> None:
        self.stream.close()

    def _settle(self) -> None:
        """The statement's failed (account, region) pairs: raised together (``fail``), or vtab_errors rows."""
        table = self.table
        failures = self.accounts.unreported()
        mode = table.options.on_account_error
        reached = self.accounts.reached()
        settle(failures, mode, table.account_errors, table.statement(), table.name, reached=reached)

    def _failed(self, fn: Task, args: tuple[Any, ...], error: BaseException) -> bool:
        """An account's task failed: when a call of that account failed, the pair ends and the others go
        on; any other error (or the connection's only account) ends the statement."""
        owner = getattr(fn, "__self__", None)
        if not isinstance(owner, AccountScan) or not args or not isinstance(args[0], str):
            return False
        failure = account_failure(owner.target, args[0], self.schema.type_name, error)
        if failure is None:
            return False
        self.accounts.fail(failure)
        return True

    # -- starting the plan (the SQLite thread) --------------------------------------------------------

    def _start(self) -> Pulled | None:
        if self.plan.kind is PlanKind.GET:
            self.filter.identifiers()  # malformed ones are refused before any call
        table = self.table
        if table.several_accounts or self.wanted_accounts is not None or self.wanted_names is not None:
            reach = EstateReach(
                table,
                self.stream,
                self.accounts,
                self.wanted_accounts,
                self.wanted_names,
                self.regions,
                self.schema.type_name,
                ACCOUNT_NAME in self.plan.shows,
                functools.partial(AccountScan, self),
            )
            if table.interrupted is never and self.stream.limit is None:
                return self._start_here(reach)
            reach.start()
            return None
        return AccountScan(self, Target(None, lambda: table.cloud)).start()

    def _start_here(self, reach: EstateReach[AccountScan]) -> Pulled | None:
        """The estate reached on the SQLite thread, for a connection nothing interrupts (a sync's task
        connection: its waits need not wake): a read of one account in one region that is a single
        listing is then read on this thread too, no task started (a sync's task is one: four hand-overs
        to the pool and a page's through the queue cost about a call's CPU again). A failure of the
        account's calls is settled as its task's would be (``_failed``)."""
        sole = reach.here()
        if sole is None:
            return None
        scan, region = sole
        try:
            single = scan._single_listing()
            if single is None:
                scan.start_in(region)
                return None
        except Exception as error:
            if not self._failed(scan.start_in, (region,), error):
                raise
            return None
        return self._settled(scan, region, single)

    def _settled(self, scan: AccountScan, region: str, pages: Pulled) -> Pulled:
        """The pages of ``scan``'s listing in ``region``; a failure of the account's calls ends it as the
        account's (a vtab_errors row under on_account_error skip), as a task's would."""
        try:
            yield from pages
        except Exception as error:
            if not self._failed(scan.start_in, (region,), error):
                raise

    def own_account_task(self) -> None:
        """The connection's own account id (and name), which the rows show: looked up while the first
        listing runs (AccountScan.fetch submits it then), not before it."""
        own = self.table.own_account()
        if ACCOUNT_NAME in self.plan.shows:
            self.table.estate.name_of(own)


def _widens(fn: Task) -> bool:
    """A leaf's call, whose ending short of a LIMIT widens the lazy window (vtab.read.stream)."""
    return getattr(fn, "__func__", None) in _LEAF_TASKS


class AccountScan:
    """The tasks of one account of a scan: its walk (its rows carry the account), its fetcher (its own
    cache keys) and its Cloud Control, reached at the first call (an assumed role's)."""

    def __init__(self, scan: Scan, target: Target) -> None:
        self.scan = scan
        self.target = target
        self.account_id = target.account_id
        self.schema = scan.schema
        self.plan = scan.plan
        self.progress = scan.progress
        self.stream = scan.stream
        self.regions = scan.regions
        self.asked = scan.asked
        self.partition_of = scan.partition_of
        account = self.account_id
        self.walk = Walk(
            scan.schema,
            scan.values,
            scan.own_account_of if account is None else lambda region, fix: account,
            scan.asked,
            account=account,
        )
        self._fetch: Fetcher | None = None
        self._lock = threading.Lock()

    @property
    def fetch(self) -> Fetcher:
        """The account's fetcher, made at its first call (which assumes the account's role)."""
        if self._fetch is None:
            cloud = self.target.cloud()
            with self._lock:
                if self._fetch is None:
                    table = self.scan.table
                    self._fetch = Fetcher.scan(
                        cloud, self.scan.memo, table.cache, self.stream.cancelled, self.account_id
                    )
                    if self.account_id is None and self._looks_up_own_account():
                        self.stream.submit(self.scan.own_account_task, depth=0)
        return self._fetch

    def _looks_up_own_account(self) -> bool:
        """Whether the rows show the connection's own account (id or name) and it is still to be looked
        up: a task for it would start a thread for nothing once it is known."""
        shows = self.plan.shows
        return ACCOUNT_NAME in shows or (ACCOUNT_ID in shows and not self.scan.table.knows_own_account)

    def _gone(self, region: str) -> bool:
        """Whether the (account, region) failed already: its remaining tasks make no call."""
        return self.scan.accounts.failed(self.account_id, region, self.schema.type_name)

    def start(self) -> Pulled | None:
        """Start the plan in every region (the SQLite thread, for the connection's own account); a plan
        that is a single listing is returned instead, for the SQLite thread to read itself."""
        single = self._single_listing()
        if single is not None:
            return single
        for region in self.regions:
            self.start_in(region)
        return None

    def _single_listing(self) -> Pulled | None:
        """The pages of the plan's only listing, when it is one listing in one region (nothing to run in
        parallel: vtab.read.stream reads it on the SQLite thread); None otherwise."""
        if self.plan.kind is not PlanKind.LIST or len(self.regions) != 1:
            return None
        region, leaf = self.regions[0], self.walk.leaf_depth
        if self.walk.asks_account(leaf):
            return None  # the account id is asked on a worker, as every call is (interruptibly)
        given = list(itertools.islice(self.walk.given_parents(leaf), 2))
        if len(given) != 1:
            return None
        schema = self.walk.levels[leaf]
        models = [
            model for model in self.walk.models(leaf, given[0], region) if exists_in(schema, region, model)
        ]
        if len(models) != 1:
            return None
        return self._list_pages(region, models[0])

    def start_in(self, region: str) -> None:
        if self.plan.kind is PlanKind.GET:
            self._submit_gets(region, self.walk.identifiers())
        else:
            start = self.walk.leaf_depth if self.plan.kind is PlanKind.LIST else self.plan.walk_from
            for known in self.walk.given_parents(start):
                self._submit_level(region, start, known)

    def _submit_level(self, region: str, level: int, known: Known) -> None:
        """List level ``level`` under ``known``: the type itself at the last level, else a parent. A level
        that needs the caller's account id before it is known asks for it on a worker, as every call is
        made, so the SQLite thread waits for it interruptibly."""
        if self.walk.asks_account(level):
            self.stream.submit(self._level_task, region, level, known, depth=level)
        else:
            self._level_task(region, level, known)

    def _submit_gets(self, region: str, identifiers: list[str]) -> None:
        listed, singles = self.walk.groups(region, identifiers)
        for model, members in listed:
            self.stream.submit(self._group_task, region, model, members)
        for identifier in singles:
            self.stream.submit(self._get_task, region, identifier)

    # -- tasks (worker threads) -----------------------------------------------------------------------

    def _level_task(self, region: str, level: int, known: Known) -> None:
        if self._gone(region):
            return
        for model in self.walk.models(level, known, region):
            if not exists_in(self.walk.levels[level], region, model):
                continue  # a fixed value that exists elsewhere only (WAFv2's CLOUDFRONT outside us-east-1)
            if level == self.walk.leaf_depth:
                self.stream.submit(self._list_task, region, model)
            else:
                self.stream.submit(self._parent_task, region, level, known, model, None, depth=level)

    def _get_task(self, region: str, identifier: str, fed: Properties | None = None) -> None:
        """One resource by GetResource; ``fed``: the list inputs its listing gave (a partial item being
        hydrated), which the model may lack."""
        if self._gone(region):
            return
        properties = self.fetch.get(region, self.schema, identifier)
        if properties is None or home_region(self.schema, properties) not in (None, region):
            return  # none, or (listed account-wide) another region's: the get there shows it
        row = self.walk.row(region, identifier, {**(fed or {}), **properties})
        found = self._found_in_listing(region, row) if self.walk.inputs_unread(row) else row
        if found is not None:
            self.stream.emit([found])

    def _found_in_listing(self, region: str, row: Row) -> Row | None:
        """The row as the listing under the inputs WHERE gives shows it (those columns filled), or None
        when no such listing holds it (it is not under those parents: no row). The row unchanged when
        such a listing cannot be made."""
        models = self.walk.listings_of(row)
        if models is None:
            return row
        for model in models:
            for page in self.fetch.listing(region, self.schema, model):
                for identifier, props in self.walk.fed(page, model):
                    if identifier == row.identifier:
                        return row._replace(properties={**props, **row.properties})
        return None

    def _list_task(self, region: str, model: Model) -> None:
        for rows in self._list_pages(region, model):
            self.stream.emit(rows)
            if self.stream.enough:
                return

    def _list_pages(self, region: str, model: Model) -> Pulled:
        """The rows of the listing under ``model``, a page at a time (read by a task, or by the SQLite
        thread itself)."""
        if self._gone(region):
            return
        for page in self.fetch.listing(region, self.schema, model):
            yield self._complete(region, self.walk.listed(region, page, model))

    def _complete(self, region: str, rows: list[Row]) -> list[Row]:
        """The page's rows; partial ones are hydrated by their own GetResource when a column needs it."""
        if self.schema.is_listed_account_wide:
            rows = self._placed(region, rows)
        required = self.schema.required_set
        if not self.plan.full or all(row.properties.keys() >= required for row in rows):
            return rows
        complete = []
        for row in rows:
            if self.schema.is_partial(row.properties):
                fed = self.walk.fed_inputs(row.properties)
                self.stream.submit(
                    self._get_task, row.region, row.identifier, fed, depth=self.walk.leaf_depth + 1
                )
            else:
                complete.append(row)
        return complete

    def _placed(self, listed_in: str, rows: list[Row]) -> list[Row]:
        """A listing of a type listed account-wide: its rows in the regions their properties name; the
        others are placed by their own GetResource (``_place_task``)."""
        placed = []
        for row in rows:
            home = home_region(self.schema, row.properties)
            if home is not None:
                placed.append(row._replace(region=home))
            else:
                self.stream.submit(self._place_task, listed_in, row, depth=self.walk.leaf_depth + 1)
        return placed

    def _place_task(self, listed_in: str, row: Row) -> None:
        """The row of a resource listed account-wide, in its own region: the first asked region whose
        GetResource answers it (AWS answers only there), or the region the answer names."""
        if self._gone(listed_in):
            return
        for region in placing_order(listed_in, self.asked, self.partition_of):
            properties = self.fetch.get(region, self.schema, row.identifier)
            if properties is not None:
                home = home_region(self.schema, properties) or region
                self.stream.emit([self.walk.row(home, row.identifier, {**row.properties, **properties})])
                return

    def _group_task(self, region: str, model: Model, identifiers: list[str]) -> None:
        """Identifiers of one parent, read from its listing. The listing stops when all are found; after
        as many pages as identifiers remain (gets would now be cheaper), the rest are got one by one. An
        identifier a complete listing does not show does not exist: no row."""
        if self._gone(region):
            return
        remaining = set(identifiers)
        for pages, page in enumerate(self.fetch.listing(region, self.schema, model), start=1):
            fed = self.walk.fed(page, model)
            found = [(identifier, props) for identifier, props in fed if identifier in remaining]
            remaining.difference_update(identifier for identifier, _ in found)
            rows = self._complete(region, self.walk.rows(region, found))
            self.stream.emit(rows)
            if self.stream.enough or not remaining:
                return
            if not page.last and (len(rows) < len(found) or pages >= len(remaining)):
                break  # list items lack needed columns (each needs a get anyway), or gets are now cheaper
        else:
            return
        for identifier in sorted(remaining):
            self.stream.submit(self._get_task, region, identifier)

    def _parent_task(
        self, region: str, level: int, known: Known, model: Model, pages: Iterator[Page] | None
    ) -> None:
        """List the parents at ``level`` and submit each one's children. Under a LIMIT it reads one page
        and queues the rest after the children (depth first); otherwise it reads every page."""
        if self._gone(region):
            return
        step = self.schema.parents[level]
        parent = self.walk.levels[level]
        wanted, needed = self.walk.parent_filters(level)
        if pages is None:
            pages = iter(self.fetch.listing(region, parent, model or None))
        for page in pages:
            if self.stream.enough:
                return
            if self.progress is not None:
                self.progress.add_parents(len(page))
            for identifier, props in page:
                props = {**parent.split_identifier(identifier), **props}
                if any(prop not in props for prop in needed):
                    full = self.fetch.get(region, parent, identifier, dropping=True)
                    if full is None:
                        continue  # gone since it was listed
                    props = {**props, **full}
                if any(props.get(prop or "") not in values for prop, values in wanted):
                    continue
                if step.keep and not self._keeps(region, parent, identifier, props, step):
                    continue
                self._submit_level(region, level + 1, {**known, step.type_name: props})
            if self.stream.lazy:
                self.stream.submit(self._parent_task, region, level, known, model, pages, depth=level)
                return

    def _keeps(
        self, region: str, parent: ResourceSchema, identifier: str, props: Properties, step: ParentStep
    ) -> bool:
        if any(name not in props for name in step.keep):
            full = self.fetch.get(region, parent, identifier, dropping=True)
            if full is None:
                return False
            props = full
        return step.keeps(props)


_LEAF_TASKS = (AccountScan._list_task, AccountScan._get_task, AccountScan._place_task)
