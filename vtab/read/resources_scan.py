"""The read of ``vtab_resources``: every listing of a plan (vtab.read.resources) run in parallel.

Each listing is the read scan of its type in its place (vtab.read.scan: the same walk, fetch layer,
memo, cache, rate limits and call log as a typed table's ``SELECT * WHERE region = ...``), run by a
*runner*: a task of this scan's own stream that starts the type's scan, hands its rows on as they come,
and records the listing's failure (vtab.read.failures) instead of ending the statement. Runners only
wait for their own scan, whose calls run on a separate pool, so no task waits for a task of its own pool.

The listings run by depth: first the types listed alone, then those whose walk lists one parent level,
and so on, each depth once the one before has ended. A parent's listing is then in the statement's memo
before any walk needs it, so each parent is listed once however many child types walk it (EKS clusters:
for node groups, add-ons, Fargate profiles, access entries...), not once per type that runs beside it.

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
from vtab.catalog.columns import IDENTIFIER, REGION
from vtab.read.cache import ResultStore
from vtab.read.context import TypeContext
from vtab.read.failures import Failures, failure_of
from vtab.read.plan import Offer, choose_plan
from vtab.read.progress import ReadProgress
from vtab.read.resources import TABLE, Listing
from vtab.read.scan import Scan
from vtab.read.stream import TaskStream
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
    Failed listings go to ``failures``; the caller decides what they mean once the rows are read."""

    def __init__(
        self,
        listings: Sequence[Listing],
        context_of: Callable[[Listing], TypeContext],
        table_of: Callable[[str], str],
        *,
        runners: ThreadPoolExecutor,
        pool: ThreadPoolExecutor,
        workers: int,
        memo: ResultStore,
        failures: Failures,
        limit: int | None = None,
        progress: ReadProgress | None = None,
        interrupted: Interrupted,
    ) -> None:
        self.listings = list(listings)
        depths = sorted({listing.depth for listing in self.listings})
        self._phases = [[one for one in self.listings if one.depth == depth] for depth in depths]
        """The listings by walk depth, shallowest first: each depth starts once the one before ended."""
        self._phase = 0
        self._left = 0
        """Listings of the running phase not yet ended."""
        self._lock = threading.Lock()
        self._context_of = context_of
        self._table_of = table_of
        self._pool = pool
        self._memo = memo
        self.failures = failures
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
        """Submit the next depth's listings (none left: nothing; the stream then ends)."""
        if self._phase >= len(self._phases):
            return
        phase = self._phases[self._phase]
        self._phase += 1
        with self._lock:
            self._left = len(phase)
        for listing in phase:
            self.stream.submit(self._run, listing)

    def _ended(self) -> None:
        """One listing ended; the last of its phase starts the next (before its own task ends, so the
        stream never runs dry in between)."""
        with self._lock:
            self._left -= 1
            last = self._left == 0
        if last:
            self._next_phase()

    def _run(self, listing: Listing) -> None:
        """The runner of one listing (a worker of the runners' pool)."""
        try:
            self._list(listing)
        finally:
            if self._progress is not None:
                self._progress.listing_done()
            self._ended()

    def _list(self, listing: Listing) -> None:
        """The type's scan in the listing's place, its rows handed on; its failure recorded. A walk whose
        parent type failed in the place fails alike, without a call (the parent ran first)."""
        type_name, account = listing.type_name, listing.place.account_id
        failed = self.failures.of_parent(account, listing.place.region, listing.parents)
        if failed is not None:
            self.failures.add(failed.under(type_name))
            return
        context = self._context_of(listing)
        plan, _, _ = choose_plan(context.schema, [Offer(REGION, False)], {REGION, IDENTIFIER})
        regions = list(listing.regions)
        scan = Scan(
            context,
            self._pool,
            self._memo,
            plan,
            {REGION: set(regions)},
            regions,
            self._limit,
            self._progress,
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
            self.failures.add(failure_of(account, listing.place.region, type_name, error))
        finally:
            scan.close()
