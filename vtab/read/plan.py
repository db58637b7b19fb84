"""The planner: which Cloud Control calls can answer a WHERE clause, and what they cost.

``choose_plan`` turns the usable ``=``/``IN`` constraints SQLite offers into a Plan; the Plan is encoded
into a readable ``idxStr`` (shown by EXPLAIN QUERY PLAN) because Filter only sees idxStr and the values.

Costs are "expected API calls" scaled so the planner always prefers pushing a constraint down: a get per
outer row of a join beats a walk, and a region given per outer row beats a scan of every region.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from vtab.catalog.columns import (
    ACCOUNT_ID,
    ACCOUNT_NAME,
    IDENTIFIER,
    PATCH_DOCUMENT,
    REGION,
    STACKQL_OWN,
    stackql_column,
)
from vtab.catalog.schema import InputSource, ResourceSchema
from vtab.catalog.store import load_catalog

LIMIT = "limit"
OFFSET = "offset"
"""Pseudo-columns for SQLite's LIMIT/OFFSET constraints: the scan stops after limit + offset rows."""

# Cost model (expected calls). The "unconstrained region" factor dwarfs everything so that a join with a
# local table of regions always pushes the region down, even against SQLite's default 1M-row estimate.
GET_COST = 10.0
LIST_COST = 1e3
WALK_LEVEL_COST = 1e7
"""Each parent level the walk must list multiplies the cost by this. It must exceed SQLite's guess of
about 1M rows for an un-analyzed local table, so that a walk per outer row of a join on a parent id
(``ON v.api_id = m.id``) costs less than one walk of every parent."""
IN_LIST_GUESS = 4
UNCONSTRAINED_REGION_FACTOR = 1e9
UNCONSTRAINED_ACCOUNT_FACTOR = 1e9
"""A table reading several accounts: giving neither account_id nor account_name costs this much more, so
that a join on either is pushed down per outer row as a region is (a table of one account: no factor)."""
NEEDS_WHERE_COST = 1e300
"""A plan missing a column the list cannot do without: any other join order that gives it wins; if none
does, Filter refuses the statement before any call, naming the columns."""


class PlanKind(StrEnum):
    """How Filter answers: the word EXPLAIN QUERY PLAN shows first."""

    GET = "get"
    """GetResource per identifier."""
    LIST = "list"
    """ListResources with every list input given (or none needed)."""
    WALK = "walk"
    """List the parents first, then the type under each."""
    NEEDS = "needs"
    """The list needs columns WHERE does not give: Filter refuses it, naming them."""


