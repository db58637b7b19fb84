"""``INSERT/UPDATE/DELETE ... RETURNING`` on vtab's tables: the ProgressEvent of each write, after it settled.

SQLite cannot do this itself: it refuses RETURNING on a virtual table's UPDATE and DELETE, and an INSERT's
RETURNING is computed from the values given, before vtab sends anything (so ``RETURNING Identifier`` would
be NULL for an identifier AWS generates). So the connection's cursor rewrites the text before SQLite
prepares it (like StackQL's names, vtab.sql.stackql), on SQLite's tokens:

    INSERT INTO t (...) SELECT ... RETURNING Identifier, arn;
    INSERT INTO t (...) SELECT ... /*RETURN*/             ;SELECT Identifier, arn FROM (...) AS "t";

The write loses its clause, blanked to the same length with the marker comment ``/*RETURN*/`` where the
keyword was (so error offsets, and the shell's splitting of a script by the length of each statement, line
up with the text as written; the marker tells the write it has a RETURNING clause). Right after the write's
``;`` comes a SELECT of the clause's expressions over ``vtab_returning(1)``: the settled operations of the
write statement that ran just before it, one row each (vtab.write.returning). The columns a RETURNING may
name, and what ``*`` stands for, come from the table (``ReturningColumns``, given by the SQLite layer); the
SELECT is prepared before anything runs, so an unknown column fails the script before any write is sent.

``EXPLAIN`` of such a write explains the write and checks the clause, without the SELECT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import apsw

from vtab.sql.tokens import Kind, Token, tokenize

PROGRESS_EVENT = (
    "ErrorCode",
    "EventTime",
    "Identifier",
    "Operation",
    "OperationStatus",
    "RequestToken",
    "ResourceModel",
    "RetryAfter",
    "StatusMessage",
    "TypeName",
)
"""Cloud Control's ProgressEvent fields, as StackQL's pages write them after RETURNING."""

MARKER = "/*RETURN*/"
"""What replaces the keyword RETURNING in the write (10 characters: the shortest clause, ``RETURNING*``,
has as many), so the write knows it was asked for its ProgressEvents (vtab.sql.statements.StatementText)."""

LOG_TABLE = "vtab_returning"
"""The eponymous table of the settled operations; ``vtab_returning(1)``: only the marked statement's."""

WRITES = ("INSERT", "REPLACE", "UPDATE", "DELETE")
CONFLICT = ("ROLLBACK", "ABORT", "REPLACE", "FAIL", "IGNORE")


@dataclass(frozen=True)
class ReturningColumns:
    """What a RETURNING of a write to one table may name: column name -> its SQL expression over the
    columns of ``vtab_returning`` (a property's reads the event's ResourceModel), and the names ``*``
    stands for."""

    columns: dict[str, str]
    star: tuple[str, ...]


Resolver = Callable[[str | None, str], "ReturningColumns | None"]
"""(schema, table) as the statement writes them (schema None when unqualified) -> the table's columns, or
None when SQLite takes the name for a table that is not vtab's (a table of your own comes first)."""


@dataclass(frozen=True)
class _Write:
    """A write statement with a RETURNING clause, by positions in the text."""

    explain: bool
    schema: str | None
    table: str
    alias: str
    keyword: Token
    """The RETURNING token."""
    clause_end: int
    """Where the clause's last token ends."""
    end: int
    """Where the statement ends: after its ``;``, or the end of the text (no ``;``)."""
    terminated: bool


def has_returning(sql: str) -> bool:
    """The cheap test before any tokenizing: most statements never name RETURNING."""
    return "returning" in sql.lower()


def rewrite(sql: str, resolve: Resolver, check: Callable[[str], None]) -> str:
    """``sql`` with each RETURNING write to a vtab table rewritten as above; ``check`` prepares an injected
    SELECT (raising SQLite's error), before any of it runs."""
    if not has_returning(sql):
        return sql
    tokens = list(tokenize(sql))
    pieces: list[str] = []
    done = 0
    for write in _writes(sql, tokens):
        found = resolve(write.schema, write.table)
        if found is None:
            continue  # not vtab's: SQLite's own RETURNING
        expressions = sql[write.keyword.end : write.clause_end]
        select = _select(expressions, tokens, write, found)
        _check(check, select, expressions, write.table)
        start, end = write.keyword.start, write.clause_end
        blank = "".join(c if c == "\n" else " " for c in sql[start + len(MARKER) : end])
        pieces += [sql[done:start], MARKER, blank]
        if write.explain:
            done = end
            continue
        if write.terminated:
            pieces += [sql[end : write.end], select, ";"]
        else:
            pieces += [sql[end : write.end], "\n;", select]
        done = write.end
    if not pieces:
        return sql
    pieces.append(sql[done:])
    return "".join(pieces)


def as_written(traced: str, given: str | None) -> str:
    """A rewritten write's text, as SQLite traces it (the clause blanked behind the marker; a ``;`` added
    to a last statement that had none), as ``given`` to the cursor had it: for showing (vtab_errors).
    As traced when ``given`` does not hold it."""
    at = traced.find(MARKER)
    if at < 0 or not given:
        return traced
    head = traced[:at]
    for write in _writes(given, list(tokenize(given))):
        start, end = write.keyword.start, write.clause_end
        if start < len(head) or given[start - len(head) : start] != head:
            continue
        rest = traced[at + end - start :]
        if not write.terminated:
            rest = rest.removesuffix("\n;")
        return head + given[start:end] + rest
    return traced


