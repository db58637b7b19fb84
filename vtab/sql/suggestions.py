"""SQLite's ``no such table`` and ``no such column`` with the vtab name the user may have meant.

SQLite knows nothing of 1,700 tables it has not yet connected, so its error for ``eks_cluster`` names no
``eks_clusters``; the cursor (vtab.sql.stackql) adds the suggestion from vtab's names (hints.did_you_mean).
For a column, the tables are those the statement names (its tokens; an alias ``AS x`` is followed), the
one a qualified name (``c.nmae``) points to when it is known.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence

from vtab import hints
from vtab.sql.tokens import significant, tokenize

NO_SUCH_TABLE = "no such table: "
NO_SUCH_COLUMN = "no such column: "


@dataclasses.dataclass(frozen=True)
class KnownNames:
    """vtab's names, as the sqlite layer gives them (this layer knows no catalog)."""

    tables: Callable[[], Collection[str]]
    """Every table vtab installs (resource tables and its own)."""
    columns: Callable[[str], Sequence[str]]
    """A table's column names (any case); none for a table that is not vtab's."""


def suggest(message: str, sql: str, names: KnownNames) -> str:
    """``message`` with a "did you mean" where SQLite's ``no such table``/``column`` has a close vtab name;
    any other message as is (also one that already has it: it may pass two edges)."""
    if "did you mean" in message or "; " in message:
        return message  # said already, or not SQLite's bare error (vtab's own name a StackQL name)
    if message.startswith(NO_SUCH_TABLE):
        name = message[len(NO_SUCH_TABLE) :].rpartition(".")[2]  # main.x: the table is x
        hint = hints.did_you_mean(name, names.tables())
        return f"{message}; {hint}" if hint else message
    if message.startswith(NO_SUCH_COLUMN):
        qualifier, _, column = message[len(NO_SUCH_COLUMN) :].rpartition(".")
        tables = tables_named(sql, names.tables(), qualifier.rpartition(".")[2])
        candidates = [name for table in tables for name in names.columns(table)]
        hint = hints.did_you_mean(column, candidates, qualifier=qualifier)
        if hint:
            return f"{message}; {hint}"
        if len(tables) == 1:
            return f"{message}; {hints.describe(tables[0])} lists the columns of {tables[0]}"
    return message


def tables_named(sql: str, tables: Collection[str], qualifier: str = "") -> list[str]:
    """The vtab tables ``sql`` names (as written in it, first use first); with ``qualifier`` (the ``t`` of
    ``t.x``), the one it stands for (its name or its alias), if that is one of them."""
    by_lower = {name.lower(): name for name in tables}
    tokens = significant(list(tokenize(sql)))
    found: list[str] = []
    for i, token in enumerate(tokens):
        if not token.is_identifier or token.identifier.lower() not in by_lower:
            continue
        table = by_lower[token.identifier.lower()]
        if qualifier:
            after = tokens[i + 1 : i + 3]
            if after and after[0].text.upper() == "AS":
                after = after[1:]
            alias = after[0].identifier if after and after[0].is_identifier else ""
            if qualifier.lower() not in (table.lower(), alias.lower()):
                continue
        if table not in found:
            found.append(table)
    return found
