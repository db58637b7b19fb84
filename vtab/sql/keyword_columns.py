"""Columns StackQL's pages name bare although SQLite reads the name as a keyword: ``values``, ``group``,
``update`` (Amplify UI Builder themes, Resource Groups tag sync tasks, IoT Wireless task definitions).

StackQL's parser takes ``SELECT region, values FROM ...`` and ``INSERT INTO ... (Group, TagKey, ...)``;
SQLite stops at the keyword (``near "values": syntax error``). In a statement that names a table by its
StackQL name, the cursor (vtab.sql.stackql) quotes such a word where it stands alone as an item of a
column list (between ``SELECT``, ``(`` or ``,`` and ``,``, ``)`` or ``FROM``) and is a column of a table the
statement names. The two quotes take the place of two characters of the whitespace around the word, so the
text keeps its length (see vtab.sql.stackql); a word with no whitespace to spare is left to SQLite's error.

The quotes are brackets, ``[group]``: a double-quoted name that is no column in scope is a string to SQLite,
so ``INSERT ... SELECT "group" FROM staging`` (no such column) would write the text 'group' to AWS, where
``[group]`` fails as the bare word would. Only the keywords SQLite refuses there are quoted (``values``,
``group``, ``update``, ``primary``); it reads most others as names already (``key``, ``action``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence

import apsw

from vtab.sql.tokens import Kind, Token, tokenize


@functools.cache
def refused_bare() -> frozenset[str]:
    """The keywords (upper case) SQLite refuses as a bare column name in a SELECT or INSERT column list,
    asked of SQLite itself (once per process, about 30 ms): a keyword's fallback to a name varies by
    version."""
    probe = apsw.Connection(":memory:")
    refused = set()
    for word in apsw.keywords:
        probe.execute(f'CREATE TABLE t(a, "{word}")')
        for sql in (
            f"SELECT a, {word} FROM t",
            f"SELECT {word}, a FROM t",
            f"INSERT INTO t (a, {word}) VALUES (1, 2)",
        ):
            try:
                probe.execute(f"EXPLAIN {sql}").fetchall()
            except apsw.SQLError:
                refused.add(word.upper())
        probe.execute("DROP TABLE t")
    probe.close()
    return frozenset(refused)


BEFORE = frozenset({",", "(", "SELECT"})
"""What precedes a column list's item (upper case)."""
AFTER = frozenset({",", ")", "FROM"})
"""What follows it."""
QUOTES = 2


def quote_keyword_columns(sql: str, tables: Collection[str], columns: Callable[[str], Sequence[str]]) -> str:
    """``sql`` with each bare keyword SQLite refuses there that is an item of a column list and a column
    of one of ``tables`` (the vtab tables the statement names) quoted, at the same length."""
    tokens = list(tokenize(sql))
    keywords = refused_bare()
    if not any(token.kind is Kind.NAME and token.text.upper() in keywords for token in tokens):
        return sql
    names = {name.lower() for table in tables for name in columns(table)}
    parsed = [i for i, token in enumerate(tokens) if not token.is_gap]
    edits: list[tuple[int, int, str]] = []
    for n, index in enumerate(parsed[1:-1], start=1):
        word = tokens[index]
        if word.kind is not Kind.NAME or word.text.upper() not in keywords or word.text.lower() not in names:
            continue
        if (
            tokens[parsed[n - 1]].text.upper() not in BEFORE
            or tokens[parsed[n + 1]].text.upper() not in AFTER
        ):
            continue
        quoted = _quoted_in_place(tokens, index)
        if quoted is not None:
            edits.append(quoted)
    for start, end, text in reversed(edits):
        sql = sql[:start] + text + sql[end:]
    return sql


def _quoted_in_place(tokens: list[Token], index: int) -> tuple[int, int, str] | None:
    """(start, end, text): the keyword at ``index`` quoted, with the whitespace right before and after it
    two characters shorter (spaces and tabs go first, line breaks last); None without two to spare."""
    before = tokens[index - 1] if index > 0 and tokens[index - 1].kind is Kind.SPACE else None
    after = tokens[index + 1] if index + 1 < len(tokens) and tokens[index + 1].kind is Kind.SPACE else None
    left, right = (before.text if before else ""), (after.text if after else "")
    # The line break that ends a -- comment before the word stays: without it the comment would run on
    # over the word and the rest of its line.
    kept = "\n" if index > 1 and before and tokens[index - 2].text.startswith("--") else ""
    left = left[len(kept) :]
    if len(left) + len(right) < QUOTES:
        return None
    for _ in range(QUOTES):
        left, right = _one_shorter(left, right)
    word = tokens[index]
    start = before.start if before else word.start
    end = after.end if after else word.end
    return start, end, f"{kept}{left}[{word.text}]{right}"


def _one_shorter(left: str, right: str) -> tuple[str, str]:
    """One whitespace character less: a space or tab of the indentation before the word first, then one
    after it, then a line break."""
    for side in ("left", "right"):
        text = left if side == "left" else right
        at = max(text.rfind(" "), text.rfind("\t"))
        if at >= 0:
            text = text[:at] + text[at + 1 :]
            return (text, right) if side == "left" else (left, text)
    return (left[:-1], right) if left else (left, right[:-1])
