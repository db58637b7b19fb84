"""Whether the constants SQLite hands a virtual table are plain literals, which have no affinity.

``log_group_name = 42`` compares 42 with TEXT affinity ('42'), so vtab may look up '42' and tell SQLite
it has checked the constraint. ``log_group_name = CAST(42 AS INTEGER)`` is a constant too (SQLite gives
BestIndex its value), but the CAST has INTEGER affinity and SQLite compares as numbers ('042' equals it;
sqlite.org/datatype3.html, "Type Conversions Prior To Comparison"). BestIndex cannot tell which constant
a CAST made, so a statement with any CAST (or one whose text vtab did not see) has no plain literals.
"""

from __future__ import annotations

import functools

from vtab.sql.tokens import Kind, significant, tokenize


@functools.lru_cache(maxsize=64)  # BestIndex asks once per plan it weighs: tokenize a text once
def constants_are_literals(sql: str | None) -> bool:
    """Whether every constant BestIndex sees for ``sql`` is a plain literal (no CAST; unknown text: no)."""
    if sql is None:
        return False
    return not any(t.kind is Kind.NAME and t.text.upper() == "CAST" for t in significant(tokenize(sql)))
