"""Guards against statements that do far more, or far less, than their writer meant.

* A ``DELETE`` or ``UPDATE`` with no ``WHERE`` clause would change every resource the table lists: it is
  refused unless the statement says so (``WHERE true``). Whether a statement has a ``WHERE`` is read from
  its text (the planner cannot tell: ``WHERE json_extract(...) = 1`` offers it no constraint at all).
* A value still holding an example's placeholder (``<ApiId>``, ``{{ ApiId }}``) would quietly match no
  resource (or create one under a bogus parent); it is refused, naming the column.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import apsw

from vtab.messages import sql_literal
from vtab.sql.tokens import Kind, Token, significant, tokenize

_PLACEHOLDER = re.compile(r"<[A-Za-z_][\w|]*>|\{\{.*?\}\}", re.DOTALL)
"""``<ApiId>``, ``<ApiId|IntegrationId|IntegrationResponseId>``, ``{{ ApiId }}``: never in a real AWS id."""

_STATEMENT_WORDS = frozenset({"SELECT", "VALUES", "INSERT", "REPLACE", "UPDATE", "DELETE"})


_TEMPLATE_VALUE = re.compile(r"\s*\{\{\s*[A-Za-z_][\w.]*\s*\}\}\s*")
"""A whole value that is one ``{{ Name }}``: StackQL's template of an example, never a real value."""


def is_template_value(value: object) -> bool:
    """Whether ``value`` is, as a whole, an unfilled ``{{ Name }}`` of an example (any column)."""
    return isinstance(value, str) and _TEMPLATE_VALUE.fullmatch(value) is not None


def is_placeholder(value: object) -> bool:
    """Whether ``value`` still holds a documentation placeholder instead of a real value."""
    return isinstance(value, str) and _PLACEHOLDER.search(value) is not None


def placeholder_error(column: str, value: object, where: str) -> apsw.SQLError:
    """The error for a placeholder left in ``column``: the same words for reads and writes."""
    return apsw.SQLError(
        f"{column} = {sql_literal(value)}: still a placeholder of the example it was copied from, not a real "
        f"value; replace it with the real one (SELECT region, data__Identifier and the id columns to "
        f"see them) {where}"
    )


@dataclass(frozen=True)
class UnfilteredWrite:
    """An ``UPDATE``/``DELETE`` statement without a ``WHERE`` clause, and the table it writes."""

    verb: str
    table: str
    """The target table's name as written, without its schema (``temp.t`` -> ``t``)."""


@functools.lru_cache(maxsize=64)
def unfiltered_write(sql: str) -> UnfilteredWrite | None:
    """The statement ``sql`` when it is an UPDATE or DELETE with no WHERE clause of its own.

    A ``WHERE`` inside parentheses (a subquery, a CTE, ``FILTER (WHERE ...)``) does not count; any
    ``WHERE`` of the statement itself does, whatever it tests (``UPDATE ... FROM ... WHERE`` included).
    """
    tokens = significant(tokenize(sql))
    verb_at = _statement_verb(tokens)
    if verb_at is None or tokens[verb_at].text.upper() not in ("UPDATE", "DELETE"):
        return None
    verb = tokens[verb_at].text.upper()
    position = verb_at + 1
    if verb == "DELETE" and position < len(tokens) and tokens[position].text.upper() == "FROM":
        position += 1
    if verb == "UPDATE" and position + 1 < len(tokens) and tokens[position].text.upper() == "OR":
        position += 2  # UPDATE OR IGNORE / OR REPLACE / ...
    table = _qualified_name(tokens, position)
    if table is None:
        return None
    depth = 0
    for token in tokens[position:]:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif depth == 0 and token.kind is Kind.NAME and token.text.upper() == "WHERE":
            return None
    return UnfilteredWrite(verb, table)


def written_table(sql: str) -> UnfilteredWrite | None:
    """The verb (INSERT, UPDATE, DELETE) and target table of a write statement ``sql``, or None: which
    table SQLite refused to write when a read-only database stopped it before the table saw the write."""
    tokens = significant(tokenize(sql))
    verb_at = _statement_verb(tokens)
    if verb_at is None or tokens[verb_at].text.upper() not in ("INSERT", "REPLACE", "UPDATE", "DELETE"):
        return None
    verb = {"REPLACE": "INSERT"}.get(tokens[verb_at].text.upper(), tokens[verb_at].text.upper())
    position = verb_at + 1
    if position + 1 < len(tokens) and tokens[position].text.upper() == "OR":
        position += 2  # INSERT OR IGNORE / UPDATE OR REPLACE / ...
    if position < len(tokens) and tokens[position].text.upper() in ("FROM", "INTO"):
        position += 1
    table = _qualified_name(tokens, position)
    return None if table is None else UnfilteredWrite(verb, table)


def _statement_verb(tokens: list[Token]) -> int | None:
    """The index of the word that says what the statement does (after a ``WITH`` clause, if any)."""
    if not tokens or tokens[0].kind is not Kind.NAME:
        return None
    if tokens[0].text.upper() != "WITH":
        return 0
    depth = 0
    for index, token in enumerate(tokens):
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif depth == 0 and token.kind is Kind.NAME and token.text.upper() in _STATEMENT_WORDS:
            return index
    return None


def _qualified_name(tokens: list[Token], position: int) -> str | None:
    """The last part of the (maybe schema-qualified) name starting at ``position``."""
    if position >= len(tokens) or not tokens[position].is_identifier:
        return None
    name = tokens[position].identifier
    if position + 2 < len(tokens) and tokens[position + 1].text == "." and tokens[position + 2].is_identifier:
        name = tokens[position + 2].identifier
    return name
