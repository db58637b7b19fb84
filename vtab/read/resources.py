"""What a read of ``vtab_resources`` lists: the plan SQLite chose, the types it selects, and the listings.

``vtab_resources`` is every resource type as one table. Its WHERE picks the types (``type_name`` by ``=``,
``IN``, ``LIKE`` or ``GLOB``; ``table_name`` by ``=`` or ``IN``), the regions and the accounts; each
(account, region) pair is a *place*, and each type in each place one *listing*, which the read scan of
that type (vtab.read.scan, its walk included) answers. This module makes no call: it says what is
listed, and EXPLAIN QUERY PLAN shows it (``types=AWS::EKS::% regions=us-east-1 accounts=caller``; an
estate's connection reads ``accounts=estate``).

A type whose list needs values only WHERE can give (``needs_where``) or that has no list (``no_list``)
cannot be listed blind: a selection leaves it out, and says so when the types a statement names are all
such (vtab_types' ``list_mode`` says which).
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

import apsw
import orjson

from vtab.catalog.list_plan import ListMode
from vtab.catalog.schema import Scope
from vtab.catalog.store import Catalog
from vtab.messages import sql_literal
from vtab.read.regions import PartitionOf

TABLE = "vtab_resources"


class Column(StrEnum):
    """The columns of vtab_resources, in declared order."""

    TYPE_NAME = "type_name"
    TABLE_NAME = "table_name"
    ACCOUNT_ID = "account_id"
    REGION = "region"
    IDENTIFIER = "identifier"
    PROPERTIES = "properties"
    """JSON of what the listing gave (a listing's properties, not hydrated by GetResource)."""
    ACCOUNT_NAME = "account_name"
    """Hidden, as in a typed table: the account's name in the Organization (read only when named)."""


HIDDEN = frozenset({Column.ACCOUNT_NAME})


COLUMNS = tuple(column.value for column in Column)


class Op(StrEnum):
    """How a Filter argument constrains its column."""

    EQ = "eq"
    """``=``, or ``IN`` (the whole list in one argument, a set)."""
    LIKE = "like"
    GLOB = "glob"
    LIMIT = "limit"
    OFFSET = "offset"


PUSHED = {
    Column.TYPE_NAME: (Op.EQ, Op.LIKE, Op.GLOB),
    Column.TABLE_NAME: (Op.EQ,),
    Column.REGION: (Op.EQ,),
    Column.ACCOUNT_ID: (Op.EQ,),
}
"""The constraints a listing is chosen by (any other WHERE term SQLite checks on the rows)."""

LISTABLE_BLIND = frozenset({ListMode.REGION_WIDE, ListMode.WALK, ListMode.FIXED, ListMode.ACCOUNT_ID})
"""The list modes a listing with nothing but a region can make (parents walked, fixed values, the
account id looked up); needs_where and no_list types cannot."""


@dataclass(frozen=True)
class Condition:
    """One Filter argument: its column, how it constrains it and, for EXPLAIN, the literal SQLite gave
    (None: a parameter, a join column or an IN list, known only to Filter)."""

    column: str
    op: Op
    shown: str | None = None


@dataclass(frozen=True)
class ResourcesPlan:
    """What SQLite chose for a read of vtab_resources: the Filter arguments, in order. Encoded into
    idxStr (Filter sees only that and the values) and readable there: EXPLAIN QUERY PLAN shows it."""

    conditions: tuple[Condition, ...]

    def encode(self, accounts: str = "caller") -> str:
        """The plan as idxStr; ``accounts``: what is read when WHERE names none (the caller's account, or
        a connection's whole ``estate``)."""
        parts = [
            f"types={self._shown(Column.TYPE_NAME, Column.TABLE_NAME, every='listable')}",
            f"regions={self._shown(Column.REGION, every='default')}",
            f"accounts={self._shown(Column.ACCOUNT_ID, every=accounts)}",
        ]
        if any(c.op is Op.LIMIT for c in self.conditions):
            parts.append("limit")
        args = ",".join(f"{c.column}:{c.op.value}" for c in self.conditions) or "-"
        return " ".join([*parts, f"args={args}"])

    def _shown(self, *columns: Column, every: str) -> str:
        shown = []
        for condition in self.conditions:
            if condition.column in columns:
                value = condition.shown if condition.shown is not None else "?"
                prefix = "table:" if condition.column == Column.TABLE_NAME else ""
                word = "" if condition.op is Op.EQ else f"{condition.op.value}:"
                shown.append(prefix + word + re.sub(r"\s", "_", value))
        return "&".join(shown) or every

    @classmethod
    def decode(cls, text: str) -> ResourcesPlan:
        args = re.search(r"(?:^| )args=(\S+)$", text)
        if args is None or args[1] == "-":
            return cls(())
        pairs = (pair.rsplit(":", 1) for pair in args[1].split(","))
        return cls(tuple(Condition(column, Op(op)) for column, op in pairs))


class Place(NamedTuple):
    """Where resources are listed: an account and a region."""

    account_id: str
    region: str


def places(accounts: Iterable[str], regions: Iterable[str]) -> list[Place]:
    """Every (account, region) pair a read lists in, accounts first (each account's regions together)."""
    region_list = list(dict.fromkeys(regions))
    return [Place(account, region) for account in dict.fromkeys(accounts) for region in region_list]


class Listing(NamedTuple):
    """One type listed in one place: the read scan of ``type_name`` over ``regions`` (the place's region;
    for a global type or one listed account-wide, every region asked in its partition, listed once
    through ``place.region``)."""

    place: Place
    type_name: str
    regions: tuple[str, ...]
    parents: tuple[str, ...] = ()
    """The parent types its walk lists, outermost first (none: the type is listed alone)."""

    @property
    def depth(self) -> int:
        return len(self.parents)


def listings(
    catalog: Catalog,
    types: Sequence[str],
    where: Sequence[Place],
    partition_of: PartitionOf,
    preferred: str | None,
) -> list[Listing]:
    """The listings of ``types`` in the places ``where``: one per type and place, except that a type
    listed once per partition (global, or listed account-wide) is listed once per account and partition,
    through the same region a typed table's scan would choose (vtab.read.regions)."""
    by_account: dict[str, list[str]] = {}
    for place in where:
        by_account.setdefault(place.account_id, []).append(place.region)
    found: list[Listing] = []
    for type_name in types:
        entry = catalog.entry(type_name)
        once = entry.scope in (Scope.GLOBAL, Scope.LISTED_ACCOUNT_WIDE)
        chain = entry.plan.chain
        for account, regions in by_account.items():
            if not once:
                found += [Listing(Place(account, region), type_name, (region,), chain) for region in regions]
                continue
            partitions: dict[str, list[str]] = {}
            for region in sorted(regions):
                partitions.setdefault(partition_of(region), []).append(region)
            for asked in partitions.values():
                through = preferred if preferred in asked else asked[0]
                found.append(Listing(Place(account, through), type_name, tuple(asked), chain))
    return found


# -- which types ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The types a read lists (sorted), and those the statement named that cannot be listed blind."""

    types: list[str]
    unlistable: list[str]


def listable_types(catalog: Catalog) -> dict[str, str]:
    """Type name -> table name of every type a listing can make with a region alone."""
    return {
        type_name: table
        for table, (type_name, _) in catalog.tables().items()
        if catalog.entry(type_name).plan.mode in LISTABLE_BLIND
    }


def select_types(catalog: Catalog, given: Sequence[tuple[Condition, Any]]) -> Selection:
    """The types the conditions on type_name and table_name select (every listable one when none is
    given): each condition's set, intersected. A name no type has is an error naming it and the closest
    names; a named type that cannot be listed blind is left out (``unlistable``)."""
    tables = {table: type_name for table, (type_name, _) in catalog.tables().items()}
    every = sorted(tables.values())
    chosen: set[str] | None = None
    for condition, value in given:
        if condition.column == Column.TYPE_NAME and condition.op is Op.EQ:
            picked = _named(_texts(value), every, Column.TYPE_NAME, {})
        elif condition.column == Column.TYPE_NAME:
            picked = set(matching(every, condition.op, value))
        elif condition.column == Column.TABLE_NAME:
            renamed = {
                alias: str(catalog.entry(type_name).table) for alias, type_name in catalog.aliases.items()
            }
            picked = {tables[t] for t in _named(_texts(value), sorted(tables), Column.TABLE_NAME, renamed)}
        else:
            continue
        chosen = picked if chosen is None else chosen & picked
    listable = listable_types(catalog)
    if chosen is None:
        return Selection(sorted(listable), [])
    return Selection(sorted(chosen & listable.keys()), sorted(chosen - listable.keys()))


def _texts(value: Any) -> list[str]:
    """An ``=`` value or an IN list's, as text (NULL matches nothing)."""
    values = value if isinstance(value, set | frozenset) else {value}
    return [str(v) for v in values if v is not None]


def _named(names: list[str], known: list[str], column: Column, renamed: dict[str, str]) -> set[str]:
    """``names`` if each is a known one; else an error naming the value, the closest names and where to
    find them all. ``renamed``: names that are another's (a seed alias such as ``integration_responses``
    is no table_name of vtab_resources: its rows name the type's own table)."""
    known_set = set(known)
    by_lower = {name.lower(): name for name in known}
    for name in names:
        if name in known_set:
            continue
        if name in renamed or name.lower() in by_lower:
            closest = [renamed.get(name) or by_lower[name.lower()]]
        else:
            closest = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(sql_literal(c) for c in closest)}?" if closest else ""
        raise apsw.SQLError(
            f"{TABLE}: {column.value} = {sql_literal(name)} is no resource type's {column.value}{hint} "
            f"(SELECT {column.value} FROM vtab_types lists them all) [{TABLE}]"
        )
    return set(names)


