"""Random SELECTs over the estate's tables, deterministic by seed, each tagged with the known causes of
disagreement it could meet (so a run can steer around causes whose fixes are not merged yet).

The SQL text is the same on both sides: the native copy has the vtab tables' names and columns. Values in
literals come from the copied rows (ordered by each table's key, so a seed picks the same rows), plus the
awkward ones SQLite's affinity rules care about (numbers, numbers as text, '', ' ', NULL, unicode).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import apsw

from tests.differential.estate import REGIONS, Table

IDENTIFIER = "data__Identifier"


class Cause(enum.Enum):
    """A known cause of vtab answering otherwise than SQLite (issue 16, finding 8)."""

    DUPLICATE_IDENTIFIER = "data__Identifier is declared PRIMARY KEY but repeats across regions"
    NUMBER_VS_PUSHED_TEXT = "a number compared with a pushed-down TEXT column matches nothing"
    SPACE_ID_PART = "an id part that is a single space is refused as empty"
    EMPTY_IN = "an empty IN list on a pushed-down column fails with SQLError: <NULL>"


SPECIALS: tuple[Any, ...] = (None, 0, 1, 7, 42, 3.5, 42.0, "42", "007", "3.5", "", " ", "shared", "ünï", "s1")
"""Values offered to every column besides its own: numbers, numbers as text, empty, a space, unicode."""

REFUSED_UNLESS_OWN = frozenset({IDENTIFIER, "region"})
"""Columns vtab refuses a value of another kind in (a malformed identifier, an unknown region: documented
refusals, not SQLite's to compare with), so they are compared only with their own values."""

JSON_PATHS = ("$[0].Value", "$[0].Key", "$[1].Value", "$.Name", "$.Version", "$[#-1].Key")


def literal(value: Any) -> str:
    """``value`` as an SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


@dataclass
class Statement:
    """One generated SELECT: its text, whether its rows come in one defined order, and the known causes
    it may meet."""

    sql: str
    ordered: bool
    causes: set[Cause] = field(default_factory=set)
    kind: str = "select"
    unlimited: str | None = None
    """For a LIMIT without ORDER BY (any rows may come): the statement without its LIMIT, whose rows
    must hold the limited ones."""


@dataclass(frozen=True)
class Column:
    table: Table
    name: str

    @property
    def declared(self) -> str:
        return self.table.types[self.name]

    @property
    def pushed(self) -> bool:
        return self.name in self.table.pushed


@dataclass
class Scope:
    """The tables of one FROM clause under their aliases."""

    tables: list[tuple[str, Table]]

    def columns(self) -> list[tuple[str, Column]]:
        return [
            (alias, Column(t, c)) for alias, t in self.tables for c in t.columns if c != "data__PatchDocument"
        ]


class Generator:
    """Random statements over ``tables``, reading literal values from the native copy ``native``.

    ``avoid``: causes whose fixes are pending; the generator does not write SQL that would meet them.
    """

    def __init__(self, seed: int, tables: Sequence[Table], native: apsw.Connection, avoid: frozenset[Cause]):
        self.random = random.Random(seed)
        self.tables = list(tables)
        self.native = native
        self.avoid = avoid
        self.values: dict[tuple[str, str], list[Any]] = {}
        for table in tables:
            order = ", ".join(f'"{c}"' for c in table.key)
            rows = list(native.execute(f'SELECT * FROM "{table.name}" ORDER BY {order}'))
            for i, name in enumerate(table.columns):
                seen = list(dict.fromkeys(row[i] for row in rows if row[i] is not None))
                self.values[(table.name, name)] = seen
        self.repeated = {
            t.name
            for t in tables
            if next(native.execute(f'SELECT count(*) > count(DISTINCT {IDENTIFIER}) FROM "{t.name}"'))[0]
        }
        """The tables whose identifiers repeat (in two regions)."""
        self.json_columns = {
            (t.name, c)
            for t in tables
            for c in t.columns
            if any(isinstance(v, str) and v[:1] in "[{" for v in self.values[(t.name, c)])
        }

    # -- helpers ---------------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.random.random() < p

    def pick(self, items: Sequence[Any]) -> Any:
        return items[self.random.randrange(len(items))]

    def value_for(self, column: Column) -> Any:
        """A literal for comparisons with ``column``: one of its own values, another column's, or a
        special; only well-formed identifiers and known regions on the columns vtab refuses otherwise."""
        own = self.values[(column.table.name, column.name)]
        if column.name in REFUSED_UNLESS_OWN:
            return self.pick(own) if own and self.chance(0.85) else self._absent_value(column)
        if own and self.chance(0.6):
            return self.pick(own)
        other = self.pick(self.tables)
        if self.chance(0.3):
            return self.pick(self.values[(other.name, self.pick(other.columns))] or [None])
        return self.pick(SPECIALS)

    def _absent_value(self, column: Column) -> Any:
        """A well-formed value no row has: the documented refusals (a malformed identifier, an unknown
        region) are not SQLite's to compare with."""
        if column.name == "region":
            return self.pick(REGIONS)
        parts = len(self.values[(column.table.name, column.name)][0].split("|"))
        return "|".join(["nope"] * parts)

    def note_comparison(self, causes: set[Cause], column: Column, values: Sequence[Any]) -> None:
        """Record the causes a comparison of ``column`` with ``values`` meets."""
        if not column.pushed:
            return
        if any(isinstance(v, int | float) for v in values):
            causes.add(Cause.NUMBER_VS_PUSHED_TEXT)
        if any(isinstance(v, str) and any(p and not p.strip() for p in v.split("|")) for v in values):
            causes.add(Cause.SPACE_ID_PART)

    def allowed(self, causes: set[Cause]) -> bool:
        return not (causes & self.avoid)

    def retry(self, make: Callable[[set[Cause]], str]) -> tuple[str, set[Cause]]:
        """``make`` until it writes SQL meeting no avoided cause."""
        for _ in range(1000):
            causes: set[Cause] = set()
            text = make(causes)
            if self.allowed(causes):
                return text, causes
        raise AssertionError(f"1,000 statements in a row met a cause in {self.avoid}: widen the generator")

    # -- predicates -----------------------------------------------------------------------------
    def predicate(self, scope: Scope, causes: set[Cause], depth: int = 0) -> str:
        roll = self.random.random()
        if depth < 2 and roll < 0.25:
            op = self.pick(("AND", "OR"))
            left = self.predicate(scope, causes, depth + 1)
            right = self.predicate(scope, causes, depth + 1)
            if op == "OR" and any(t.name in self.repeated for _, t in scope.tables):
                causes.add(Cause.DUPLICATE_IDENTIFIER)  # SQLite de-duplicates an OR's rows by the key
            return f"({left} {op} {right})"
        if depth < 2 and roll < 0.32:
            return f"NOT ({self.predicate(scope, causes, depth + 1)})"
        return self.atom(scope, causes)

    def atom(self, scope: Scope, causes: set[Cause]) -> str:
        alias, column = self.pick(scope.columns())
        ref = f'{alias}."{column.name}"'
        kind = self.pick(("=", "=", "cmp", "in", "in", "like", "null", "json", "column", "subquery"))
        if kind == "json" and (column.table.name, column.name) in self.json_columns:
            path = self.pick(JSON_PATHS)
            value = self.pick((*SPECIALS[:9], "ünïcode ✓", "p", "team", "42"))
            op = self.pick(("=", "IS", "<", "IS NOT"))
            return f"json_extract({ref}, '{path}') {op} {literal(value)}"
        if kind == "=":
            value = self.value_for(column)
            self.note_comparison(causes, column, [value])
            op = self.pick(("=", "=", "!=", "IS", "IS NOT"))
            return f"{ref} {op} {literal(value)}"
        if kind == "cmp":
            value = self.value_for(column)
            return f"{ref} {self.pick(('<', '<=', '>', '>='))} {literal(value)}"
        if kind == "in":
            values = [self.value_for(column) for _ in range(self.random.randrange(4))]
            if not values and column.pushed:
                causes.add(Cause.EMPTY_IN)
            self.note_comparison(causes, column, values)
            negate = "NOT " if self.chance(0.2) else ""
            return f"{ref} {negate}IN ({', '.join(literal(v) for v in values)})"
        if kind == "like":
            value = self.value_for(column)
            text = str(value) if value is not None else ""
            pattern = self.pick((text[:2] + "%", "%" + text[-2:], text.replace("s", "_"), "%", "_"))
            return f"{ref} {self.pick(('LIKE', 'NOT LIKE'))} {literal(pattern)}"
        if kind == "null":
            return f"{ref} {self.pick(('IS NULL', 'IS NOT NULL'))}"
        if kind == "column":
            other_alias, other = self.pick(scope.columns())
            if REFUSED_UNLESS_OWN & {column.name, other.name}:  # fed a value of its own kind only
                own = [
                    (a, c) for a, c in scope.columns() if c.name == column.name and c.table == column.table
                ]
                other_alias, other = self.pick(own)
            if column.pushed or other.pushed:
                self.note_column_pair(causes, column, other)
            return f'{ref} {self.pick(("=", "<", "IS"))} {other_alias}."{other.name}"'
        return self.in_subquery(ref, column, causes)

    def note_column_pair(self, causes: set[Cause], column: Column, other: Column) -> None:
        """Causes met when ``column`` is compared with ``other``'s values (pushed down per row)."""
        for a, b in ((column, other), (other, column)):
            if a.pushed:
                self.note_comparison(causes, a, self.values[(b.table.name, b.name)])
                if b.declared != "TEXT":
                    causes.add(Cause.NUMBER_VS_PUSHED_TEXT)

    def in_subquery(self, ref: str, column: Column, causes: set[Cause]) -> str:
        """``ref IN (SELECT ...)`` over a table of the estate, not correlated; an identifier column is fed
        only its own type's identifiers, a region only regions (anything else is a documented refusal:
        a malformed identifier, an unknown region)."""
        table = column.table if column.name == IDENTIFIER else self.pick(self.tables)
        name = column.name if column.name in (IDENTIFIER, "region") else self.pick(table.columns)
        inner = Scope([("s", table)])
        where = self.predicate(inner, causes, depth=1) if self.chance(0.7) else "1"
        sub = f'SELECT s."{name}" FROM "{table.name}" AS s WHERE {where}'
        if column.pushed:
            try:
                found = [row[0] for row in self.native.execute(sub)]
            except apsw.Error:
                found = []
            if not found:
                causes.add(Cause.EMPTY_IN)
            self.note_comparison(causes, column, found)
        negate = "NOT " if self.chance(0.2) else ""
        return f"{ref} {negate}IN ({sub})"

    # -- statements ----------------------------------------------------------------------------
    def statement(self) -> Statement:
        roll = self.random.random()
        if roll < 0.4:
            return self.select()
        if roll < 0.6:
            return self.aggregate()
        return self.join()

    def _projection(self, scope: Scope, causes: set[Cause]) -> list[str]:
        chosen = [self.pick(scope.columns()) for _ in range(1 + self.random.randrange(3))]
        out = []
        for alias, column in chosen:
            ref = f'{alias}."{column.name}"'
            if (column.table.name, column.name) in self.json_columns and self.chance(0.3):
                ref = f"json_extract({ref}, '{self.pick(JSON_PATHS)}')"
            out.append(ref)
        return out

    def _order(self, scope: Scope) -> str:
        keys = [f'{alias}."{c}"' for alias, t in scope.tables for c in t.key]
        return "ORDER BY " + ", ".join(f"{k} {self.pick(('ASC', 'DESC'))}" for k in keys)

    def select(self) -> Statement:
        table = self.pick(self.tables)
        scope = Scope([("a", table)])

        def make(causes: set[Cause]) -> str:
            columns = self._projection(scope, causes)
            distinct = self.chance(0.25)
            if distinct and any(IDENTIFIER in c for c in columns) and not any("region" in c for c in columns):
                causes.add(Cause.DUPLICATE_IDENTIFIER)
            where = f" WHERE {self.predicate(scope, causes)}" if self.chance(0.85) else ""
            # DISTINCT keeps any one row of each group, so an ORDER BY over columns it drops has no order.
            order = f" {self._order(scope)}" if self.chance(0.5) and not distinct else ""
            head = "SELECT DISTINCT" if distinct else "SELECT"
            return f'{head} {", ".join(columns)} FROM "{table.name}" AS a{where}{order}'

        sql, causes = self.retry(make)
        if self.chance(0.4):
            limit = f" LIMIT {self.random.randrange(6)}"
            limit += f" OFFSET {self.random.randrange(4)}" if self.chance(0.5) else ""
            if " ORDER BY " not in sql:
                return Statement(sql + limit, False, causes, "select", unlimited=sql)
            sql += limit
        return Statement(sql, ordered=" ORDER BY " in sql, causes=causes, kind="select")

    def aggregate(self) -> Statement:
        table = self.pick(self.tables)
        scope = Scope([("a", table)])

        def make(causes: set[Cause]) -> str:
            _, column = self.pick(scope.columns())
            _, group = self.pick(scope.columns())
            ref = f'a."{column.name}"'
            calls = ["count(*)", f"count(DISTINCT {ref})", f"min({ref})", f"max({ref})"]
            if column.declared != "TEXT":
                calls.append(f"sum({ref})")
            if column.name == IDENTIFIER or (group.name == IDENTIFIER):
                causes.add(Cause.DUPLICATE_IDENTIFIER)
            where = f" WHERE {self.predicate(scope, causes)}" if self.chance(0.7) else ""
            grouped = self.chance(0.4)
            head = f'a."{group.name}", ' if grouped else ""
            tail = f' GROUP BY a."{group.name}"' if grouped else ""
            chosen = ", ".join(self.random.sample(calls, 2))
            return f'SELECT {head}{chosen} FROM "{table.name}" AS a{where}{tail}'

        sql, causes = self.retry(make)
        return Statement(sql, ordered=False, causes=causes, kind="aggregate")

    JOIN_KEYS = (
        ("logs_log_groups", "log_group_name", "logs_log_streams", "log_group_name"),
        ("logs_log_groups", "data__Identifier", "logs_log_streams", "log_group_name"),
        ("logs_log_groups", "region", "logs_log_streams", "region"),
        ("logs_log_streams", "log_stream_name", "appconfig_deployment_strategies", "name"),
        ("logs_log_groups", "log_group_name", "appconfig_deployment_strategies", "name"),
        ("logs_log_groups", "retention_in_days", "appconfig_deployment_strategies", "growth_factor"),
        ("logs_log_streams", "data__Identifier", "logs_log_streams", "data__Identifier"),
    )

    def join(self) -> Statement:
        by_name = {t.name: t for t in self.tables}

        def make(causes: set[Cause]) -> str:
            left_name, left_col, right_name, right_col = self.pick(self.JOIN_KEYS)
            pair = [(left_name, left_col), (right_name, right_col)]
            if self.chance(0.5):
                pair.reverse()
            (a_name, a_col), (b_name, b_col) = pair
            scope = Scope([("a", by_name[a_name]), ("b", by_name[b_name])])
            self.note_column_pair(causes, Column(by_name[a_name], a_col), Column(by_name[b_name], b_col))
            on = f'a."{a_col}" = b."{b_col}"'
            if self.chance(0.4):
                on += ' AND a."region" = b."region"'
            if self.chance(0.2):
                on += f" AND {self.predicate(scope, causes, depth=1)}"
            kind = self.pick(("JOIN", "LEFT JOIN", "CROSS JOIN" if self.chance(0.1) else "JOIN"))
            where = f" WHERE {self.predicate(scope, causes)}" if self.chance(0.6) else ""
            body = f'FROM "{a_name}" AS a {kind} "{b_name}" AS b ON {on}{where}'
            if self.chance(0.2):
                if b_col == IDENTIFIER:
                    causes.add(Cause.DUPLICATE_IDENTIFIER)
                return f'SELECT count(*), count(DISTINCT b."{b_col}") {body}'
            tail = f" {self._order(scope)} LIMIT {self.random.randrange(8)}" if self.chance(0.3) else ""
            return f"SELECT {', '.join(self._projection(scope, causes))} {body}{tail}"

        sql, causes = self.retry(make)
        return Statement(sql, ordered=" ORDER BY " in sql, causes=causes, kind="join")

    def partition(self) -> tuple[str, str, set[Cause]]:
        """A query without WHERE and a predicate for ternary logic partitioning: (FROM ... text with
        projection, predicate, causes)."""
        table = self.pick(self.tables)
        scope = Scope([("a", table)])

        def make(causes: set[Cause]) -> str:
            columns = self._projection(scope, causes)
            return f'SELECT {", ".join(columns)} FROM "{table.name}" AS a\x00{self.predicate(scope, causes)}'

        text, causes = self.retry(make)
        query, predicate = text.split("\x00")
        return query, predicate, causes
