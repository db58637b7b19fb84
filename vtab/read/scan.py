"""Runs a read Plan: gets, lists and parent walks, in parallel on a bounded pool, streamed as pages arrive.

Tasks never wait for other tasks (a parent listing submits its children and ends), so the pool cannot
deadlock; results flow through a bounded queue to the SQLite thread, so memory does not grow with the
number of rows. A consumer that stops early (LIMIT) cancels the rest.

Under a LIMIT the scan is lazy: tasks wait in a depth-first queue (children before their parent's next
page) and run through a window that starts at one task and doubles each time a leaf listing ends without
enough rows, so ``LIMIT 1`` on a walk costs one call per level while a large LIMIT soon runs at full width.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

import apsw
import orjson

from vtab.aws.cloudcontrol import CloudControl, Item, Page, Properties
from vtab.aws.identity import EXAMPLE
from vtab.catalog.columns import IDENTIFIER, REGION
from vtab.catalog.limits import request_limits
from vtab.catalog.schema import IDENTIFIER_SEPARATOR, InputSource, ListInput, ParentStep, ResourceSchema
from vtab.catalog.store import load_catalog
from vtab.messages import sql_literal
from vtab.read.affinity import Affinity, compared_value
from vtab.read.cache import Key, ResultStore
from vtab.read.plan import Plan, PlanKind, id_columns, input_columns, level_schemas
from vtab.read.progress import ReadProgress
from vtab.read.regions import cache_region, scan_regions
from vtab.sql.interrupt import POLL_SECONDS, Interrupted, interrupted_error, never

Known = dict[str, Properties]
"""Parent type -> the properties of the parent a walk is under (given in WHERE, or listed), which feed the
list inputs of the levels below."""


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


_DONE = object()

GROUP_LIST_MIN = 2
"""Identifiers of one parent, at least this many, are read from their parent's listing instead of one
GetResource each (the listing stops once all are found, or once gets would be cheaper than more pages)."""


class _Cancelled(Exception):
    pass


_EXITING = threading.Event()
"""Set when the interpreter starts to exit, before it joins the pools' threads: a scan whose statement
was left open (a cursor read part way and never closed) has workers waiting for room in its queue, and
Python would wait for them forever (a hang at exit, reproduced). They give up instead."""
threading._register_atexit(_EXITING.set)  # type: ignore[attr-defined]
# threading runs these hooks in the reverse order of registration, and concurrent.futures.thread registered
# its own (the join) when ThreadPoolExecutor was imported above: this one runs first. The hook is private;
# it is how concurrent.futures itself does this, and atexit hooks run only after the join, too late.


class Scan:
    """One Filter call: iterate it for Rows; ``close()`` stops the remaining work."""

    def __init__(
        self,
        ctx: ReadContext,
        memo: ResultStore,
        schema: ResourceSchema,
        plan: Plan,
        values: dict[str, set[Any]],
        regions: list[str],
        limit: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.memo = memo
        self.schema = schema
        self.plan = plan
        self.values = values
        self.regions = scan_regions(schema, regions, ctx.preferred_region, ctx.cloud.partition_of)
        """Every region asked, or one per partition for a global type (its rows carry that region)."""
        self.limit = limit
        self._emitted = 0
        self._enough = threading.Event()
        """Set once ``limit`` rows were emitted: no further page or task is fetched."""
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(4, ctx.workers))
        self._pending = 0
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._futures: set[Future[None]] = set()
        """Submitted tasks not yet finished: close() cancels those that have not started."""
        self._futures_lock = threading.Lock()
        self._started = False
        self._waiting: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        """Lazy mode (a LIMIT): tasks not yet started, deepest first, then oldest first."""
        self._order = itertools.count()
        self._running = 0
        self._window = 1
        """Lazy mode: how many tasks may run at once; doubles with each leaf that ends short of the limit."""
        self._leaf_depth = len(schema.parents)
        self._levels = level_schemas(schema) if schema.parents else [schema]
        self._ids = id_columns(schema)
        columns = {**input_columns(schema), **self._ids}
        self._region_wanted = values.get(REGION)
        self._identifier_wanted = values.get(IDENTIFIER)
        self._property_wanted = [(columns[c], v) for c, v in values.items() if c not in (REGION, IDENTIFIER)]
        self._account: str | BaseException | None = None
        """The caller's account id once a listing asked for it (or why it could not be had)."""
        self._account_lock = threading.Lock()
        self._asked: set[Key] = set()
        """The calls this scan made itself: their answers are fresh enough to drop rows by."""

    # -- consumer side (the SQLite thread) ------------------------------------------------------------

    def __iter__(self) -> Iterator[Row]:
        if not self._started:
            self._started = True
            self._start()
        while True:
            item = self._next_item()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                self.close()
                raise item
            yield from item

    def _next_item(self) -> Any:
        """The next queued item; InterruptError when the connection is interrupted (or Ctrl-C pressed)
        meanwhile. Any exit other than an item cancels the remaining work."""
        try:
            while True:
                if self.ctx.interrupted():
                    raise interrupted_error(f"the scan of {self.schema.type_name}")
                try:
                    return self._queue.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    continue
        except KeyboardInterrupt:
            self.close()
            raise interrupted_error(f"the scan of {self.schema.type_name}") from None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop: tasks not started are cancelled, running ones stop at their next page, answers are
        dropped."""
        self._cancelled.set()
        with self._futures_lock:
            futures = list(self._futures)
        for future in futures:
            future.cancel()
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    # -- task bookkeeping -----------------------------------------------------------------------------

    @property
    def _lazy(self) -> bool:
        return self.limit is not None

    def _submit(self, fn: Callable[..., None], *args: Any, depth: int | None = None) -> None:
        """Run ``fn(*args)`` on the pool; under a LIMIT, queue it by ``depth`` (default: a leaf task)."""
        if self._enough.is_set():
            return
        with self._lock:
            self._pending += 1
            if not self._lazy:
                self._start_task(fn, args)
                return
            level = self._leaf_depth if depth is None else depth
            heapq.heappush(self._waiting, (-level, next(self._order), fn, args))
        self._pump()

    def _start_task(self, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        """Hand a task to the pool, remembering its future so close() can cancel it before it starts."""
        future = self.ctx.pool.submit(self._run, fn, *args)
        with self._futures_lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._futures_lock:
            self._futures.discard(future)

    def _pump(self) -> None:
        """Lazy mode: start waiting tasks while the window has room; drop them all once enough rows came."""
        dropped = 0
        with self._lock:
            if self._enough.is_set() or self._cancelled.is_set():
                dropped = len(self._waiting)
                self._waiting.clear()
            while self._waiting and self._running < self._window:
                _, _, fn, args = heapq.heappop(self._waiting)
                self._running += 1
                self._start_task(fn, args)
        for _ in range(dropped):
            self._finish()

    def _run(self, fn: Callable[..., None], *args: Any) -> None:
        progress = self.ctx.progress
        try:
            if not (self._cancelled.is_set() or self._enough.is_set()):
                if progress is None:
                    fn(*args)
                else:
                    progress.call_started()
                    try:
                        fn(*args)
                    finally:
                        progress.call_ended()
        except _Cancelled:
            pass
        except BaseException as error:
            self._put(error, force=True)
            self._cancelled.set()
        finally:
            if self._lazy:
                with self._lock:
                    self._running -= 1
                    if fn in (self._list_task, self._get_task) and not self._enough.is_set():
                        self._window = min(self.ctx.workers, self._window * 2)
                self._pump()
            self._finish()

    def _finish(self) -> None:
        """One submitted task is over (run or dropped); the last one ends the stream."""
        with self._lock:
            self._pending -= 1
            last = self._pending == 0
        if last:
            self._put(_DONE, force=True)

    def _put(self, item: Any, force: bool = False) -> None:
        while True:
            if self._cancelled.is_set() and not force:
                raise _Cancelled
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                if _EXITING.is_set():
                    self._cancelled.set()
                if self._cancelled.is_set():
                    if force:
                        return
                    raise _Cancelled from None

    def _emit(self, rows: list[Row]) -> None:
        kept = [row for row in rows if self._matches(row)]
        if kept:
            if self.ctx.progress is not None:
                self.ctx.progress.add_rows(len(kept))
            self._put(kept)
            with self._lock:
                self._emitted += len(kept)
                if self.limit is not None and self._emitted >= self.limit:
                    self._enough.set()

    # -- starting the plan ----------------------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            self._pending += 1  # hold the stream open while the first tasks are submitted
        try:
            if self.plan.kind is PlanKind.GET:
                identifiers = self._identifiers()
                for region in self.regions:
                    self._submit_gets(region, identifiers)
            else:
                start = self._leaf_depth if self.plan.kind is PlanKind.LIST else self.plan.walk_from
                for region in self.regions:
                    for known in self._given_parents(start):
                        self._submit_level(region, start, known)
        finally:
            self._finish()  # releases the hold; ends the stream if nothing was submitted

    def _given_parents(self, start: int) -> Iterator[Known]:
        """The parent values WHERE gives for a listing that starts at level ``start`` (one Known per
        combination of IN values): the type's own columns fed by the parents above ``start``."""
        chain = [step.type_name for step in self.schema.parents]
        given = [
            item
            for item in self.schema.list_inputs
            if item.source is InputSource.PARENT
            and item.parent in chain[:start]
            and self.schema.input_given(item, self.values)
        ]
        choices = [self._input_texts(self.schema, item) for item in given]
        for combo in itertools.product(*choices):
            known: Known = {}
            for item, value in zip(given, combo, strict=True):
                assert item.parent is not None and item.parent_property is not None
                known.setdefault(item.parent, {})[item.parent_property] = value
            yield known

    def _models(self, level: int, known: Known, region: str) -> list[dict[str, Any]]:
        """The ResourceModels that list level ``level`` (the type itself at the last level) under the
        parents in ``known``: one per combination of fixed values and IN values given for its inputs (the
        account id: given in WHERE, else the caller's)."""
        schema = self._levels[level]
        leaf = level == self._leaf_depth
        choices: list[list[Any]] = []
        for item in schema.list_inputs:
            column = schema.column_of(item.property_name)
            if item.source is InputSource.PARENT and (item.parent in known or not leaf):
                value = known.get(item.parent or "", {}).get(item.parent_property or "")
                choices.append([] if value is None else [value])
            elif leaf and schema.input_given(item, self.values):
                choices.append(self._input_texts(schema, item))
            elif item.source is InputSource.VALUES:
                choices.append(list(item.values))
            elif item.source is InputSource.ACCOUNT_ID:
                choices.append(self._account_ids(region))
            else:
                raise apsw.SQLError(self._needs_where(schema, column, item.reason))
        names = [item.input for item in schema.list_inputs]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)]

    def _account_ids(self, region: str) -> list[str]:
        """The account ids an account-wide listing (at any level) is made with: those WHERE gives for the
        type's own account-id column, else the caller's: the account_id option, else STS, asked once per
        connection (and at most once per scan, failure included, however many tasks need it)."""
        columns = self._account_columns()
        for column in columns:
            if column in self.values:
                return self._texts(column)
        with self._account_lock:
            if self._account is None:
                fix = f"give {columns[0] if columns else 'the account id column'} = '{EXAMPLE}' in WHERE"
                try:
                    self._account = self.ctx.cloud.account_id(region, self.ctx.account_id, fix)
                except apsw.Error as error:
                    self._account = error
            if isinstance(self._account, BaseException):
                raise self._account
            return [self._account]

    def _needs_where(self, schema: ResourceSchema, column: str, reason: str) -> str:
        why = reason or "no walk finds its value"
        return (
            f"{schema.type_name} can only be listed with {column} given in WHERE ({why}); add "
            f"WHERE {column} = '...' (or IN (...)), or give data__Identifier"
        )

    def _submit_level(self, region: str, level: int, known: Known) -> None:
        """List level ``level`` under ``known``: the type itself at the last level, else a parent. A level
        that needs the caller's account id before it is known asks for it on a worker, as every call is
        made, so the SQLite thread waits for it interruptibly."""
        if self._account is None and self._asks_account(level):
            self._submit(self._level_task, region, level, known, depth=level)
        else:
            self._level_task(region, level, known)

    def _asks_account(self, level: int) -> bool:
        """Whether listing ``level`` needs the caller's account id (WHERE gives none)."""
        return any(
            item.source is InputSource.ACCOUNT_ID for item in self._levels[level].list_inputs
        ) and not any(column in self.values for column in self._account_columns())

    def _account_columns(self) -> list[str]:
        """The type's own columns that are account-id list inputs (``aws_account_id``)."""
        return [
            self.schema.column_of(item.property_name)
            for item in self.schema.list_inputs
            if item.source is InputSource.ACCOUNT_ID
        ]

    def _level_task(self, region: str, level: int, known: Known) -> None:
        for model in self._models(level, known, region):
            if not self._exists_in(self._levels[level], region, model):
                continue  # a fixed value that exists elsewhere only (WAFv2's CLOUDFRONT outside us-east-1)
            if level == self._leaf_depth:
                self._submit(self._list_task, region, model)
            else:
                self._submit(self._parent_task, region, level, known, model, None, depth=level)

    @staticmethod
    def _exists_in(schema: ResourceSchema, region: str, model: dict[str, Any]) -> bool:
        """Whether every list input value of ``model`` can exist in ``region`` (one of its fixed values, and
        in an overlay's ``regions``)."""
        return all(item.can_list(model.get(item.input), region) for item in schema.list_inputs)

    def _submit_gets(self, region: str, identifiers: list[str]) -> None:
        """One GetResource per identifier, except that identifiers sharing a parent (GROUP_LIST_MIN or
        more) are looked up in that parent's listing. An identifier whose parts hold a value that cannot
        exist in the region (a CLOUDFRONT web ACL outside us-east-1) names no resource there: no call."""
        groups: dict[str, list[str]] = {}
        for identifier in identifiers:
            parts = self.schema.split_identifier(identifier)
            model = {item.input: parts.get(item.property_name) for item in self.schema.list_inputs}
            if not self._exists_in(self.schema, region, model):
                continue
            groups.setdefault(self._parent_key(identifier), []).append(identifier)
        for key, members in groups.items():
            if key and len(members) >= GROUP_LIST_MIN:
                parts = self.schema.split_identifier(members[0])
                model = {item.input: self._input_part(item, parts) for item in self.schema.list_inputs}
                self._submit(self._group_task, region, model, members)
            else:
                for identifier in members:
                    self._submit(self._get_task, region, identifier)

    def _parent_key(self, identifier: str) -> str:
        """The list input an identifier's own parts give (``ApiId|IntegrationId``; DataZone's ``DomainId``
        part for its ``DomainIdentifier`` input), or '' if they do not give all of it (the type lists
        region-wide, or needs inputs outside its identifier)."""
        parts = self.schema.split_identifier(identifier)
        values = [self._input_part(item, parts) for item in self.schema.list_inputs]
        if not values or any(value is None for value in values):
            return ""
        return "|".join(str(value) for value in values)

    @staticmethod
    def _input_part(item: ListInput, parts: dict[str, str]) -> str | None:
        """The identifier part holding the list input's value (its own, else an alias's), or None."""
        for prop in item.holders:
            if prop in parts:
                return parts[prop]
        return None

    def _identifiers(self) -> list[str]:
        """The identifiers a get plan reads, checked for shape before anything is sent."""
        if IDENTIFIER in self.values:
            result = []
            for identifier in sorted(self.values[IDENTIFIER], key=str):
                if not isinstance(identifier, str):
                    raise apsw.SQLError(self._bad_identifier(identifier, "it is not text"))
                try:
                    self.schema.split_identifier(identifier)
                except ValueError as error:
                    raise apsw.SQLError(self._bad_identifier(identifier, str(error))) from None
                limit = request_limits().identifier
                if len(identifier) > limit:
                    why = f"it is {len(identifier):,} characters; identifiers have at most {limit:,}"
                    raise apsw.SQLError(self._bad_identifier(identifier, why))
                result.append(identifier)
            return result
        parts = [self._texts(column) for column in self._ids]
        return ["|".join(combo) for combo in itertools.product(*parts)]

    def _input_texts(self, schema: ResourceSchema, item: ListInput) -> list[str]:
        """The values WHERE gives for a list input: on its column and its aliases' (all that are given must
        agree, so a value is kept only if every one of them has it)."""
        columns = schema.input_given(item, self.values)
        kept = set(self._texts(columns[0]))
        for column in columns[1:]:
            kept.intersection_update(self._texts(column))
        return sorted(kept)

    def _texts(self, column: str) -> list[str]:
        """The text values given for an id column that an id can have: '' or 'a|b' can match no row ('|'
        joins ids into identifiers), so nothing is sent for them; ' ' is a name AWS allows. A number given
        for a TEXT column arrives here as text already (vtab.read.affinity); a numeric column's number is
        written as SQLite writes it."""
        texts = (
            value if isinstance(value, str) else compared_value(Affinity.TEXT, value)
            for value in self.values[column]
            if isinstance(value, (str, int, float))  # an INTEGER id column's 5 is the id '5'
        )
        return sorted(t for t in texts if isinstance(t, str) and t and IDENTIFIER_SEPARATOR not in t)

    def _bad_identifier(self, value: object, why: str) -> str:
        shape = "|".join(f"<{p}>" for p in self.schema.primary_identifier)
        return f"{IDENTIFIER} = {sql_literal(value)} is malformed: {why}. Write it as '{shape}'"

    # -- tasks (worker threads) -----------------------------------------------------------------------

    def _get_task(self, region: str, identifier: str, fed: Properties | None = None) -> None:
        """One resource by GetResource; ``fed``: the list inputs its listing gave (a partial item being
        hydrated), which the model may lack."""
        properties = self._cached_get(region, self.schema, identifier)
        if properties is None:
            return
        row = self._row(region, identifier, {**(fed or {}), **properties})
        found = self._found_in_listing(region, row) if self._inputs_unread(row) else row
        if found is not None:
            self._emit([found])

    def _inputs_unread(self, row: Row) -> bool:
        """Whether WHERE gives a list input the row cannot show: GetResource does not return it
        (write-only, like Amplify's AppId of a webhook) and the identifier (an Arn) does not hold it."""
        return any(
            item.property_name not in row.properties and self.schema.input_given(item, self.values)
            for item in self.schema.list_inputs
        )

    def _found_in_listing(self, region: str, row: Row) -> Row | None:
        """The row as the listing under the inputs WHERE gives shows it (those columns filled), or None
        when no such listing holds it (it is not under those parents: no row). The row unchanged when
        such a listing cannot be made (an input neither given, in the row, fixed nor the account id)."""
        choices: list[list[Any]] = []
        for item in self.schema.list_inputs:
            if item.property_name in row.properties:
                choices.append([row.properties[item.property_name]])
            elif self.schema.input_given(item, self.values):
                choices.append(self._input_texts(self.schema, item))
            elif item.source is InputSource.VALUES:
                choices.append(list(item.values))
            elif item.source is InputSource.ACCOUNT_ID:
                choices.append(self._account_ids(row.region))
            else:
                return row
        names = [item.input for item in self.schema.list_inputs]
        for combo in itertools.product(*choices):
            model = dict(zip(names, combo, strict=True))
            for page in self._cached_list(region, self.schema, model):
                for identifier, props in self._fed(page, model):
                    if identifier == row.identifier:
                        return Row(row.region, row.identifier, {**props, **row.properties})
        return None

    def _list_task(self, region: str, model: dict[str, str]) -> None:
        for page in self._cached_list(region, self.schema, model):
            self._emit(self._complete(region, self._fed(page, model)))
            if self._enough.is_set():
                return

    def _fed(self, page: list[Item], model: dict[str, Any]) -> list[Item]:
        """The page's items with the list inputs they were listed under (a listing by ClusterName holds
        that cluster's nodegroups), so those columns need no GetResource."""
        fed = {
            prop: model[item.input]
            for item in self.schema.list_inputs
            if item.input in model
            for prop in item.holders
        }
        if not fed:
            return page
        return [(identifier, {**fed, **props}) for identifier, props in page]

    def _complete(self, region: str, page: list[Item]) -> list[Row]:
        """The page's rows; partial ones are hydrated by their own GetResource when a column needs it."""
        rows = [self._row(region, identifier, props) for identifier, props in page]
        if not self.plan.full:
            return rows
        complete = []
        for row in rows:
            if self.schema.is_partial(row.properties):
                fed = {
                    prop: row.properties[prop]
                    for item in self.schema.list_inputs
                    for prop in item.holders
                    if prop in row.properties
                }
                self._submit(self._get_task, region, row.identifier, fed, depth=self._leaf_depth + 1)
            else:
                complete.append(row)
        return complete

    def _group_task(self, region: str, model: dict[str, str], identifiers: list[str]) -> None:
        """Identifiers of one parent, read from its listing. The listing stops when all are found; after
        as many pages as identifiers remain (gets would now be cheaper), the rest are got one by one. An
        identifier a complete listing does not show does not exist: no row."""
        remaining = set(identifiers)
        for pages, page in enumerate(self._cached_list(region, self.schema, model), start=1):
            fed = self._fed(page, model)
            found = [(identifier, props) for identifier, props in fed if identifier in remaining]
            remaining.difference_update(identifier for identifier, _ in found)
            rows = self._complete(region, found)
            self._emit(rows)
            if self._enough.is_set() or not remaining:
                return
            if not page.last and (len(rows) < len(found) or pages >= len(remaining)):
                break  # list items lack needed columns (each needs a get anyway), or gets are now cheaper
        else:
            return
        for identifier in sorted(remaining):
            self._submit(self._get_task, region, identifier)

    def _parent_task(
        self, region: str, level: int, known: Known, model: dict[str, Any], pages: Iterator[Page] | None
    ) -> None:
        """List the parents at ``level`` and submit each one's children. Under a LIMIT it reads one page
        and queues the rest after the children (depth first); otherwise it reads every page."""
        step = self.schema.parents[level]
        parent = self._levels[level]
        wanted = [
            (item.parent_property, self.values[column])
            for item in self.schema.list_inputs
            if item.parent == step.type_name
            for column in self.schema.input_given(item, self.values)
        ]
        # The properties of this parent that the levels below feed into their listings: a list item
        # that lacks one (an identifier-only listing) is read whole first, never walked past.
        needed = {
            item.parent_property
            for below in self._levels[level + 1 :]
            for item in below.list_inputs
            if item.parent == step.type_name and item.parent_property
        }
        needed.update(prop for prop, _ in wanted if prop)
        if pages is None:
            pages = iter(self._cached_list(region, parent, model or None))
        for page in pages:
            if self._enough.is_set():
                return
            if self.ctx.progress is not None:
                self.ctx.progress.add_parents(len(page))
            for identifier, props in page:
                props = {**parent.split_identifier(identifier), **props}
                if any(prop not in props for prop in needed):
                    full = self._cached_get(region, parent, identifier, dropping=True)
                    if full is None:
                        continue  # gone since it was listed
                    props = {**props, **full}
                if any(props.get(prop or "") not in values for prop, values in wanted):
                    continue
                if step.keep and not self._keeps(region, parent, identifier, props, step):
                    continue
                self._submit_level(region, level + 1, {**known, step.type_name: props})
            if self._lazy:
                self._submit(self._parent_task, region, level, known, model, pages, depth=level)
                return

    def _keeps(
        self, region: str, parent: ResourceSchema, identifier: str, props: Properties, step: ParentStep
    ) -> bool:
        if any(name not in props for name in step.keep):
            full = self._cached_get(region, parent, identifier, dropping=True)
            if full is None:
                return False
            props = full
        return step.keeps(props)

    # -- cached calls ---------------------------------------------------------------------------------

    def _lookup(self, key: Key) -> tuple[str | None, Any]:
        for name, store in (("memo", self.memo), ("hit", self.ctx.cache)):
            found, value = store.get(key)
            if found:
                return name, value
        return None, None

    def _remember(self, key: Key, value: Any, size: int) -> None:
        self.memo.put(key, value, size)
        self.ctx.cache.put(key, value, size)

    def _cache_region(self, schema: ResourceSchema, region: str) -> str:
        return cache_region(schema, region, self.ctx.cloud.partition_of)

    def _cached_get(
        self, region: str, schema: ResourceSchema, identifier: str, *, dropping: bool = False
    ) -> Properties | None:
        """GetResource through the memo and the cache. ``dropping``: a NotFound would drop rows (a parent
        gone), so one remembered from before this scan is asked again: the resource may exist by now."""
        key = (self._cache_region(schema, region), schema.type_name, "get", identifier)
        source, value = self._lookup(key)
        if source and not (dropping and value is None and key not in self._asked):
            self.ctx.cloud.log.start(
                "GetResource", region, schema.type_name, identifier=identifier, cache=source
            )
            return value
        if self._cancelled.is_set():
            raise _Cancelled
        properties = self.ctx.cloud.get(region, schema, identifier)
        self._asked.add(key)
        self._remember(key, properties, 1)
        return properties

    def _cached_list(
        self, region: str, schema: ResourceSchema, model: dict[str, str] | None, *, dropping: bool = False
    ) -> Iterable[Page]:
        """ListResources through the memo and the cache. ``dropping``: what the listing lacks would drop
        rows, so a listing remembered from before this scan is made again."""
        model_key = orjson.dumps(model or None, option=orjson.OPT_SORT_KEYS).decode()  # {} lists as None
        key = (self._cache_region(schema, region), schema.type_name, "list", model_key)
        source, pages = self._lookup(key)
        if source and not (dropping and key not in self._asked):
            record = self.ctx.cloud.log.start(
                "ListResources",
                region,
                schema.type_name,
                resource_model=(
                    orjson.dumps(schema.sensitive.model(model), option=orjson.OPT_SORT_KEYS).decode()
                    if model
                    else None
                ),
                cache=source,
            )
            record.items = sum(len(page) for page in pages)
            yield from pages
            return
        kept: list[Page] | None = []
        size = 0
        try:
            for page in self.ctx.cloud.list_pages(region, schema, model):
                if self._cancelled.is_set():
                    raise _Cancelled
                if kept is not None:
                    size += len(page)
                    kept.append(page)
                    if size > self.memo.max_items:
                        kept = None  # too big to remember: stream it through
                yield page
        except (apsw.NotFoundError, apsw.SQLError):
            # Missing parents answer NotFound, GeneralServiceException or InvalidRequest depending on the
            # handler; only a parent that is gone, or that cannot have children of this type (an HTTP API
            # for integration responses), makes that "no rows" rather than an error.
            if self._listing_cannot_apply(region, schema, model):
                return
            raise
        self._asked.add(key)
        if kept is not None:
            self._remember(key, kept, max(size, 1))

    def _listing_cannot_apply(
        self, region: str, schema: ResourceSchema, model: dict[str, str] | None
    ) -> bool:
        """A listing failed: is its parent gone (deleted mid-walk, never existed), or an ancestor one the
        parent chain excludes (its ``keep`` filter, e.g. a non-WebSocket API)? One memoised get per level."""
        if not model:
            return False
        catalog = load_catalog()
        by_parent: dict[tuple[str | None, str | None], Any] = {
            (item.parent, item.parent_property): model[item.input]
            for item in schema.list_inputs
            if item.parent and item.input in model
        }
        for step in reversed(schema.parents):
            ancestor = catalog.schema(step.type_name)
            fed = {
                item.parent_property: model[item.input]
                for item in schema.list_inputs
                if item.parent == step.type_name and item.parent_property and item.input in model
            }
            # the ancestor's own inputs and their aliases (an Environment is 'DomainId|Id', while the
            # listing holds the domain's id as DomainIdentifier): the values of the same parents' ids
            own = {
                prop: value
                for item in ancestor.list_inputs
                if (value := by_parent.get((item.parent, item.parent_property))) is not None
                for prop in item.holders
            }
            try:
                identifier = ancestor.identifier_of({**model, **own, **fed})
            except KeyError:
                if fed and self._absent_from_listing(region, ancestor, step, own, fed):
                    return True
                continue
            properties = self._cached_get(region, ancestor, identifier, dropping=True)
            if properties is None:
                return True
            if not step.keeps(properties):
                return True
        return False

    def _absent_from_listing(
        self,
        region: str,
        ancestor: ResourceSchema,
        step: ParentStep,
        own: dict[str, Any],
        fed: dict[str, Any],
    ) -> bool:
        """A parent whose identifier the listing's model cannot give (an Amplify app is read by its Arn,
        its branches are listed by AppId): gone, or excluded by ``keep``, when its own listing (this
        scan's: a walk has just made it; else made afresh) shows no parent with those values, or only
        excluded ones. False when that cannot be told: the listing needs inputs not known here, fails, or
        its items lack the values."""
        if any(item.property_name not in own for item in ancestor.list_inputs):
            return False
        model = {item.input: own[item.property_name] for item in ancestor.list_inputs}
        try:
            for page in self._cached_list(region, ancestor, model or None, dropping=True):
                for _, properties in page:
                    if any(name not in properties for name in fed):
                        return False
                    if all(properties[name] == value for name, value in fed.items()):
                        return not step.keeps(properties)
        except apsw.Error:
            return False
        return True

    # -- rows -----------------------------------------------------------------------------------------

    def _row(self, region: str, identifier: str, props: Properties) -> Row:
        """The row of one resource, its identifier parts and the list inputs they hold filled in where the
        model lacks them: a GetResource does not return a write-only input (DataZone's
        ``DomainIdentifier``), which a listing's row holds (``_fed``), so a get's row shows it too and
        ``WHERE data__Identifier = ? AND domain_identifier = ?`` finds the resource."""
        schema = self.schema
        ids = any(prop not in props for prop in schema.primary_identifier)
        if ids or any(item.property_name not in props for item in schema.list_inputs):
            try:
                parts = schema.split_identifier(identifier)
            except ValueError:
                return Row(region, identifier, props)
            fed = {
                prop: value
                for item in schema.list_inputs
                if (value := self._input_part(item, parts)) is not None
                for prop in item.holders
            }
            props = {**fed, **parts, **props}
        return Row(region, identifier, props)

    def _matches(self, row: Row) -> bool:
        """Every pushed-down constraint holds (SQLite was told it need not check them again)."""
        if self._region_wanted is not None and row.region not in self._region_wanted:
            return False
        if self._identifier_wanted is not None and row.identifier not in self._identifier_wanted:
            return False
        properties = row.properties
        return all(properties.get(prop) in wanted for prop, wanted in self._property_wanted)
