"""StackQL's table names (``aws.apigatewayv2.integration_responses``, today ``awscc.apigatewayv2...``) on apsw
connections, and StackQL's ``string()`` function.

SQLite has no three-part table names, so a cursor rewrites the SQL text before SQLite prepares it:
``aws.<service>.<table>`` becomes the table's own name, padded with spaces to the same length (so error
offsets, and apsw's shell splitting a script by the length of each statement, still line up with the
text as written). The rewrite works on SQLite's tokens (vtab.sql.tokens): string literals, quoted
identifiers and comments are never changed; the parts of a name may be quoted (``"aws".x.y`` is the same
name to SQLite) and separated by whitespace or comments, which are kept. An unknown ``aws.x.y`` is an
error naming the known tables. StackQL's Cloud Control provider is ``awscc`` today (``aws`` on its older
pages): ``awscc.x.y`` is ``aws.x.y``. While a database is attached as ``aws`` (or ``awscc``), such names mean
what SQLite says they mean (a column of table ``x`` of that database), and nothing is rewritten.

The shell's dot-commands take table names as one unquoted word (``.schema aws.ec2.instances``, or a
LIKE pattern ``aws.ec2.%``): ``is_stackql_name``, ``tables_like`` and ``no_such_table`` serve them.

``install`` sets the connection's ``cursor_factory`` to a subclass of the one already there, so a cursor
class of the user's own keeps working (apsw's ``Connection.execute`` goes through it too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol

import apsw

from vtab import hints
from vtab.sql import returning
from vtab.sql.closing_cursor import ClosingCursor
from vtab.sql.inlists import preparing
from vtab.sql.keyword_columns import quote_keyword_columns
from vtab.sql.suggestions import KnownNames, suggest
from vtab.sql.tokens import Token, tokenize

PROVIDER = "aws"
PROVIDERS = (PROVIDER, "awscc")
"""The first part of a StackQL name: the catalog's names are ``aws.``; ``awscc.`` (StackQL's provider for
Cloud Control today) names the same tables."""


def string(*values: apsw.SQLiteValue) -> str | None:
    """StackQL's ``string(x)`` (its pages write ``SET PatchDocument = string('[...]')``): ``x`` as text,
    like ``CAST(x AS TEXT)``; NULL stays NULL. Registered on every vtab connection (one argument)."""
    (value,) = values
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _catalog_name(written: str) -> str:
    """``awscc.ec2.vpcs`` -> ``aws.ec2.vpcs``: the spelling the name tables are keyed by."""
    provider, dot, rest = written.partition(".")
    return f"{PROVIDER}.{rest}" if dot and provider.lower() in PROVIDERS else written


def rewrite(
    sql: str,
    tables: Mapping[str, str],
    providers: tuple[str, ...] = PROVIDERS,
    absent: Mapping[str, str] | None = None,
    columns: Callable[[str], Sequence[str]] | None = None,
) -> str:
    """``sql`` with every StackQL name of ``tables`` (lower-case StackQL name -> table name) replaced;
    ``providers``: the first parts taken as StackQL's (those not attached as databases); ``absent``:
    StackQL names vtab has no table for -> why (RoboMaker's fleets), which their error gives; ``columns``
    (a table's column names): the statement's bare keywords that are columns of the tables it names are
    quoted as StackQL's parser takes them (vtab.sql.keyword_columns)."""
    if PROVIDER not in sql.lower():
        return sql  # the common case costs one scan of the text
    tokens = list(tokenize(sql))
    parsed = [i for i, token in enumerate(tokens) if not token.is_gap]
    pieces: list[str] = []
    named: list[str] = []
    done = 0
    for n, index in enumerate(parsed):
        if tokens[index].start < done:
            continue
        name = _name_at(tokens, parsed, n, providers)
        if name is None:
            continue
        first, last, parts = name
        written = ".".join(parts)
        table = table_of(written, tables)
        if table is None:
            raise apsw.SQLError(no_such_table(written, tables, absent=absent))
        start, end = tokens[first].start, tokens[last].end
        kept = "".join(token.text for token in tokens[first : last + 1] if token.is_gap)
        pieces += [sql[done:start], table, " " * (end - start - len(table) - len(kept)), kept]
        named.append(table)
        done = end
    if not pieces:
        return sql
    pieces.append(sql[done:])
    rewritten = "".join(pieces)
    return quote_keyword_columns(rewritten, named, columns) if columns else rewritten


LIST_ONLY = "_list_only"
"""StackQL's list view of a type (``aws.ec2.vpcs_list_only``: region and the identifier columns); here the
type's own table, which has those columns and lists the same way."""


def table_of(written: str, tables: Mapping[str, str]) -> str | None:
    """The table a StackQL name ``written`` names (any case; ``<name>_list_only`` is ``<name>``'s),
    or None."""
    name = _catalog_name(written).lower()
    if name not in tables and name.endswith(LIST_ONLY):
        name = name[: -len(LIST_ONLY)]
    return tables.get(name)


def no_such_table(
    written: str,
    tables: Mapping[str, str],
    *,
    command: bool = False,
    absent: Mapping[str, str] | None = None,
) -> str:
    """The error for an unknown StackQL name ``written`` (``aws.service.table``): why vtab has no table
    for it when ``absent`` knows (the catalog left the type out), else the names it may have meant;
    ``command`` (the shell's dot-commands) also says how to search them all from the command."""
    why = (absent or {}).get(_catalog_name(written).lower().removesuffix(LIST_ONLY))
    if why is not None:
        return f"no such table: {written}: vtab has no table for it: {why}"
    parts = written.split(".")
    text = f"no such table: {written}; {_known(parts, tables)}"
    spelled = {f"{parts[0]}.{name.partition('.')[2]}": name for name in tables}  # as the user spells aws.
    meant = hints.did_you_mean(f"{parts[0]}.{parts[1]}.{parts[2]}", spelled)
    text = f"{text}; {meant}" if meant else text
    if not command or "vtab types" in text:
        return text
    if any(name.startswith(f"{PROVIDER}.{parts[1].lower()}.") for name in tables):
        return f"{text}; vtab types {parts[1]} lists them with their tables (vtab types PATTERN searches all)"
    return f"{text}; vtab types PATTERN lists every table with its StackQL name"


def is_stackql_name(text: str) -> bool:
    """Whether ``text`` is written as a StackQL name, ``aws.<service>.<table>`` (LIKE wildcards allowed
    in the last two parts), as the shell's dot-commands take table names (unquoted, one word)."""
    parts = text.split(".")
    return len(parts) == 3 and parts[0].lower() in PROVIDERS and all(parts)


def like(pattern: str, text: str) -> bool:
    """SQLite's ``text LIKE pattern`` (no ESCAPE): ``%`` any run, ``_`` any one character, ASCII letters
    in either case, as the shell's dot-commands match table names."""
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.IGNORECASE | re.ASCII | re.DOTALL) is not None


def tables_like(pattern: str, tables: Mapping[str, str]) -> list[str]:
    """The tables whose StackQL names match the LIKE ``pattern`` (``aws.ec2.%``; a ``_list_only`` name is
    its type's), sorted."""
    pattern = _catalog_name(pattern)
    found = sorted({table for name, table in tables.items() if like(pattern, name)})
    if not found and pattern.lower().endswith(LIST_ONLY):
        return tables_like(pattern[: -len(LIST_ONLY)], tables)
    return found


KNOWN_SHOWN = 10
"""An unknown name's error lists at most this many known ones (those of its service first)."""


def _known(parts: list[str], tables: Mapping[str, str]) -> str:
    """The known names to show: the service's, else all of them when they are few; else where to look."""
    service = f"{PROVIDER}.{parts[1].lower()}."
    names = sorted(name for name in tables if name.startswith(service))
    if not names and len(tables) > KNOWN_SHOWN:
        return (
            f"vtab knows no StackQL service {parts[1]!r}; SELECT stackql_name FROM vtab_types lists all "
            f"{len(set(tables.values())):,} names (vtab types PATTERN from the command)"
        )
    names = names or sorted(tables)
    if parts[0].lower() != PROVIDER:  # shown as the user spells the provider (awscc.)
        names = [f"{parts[0]}.{name.partition('.')[2]}" for name in names]
    shown = ", ".join(names[:KNOWN_SHOWN]) or "none"
    listed = shown if len(names) <= KNOWN_SHOWN else f"{shown}, ... ({len(names)} in all)"
    return f"the StackQL names vtab knows: {listed}"


def _name_at(
    tokens: list[Token], parsed: list[int], n: int, providers: tuple[str, ...]
) -> tuple[int, int, list[str]] | None:
    """``aws . service . table`` starting at parsed token ``n``: (first index, last index, the parts)."""
    window = [tokens[i] for i in parsed[n : n + 5]]
    if len(window) < 5 or not window[0].is_identifier or window[0].identifier.lower() not in providers:
        return None
    if n > 0 and tokens[parsed[n - 1]].text == ".":
        return None  # x.aws.y.z: aws is not where a name starts
    if window[1].text != "." or window[3].text != ".":
        return None
    if not window[2].is_identifier or not window[4].is_identifier:
        return None
    return parsed[n], parsed[n + 4], [window[0].identifier, window[2].identifier, window[4].identifier]


class ReadOnlyRefused(Protocol):
    """Rewrites the text of SQLite's refusal of a write on a read-only connection to say which table and
    the fix (vtab.sqlite.read_only)."""

    def __call__(self, error: apsw.ReadOnlyError) -> None: ...


class StackQLCursor(ClosingCursor):
    """A cursor whose execute/executemany accept StackQL's table names (see the module docstring) and
    RETURNING on writes to vtab's tables (vtab.sql.returning), and whose SQLite refusal to reach a vtab
    table from a file's view or trigger says why and what to do (``hints.unsafe_use``). A ClosingCursor:
    any Python subclass of apsw.Cursor needs to be one."""

    stackql_tables: ClassVar[Mapping[str, str]] = {}
    """Lower-case StackQL name -> table name."""
    stackql_absent: ClassVar[Mapping[str, str]] = {}
    """Lower-case StackQL name of a type vtab has no table for -> why (the catalog's reason)."""
    base_factory: ClassVar[type[apsw.Cursor]] = apsw.Cursor
    """The cursor class this one extends (apsw's, or the connection's own)."""
    returning_columns: ClassVar[returning.Resolver | None] = None
    """Which tables are vtab's, and what their RETURNING may name (None: RETURNING is left to SQLite)."""
    returning_given: ClassVar[str | None] = None
    """The text the connection's last RETURNING rewrite was given (vtab.sql.returning.as_written shows a
    traced write as written from it)."""

    known_names: ClassVar[KnownNames | None] = None
    """vtab's table and column names, for a "did you mean" on SQLite's no such table/column."""
    read_only_refused: ClassVar[ReadOnlyRefused | None] = None
    """Says which table SQLite refused a write to on a read-only connection, and the fix (rewrites the
    error's text; vtab.sqlite.read_only)."""

    def execute(self, statements: Any, *args: Any, **kwargs: Any) -> apsw.Cursor:
        with preparing(statements):  # vtab.sql.inlists: BestIndex reads the text being prepared
            try:
                return super().execute(rewrite_on(self.connection, statements), *args, **kwargs)
            except apsw.SQLError as error:
                explain(error, self.connection, statements)
                raise
            except apsw.ReadOnlyError as error:
                self._read_only_refused(error)
                raise

    def executemany(self, statements: Any, *args: Any, **kwargs: Any) -> apsw.Cursor:
        with preparing(statements):
            try:
                return super().executemany(rewrite_on(self.connection, statements), *args, **kwargs)
            except apsw.SQLError as error:
                explain(error, self.connection, statements)
                raise
            except apsw.ReadOnlyError as error:
                self._read_only_refused(error)
                raise

    def _read_only_refused(self, error: apsw.ReadOnlyError) -> None:
        if self.read_only_refused is not None:
            self.read_only_refused(error)


def explain(error: BaseException, connection: apsw.Connection | None = None, sql: Any = None) -> None:
    """Give ``error``'s text vtab's hint when SQLite refused an unsafe use (hints.unsafe_use), or the
    name meant when a table or column is unknown (vtab.sql.suggestions; needs the connection and SQL)."""
    text = hints.unsafe_use(str(error))
    factory = connection.cursor_factory if connection is not None else None
    if (
        connection is not None
        and isinstance(factory, type)
        and issubclass(factory, StackQLCursor)
        and factory.known_names
    ):
        try:
            written = _names_on(connection, sql) if isinstance(sql, str) else ""
        except apsw.SQLError:  # an unknown StackQL name: its own error says what it may have meant
            written = ""
        text = suggest(text, written, factory.known_names)
    if text != str(error):
        error.args = (text,)


def _prepare_only(connection: apsw.Connection, sql: str) -> None:
    """Prepare ``sql`` (SQLite's error if it does not), without running it."""
    cursor = apsw.Cursor(connection)
    cursor.exec_trace = lambda *args: False
    try:
        cursor.execute(sql)
    except (apsw.ExecTraceAbort, apsw.BindingsError):
        pass  # prepared (a parameter's value is not needed to know the columns)
    finally:
        cursor.close()


def installed_names(connection: apsw.Connection) -> Mapping[str, str]:
    """The StackQL names ``install`` gave ``connection`` (lower-case name -> table); none if not."""
    factory = connection.cursor_factory
    if isinstance(factory, type) and issubclass(factory, StackQLCursor):
        return factory.stackql_tables
    return {}


def rewrite_on(connection: apsw.Connection, statements: Any) -> Any:
    """``statements`` as the connection's cursors run them: with the StackQL names ``install`` gave it,
    and RETURNING on writes to vtab's tables rewritten (vtab.sql.returning; the text is rewritten once,
    so this may be given text it already rewrote).

    For code that must see the text SQLite will prepare before executing it (apsw.ext.query_info)."""
    statements = _names_on(connection, statements)
    factory = connection.cursor_factory
    if not isinstance(statements, str) or not returning.has_returning(statements):
        return statements
    if (
        not (isinstance(factory, type) and issubclass(factory, StackQLCursor))
        or not factory.returning_columns
    ):
        return statements
    rewritten = returning.rewrite(
        statements, factory.returning_columns, lambda sql: _prepare_only(connection, sql)
    )
    if rewritten != statements:
        factory.returning_given = statements
    return rewritten


def _names_on(connection: apsw.Connection, statements: Any) -> Any:
    if not isinstance(statements, str) or PROVIDER not in statements.lower():
        return statements
    tables = installed_names(connection)
    attached = {name.lower() for name in connection.db_names()}
    providers = tuple(provider for provider in PROVIDERS if provider not in attached)
    if not tables or not providers:
        return statements
    factory = connection.cursor_factory
    known = getattr(factory, "known_names", None)
    return rewrite(
        statements,
        tables,
        providers,
        getattr(factory, "stackql_absent", None),
        known.columns if known else None,
    )


def install(
    connection: apsw.Connection,
    tables: Mapping[str, str],
    returning_columns: returning.Resolver | None = None,
    absent: Mapping[str, str] | None = None,
    known_names: KnownNames | None = None,
    read_only_refused: ReadOnlyRefused | None = None,
) -> None:
    """Make ``connection``'s cursors (and so ``connection.execute``) accept the StackQL names ``tables``
    (lower-case name -> table: kept as given, one mapping for every connection), and RETURNING on writes
    to the tables ``returning_columns`` knows; ``absent``: StackQL names without a table -> why, for their
    error; ``known_names``: what a "did you mean" on SQLite's no such table/column
    chooses from (vtab.sql.suggestions); ``read_only_refused``: explains SQLite's refusal of a write on a
    read-only connection (it is raised by SQLite, so the cursor is where vtab sees it, at no cost).

    The connection's cursor factory is extended, not replaced: a subclass of apsw.Cursor set before keeps
    its behaviour. Any other factory (a function) cannot be extended, so it is refused with a TypeError.
    """
    factory = connection.cursor_factory
    if isinstance(factory, type) and issubclass(factory, StackQLCursor):
        base = factory.base_factory  # registered again: replace the names, keep the user's class
    elif isinstance(factory, type) and issubclass(factory, apsw.Cursor):
        base = factory
    else:
        raise TypeError(
            f"vtab.register(): the connection's cursor_factory is {factory!r}, which vtab cannot extend to "
            f"accept StackQL names like {next(iter(tables), 'aws.<service>.<table>')}; make it a subclass of "
            "apsw.Cursor (vtab then subclasses it), or set it after vtab.register() to do without those names"
        )
    bases = (StackQLCursor,) if base is apsw.Cursor else (StackQLCursor, base)
    namespace = {
        "stackql_tables": tables,
        "stackql_absent": {} if absent is None else absent,  # read at an unknown name: built lazily
        "base_factory": base,
        "returning_columns": staticmethod(returning_columns) if returning_columns else None,
        "known_names": known_names,
        "read_only_refused": staticmethod(read_only_refused) if read_only_refused else None,
    }
    connection.cursor_factory = type(f"StackQL{base.__name__}", bases, namespace)