def matching(names: Sequence[str], op: Op, pattern: Any) -> list[str]:
    """The names a LIKE or GLOB ``pattern`` matches, matched by SQLite itself (an in-memory database), so
    the listings are those of the rows SQLite keeps. LIKE here ignores ASCII case, as SQLite's default
    does; under PRAGMA case_sensitive_like SQLite's own check of each row drops the extra ones."""
    if pattern is None:
        return []
    operator = "LIKE" if op is Op.LIKE else "GLOB"
    with contextlib.closing(apsw.Connection(":memory:")) as db:
        rows = db.execute(
            f"SELECT value FROM json_each(?) WHERE value {operator} ?",
            (orjson.dumps(list(names)).decode(), str(pattern)),
        )
        return [str(name) for (name,) in rows]


def unlistable_error(catalog: Catalog, types: list[str]) -> apsw.SQLError:
    """Every type the statement named cannot be listed blind: which, why, and how to read them."""
    named = []
    for type_name in types:
        entry = catalog.entry(type_name)
        where = ", ".join(entry.plan.where_columns)
        how = f"its list needs {where} in WHERE" if where else "it has no list: read it by identifier"
        named.append(f"{type_name} ({how}: SELECT ... FROM {entry.table} WHERE ...)")
    return apsw.SQLError(
        f"{TABLE} lists a type with a region alone, and {'; '.join(named)} cannot be listed so: query "
        f"{'its table' if len(types) == 1 else 'their tables'} with the columns named (vtab_types' "
        f"needs_where says which) [{TABLE}]"
    )


def type_tables(catalog: Catalog) -> Callable[[str], str]:
    """Type name -> the table name its rows in vtab_resources show (the type's own, not a seed alias)."""
    tables = {type_name: table for table, (type_name, _) in catalog.tables().items()}
    return tables.__getitem__
