"""The parent walk of one read: which listings and gets the values WHERE gives lead to, and which rows match.

A ``Walk`` holds a type's levels (its parents from the top, then the type itself) and the values WHERE
gives, and answers the questions the scan's tasks ask: the parents given for a listing that starts at some
level, the ResourceModels that list a level, the identifiers a get plan reads and how they group under
their parents, what a listed item's row is, and which rows match. It makes no call itself: the
caller's account id, when a listing needs it, comes from the ``account_of`` it is given.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import apsw

from vtab.aws.cloudcontrol import Item, Properties
from vtab.aws.identity import EXAMPLE
from vtab.catalog.columns import IDENTIFIER, REGION
from vtab.catalog.limits import request_limits
from vtab.catalog.schema import IDENTIFIER_SEPARATOR, InputSource, ListInput, ResourceSchema
from vtab.messages import sql_literal
from vtab.read.affinity import Affinity, compared_value
from vtab.read.plan import id_columns, input_columns, level_schemas
from vtab.read.rows import Row

Known = dict[str, Properties]
"""Parent type -> the properties of the parent a walk is under (given in WHERE, or listed), which feed the
list inputs of the levels below."""

Model = dict[str, Any]
"""A ResourceModel of ListResources: list input name -> value."""

AccountOf = Callable[[str, str], str]
"""(region, the fix a failure names) -> the caller's account id."""

GROUP_LIST_MIN = 2
"""Identifiers of one parent, at least this many, are read from their parent's listing instead of one
GetResource each (the listing stops once all are found, or once gets would be cheaper than more pages)."""


