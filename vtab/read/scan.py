"""Runs a read Plan: gets, lists and parent walks, streamed as pages arrive.

A Scan turns a plan into tasks (the levels of a walk, the gets of given identifiers, one parent's
identifiers read from its listing) and answers into rows: partial items hydrated by their own GetResource
when a selected column needs it. What the walk's listings and rows are is vtab.read.walk's; scheduling the
tasks and handing rows to the SQLite thread, vtab.read.stream's; the memoised and cached calls,
vtab.read.fetch's.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vtab.aws.cloudcontrol import Item, Page, Properties
from vtab.catalog.schema import ParentStep, ResourceSchema
from vtab.read.cache import ResultStore
from vtab.read.context import TypeContext
from vtab.read.fetch import Fetcher
from vtab.read.plan import Plan, PlanKind
from vtab.read.progress import ReadProgress
from vtab.read.regions import home_region, placing_order, scan_regions
from vtab.read.rows import Row
from vtab.read.stream import Task, TaskStream
from vtab.read.walk import Known, Model, Walk, exists_in


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
    ) -> None:
        schema = table.schema
        self.schema = schema
        self.plan = plan
        self.progress = progress
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
        self.walk = Walk(
            schema,
            values,
            lambda region, fix: table.cloud.account_id(region, table.account_id, fix),
            self.asked,
        )
        self.stream: TaskStream[Row] = TaskStream(
            pool,
            table.workers,
            start=self._start,
            kept=self.walk.kept,
            widens=self._widens,
            limit=limit,
            leaf_depth=self.walk.leaf_depth,
            label=f"the scan of {schema.type_name}",
            interrupted=table.interrupted,
            progress=progress,
        )
        self.fetch = Fetcher.scan(table.cloud, memo, table.cache, self.stream.cancelled)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.stream)

    def batches(self) -> Iterator[list[Row]]:
        """The rows a page (or a get) at a time, as the tasks emitted them."""
        return self.stream.batches()

    def close(self) -> None:
        self.stream.close()

    def _widens(self, fn: Task) -> bool:
        return fn in (self._list_task, self._get_task, self._place_task)

    # -- starting the plan (the SQLite thread) --------------------------------------------------------

    def _start(self) -> None:
        if self.plan.kind is PlanKind.GET:
            identifiers = self.walk.identifiers()
            for region in self.regions:
                self._submit_gets(region, identifiers)
        else:
            start = self.walk.leaf_depth if self.plan.kind is PlanKind.LIST else self.plan.walk_from
            for region in self.regions:
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
                        return Row(row.region, row.identifier, {**props, **row.properties})
        return None

    def _list_task(self, region: str, model: Model) -> None:
        for page in self.fetch.listing(region, self.schema, model):
            self.stream.emit(self._complete(region, self.walk.fed(page, model)))
            if self.stream.enough:
                return

    def _complete(self, region: str, page: list[Item]) -> list[Row]:
        """The page's rows; partial ones are hydrated by their own GetResource when a column needs it."""
        rows = self.walk.rows(region, page)
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
                placed.append(Row(home, row.identifier, row.properties))
            else:
                self.stream.submit(self._place_task, listed_in, row, depth=self.walk.leaf_depth + 1)
        return placed

    def _place_task(self, listed_in: str, row: Row) -> None:
        """The row of a resource listed account-wide, in its own region: the first asked region whose
        GetResource answers it (AWS answers only there), or the region the answer names."""
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
        remaining = set(identifiers)
        for pages, page in enumerate(self.fetch.listing(region, self.schema, model), start=1):
            fed = self.walk.fed(page, model)
            found = [(identifier, props) for identifier, props in fed if identifier in remaining]
            remaining.difference_update(identifier for identifier, _ in found)
            rows = self._complete(region, found)
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
