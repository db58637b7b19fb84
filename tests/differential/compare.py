"""Run generated statements on vtab and on the native oracle and count what agrees.

A statement agrees when both sides give the same rows (the same list under an ORDER BY over a unique key,
else the same multiset) or both raise an SQLite error. Ternary logic partitioning (SQLancer's TLP) checks
that ``Q`` equals ``Q WHERE p UNION ALL Q WHERE NOT p UNION ALL Q WHERE p IS NULL`` on vtab alone, and
each part against the oracle.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import apsw

from tests.differential.queries import Cause, Generator, Statement


class Kind(enum.Enum):
    """How a statement disagreed."""

    ROWS = "different rows"
    VTAB_ERROR = "vtab raised, SQLite answered"
    SQLITE_ERROR = "SQLite raised, vtab answered"
    TLP = "the three partitions do not add up to the whole (vtab alone)"


@dataclass(frozen=True)
class Finding:
    kind: Kind
    sql: str
    causes: frozenset[Cause]
    vtab: Any
    native: Any

    def __str__(self) -> str:
        known = ", ".join(sorted(c.name for c in self.causes)) or "no known cause"
        return f"{self.kind.value} ({known}): {self.sql}\n  vtab:   {self.vtab}\n  sqlite: {self.native}"


@dataclass
class Figures:
    """What one run measured."""

    statements: int = 0
    agreements: int = 0
    both_errors: int = 0
    findings: list[Finding] = field(default_factory=list)

    def by_kind(self) -> Counter[str]:
        return Counter(f.kind.name for f in self.findings)

    def by_cause(self) -> Counter[str]:
        return Counter("+".join(sorted(c.name for c in f.causes)) or "UNEXPLAINED" for f in self.findings)

    def line(self, name: str) -> str:
        return (
            f"[{name}] {self.statements} statements, {self.agreements} agreements "
            f"({self.both_errors} errors on both sides), {len(self.findings)} findings"
            f" by kind {dict(self.by_kind())} by cause {dict(self.by_cause())}"
        )


def answer(connection: apsw.Connection, sql: str) -> list[tuple[Any, ...]] | apsw.Error:
    """The rows of ``sql``, or the SQLite error it raised."""
    try:
        return [tuple(row) for row in connection.execute(sql)]
    except apsw.Error as error:
        return error


def same(left: Any, right: Any, ordered: bool) -> bool:
    if isinstance(left, apsw.Error) or isinstance(right, apsw.Error):
        return isinstance(left, apsw.Error) and isinstance(right, apsw.Error)
    return left == right if ordered else Counter(left) == Counter(right)


def limited(got: list[tuple[Any, ...]], want: Any, everything: Any) -> Any:
    """Under a LIMIT without ORDER BY any rows may come: ``got`` itself when it has as many rows as the
    oracle's answer and each is one of the unlimited query's, else the oracle's answer (a finding)."""
    if isinstance(want, apsw.Error) or isinstance(everything, apsw.Error):
        return want
    fits = len(got) == len(want) and not Counter(got) - Counter(everything)
    return got if fits else want


class Runner:
    """Runs statements on ``live`` (vtab) and ``native`` (the oracle), collecting :class:`Figures`."""

    def __init__(self, live: apsw.Connection, native: apsw.Connection) -> None:
        self.live = live
        self.native = native
        self.figures = Figures()

    def check(self, statement: Statement) -> list[tuple[Any, ...]] | apsw.Error:
        """Run ``statement`` on both sides and count the outcome; vtab's answer."""
        got, want = answer(self.live, statement.sql), answer(self.native, statement.sql)
        self.figures.statements += 1
        if statement.unlimited is not None and not isinstance(got, apsw.Error):
            want = limited(got, want, answer(self.native, statement.unlimited))
        if same(got, want, statement.ordered):
            self.figures.agreements += 1
            self.figures.both_errors += isinstance(got, apsw.Error)
            return got
        kind = Kind.ROWS
        if isinstance(got, apsw.Error):
            kind = Kind.VTAB_ERROR
        elif isinstance(want, apsw.Error):
            kind = Kind.SQLITE_ERROR
        self.figures.findings.append(Finding(kind, statement.sql, frozenset(statement.causes), got, want))
        return got

    def partition(self, query: str, predicate: str, causes: set[Cause]) -> None:
        """TLP: each of the four queries against the oracle, and the parts' union against the whole."""
        whole = Statement(query, ordered=False, causes=causes, kind="tlp")
        parts = [
            Statement(f"{query} WHERE ({predicate})", False, causes, "tlp"),
            Statement(f"{query} WHERE NOT ({predicate})", False, causes, "tlp"),
            Statement(f"{query} WHERE ({predicate}) IS NULL", False, causes, "tlp"),
        ]
        answers = [self.check(statement) for statement in (whole, *parts)]
        if any(isinstance(a, apsw.Error) for a in answers):
            return  # an error is already a finding above, or the same error on both sides
        union: list[tuple[Any, ...]] = [row for part in answers[1:] for row in part]  # type: ignore[union-attr]
        self.figures.statements += 1
        if Counter(union) == Counter(answers[0]):  # type: ignore[arg-type]
            self.figures.agreements += 1
        else:
            sql = " UNION ALL ".join(s.sql for s in parts)
            self.figures.findings.append(Finding(Kind.TLP, sql, frozenset(causes), union, answers[0]))

    def run(self, generator: Generator, statements: int) -> Figures:
        """About ``statements`` statements: plain ones and, one time in five, a TLP set of five."""
        start = self.figures.statements
        while self.figures.statements - start < statements:
            if generator.chance(0.2):
                self.partition(*generator.partition())
            else:
                self.check(generator.statement())
        return self.figures