class Walk:
    """One read's levels and given values (see the module docstring)."""

    def __init__(
        self,
        schema: ResourceSchema,
        values: dict[str, set[Any]],
        account_of: AccountOf,
        asked: Iterable[str] = (),
        account: str | None = None,
    ) -> None:
        self.schema = schema
        self.account = account
        """The account the walk lists in, which its rows carry (None: the connection's own, unnamed)."""
        self.values = values
        self._account_of = account_of
        self.levels = level_schemas(schema) if schema.parents else [schema]
        self.leaf_depth = len(schema.parents)
        self._ids = id_columns(schema)
        columns = {**input_columns(schema), **self._ids}
        self._region_wanted = values.get(REGION)
        if schema.is_listed_account_wide:
            # Its listing names every region's resources: the rows of the regions asked only.
            self._region_wanted = set(self._region_wanted or asked)
        self._identifier_wanted = values.get(IDENTIFIER)
        self._property_wanted = [(columns[c], v) for c, v in values.items() if c not in (REGION, IDENTIFIER)]
        self._row_properties = frozenset(schema.primary_identifier) | {
            item.property_name for item in schema.list_inputs
        }
        """What a row shows of its identifier and list inputs (``row`` fills them in when lacking)."""
        self._account: str | BaseException | None = None
        """The caller's account id once a listing asked for it (or why it could not be had)."""
        self._account_lock = threading.Lock()

    # -- listings -------------------------------------------------------------------------------------

    def given_parents(self, start: int) -> Iterator[Known]:
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
        choices = [self.input_texts(self.schema, item) for item in given]
        for combo in itertools.product(*choices):
            known: Known = {}
            for item, value in zip(given, combo, strict=True):
                assert item.parent is not None and item.parent_property is not None
                known.setdefault(item.parent, {})[item.parent_property] = value
            yield known

    def models(self, level: int, known: Known, region: str) -> list[Model]:
        """The ResourceModels that list level ``level`` (the type itself at the last level) under the
        parents in ``known``: one per combination of fixed values and IN values given for its inputs (the
        account id: given in WHERE, else the caller's)."""
        schema = self.levels[level]
        leaf = level == self.leaf_depth
        choices: list[list[Any]] = []
        for item in schema.list_inputs:
            column = schema.column_of(item.property_name)
            if item.source is InputSource.PARENT and (item.parent in known or not leaf):
                value = known.get(item.parent or "", {}).get(item.parent_property or "")
                choices.append([] if value is None else [value])
            elif leaf and schema.input_given(item, self.values):
                choices.append(self.input_texts(schema, item))
            elif item.source is InputSource.VALUES:
                choices.append(list(item.values))
            elif item.source is InputSource.ACCOUNT_ID:
                choices.append(self.account_ids(region))
            else:
                raise apsw.SQLError(self._needs_where(schema, column, item.reason))
        return _combinations(schema, choices)

    def listings_of(self, row: Row) -> list[Model] | None:
        """The ResourceModels of the listings under the inputs WHERE gives that may hold ``row`` (a got
        resource whose row cannot show an input WHERE gives); None when no such listing can be made (an
        input neither given, in the row, fixed nor the account id)."""
        choices: list[list[Any]] = []
        for item in self.schema.list_inputs:
            if item.property_name in row.properties:
                choices.append([row.properties[item.property_name]])
            elif self.schema.input_given(item, self.values):
                choices.append(self.input_texts(self.schema, item))
            elif item.source is InputSource.VALUES:
                choices.append(list(item.values))
            elif item.source is InputSource.ACCOUNT_ID:
                choices.append(self.account_ids(row.region))
            else:
                return None
        return _combinations(self.schema, choices)

    def inputs_unread(self, row: Row) -> bool:
        """Whether WHERE gives a list input the row cannot show: GetResource does not return it
        (write-only, like Amplify's AppId of a webhook) and the identifier (an Arn) does not hold it."""
        return any(
            item.property_name not in row.properties and self.schema.input_given(item, self.values)
            for item in self.schema.list_inputs
        )

    def parent_filters(self, level: int) -> tuple[list[tuple[str | None, set[Any]]], set[str]]:
        """For the parents listed at ``level``: the (property, values) WHERE gives for them, and the
        properties a parent's item must hold to be walked past (what the levels below feed into their
        listings, and what WHERE compares): an item that lacks one is read whole first."""
        step = self.schema.parents[level]
        wanted = [
            (item.parent_property, self.values[column])
            for item in self.schema.list_inputs
            if item.parent == step.type_name
            for column in self.schema.input_given(item, self.values)
        ]
        needed = {
            item.parent_property
            for below in self.levels[level + 1 :]
            for item in below.list_inputs
            if item.parent == step.type_name and item.parent_property
        }
        needed.update(prop for prop, _ in wanted if prop)
        return wanted, needed

    # -- the caller's account id ----------------------------------------------------------------------

    def account_ids(self, region: str) -> list[str]:
        """The account ids an account-wide listing (at any level) is made with: those WHERE gives for the
        type's own account-id column, else the caller's: the account_id option, else STS, asked once per
        connection (and at most once per scan, failure included, however many tasks need it)."""
        columns = self._account_columns()
        for column in columns:
            if column in self.values:
                return self.texts(column)
        with self._account_lock:
            if self._account is None:
                fix = f"give {columns[0] if columns else 'the account id column'} = '{EXAMPLE}' in WHERE"
                try:
                    self._account = self._account_of(region, fix)
                except apsw.Error as error:
                    self._account = error
            if isinstance(self._account, BaseException):
                raise self._account
            return [self._account]

    def asks_account(self, level: int) -> bool:
        """Whether listing ``level`` needs the caller's account id and does not know it yet (WHERE gives
        none, and no listing asked yet)."""
        return (
            self._account is None
            and any(item.source is InputSource.ACCOUNT_ID for item in self.levels[level].list_inputs)
            and not any(column in self.values for column in self._account_columns())
        )

    def _account_columns(self) -> list[str]:
        """The type's own columns that are account-id list inputs (``aws_account_id``)."""
        return [
            self.schema.column_of(item.property_name)
            for item in self.schema.list_inputs
            if item.source is InputSource.ACCOUNT_ID
        ]

    # -- gets -----------------------------------------------------------------------------------------

    def identifiers(self) -> list[str]:
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
        whole = len(self._ids) == 1  # the one part is the identifier: it may hold '|'
        parts = [self.texts(column, whole=whole) for column in self._ids]
        return ["|".join(combo) for combo in itertools.product(*parts)]

    def groups(self, region: str, identifiers: list[str]) -> tuple[list[tuple[Model, list[str]]], list[str]]:
        """(parent listings, the identifiers each is read for; the identifiers to get one by one):
        identifiers that share a parent, GROUP_LIST_MIN or more, are looked up in that parent's listing.
        An identifier whose parts hold a value that cannot exist in the region (a CLOUDFRONT web ACL
        outside us-east-1) names no resource there: in neither."""
        by_parent: dict[str, list[str]] = {}
        for identifier in identifiers:
            parts = self.schema.split_identifier(identifier)
            model = {item.input: parts.get(item.property_name) for item in self.schema.list_inputs}
            if not exists_in(self.schema, region, model):
                continue
            by_parent.setdefault(self._parent_key(identifier), []).append(identifier)
        listed: list[tuple[Model, list[str]]] = []
        singles: list[str] = []
        for key, members in by_parent.items():
            if key and len(members) >= GROUP_LIST_MIN:
                parts = self.schema.split_identifier(members[0])
                listed.append(
                    ({item.input: _input_part(item, parts) for item in self.schema.list_inputs}, members)
                )
            else:
                singles.extend(members)
        return listed, singles

    def _parent_key(self, identifier: str) -> str:
        """The list input an identifier's own parts give (``ApiId|IntegrationId``; DataZone's ``DomainId``
        part for its ``DomainIdentifier`` input), or '' if they do not give all of it (the type lists
        region-wide, or needs inputs outside its identifier)."""
        parts = self.schema.split_identifier(identifier)
        values = [_input_part(item, parts) for item in self.schema.list_inputs]
        if not values or any(value is None for value in values):
            return ""
        return "|".join(str(value) for value in values)

    # -- values WHERE gives ---------------------------------------------------------------------------

    def input_texts(self, schema: ResourceSchema, item: ListInput) -> list[str]:
        """The values WHERE gives for a list input: on its column and its aliases' (all that are given must
        agree, so a value is kept only if every one of them has it)."""
        columns = schema.input_given(item, self.values)
        kept = set(self.texts(columns[0]))
        for column in columns[1:]:
            kept.intersection_update(self.texts(column))
        return sorted(kept)

    def texts(self, column: str, *, whole: bool = False) -> list[str]:
        """The text values given for an id column that an id can have: '' or 'a|b' can match no row ('|'
        joins ids into identifiers, unless ``whole``: the column is a type's only identifier part), so
        nothing is sent for them; ' ' is a name AWS allows. A number given for a TEXT column arrives here
        as text already (vtab.read.affinity); a numeric column's number is written as SQLite writes it."""
        texts = (
            value if isinstance(value, str) else compared_value(Affinity.TEXT, value)
            for value in self.values[column]
            if isinstance(value, (str, int, float))  # an INTEGER id column's 5 is the id '5'
        )
        return sorted(
            t for t in texts if isinstance(t, str) and t and (whole or IDENTIFIER_SEPARATOR not in t)
        )

    def _bad_identifier(self, value: object, why: str) -> str:
        shape = "|".join(f"<{p}>" for p in self.schema.primary_identifier)
        return f"{IDENTIFIER} = {sql_literal(value)} is malformed: {why}. Write it as '{shape}'"

    def _needs_where(self, schema: ResourceSchema, column: str, reason: str) -> str:
        why = reason or "no walk finds its value"
        return (
            f"{schema.type_name} can only be listed with {column} given in WHERE ({why}); add "
            f"WHERE {column} = '...' (or IN (...)), or give data__Identifier"
        )

    # -- rows -----------------------------------------------------------------------------------------

    def fed(self, page: list[Item], model: Model) -> list[Item]:
        """The page's items with the list inputs they were listed under (a listing by ClusterName holds
        that cluster's nodegroups), so those columns need no GetResource."""
        fed = self._fed_values(model)
        if not fed:
            return page
        given = fed.keys()
        # An item that shows them itself is kept as it is (its own values win): no copy per row.
        return [
            (identifier, props if props.keys() >= given else {**fed, **props}) for identifier, props in page
        ]

    def _fed_values(self, model: Model) -> Properties:
        """The list inputs ``model`` lists under, by every property that holds each."""
        return {
            prop: model[item.input]
            for item in self.schema.list_inputs
            if item.input in model
            for prop in item.holders
        }

    def listed(self, region: str, page: list[Item], model: Model) -> list[Row]:
        """``rows`` of the page ``fed`` the list inputs of ``model``, in one pass: an item that shows its
        identifier parts and those inputs (the common case) becomes its row as it is."""
        fed = self._fed_values(model)
        shown, account = self._row_properties | fed.keys(), self.account
        return [
            _new_row(Row, (region, identifier, props, account))  # Row(...) without its Python __new__
            if props.keys() >= shown
            else self.row(region, identifier, props if props.keys() >= fed.keys() else {**fed, **props})
            for identifier, props in page
        ]

    def fed_inputs(self, properties: Properties) -> Properties:
        """The list inputs a (partial) item holds: what its hydrating GetResource may not return."""
        return {
            prop: properties[prop]
            for item in self.schema.list_inputs
            for prop in item.holders
            if prop in properties
        }

    def row(self, region: str, identifier: str, props: Properties) -> Row:
        """The row of one resource, its identifier parts and the list inputs they hold filled in where the
        model lacks them: a GetResource does not return a write-only input (DataZone's
        ``DomainIdentifier``), which a listing's row holds (``fed``), so a get's row shows it too and
        ``WHERE data__Identifier = ? AND domain_identifier = ?`` finds the resource."""
        schema = self.schema
        if not props.keys() >= self._row_properties:  # a set comparison, in C: asked of every row
            try:
                parts = schema.split_identifier(identifier)
            except ValueError:
                return Row(region, identifier, props, self.account)
            fed = {
                prop: value
                for item in schema.list_inputs
                if (value := _input_part(item, parts)) is not None
                for prop in item.holders
            }
            props = {**fed, **parts, **props}
        return Row(region, identifier, props, self.account)

    def rows(self, region: str, page: list[Item]) -> list[Row]:
        """``row`` of each item of a page (the common case, an item that shows its identifier parts and
        list inputs, without a call per item)."""
        shown, account = self._row_properties, self.account
        return [
            _new_row(Row, (region, identifier, props, account))  # Row(...) without its Python __new__
            if props.keys() >= shown
            else self.row(region, identifier, props)
            for identifier, props in page
        ]

    def kept(self, rows: list[Row]) -> list[Row]:
        """The rows every pushed-down constraint holds for (SQLite was told it need not check them again),
        filtered a constraint at a time, without a call per row."""
        if self._region_wanted is not None:
            rows = [row for row in rows if row.region in self._region_wanted]
        if self._identifier_wanted is not None:
            rows = [row for row in rows if row.identifier in self._identifier_wanted]
        for prop, wanted in self._property_wanted:
            rows = [row for row in rows if row.properties.get(prop) in wanted]
        return rows


_new_row = tuple.__new__


def exists_in(schema: ResourceSchema, region: str, model: Model) -> bool:
    """Whether every list input value of ``model`` can exist in ``region`` (one of its fixed values, and
    in an overlay's ``regions``)."""
    return all(item.can_list(model.get(item.input), region) for item in schema.list_inputs)


def _input_part(item: ListInput, parts: dict[str, str]) -> str | None:
    """The identifier part holding the list input's value (its own, else an alias's), or None."""
    for prop in item.holders:
        if prop in parts:
            return parts[prop]
    return None


def _combinations(schema: ResourceSchema, choices: list[list[Any]]) -> list[Model]:
    """One ResourceModel per combination of the choices for ``schema``'s list inputs, in order."""
    names = [item.input for item in schema.list_inputs]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)]