@dataclass(frozen=True)
class Plan:
    """What Filter will do. ``args`` names the column of each Filter argument, in order."""

    kind: PlanKind
    args: tuple[str, ...]
    full: bool
    """True when a column outside the identifier is needed (partial list items must be hydrated)."""
    walk_from: int = 0
    """For ``walk``: how many leading parent ids are given (0: list the top parent type)."""
    written: tuple[str, ...] = ()
    """``args`` as the statement wrote them: a property's schema name (``ApiId``) where it used that
    column, so EXPLAIN and messages about a value show the user's own name; empty means ``args``."""
    rechecked: frozenset[str] = frozenset()
    """Columns whose ``=`` SQLite checks again on every row (vtab.read.affinity: the other side is a join
    column or a parameter, whose affinity vtab cannot see). EXPLAIN shows them as ``recheck=``."""
    literal: frozenset[str] = frozenset()
    """TEXT columns given a number as a plain literal (``name = 42``), which compares as its text ('42')."""
    shows: frozenset[str] = frozenset()
    """The account columns the statement reads (account_id, account_name): a connection's own account id
    is then looked up beside the first listing, and names read. EXPLAIN shows them as ``shows=``."""

    def encode(self, schema: ResourceSchema) -> str:
        head = self.kind.value
        if self.kind is PlanKind.WALK:
            head += f" from={schema.parents[self.walk_from].type_name.split('::')[-1]}"
        args = self.written or self.args
        text = f"{head} args={','.join(args) or '-'} fetch={'full' if self.full else 'ids'}"
        for word, columns in (("recheck", self.rechecked), ("literal", self.literal)):
            if columns:
                text += f" {word}={','.join(w for w, a in zip(args, self.args, strict=True) if a in columns)}"
        if self.shows:
            text += f" shows={','.join(sorted(self.shows))}"
        return text

    @classmethod
    def decode(cls, text: str, schema: ResourceSchema) -> Plan:
        word, *pairs = text.split()
        kind = PlanKind(word)
        words = dict(pair.partition("=")[::2] for pair in pairs)
        walk_from = 0
        if kind is PlanKind.WALK:
            names = [parent.type_name.split("::")[-1] for parent in schema.parents]
            walk_from = names.index(words["from"])
        written = tuple(a for a in words["args"].split(",") if a and a != "-")
        args = tuple(_column_written(schema, a) for a in written)

        def columns(word: str) -> frozenset[str]:
            return frozenset(_column_written(schema, a) for a in words.get(word, "").split(",") if a)

        own = written if written != args else ()
        full = words["fetch"] == "full"
        shows = frozenset(word for word in words.get("shows", "").split(",") if word)
        return cls(kind, args, full, walk_from, own, columns("recheck"), columns("literal"), shows)

    def looked_up_by(self, schema: ResourceSchema, given: set[str]) -> Plan:
        """This plan when only the columns ``given`` can be looked up (the others' rows are listed)."""
        chosen, _, _ = choose_plan(schema, [Offer(column, False) for column in given], set())
        return replace(self, kind=chosen.kind, walk_from=chosen.walk_from)


def _column_written(schema: ResourceSchema, written: str) -> str:
    """The column a plan argument names as the statement wrote it: StackQL's ``Identifier`` is
    ``data__Identifier``, a schema name (``ApiId``) or StackQL's spelling (``e_ip``) its field name."""
    if written in STACKQL_OWN:
        return STACKQL_OWN[written]
    if written in schema.properties:
        return schema.column_of(written)
    if written in (LIMIT, OFFSET) or written in pushable_columns(schema):
        return written
    spelled = {stackql_column(prop): prop for prop in schema.properties}
    return schema.column_of(spelled[written]) if written in spelled else written


@dataclass(frozen=True)
class Offer:
    """One usable ``=`` constraint: its column name and whether it is an IN list."""

    column: str
    is_in: bool


def id_columns(schema: ResourceSchema) -> dict[str, str]:
    """Column name -> property name for the primary identifier parts (all pushable)."""
    return {schema.column_of(prop): prop for prop in schema.primary_identifier}


def input_columns(schema: ResourceSchema) -> dict[str, str]:
    """Column name -> property name for the list inputs and their aliases (pushed into ResourceModel when
    given: ``domain_id`` gives DataZone's ``DomainIdentifier``)."""
    return {schema.column_of(prop): prop for item in schema.list_inputs for prop in item.holders}


def pushable_columns(schema: ResourceSchema) -> set[str]:
    return {REGION, ACCOUNT_ID, ACCOUNT_NAME, IDENTIFIER, *id_columns(schema), *input_columns(schema)}


def level_schemas(schema: ResourceSchema) -> list[ResourceSchema]:
    """The schema of every level of the walk, outermost parent first, the type itself last."""
    catalog = load_catalog()
    return [catalog.schema(step.type_name) for step in schema.parents] + [schema]


def walk_start(schema: ResourceSchema, given: set[str]) -> int:
    """The deepest level a listing can start at with the columns ``given``: len(parents) means a plain
    list (every input known), 0 a walk from the outermost parent. A level can start only when every parent
    value it and the levels below need from above it is given in WHERE (as one of the type's own columns:
    the input's or an alias's)."""
    chain = [step.type_name for step in schema.parents]
    known = {
        (item.parent, item.parent_property)
        for item in schema.list_inputs
        if item.source is InputSource.PARENT and schema.input_given(item, given)
    }
    levels = level_schemas(schema)
    for start in range(len(chain), 0, -1):
        if all(
            item.parent in chain[start:] or (item.parent, item.parent_property) in known
            for level in levels[start:]
            for item in level.list_inputs
            if item.source is InputSource.PARENT
        ):
            return start
    return 0