def _check(check: Callable[[str], None], select: str, expressions: str, table: str) -> None:
    """``check`` the SELECT; its error names the clause and what it may name."""
    try:
        check(select)
    except apsw.SQLError as error:
        shown = " ".join(expressions.split())
        fields = ", ".join(PROGRESS_EVENT)
        raise apsw.SQLError(
            f"RETURNING {shown}: {error}; a RETURNING of a write to {table} takes Cloud Control's "
            f"ProgressEvent fields ({fields}), {table}'s columns (read from the event's ResourceModel) "
            f"and *; nothing was sent"
        ) from None


def _select(expressions: str, tokens: list[Token], write: _Write, found: ReturningColumns) -> str:
    """The SELECT of the clause's expressions over the write's settled operations."""
    listed = _expand_star(expressions, tokens, write, found)
    columns = ", ".join(f"{expression} AS {quote(name)}" for name, expression in found.columns.items())
    return (
        f"SELECT {listed.strip()} FROM (SELECT {columns} FROM (SELECT *, iif(json_valid(ResourceModel), "
        f"ResourceModel, NULL) AS {MODEL} FROM {LOG_TABLE}(1)) AS {EVENT}) AS {quote(write.alias)}"
    )


EVENT = '"vtab event"'
"""The settled operation a column's expression reads (its account_id, for account_name's)."""


MODEL = '"vtab model"'
"""The event's ResourceModel when it is JSON (a property column reads it; malformed text reads NULL)."""


def model_member(prop: str) -> str:
    """The SQL expression reading property ``prop`` from the event's ResourceModel."""
    return f"json_extract({MODEL}, '$.\"{prop}\"')"


def _expand_star(expressions: str, tokens: list[Token], write: _Write, found: ReturningColumns) -> str:
    """The clause's expressions with each bare ``*`` (a whole item of the list) spelled out."""
    offset = write.keyword.end
    inside = [t for t in tokens if write.keyword.end <= t.start < write.clause_end]
    significant = [t for t in inside if not t.is_gap]
    depth = 0
    stars = []
    for i, token in enumerate(significant):
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif token.text == "*" and depth == 0:
            before = significant[i - 1].text if i else ","
            after = significant[i + 1].text if i + 1 < len(significant) else ","
            if before == "," and after == ",":
                stars.append(token)
    if not stars:
        return expressions
    spelled = ", ".join(quote(name) for name in found.star)
    text, done = [], 0
    for star in stars:
        text += [expressions[done : star.start - offset], spelled]
        done = star.end - offset
    text.append(expressions[done:])
    return "".join(text)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _writes(sql: str, tokens: list[Token]) -> list[_Write]:
    """The write statements of ``sql`` with a RETURNING clause (statements split as SQLite splits them:
    at a ``;`` that completes one, so a trigger's body stays whole)."""
    found = []
    start = 0
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        ends = token.kind is Kind.PUNCT and token.text == ";"
        if ends and apsw.complete(sql[tokens[start].start : token.end]):
            write = _parse(tokens[start:i], token.end, terminated=True)
            start = i + 1
        elif last:
            write = _parse(tokens[start:], token.end, terminated=False)
        else:
            continue
        if write is not None:
            found.append(write)
    return found


def _parse(tokens: list[Token], end: int, *, terminated: bool) -> _Write | None:
    """The statement of ``tokens`` as a RETURNING write, or None."""
    words = [t for t in tokens if not t.is_gap]
    explain = bool(words) and words[0].text.upper() == "EXPLAIN"
    if explain:
        words = words[1:]
        if words[:2] and " ".join(w.text.upper() for w in words[:2]) == "QUERY PLAN":
            words = words[2:]
    top = _top_level(words)
    if not top:
        return None
    if top[0].text.upper() == "WITH":  # the statement's verb is the first one outside the CTEs
        top = top[next((n for n, t in enumerate(top) if t.text.upper() in (*WRITES, "SELECT")), len(top)) :]
    if not top or top[0].text.upper() not in WRITES:
        return None
    keyword = next((t for t in reversed(top) if t.kind is Kind.NAME and t.text.upper() == "RETURNING"), None)
    if keyword is None or keyword is top[-1]:
        return None
    target = _target(words[words.index(top[0]) :])
    if target is None:
        return None
    schema, table, alias = target
    return _Write(explain, schema, table, alias, keyword, words[-1].end, end, terminated)


def _top_level(words: list[Token]) -> list[Token]:
    """The tokens outside any parentheses."""
    depth = 0
    top = []
    for token in words:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif depth == 0:
            top.append(token)
    return top


def _target(words: list[Token]) -> tuple[str | None, str, str] | None:
    """(schema or None, table, the name RETURNING qualifies columns with) of ``INSERT [OR x] INTO
    [schema.]t [AS a]``, ``REPLACE INTO``, ``UPDATE [OR x] [schema.]t [AS a]`` or ``DELETE FROM [schema.]t
    [AS a]``."""
    texts = [w.text.upper() for w in words]
    i = 1
    if texts[0] in ("INSERT", "UPDATE") and texts[1:2] == ["OR"] and texts[2:3] and texts[2] in CONFLICT:
        i = 3
    if texts[0] in ("INSERT", "REPLACE", "DELETE"):
        if texts[i : i + 1] != ["INTO" if texts[0] != "DELETE" else "FROM"]:
            return None
        i += 1
    if i >= len(words) or not words[i].is_identifier:
        return None
    schema, table = None, words[i].identifier
    if texts[i + 1 : i + 2] == ["."] and i + 2 < len(words) and words[i + 2].is_identifier:
        i += 2
        schema, table = table, words[i].identifier
    alias = table
    if texts[i + 1 : i + 2] == ["AS"] and i + 2 < len(words) and words[i + 2].is_identifier:
        alias = words[i + 2].identifier
    return schema, table, alias
