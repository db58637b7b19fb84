"""The read of ``vtab_resources``: every listing of a plan (vtab.read.resources) run in parallel.

Each listing is the read scan of its type in its place (vtab.read.scan: the same walk, fetch layer,
memo, cache, rate limits, call log and accounts as a typed table's ``SELECT * WHERE region = ... AND
account_id = ...``), run by a *runner*: a task of this scan's own stream that starts the type's scan,
hands its rows on as they come, and records the listing's failure in the statement's accounts
(vtab.read.accounts) instead of ending the statement. Runners only wait for their own scan, whose calls
run on a separate pool, so no task waits for a task of its own pool.

First each account is reached (its role assumed, in parallel): one that cannot be is one failure per
region, not one per type. Then the listings run by depth: first the types listed alone, then those whose
walk lists one parent level, and so on, each depth once the one before has ended. A parent's listing is
then in the statement's memo before any walk needs it, so each parent is listed once however many child
types walk it (EKS clusters: for node groups, add-ons, Fargate profiles, access entries...), not once per
type that runs beside it; and a walk whose parent type failed in the place fails alike, without a call.

Under a LIMIT the runners are lazy (vtab.read.stream: one listing first, more while rows are still
wanted), and each scan stops at the limit too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import apsw

from vtab.aws.cloudcontrol import Properties
from vtab.catalog.columns import ACCOUNT_ID, IDENTIFIER, REGION
from vtab.read.accounts import StatementAccounts, Target, account_failure, failure_of
from vtab.read.cache import ResultStore
from vtab.read.context import TypeContext
from vtab.read.plan import Offer, choose_plan
from vtab.read.progress import ReadProgress
from vtab.read.resources import TABLE, Listing
from vtab.read.scan import Scan
from vtab.read.stream import Task, TaskStream
from vtab.sql.interrupt import Interrupted, interrupted_error


class ResourceRow(NamedTuple):
    """One row of vtab_resources."""

    type_name: str
    table_name: str
    account_id: str
    region: str
    identifier: str
    properties: Properties


def _every(rows: list[ResourceRow]) -> list[ResourceRow]:
    return rows  # each type's scan kept only the rows of its places already


def _widens(task: object) -> bool:
    return True  # a listing that ended short of the LIMIT lets the next two start


class ResourcesScan:
    """One Filter of vtab_resources: iterate it for ResourceRows; ``close()`` stops the remaining work.
    Failures go to ``accounts``; the caller settles them once the rows are read."""

    def __init__(
        self,
        listings: Sequence[Listing],
        context_of: Callable[[Listing], TypeContext],
        table_of: Callable[[str], str],
        *,
        targets: Sequence[Target],
        runners: ThreadPoolExecutor,
        pool: ThreadPoolExecutor,
        workers: int,
        memo: ResultStore,
        accounts: StatementAccounts,
        limit: int | None = None,
        progress: ReadProgress | None = None,
        interrupted: Interrupted,
    ) -> None:
        self.listings = list(listings)
        depths = sorted({listing.depth for listing in self.listings})
        reached: list[tuple[Task, object]] = [
            (self._reach, target) for target in targets if target.account is not None
        ]
        by_depth: list[list[tuple[Task, object]]] = [
            [(self._run, one) for one in self.listings if one.depth == depth] for depth in depths
        ]
        self._phases = [reached, *by_depth] if reached else by_depth
        """The accounts to reach, then the listings by walk depth, shallowest first: each phase starts
        once the one before ended."""
        self._phase = 0
        self._left = 0
        """Tasks of the running phase not yet ended."""
        self._lock = threading.Lock()
        self._context_of = context_of
        self._table_of = table_of
        self._pool = pool
        self._memo = memo
        self.accounts = accounts
        self._limit = limit
        self._progress = progress
        self.stream: TaskStream[ResourceRow] = TaskStream(
            runners,
            workers,
            start=self._start,
            kept=_every,
            widens=_widens,
            limit=limit,
            label=f"the scan of {TABLE}",
            interrupted=interrupted,
        )

    def __iter__(self) -> Iterator[ResourceRow]:
        return iter(self.stream)

    def close(self) -> None:
        self.stream.close()

    def _start(self) -> None:
        if self._progress is not None:
            self._progress.add_listings(len(self.listings))
        self._next_phase()

    def _next_phase(self) -> None:
        """Submit the next phase's tasks (none left: nothing; the stream then ends)."""
        if self._phase >= len(self._phases):
            return
        phase = self._phases[self._phase]
        self._phase += 1
        with self._lock:
            self._left = len(phase)
        for task, argument in phase:
            self.stream.submit(self._ending(task), argument)

    def _ending(self, task: Task) -> Task:
        def run(argument: object) -> None:
            try:
                task(argument)
            finally:
                self._ended()

        return run

    def _ended(self) -> None:
        """One task ended; the last of its phase starts the next (before its own task ends, so the stream
        never runs dry in between)."""
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if last:
            self._next_phase()

    def _reach(self, target: Target) -> None:
        """Reach an account (assume its role): one that cannot be reached fails in each of its places."""
        try:
            target.cloud()
        except apsw.Error as error:
            regions = dict.fromkeys(
                one.place.region for one in self.listings if one.place.account_id == target.account_id
            )
            for region in regions:
                failure = account_failure(target, region, None, error)
                if failure is None:
                    raise
                self.accounts.fail(failure)

    def _run(self, listing: Listing) -> None:
        """The runner of one listing (a worker of the runners' pool)."""
        try:
            self._list(listing)
        finally:
            if self._progress is not None:
                self._progress.listing_done()

    def _list(self, listing: Listing) -> None:
        """The type's scan in the listing's place, its rows handed on; its failure recorded. A walk whose
        parent type failed in the place fails alike, without a call (the parent ran first)."""
        type_name, (account, region) = listing.type_name, listing.place
        if self.accounts.failed(account, region, type_name):
            return  # the account could not be reached there: one failure, recorded already
        failed = self.accounts.parent_failure(account, region, listing.parents)
        if failed is not None:
            self.accounts.fail(failed.under(type_name))
            return
        context = self._context_of(listing)
        plan, _, _ = choose_plan(context.schema, [Offer(REGION, False)], {REGION, IDENTIFIER})
        regions = list(listing.regions)
        scan = Scan(
            context,
            self._pool,
            self._memo,
            plan,
            {REGION: set(regions), ACCOUNT_ID: {account}},
            regions,
            self._limit,
            self._progress,
            self.accounts,
        )
        table = self._table_of(type_name)
        try:
            for batch in scan.batches():
                self.stream.emit(
                    [
                        ResourceRow(type_name, table, account, row.region, row.identifier, row.properties)
                        for row in batch
                    ]
                )
                if self.stream.enough:
                    return
        except apsw.InterruptError:
            raise interrupted_error(f"the scan of {TABLE}") from None  # the statement's, not one type's
        except apsw.Error as error:
            # The connection's own account (an estate's scan records its accounts' failures itself): the
            # listing's failure all the same, unless no call failed (the statement's own error).
            failure = failure_of(account, None, region, type_name, error)
            if failure is None:
                raise
            self.accounts.fail(failure)
        finally:
            scan.close()