def missing_where(schema: ResourceSchema, given: set[str]) -> list[str]:
    """The columns the type's list needs in WHERE that ``given`` lacks (an alias given is the input)."""
    return [
        schema.column_of(item.property_name)
        for item in schema.where_inputs
        if not schema.input_given(item, given)
    ]


def identity_columns(schema: ResourceSchema) -> set[str]:
    """Columns known without the full model: they come from the identifier, the region and the
    ResourceModel the listing was made with."""
    return {
        REGION,
        ACCOUNT_ID,
        ACCOUNT_NAME,
        IDENTIFIER,
        PATCH_DOCUMENT,
        *id_columns(schema),
        *input_columns(schema),
    }


def choose_plan(
    schema: ResourceSchema, offers: list[Offer], needed: set[str], *, several_accounts: bool = False
) -> tuple[Plan, float, int]:
    """The plan for these usable constraints, its cost and its estimated rows.

    ``offers`` holds at most one offer per column (the caller keeps the first). ``needed`` is the set of
    column names the statement uses. ``several_accounts``: the table reads an estate, where neither
    account_id nor account_name given costs UNCONSTRAINED_ACCOUNT_FACTOR.
    """
    plan, cost, rows = _choose_plan(schema, offers, needed)
    if several_accounts and plan.kind is not PlanKind.NEEDS:
        given = {offer.column: offer for offer in offers}
        chosen = [given[column] for column in (ACCOUNT_ID, ACCOUNT_NAME) if column in given]
        if not chosen:
            cost *= UNCONSTRAINED_ACCOUNT_FACTOR
        elif all(offer.is_in for offer in chosen):
            cost *= IN_LIST_GUESS
    return plan, cost, rows


def _choose_plan(schema: ResourceSchema, offers: list[Offer], needed: set[str]) -> tuple[Plan, float, int]:
    given = {offer.column: offer for offer in offers if offer.column not in (LIMIT, OFFSET)}
    args = tuple(offer.column for offer in offers)
    full = not needed <= identity_columns(schema)
    ids = id_columns(schema)

    def fan(columns: list[str]) -> float:
        product = 1.0
        for column in columns:
            product *= IN_LIST_GUESS if given[column].is_in else 1
        return product

    region_factor = fan([REGION]) if REGION in given else UNCONSTRAINED_REGION_FACTOR
    if IDENTIFIER in given or all(column in given for column in ids):
        per_region = fan([IDENTIFIER]) if IDENTIFIER in given else fan(list(ids))
        plan = Plan(PlanKind.GET, args, full)
        return plan, GET_COST * per_region * region_factor, int(max(1, per_region))

    if not schema.listable or missing_where(schema, set(given)):
        return Plan(PlanKind.NEEDS, args, full), NEEDS_WHERE_COST, 25
    start = walk_start(schema, set(given))
    chain = [step.type_name for step in schema.parents]
    used = [
        schema.input_given(item, given)[0]
        for item in schema.list_inputs
        if schema.input_given(item, given)
        and (item.source is not InputSource.PARENT or item.parent not in chain[start:])
    ]
    parent_fan = fan(list(dict.fromkeys(used)))
    for item in schema.list_inputs:
        if item.source is InputSource.VALUES and not schema.input_given(item, given):
            parent_fan *= len(item.values)
    if start == len(chain):
        return Plan(PlanKind.LIST, args, full), LIST_COST * parent_fan * region_factor, int(25 * parent_fan)
    levels = len(chain) - start
    cost = LIST_COST * (WALK_LEVEL_COST**levels) * parent_fan * region_factor
    rows = int(25 * (10**levels) * parent_fan)
    return Plan(PlanKind.WALK, args, full, walk_from=start), cost, rows
