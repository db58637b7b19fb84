"""Runs a read Plan: gets, lists and parent walks, streamed as pages arrive.

A Scan decides which tasks a plan needs (the levels of a walk, the gets of given identifiers, one parent's
identifiers read from its listing) and turns answers into rows: list inputs filled in, partial items
hydrated by their own GetResource when a selected column needs it, pushed-down constraints checked.
Scheduling the tasks and handing rows to the SQLite thread is vtab.read.stream's; the memoised and cached
calls, vtab.read.calls'.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import apsw

from vtab.aws.cloudcontrol import Item, Page, Properties
from vtab.aws.identity import EXAMPLE
from vtab.catalog.columns import IDENTIFIER, REGION
from vtab.catalog.limits import request_limits
from vtab.catalog.schema import IDENTIFIER_SEPARATOR, InputSource, ListInput, ParentStep, ResourceSchema
from vtab.messages import sql_literal
from vtab.read.affinity import Affinity, compared_value
from vtab.read.cache import ResultStore
from vtab.read.calls import CachedCalls
from vtab.read.context import ReadContext, Row
from vtab.read.plan import Plan, PlanKind, id_columns, input_columns, level_schemas
from vtab.read.regions import home_region, placing_order, scan_regions
from vtab.read.stream import TaskStream

Known = dict[str, Properties]
"""Parent type -> the properties of the parent a walk is under (given in WHERE, or listed), which feed the
list inputs of the levels below."""

GROUP_LIST_MIN = 2
"""Identifiers of one parent, at least this many, are read from their parent's listing instead of one
GetResource each (the listing stops once all are found, or once gets would be cheaper than more pages)."""


class Scan(TaskStream):
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
        super().__init__(ctx, limit, len(schema.parents), f"the scan of {schema.type_name}")
        self.memo = memo
        self.schema = schema
        self.plan = plan
        self.values = values
        self.regions = scan_regions(
            schema,
            regions,
            ctx.preferred_region,
            ctx.cloud.partition_of,
            listing=plan.kind is not PlanKind.GET,
        )
        """Every region asked, or one per partition for a global type (its rows carry that region)."""
        self._asked = list(dict.fromkeys(regions))
        """Every region asked: a type listed account-wide shows the rows of these only (read/regions.py)."""
        self.calls = CachedCalls(ctx, memo, self._cancelled)
        self._levels = level_schemas(schema) if schema.parents else [schema]
        self._ids = id_columns(schema)
        columns = {**input_columns(schema), **self._ids}
        self._region_wanted = values.get(REGION)
        self._identifier_wanted = values.get(IDENTIFIER)
        self._property_wanted = [(columns[c], v) for c, v in values.items() if c not in (REGION, IDENTIFIER)]
        self._account: str | BaseException | None = None
        """The caller's account id once a listing asked for it (or why it could not be had)."""
        self._account_lock = threading.Lock()

    def _widens(self, fn: Callable[..., None]) -> bool:
        return fn in (self._list_task, self._get_task, self._place_task)

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
        properties = self.calls.get(region, self.schema, identifier)
        if properties is None or home_region(self.schema, properties) not in (None, region):
            return  # none, or (listed account-wide) another region's: the get there shows it
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
            for page in self.calls.listing(region, self.schema, model):
                for identifier, props in self._fed(page, model):
                    if identifier == row.identifier:
                        return Row(row.region, row.identifier, {**props, **row.properties})
        return None

    def _list_task(self, region: str, model: dict[str, str]) -> None:
        for page in self.calls.listing(region, self.schema, model):
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
        if self.schema.is_listed_account_wide:
            rows = self._placed(region, rows)
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
                self._submit(self._get_task, row.region, row.identifier, fed, depth=self._leaf_depth + 1)
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
                self._submit(self._place_task, listed_in, row, depth=self._leaf_depth + 1)
        return placed

    def _place_task(self, listed_in: str, row: Row) -> None:
        """The row of a resource listed account-wide, in its own region: the first asked region whose
        GetResource answers it (AWS answers only there), or the region the answer names."""
        for region in placing_order(listed_in, self._asked, self.ctx.cloud.partition_of):
            properties = self.calls.get(region, self.schema, row.identifier)
            if properties is not None:
                home = home_region(self.schema, properties) or region
                self._emit([self._row(home, row.identifier, {**row.properties, **properties})])
                return

    def _group_task(self, region: str, model: dict[str, str], identifiers: list[str]) -> None:
        """Identifiers of one parent, read from its listing. The listing stops when all are found; after
        as many pages as identifiers remain (gets would now be cheaper), the rest are got one by one. An
        identifier a complete listing does not show does not exist: no row."""
        remaining = set(identifiers)
        for pages, page in enumerate(self.calls.listing(region, self.schema, model), start=1):
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
            pages = iter(self.calls.listing(region, parent, model or None))
        for page in pages:
            if self._enough.is_set():
                return
            if self.ctx.progress is not None:
                self.ctx.progress.add_parents(len(page))
            for identifier, props in page:
                props = {**parent.split_identifier(identifier), **props}
                if any(prop not in props for prop in needed):
                    full = self.calls.get(region, parent, identifier, dropping=True)
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
            full = self.calls.get(region, parent, identifier, dropping=True)
            if full is None:
                return False
            props = full
        return step.keeps(props)

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
        if self.schema.is_listed_account_wide and row.region not in self._asked:
            return False
        if self._identifier_wanted is not None and row.identifier not in self._identifier_wanted:
            return False
        properties = row.properties
        return all(properties.get(prop) in wanted for prop, wanted in self._property_wanted)
