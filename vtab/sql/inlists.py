"""Which statements may hand a virtual table an empty IN list, which apsw cannot pass on.

apsw 3.54.1.0 fails a statement whose all-at-once IN list is empty at run time with ``SQLError: <NULL>``
before Filter is called: ``sqlite3_vtab_in_first`` answers SQLITE_DONE for an empty list, which apsw's
value conversion takes for an error without raising one (scripts/repro_apsw_empty_in.py shows it on apsw
alone). A literal list is never empty at run time (SQLite folds ``IN ()`` to false), but a subquery
(``IN (SELECT ...)``), a table (``IN t``) or a table-valued function (``IN json_each(?)``) can be. For
those SQLite is asked to hand the list one value per Filter call instead: an empty one then makes no
call and no row, as for a native table.

The text is the statement a vtab cursor is preparing (``preparing``, set around apsw's execute); a
statement prepared any other way (after the first of several in one text, by a cursor class that is not
vtab's) is taken to be one that may.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from contextvars import ContextVar

from vtab.sql.tokens import Kind, significant, tokenize

SUBQUERY_WORDS = frozenset({"SELECT", "WITH", "VALUES"})

_preparing: ContextVar[str | None] = ContextVar("vtab_preparing", default=None)


@contextlib.contextmanager
def preparing(sql: object) -> Iterator[None]:
    """While apsw prepares ``sql`` (the text given to a cursor's execute), BestIndex can read it."""
    token = _preparing.set(sql if isinstance(sql, str) else None)
    try:
        yield
    finally:
        _preparing.reset(token)


def prepared_text() -> str | None:
    """The text of the statement being prepared, if a vtab cursor is preparing it."""
    return _preparing.get()


@functools.lru_cache(maxsize=64)  # BestIndex asks once per plan it weighs: tokenize a text once
def may_give_empty_in(sql: str | None) -> bool:
    """Whether ``sql`` has an IN whose list can be empty at run time (unknown text: yes)."""
    if sql is None:
        return True
    tokens = significant(tokenize(sql))
    for i, token in enumerate(tokens[:-1]):
        if token.kind is not Kind.NAME or token.text.upper() != "IN":
            continue
        after = tokens[i + 1]
        if after.is_identifier:
            return True  # IN table, IN schema.table, IN function(...)
        if after.text == "(" and i + 2 < len(tokens):
            first = tokens[i + 2]
            if first.kind is Kind.NAME and first.text.upper() in SUBQUERY_WORDS:
                return True
    return False
