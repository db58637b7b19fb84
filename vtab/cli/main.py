"""The ``vtab`` command: the tables for people with a sqlite3 habit, no Python needed.

A Python virtual table lives only in the process that registered it, so plain ``sqlite3`` cannot see it.
The command offers the three honest routes (DESIGN.md "Other clients"):

    vtab shell [DB] [SQL...]          apsw's sqlite3-compatible shell, vtab on every connection it opens
    vtab query "SQL" --format csv     run statements on an in-memory connection, print the rows
    vtab snapshot OUT.db "SELECT ..." --table NAME   copy rows into a plain table any sqlite3 client opens
    vtab emulator --seed demo         the local Cloud Control endpoint
    vtab demo                         the reference queries against the local endpoint

Every field of :class:`vtab.options.Options` is a ``--kebab-case`` flag whose text is converted exactly
like SQL option text (``Options().replace``), so ``--cache-ttl 0`` means what ``cache_ttl=0`` means.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import json
import os
import re
import sys
import traceback
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, TextIO, cast

import apsw
import apsw.ext
import apsw.shell
import orjson
from apsw.shell import Shell

import vtab
from vtab import hints
from vtab.cli.optiondocs import default_text, field_docs
from vtab.options import WRITE_OPTIONS, OptionError, Options
from vtab.read.progress import AroundProgress
from vtab.sql.stackql import installed_names, is_stackql_name, no_such_table, rewrite_on, tables_like
from vtab.sqlite.install import ShadowedTableWarning, eponymous_tables, resource_tables
from vtab.sqlite.registry import Registry
from vtab.write.report import WriteReport

PROG = "vtab"
FORMATS = ("table", "csv", "json", "jsonl")
SNAPSHOT_SCHEMA = "snap"
"""The name the snapshot's output file is ATTACHed as, so its SELECT can join the file's own tables."""

INTERRUPTED_STATUS = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""

CONNECTION_SUMMARY = (
    "tables integration_responses, vtab_calls, vtab_dry_run; functions vtab_clear_cache(), vtab_clear_calls()"
)


class CommandError(Exception):
    """A failure the user can fix; main() prints the message (no traceback) and exits 1."""


# --- vtab options as flags --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class OptionFlag:
    """One Options field as a command-line flag."""

    name: str
    flag: str
    is_bool: bool
    help: str


def option_flags(skip: frozenset[str] = frozenset()) -> list[OptionFlag]:
    """Every Options field but ``skip``, as ``--kebab-case``; booleans are ``--x``/``--no-x`` switches, the
    rest take SQL option text."""
    docs = field_docs()
    defaults = Options()
    flags = []
    for field in dataclasses.fields(Options):
        if field.name not in Options.names() or field.name in skip:
            continue
        is_bool = isinstance(getattr(defaults, field.name), bool)
        doc = docs.get(field.name, "")
        default = AUTO_DEFAULTS.get(field.name) or default_text(field.name, getattr(defaults, field.name))
        help_text = f"{doc} (default: {default})".strip()
        flags.append(OptionFlag(field.name, "--" + field.name.replace("_", "-"), is_bool, help_text))
    return flags


AUTO_DEFAULTS = {"progress": "on when stderr is a terminal"}
"""Options whose command-line default differs from the Python one."""


def add_option_flags(parser: argparse.ArgumentParser, skip: frozenset[str] = frozenset()) -> None:
    group = parser.add_argument_group(
        "vtab options",
        "The keyword arguments of vtab.register() and the SQL options of CREATE VIRTUAL TABLE, with the\n"
        "same meaning and values. Credentials come from the standard boto3 chain (environment variables,\n"
        "--profile, SSO, instance role); endpoint and region also from AWS_ENDPOINT_URL_CLOUDCONTROL and\n"
        "AWS_DEFAULT_REGION.",
    )
    for flag in option_flags(skip):
        if flag.is_bool:
            group.add_argument(
                flag.flag, dest=flag.name, action=argparse.BooleanOptionalAction, default=None, help=flag.help
            )
        else:
            group.add_argument(flag.flag, dest=flag.name, metavar=flag.name.upper(), help=flag.help)
    group.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")


def options_from(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line, converted and checked now so a typo stops before any call."""
    given = {name: getattr(args, name) for name in Options.names() if getattr(args, name, None) is not None}
    if given.get("progress") is None:
        given["progress"] = sys.stderr.isatty()  # progress on a terminal, never into a pipe or a log
    try:
        options = Options().replace(**given)
    except OptionError as exc:
        parser.error(str(exc))
    return {name: getattr(options, name) for name in given}


def _error_text(exc: BaseException) -> str:
    """Our own errors are already sentences; others keep their class name (``SQLError: no such table``).
    SQLite's refusal of an unsafe use says why (hints.unsafe_use) also when it came from a later statement
    of a script, past the cursor's execute."""
    if isinstance(exc, CommandError | OptionError | apsw.shell.Shell.Error):
        return str(exc)
    return f"{type(exc).__name__}: {hints.unsafe_use(str(exc))}"


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Warnings as one ``vtab: warning: ...`` line on stderr (no Python file and line)."""
    print(f"{PROG}: warning: {message}", file=file or sys.stderr)


# --- what a statement wrote -------------------------------------------------------------------------


class WriteReporter:
    """Prints what each statement's writes did (from the call log) on ``err``, once the statement ends."""

    def __init__(self, registry: Registry, err: TextIO) -> None:
        self.log = registry.log
        self.err = err
        self.mark = self.log.mark()

    def start(self) -> None:
        self.mark = self.log.mark()

    def finish(self) -> None:
        text = WriteReport.of(self.log.since(self.mark)).text()
        if text:
            print(text, file=self.err, flush=True)
        self.mark = self.log.mark()


def json_flags(registry: Registry | None, description_full: Any) -> list[bool]:
    """For each result column, whether it is a vtab column whose text is JSON by the schema (an object or
    array property): those are nested in JSON output, not quoted. Expressions never are."""
    flags = []
    for _name, _decltype, _database, table, origin in description_full or ():
        flags.append(registry is not None and origin in registry.json_columns(table))
    return flags


def nested(value: Any, is_json: bool) -> Any:
    """A JSON column's text as the JSON value it holds (text that does not parse stays text)."""
    if is_json and isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


# --- query --------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _json_value(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes) else value


class ResultWriter:
    """Prints result sets as they arrive; one per statement that has result columns."""

    def __init__(self, out: TextIO, header: bool) -> None:
        self.out = out
        self.header = header
        self.names: list[str] = []
        self.json: list[bool] = []
        self.sets = 0

    def start(self, names: list[str], json_columns: list[bool]) -> None:
        """A result set with these column names; ``json_columns`` marks the columns holding JSON text."""
        self.names = names
        self.json = json_columns or [False] * len(names)
        self.sets += 1

    def row(self, values: Sequence[Any]) -> None:
        raise NotImplementedError

    def end(self) -> None:
        """The current result set is complete."""

    def item(self, values: Sequence[Any]) -> dict[str, Any]:
        """The row as a JSON object: JSON columns nested, blobs as hex."""
        return {
            name: _json_value(nested(value, is_json))
            for name, value, is_json in zip(self.names, values, self.json, strict=True)
        }


class TableWriter(ResultWriter):
    """Aligned columns for reading at a terminal; buffers one result set to size the columns."""

    def start(self, names: list[str], json_columns: list[bool]) -> None:
        super().start(names, json_columns)
        self.rows: list[list[str]] = []

    def row(self, values: Sequence[Any]) -> None:
        self.rows.append(["NULL" if v is None else _text(v).replace("\n", "\\n") for v in values])

    def end(self) -> None:
        if self.sets > 1:
            print(file=self.out)
        widths = [max([len(n), *(len(r[i]) for r in self.rows)]) for i, n in enumerate(self.names)]
        if self.header:
            print(
                "  ".join(n.ljust(w) for n, w in zip(self.names, widths, strict=True)).rstrip(), file=self.out
            )
            print("  ".join("-" * w for w in widths), file=self.out)
        for row in self.rows:
            print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(), file=self.out)
        count = len(self.rows)
        print(f"({count} row{'' if count == 1 else 's'})", file=self.out)


class CsvWriter(ResultWriter):
    def start(self, names: list[str], json_columns: list[bool]) -> None:
        super().start(names, json_columns)
        self.writer = csv.writer(self.out, lineterminator="\n")
        if self.header:
            self.writer.writerow(names)

    def row(self, values: Sequence[Any]) -> None:
        self.writer.writerow([_text(v) for v in values])


class JsonWriter(ResultWriter):
    """One JSON array of objects per result set (like sqlite3 -json), streamed row by row."""

    def start(self, names: list[str], json_columns: list[bool]) -> None:
        super().start(names, json_columns)
        self.count = 0
        self.out.write("[")

    def row(self, values: Sequence[Any]) -> None:
        self.out.write(("," if self.count else "") + "\n" + json.dumps(self.item(values), ensure_ascii=False))
        self.count += 1

    def end(self) -> None:
        self.out.write("\n]\n" if self.count else "]\n")


class JsonLinesWriter(ResultWriter):
    """One JSON object per row, for jq and log pipelines."""

    def row(self, values: Sequence[Any]) -> None:
        self.out.write(json.dumps(self.item(values), ensure_ascii=False) + "\n")


WRITERS: dict[str, type[ResultWriter]] = {
    "table": TableWriter,
    "csv": CsvWriter,
    "json": JsonWriter,
    "jsonl": JsonLinesWriter,
}


def run_query(db: apsw.Connection, registry: Registry, sql: str, writer: ResultWriter, err: TextIO) -> None:
    """Run every statement of ``sql``, handing each one's rows to ``writer`` as they stream in, and saying
    on ``err`` what each statement's writes did."""
    cursor = db.cursor()
    open_set = False
    shown = 0
    report = WriteReporter(registry, err)

    def statement_started(cursor: apsw.Cursor, statement: str, bindings: Any) -> bool:
        nonlocal open_set, shown
        if open_set:
            writer.end()
            open_set = False
        shown = 0
        report.finish()  # the previous statement is complete
        names = [d[0] for d in cursor.description]
        if names:
            writer.start(names, json_flags(registry, cursor.description_full))
            open_set = True
        return True

    cursor.exec_trace = statement_started
    completed = False
    try:
        for row in cursor.execute(sql):
            writer.row(row)
            shown += 1
        completed = True
    finally:
        # Also when a statement fails: what the earlier ones returned and wrote is shown before the error
        # (and the rows the failing one returned, as sqlite3 does), but not a failed statement's empty
        # header.
        if open_set and (completed or shown):
            writer.end()
        report.finish()


def read_sql(args: argparse.Namespace) -> str:
    """The statements to run: the SQL argument, ``-`` for standard input, or ``--file``."""
    if args.file is not None and args.sql is not None:
        raise CommandError("give the SQL either as an argument or with --file, not both")
    if args.file is not None:
        if args.file == "-":
            return sys.stdin.read()
        try:
            with open(args.file, encoding="utf-8") as source:
                return source.read()
        except OSError as exc:
            raise CommandError(f"--file {args.file}: {exc.strerror or exc}") from None
    if args.sql == "-":
        return sys.stdin.read()
    piped = "" if args.sql is not None or sys.stdin.isatty() else sys.stdin.read()  # vtab query < f.sql
    if args.sql is None and not piped.strip():
        raise CommandError("no SQL: give it as an argument, as - to read standard input, or with --file FILE")
    if args.sql is None:
        return piped
    return str(args.sql)


def open_connection(options: dict[str, Any]) -> tuple[apsw.Connection, Registry]:
    """An in-memory connection with vtab registered (closed again if registering fails)."""
    db = apsw.Connection(":memory:")
    try:
        registry = vtab.register(db, **options)
    except BaseException:
        db.close()
        raise
    return db, registry


def command_query(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    sql = read_sql(args)
    options = options_from(parser, args)
    db, registry = open_connection(options)
    if options["progress"] and out.isatty():
        out = cast(TextIO, AroundProgress(out))
    try:
        run_query(db, registry, sql, WRITERS[args.format](out, args.header), sys.stderr)
    finally:
        out.flush()
        db.close()
    return 0


# --- snapshot -----------------------------------------------------------------------------------------


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def snapshot(db: apsw.Connection, path: str, sql: str, table: str, replace: bool) -> int:
    """Materialise ``sql`` into the plain table ``table`` of ``path``; returns the row count.

    The file is ATTACHed (so the SELECT may join its tables), the drop and the copy are one transaction
    (a failed query leaves the old table as it was), and the file is DETACHed before returning.
    """
    if not table.strip():
        raise CommandError("--table needs a name")
    db.execute(f"ATTACH ? AS {SNAPSHOT_SCHEMA}", (path,))
    try:
        info = apsw.ext.query_info(db, rewrite_on(db, sql))  # query_info compares the text with SQLite's
        if info.query_remaining and info.query_remaining.strip().strip(";").strip():
            raise CommandError("snapshot takes exactly one SELECT statement")
        if not info.description or not info.is_readonly:
            raise CommandError("snapshot needs a SELECT (or WITH ... SELECT, or VALUES) that returns rows")
        select = info.first_query.strip().rstrip(";").rstrip()
        target = f"{SNAPSHOT_SCHEMA}.{quote_identifier(table)}"
        with db:
            existing = db.execute(
                f"SELECT type, name FROM {SNAPSHOT_SCHEMA}.sqlite_schema WHERE lower(name) = lower(?)",
                (table,),
            ).fetchall()
            if existing:
                kind, name = (str(value) for value in existing[0])
                if kind != "table":
                    raise CommandError(f"{path} already has a {kind} named {name}; choose another --table")
                if not replace:
                    raise CommandError(
                        f"table {name} already exists in {path}; add --replace to overwrite it "
                        "or choose another --table"
                    )
                db.execute(f"DROP TABLE {SNAPSHOT_SCHEMA}.{quote_identifier(name)}")
            db.execute(f"CREATE TABLE {target} AS {select}\n")
            count = db.execute(f"SELECT count(*) FROM {target}").get
        assert isinstance(count, int)
        return count
    finally:
        db.execute(f"DETACH {SNAPSHOT_SCHEMA}")


def command_snapshot(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    db, _ = open_connection(options_from(parser, args) | {"read_only": True})
    try:
        count = snapshot(db, args.out, args.sql, args.table, args.replace)
    finally:
        db.close()
    print(f"{args.out}: table {args.table}: {count} row{'' if count == 1 else 's'}", file=out)
    if args.table.lower() in {name.lower() for name in resource_tables()}:
        warnings.warn(ShadowedTableWarning([args.table]), stacklevel=1)
    return 0


# --- shell --------------------------------------------------------------------------------------------


class VtabShell(Shell):
    """apsw's shell, knowing vtab's tables: ``.tables`` and ``.schema`` list them (eponymous tables are not
    in sqlite_schema), the dot-commands that take a table name take its StackQL name too, ``.dump``
    refuses them (their rows are in AWS), ``.mode json``/``jsonl`` nest JSON columns, and a statement that
    wrote says what it did on stderr. The connection hook (run_shell) does the registering."""

    registries: ClassVar[weakref.WeakKeyDictionary[apsw.Connection, Registry]] = weakref.WeakKeyDictionary()
    """Every connection the hook registered vtab on, with its Registry."""

    def __init__(self, *args: Any, progress: bool = False, **kwargs: Any) -> None:
        self._json_columns: list[bool] = []
        self.progress_on_terminal = progress
        super().__init__(*args, **kwargs)

    failures = 0
    """Statements and commands that failed: a shell fed by a pipe or file exits 1 after any, as sqlite3."""

    def handle_exception(self) -> Any:
        failure = sys.exc_info()[1]
        if not isinstance(failure, (SystemExit, KeyboardInterrupt)):
            self.failures += 1
        return super().handle_exception()

    def usage(self) -> str:
        return shell_parser().format_help()

    def run_first(self, commands: Sequence[str]) -> None:
        """``--cmd`` SQL and .commands, before the SQL arguments or the input, as sqlite3's ``-cmd``: a
        failure is reported and counted (the exit status is 1) and the rest still runs, unless -bail."""
        for command in commands:
            try:
                self.process_complete_line(command)
            except Exception:
                self.handle_exception()  # prints the error; raises again under -bail

    @property
    def registry(self) -> Registry | None:
        return self.registries.get(self.db)

    def write(self, dest: TextIO, text: str) -> None:
        """Rows on a terminal lift a read's progress line first (see AroundProgress)."""
        if self.progress_on_terminal and dest is self.stdout and dest.isatty():
            AroundProgress(dest).write(text)
        else:
            dest.write(text)

    # -- writes report ----------------------------------------------------------------------------------

    def process_sql(
        self, sql: str, bindings: Any = None, internal: bool = False, summary: Any = None
    ) -> None:
        registry = None if internal else self.registry
        if registry is None:
            super().process_sql(sql, bindings, internal, summary)
            return
        report = WriteReporter(registry, self.stderr)
        super().process_sql(sql, bindings, internal, summary)
        report.finish()

    # -- JSON columns nested in .mode json / jsonl ----------------------------------------------------

    def _query_details(self, sql: str, bindings: Any) -> Any:
        details = super()._query_details(sql, bindings)
        self._json_columns = []
        if details.query and details.error_text is None and self.registry is not None:
            try:
                info = apsw.ext.query_info(self.db, rewrite_on(self.db, details.query), bindings)
            except (apsw.Error, KeyError):
                pass
            else:
                self._json_columns = json_flags(self.registry, info.description_full)
        return details

    def _json_fields(self, line: Shell.Row) -> str:
        flags = self._json_columns if len(self._json_columns) == len(line.row) else [False] * len(line.row)
        fields = []
        for name, value, is_json in zip(line.columns, line.row, flags, strict=True):
            text = (
                orjson.dumps(nested(value, True)).decode()
                if is_json and isinstance(value, str)
                else self._fmt_json_value(value)
            )
            fields.append(f"{self._fmt_json_value(name)}: {self.colour.colour_value(value, text)}")
        return "{ " + ", ".join(fields) + "}"

    def output_json(self, header: bool, line: Shell.Row) -> None:
        """Output a JSON array. JSON columns of vtab tables are nested; blobs are base64 strings."""
        if header:
            return
        opening = "[" if line.is_first else ""
        self.write(self.stdout, opening + self._json_fields(line) + ("]" if line.is_last else ",") + "\n")

    def output_jsonl(self, header: bool, line: Shell.Row) -> None:
        """Output JSON objects, one a line. JSON columns of vtab tables are nested; blobs are base64."""
        if header:
            return
        self.write(self.stdout, self._json_fields(line) + "\n")

    # -- dot-commands know the eponymous tables and their StackQL names -----------------------------

    def command_tables(self, cmd: list[str]) -> None:
        """tables ?PATTERN?: Lists names of tables matching LIKE pattern

        This also returns views, and vtab's tables (present on every connection): without a pattern
        those this connection has used (vtab_types lists all 1,700), with one every table it matches
        (.tables eks%). A StackQL name (aws.ec2.instances, or a pattern such as aws.ec2.%) lists the
        tables it names.
        """
        cmd = self._table_names(cmd, "tables")
        self.push_output()
        self.output = self.output_list
        self.header = False
        try:
            for pattern in cmd or ["%"]:
                self.process_sql(
                    "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%' AND name LIKE ?1 "
                    "UNION SELECT name FROM sqlite_temp_schema WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%' AND name LIKE ?1 "
                    "UNION SELECT value FROM json_each(?2) WHERE value LIKE ?1 ORDER BY 1",
                    (pattern, orjson.dumps(self._vtab_tables(cmd, every=bool(cmd))).decode()),
                    internal=True,
                )
        finally:
            self.pop_output()

    def command_schema(self, cmd: list[str]) -> None:
        """schema ?TABLE? [TABLE...]: Shows SQL for table

        If you give one or more tables then their schema is listed (including indices). If you don't
        specify any then all schemas are listed. TABLE is a like pattern so you can use % for wildcards.
        vtab's tables show the columns they declare to SQLite; TABLE may be a StackQL name
        (aws.apigatewayv2.integration_responses).
        """
        cmd = self._table_names(cmd, "schema")
        super().command_schema(cmd)
        patterns = cmd or ["%"]
        for name in self._vtab_tables(cmd):
            matches = self.db.execute(
                "SELECT 1 FROM json_each(?1) WHERE ?2 LIKE value", (orjson.dumps(patterns).decode(), name)
            ).get
            if matches:
                self.write(self.stdout, declared_schema(self.db, name) + "\n")

    def command_indices(self, cmd: list[str]) -> None:
        """indices TABLE: Lists all indices on table TABLE

        TABLE may be a StackQL name. vtab's tables are virtual: they have no indices (the planner pushes
        WHERE down instead; EXPLAIN QUERY PLAN shows how).
        """
        if len(cmd) != 1:
            raise self.Error("indices takes one table name")
        for name in self._table_names(cmd, "indices"):
            super().command_indices([name])

    def command_indexes(self, cmd: list[str]) -> None:
        """indexes TABLE: Lists all indices on table TABLE (the same as .indices, as sqlite3 names it)"""
        self.command_indices(cmd)

    def command_import(self, cmd: list[str]) -> None:
        """import FILE TABLE: Imports separated data from FILE into TABLE

        Reads data from the file into the named table (TABLE may be a StackQL name) using the current
        separator and encoding; every field is text, one per column the table shows in SELECT *. Into a
        vtab table that INSERTs, so read-only columns refuse it: import into a table of your own, then
        INSERT INTO the vtab table the columns it takes with SELECT.
        """
        if len(cmd) == 2:
            tables = self._table_names(cmd[1:], "import")
            if len(tables) != 1:
                raise self.Error(
                    f".import: {cmd[1]} names {len(tables)} tables ({', '.join(tables)}); give one"
                )
            cmd = [cmd[0], tables[0]]
        super().command_import(cmd)

    def command_dump(self, cmd: list[str]) -> None:
        """dump ?TABLE? [TABLE...]: Dumps all or specified tables in SQL text format

        The table name is treated as like pattern so you can use % as a wildcard. Indices, triggers and
        views matching the pattern are dumped too. vtab's tables are left out of a dump of everything,
        and naming one is an error: their rows live in AWS, not in the database file.
        """
        cmd = self._table_names(cmd, "dump")
        for pattern in cmd:
            for name in self._vtab_tables([pattern], named_only=True):
                if self._stored_tables_like(pattern):
                    continue  # a table of your own with that name (it hides vtab's)
                raise self.Error(
                    f".dump: {name} is vtab's virtual table: its rows live in AWS, not in this database, so "
                    f"a dump has none of them; copy them into a table first (CREATE TABLE copy AS SELECT * "
                    f"FROM {name} WHERE region = '...'), or write a file of them with vtab snapshot"
                )
        super().command_dump(cmd)

    def _table_names(self, patterns: list[str], command: str) -> list[str]:
        """``patterns`` with each StackQL name (``aws.<service>.<table>``, LIKE wildcards allowed) replaced
        by the tables it names, as SQL replaces them; an unknown one is an error naming it. A table of
        your own whose name has the dots (``CREATE TABLE "aws.x.y"``) keeps its name."""
        names = installed_names(self.db)
        if not names:
            return patterns
        tables: list[str] = []
        for pattern in patterns:
            if not is_stackql_name(pattern):
                tables.append(pattern)
                continue
            named = tables_like(pattern, names)
            own = self._stored_tables_like(pattern)
            if not named and not own:
                raise self.Error(f".{command}: {no_such_table(pattern, names, command=True)}")
            tables += named + ([pattern] if own else [])
        return tables

    def _stored_tables_like(self, pattern: str) -> bool:
        """Whether the main or temp schema has a table or view whose name matches LIKE ``pattern``."""
        return bool(
            self.db.execute(
                "SELECT 1 FROM (SELECT tbl_name FROM sqlite_schema UNION ALL SELECT tbl_name FROM "
                "sqlite_temp_schema) WHERE tbl_name LIKE ?1 LIMIT 1",
                (pattern,),
            ).get
        )

    def _vtab_tables(
        self, named: Sequence[str] = (), *, named_only: bool = False, every: bool = False
    ) -> list[str]:
        """vtab's tables that .tables shows: the seed's, the log tables, vtab_types and those this
        connection has used (every catalog table is eponymous: vtab_types lists all 1,700), and any
        of ``named`` (exact names, in any case) that is one of vtab's tables; with ``named_only``,
        only those; with ``every``, all of them (for a pattern to match)."""
        if self.registry is None:
            return []
        if every:
            return sorted({*resource_tables(), *eponymous_tables()})
        every_name = {name.lower(): name for name in (*resource_tables(), *eponymous_tables())}
        given = {every_name[name.lower()] for name in named if name.lower() in every_name}
        if named_only:
            return sorted(given)
        return sorted({*eponymous_tables(), *(table.name for table in list(self.registry.tables)), *given})


def declared_schema(db: apsw.Connection, name: str) -> str:
    """``CREATE TABLE name(...)`` as the table declares itself to SQLite (``PRAGMA table_xinfo``)."""
    columns = []
    for _cid, column, kind, _notnull, _default, pk, hidden in db.execute(
        'SELECT cid, name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)', (name,)
    ):
        words = [quote_identifier(str(column)) if not re.fullmatch(r"\w+", str(column)) else str(column)]
        words += [str(kind)] if kind else []
        words += ["HIDDEN"] if hidden else []
        words += ["PRIMARY KEY"] if pk else []
        columns.append("  " + " ".join(words))
    body = ",\n".join(columns)
    comment = f"/* {name}: vtab's virtual table, on every connection, stored in no file */"
    return f"{comment}\nCREATE TABLE {name}(\n{body}\n);"


_SHELL_VALUE_OPTIONS = frozenset({"init", "separator", "nullvalue", "encoding"})
_SHELL_SWITCHES = frozenset(
    {"header", "noheader", "echo", "bail", "interactive", "batch", "version"}
    | {"no-colour", "no-color", "nocolour", "nocolor"}
    | {name.removeprefix("output_") for name in dir(apsw.shell.Shell) if name.startswith("output_")}
)


CMD_FLAGS = ("--cmd", "-cmd")
"""sqlite3's ``-cmd COMMAND``, which apsw's shell lacks: ours, in either spelling."""


@dataclasses.dataclass
class ShellArgs:
    """``vtab shell``'s arguments, split: ours, apsw's options, then the database and the SQL."""

    ours: list[str]
    options: list[str]
    positional: list[str]
    """The database name, then each SQL or .command argument."""
    want_help: bool


def split_shell_args(argv: Sequence[str]) -> ShellArgs:
    """Split ``vtab shell`` arguments into ours, apsw's options and the positional arguments.

    Our ``--flags`` (and ``--cmd``) are taken out wherever they are, so apsw never sees them. apsw stops
    reading options at the database name, while sqlite3 reads them anywhere; so apsw options after the
    name are moved before it (``vtab shell x.db -csv "SELECT 1"`` works as it does in sqlite3).
    """
    flags = {f.flag: f for f in option_flags()}
    flags |= {"--no-" + f.flag.removeprefix("--"): f for f in flags.values() if f.is_bool}
    ours: list[str] = []
    options: list[str] = []
    positional: list[str] = []
    want_help = False
    items = list(argv)
    i = 0
    while i < len(items):
        token = items[i]
        name, has_value, _ = token.partition("=")
        if token in ("-h", "--help", "-help"):
            want_help = True
        elif token == "--debug":
            ours.append(token)
        elif name in CMD_FLAGS:  # one --cmd=VALUE token: argparse would take a value like "-- x" for a flag
            if has_value:
                ours.append(f"--cmd={token.partition('=')[2]}")
            elif i + 1 < len(items):
                ours.append(f"--cmd={items[i + 1]}")
                i += 1
            else:
                raise CommandError(f"{token} needs a value: the SQL or .command to run first")
        elif name in flags:
            if flags[name].is_bool or has_value:
                ours.append(token)
            elif i + 1 < len(items):
                ours += [token, items[i + 1]]
                i += 1
            else:
                raise CommandError(f"{token} needs a value")
        elif token.startswith("-") and len(token) > 1:
            bare = token.lstrip("-")
            options.append(token)
            if bare in _SHELL_VALUE_OPTIONS and i + 1 < len(items):
                options.append(items[i + 1])
                i += 1
            elif bare not in _SHELL_SWITCHES and positional:
                # not an option apsw knows: after the database name it is SQL, as apsw reads it
                options.pop()
                positional.append(token)
        else:
            positional.append(token)
        i += 1
    return ShellArgs(ours, options, positional, want_help)


def _intro() -> str:
    return (
        f"SQLite version {apsw.sqlite_lib_version()} (APSW {apsw.apsw_version()}) "
        f"with vtab {vtab.__version__}\n"
        f"Every connection has vtab's {CONNECTION_SUMMARY} (also after .open).\n"
        'Enter ".help" for instructions\n'
    )


def run_shell(argv: Sequence[str]) -> int:
    """``vtab shell``: apsw.shell.Shell with vtab registered, via apsw.connection_hooks, on every connection.

    The hook covers the first database, ``.open other.db`` and any other connection the shell opens.
    """
    parser = shell_parser()
    try:
        split = split_shell_args(argv)
    except CommandError as exc:
        parser.error(str(exc))
    if split.want_help:
        parser.print_help()
        return 0
    args = parser.parse_args(split.ours)
    options = options_from(parser, args)

    def register_vtab(connection: apsw.Connection) -> None:
        VtabShell.registries[connection] = vtab.register(connection, **options)

    apsw.connection_hooks.append(register_vtab)
    try:
        shell = VtabShell(progress=bool(options.get("progress")))
        shell.exceptions = args.debug
        # apsw runs -init files, then the SQL arguments, inside process_args: give it the options and the
        # database only, so --cmd runs between the two, where sqlite3 runs -cmd.
        shell.process_args(split.options + split.positional[:1])
        shell.run_first(args.cmd or [])
        commands = split.positional[1:]
        for command in commands:
            shell.process_complete_line(command)
        if not commands:
            shell.cmdloop(intro=_intro())
        if shell.failures and not (sys.stdin.isatty() and not commands):
            return 1
    except (SystemExit, BrokenPipeError):
        raise
    except BaseException as exc:  # what apsw.shell.main() does, without its traceback
        if args.debug:
            traceback.print_exc()
        elif not getattr(exc, "_handle_exception_saw_this", False):
            print(f"{PROG} shell: error: {_error_text(exc)}", file=sys.stderr)
        return INTERRUPTED_STATUS if isinstance(exc, apsw.InterruptError) else 1
    finally:
        apsw.connection_hooks.remove(register_vtab)
    return 0


# --- emulator and demo --------------------------------------------------------------------------------


def run_emulator(argv: Sequence[str]) -> int:
    """Delegate to ``python -m vtab.emulator``, with this command's name and help style."""
    from vtab.emulator.__main__ import main as emulator_main

    emulator_parser().parse_args(argv)  # --help and bad arguments, reported under our name
    return emulator_main(list(argv))


def run_demo(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    from vtab.cli.demo import main as demo_main

    demo_main()
    return 0


# --- parsers ------------------------------------------------------------------------------------------
# Every command's help has one shape: usage, a description, its own arguments, then the vtab options
# (where they apply), then "examples:" and notes, 110 columns wide.

SHELL_EXAMPLES = """\
examples:
  vtab shell --regions us-east-1                 interactive, on an in-memory database
  vtab shell inventory.db --profile prod         your own file: join its tables with the AWS ones
  vtab shell -csv -header :memory: "SELECT api_id, integration_response_key FROM integration_responses
      WHERE region = 'us-east-1'"                one statement, CSV out, then exit
  echo ".mode json
  SELECT count(*) FROM integration_responses WHERE region = 'eu-west-1';" | vtab shell
  vtab shell --cmd ".mode box" --cmd "ATTACH 'inventory.db' AS inv"   settings first, then interactive

  Inside the shell, .open other.db still has the tables (every connection gets them); .tables and .schema
  list them, and take StackQL names (.schema aws.apigatewayv2.integration_responses, .tables aws.ec2.%),
  as .indexes does; .dump refuses them (their rows live in AWS: use vtab snapshot). .help lists the
  dot-commands (.mode, .output, .import, .read, .once, .timer, ...). A statement that writes says on
  stderr what it did (rows inserted with their identifiers, updated, deleted).

apsw/sqlite3 shell options (passed through; one dash or two):
  -init FILE        read/process FILE first        -echo            print commands before running them
  -[no]header       turn headers on or off         -bail            stop after the first error
  -batch            no banner or line editing      -interactive     force interactive I/O
  -csv -json -jsonl -line -list -column -box -table -html -insert -python -tcl     output mode
  -separator X      field separator for list mode  -nullvalue TEXT  how NULL is shown
  -encoding NAME    for .import/.read/.output      -nocolour        no colour (or set NO_COLOR)
  -version          show the SQLite version
"""

QUERY_EXAMPLES = """\
examples:
  vtab query "SELECT region, api_id, integration_response_key FROM integration_responses
              WHERE region = 'us-east-1'"
  vtab query --format csv --regions us-east-1,eu-west-1 "SELECT * FROM integration_responses" > out.csv
  vtab query --format jsonl "SELECT * FROM integration_responses WHERE region = 'us-east-1'" | jq .api_id
  vtab query --file report.sql                   # or: vtab query - < report.sql
  vtab query --dry-run "DELETE FROM integration_responses WHERE region = 'us-east-1' AND api_id = 'a1';
                        SELECT * FROM vtab_dry_run"

Several statements run in order; each one that returns columns prints its rows on stdout, and each one
that writes says on stderr what it did. An error prints the SQLite/AWS message on stderr and exits with
status 1.
"""

SNAPSHOT_EXAMPLES = """\
examples:
  vtab snapshot inventory.db "SELECT * FROM integration_responses WHERE region = 'us-east-1'" \\
      --table integration_responses
  vtab snapshot inventory.db --replace --table responses_by_region \\
      "SELECT region, count(*) AS n FROM integration_responses WHERE region IN ('us-east-1','eu-west-1')
       GROUP BY region"
  sqlite3 inventory.db "SELECT * FROM integration_responses"        # any client reads the result

The file is created if missing and attached as "snap", so the SELECT can join its tables (snap.my_ids).
The copy is one transaction: with --replace, a failed query leaves the old table in place. A snapshot
only reads: its connection is read-only, so it takes no write options.
"""

EMULATOR_EXAMPLES = """\
examples:
  vtab emulator --port 4566 --seed demo
  # in another terminal (the endpoint accepts any credentials; never give it real ones):
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  vtab query --endpoint-url http://127.0.0.1:4566 \\
      "SELECT region, count(*) FROM integration_responses WHERE region IN ('us-east-1', 'eu-west-1')
       GROUP BY region"

It binds 127.0.0.1 only and runs until interrupted (Ctrl-C).
"""

DEMO_EXAMPLES = """\
examples:
  vtab demo                                      # the same as: make demo

It starts its own endpoint on a free port of 127.0.0.1, so it needs no AWS account and no credentials.
"""

MAIN_EXAMPLES = """\
examples:
  vtab shell inventory.db --regions us-east-1,eu-west-1
  vtab query --format json "SELECT * FROM integration_responses WHERE region = 'us-east-1'"
  vtab snapshot inventory.db "SELECT * FROM integration_responses WHERE region = 'us-east-1'" --table ir
  vtab emulator --port 4566 --seed demo      # a local endpoint; then add --endpoint-url to the above
  vtab demo

Run "vtab COMMAND --help" for a command's options.
"""

HELP_TEXT = "show this help message and exit"


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32, width=110)


def shell_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} shell",
        usage=f"{PROG} shell [apsw/sqlite3 options] [vtab options] [DB] [SQL|.command ...]",
        description=(
            "apsw's sqlite3-compatible shell with vtab's tables on every connection it opens.\n"
            "DB is a SQLite file (created if missing; default an in-memory database). Each --cmd runs\n"
            "first; then each SQL or .command argument runs in turn and the shell exits; with none, it\n"
            "reads stdin (interactive at a terminal)."
        ),
        epilog=SHELL_EXAMPLES,
        formatter_class=_formatter,
        add_help=False,
        allow_abbrev=False,
    )
    parser.add_argument("-h", "--help", action="store_true", help=HELP_TEXT)
    parser.add_argument(
        "--cmd",
        "-cmd",
        metavar="COMMAND",
        action="append",
        help="run SQL or a .command before the SQL arguments or the input (as sqlite3's -cmd); repeatable, "
        "run in order; a failure is reported and the rest runs, unless -bail",
    )
    add_option_flags(parser)
    return parser


def emulator_parser() -> argparse.ArgumentParser:
    """The emulator's own parser (python -m vtab.emulator), named and shaped like the other commands."""
    from vtab.emulator.__main__ import build_parser

    parser = build_parser()
    parser.prog = f"{PROG} emulator"
    parser.epilog = EMULATOR_EXAMPLES
    parser.formatter_class = _formatter
    return parser


def _command(
    commands: Any, name: str, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """A subcommand parser in the common help shape."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=description, epilog=examples, formatter_class=_formatter
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Live AWS resources as SQLite tables through the AWS Cloud Control API.\n"
            "A Python virtual table is visible only to the process that registered it, so plain sqlite3\n"
            "cannot open these tables; use the shell, query, or snapshot them into a plain table."
        ),
        epilog=MAIN_EXAMPLES,
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {vtab.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.add_parser(
        "shell", help="sqlite3-compatible interactive shell (apsw's) with the tables", add_help=False
    )

    query = _command(
        commands,
        "query",
        "run SQL and print the rows as a table, CSV, JSON or JSON lines",
        "Run one or more statements on an in-memory database with vtab's tables; print the rows.\n"
        "The SQL is the argument, standard input (SQL = -), or a file (--file).",
        QUERY_EXAMPLES,
    )
    query.add_argument(
        "sql", metavar="SQL", nargs="?", help="one or more statements separated by ;, or - for stdin"
    )
    query.add_argument("--file", metavar="FILE", help="read the statements from FILE (- for stdin)")
    query.add_argument(
        "--format", "-f", choices=FORMATS, default="table", help="output format (default: table)"
    )
    query.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="column names in table and csv output (default: on)",
    )
    add_option_flags(query)
    query.set_defaults(run=command_query, parser=query)

    snap = _command(
        commands,
        "snapshot",
        "copy query results into a plain table of a .db file any sqlite3 client opens",
        "Materialise a SELECT into a plain table of OUT (a SQLite file), for sqlite3, Datasette,\n"
        "BI tools and anything else that cannot load a Python virtual table.",
        SNAPSHOT_EXAMPLES,
    )
    snap.add_argument("out", metavar="OUT", help="SQLite file to write (created if missing)")
    snap.add_argument("sql", metavar="SELECT", help="one SELECT statement")
    snap.add_argument("--table", "-t", required=True, help="name of the table to create in OUT")
    snap.add_argument("--replace", action="store_true", help="drop and recreate the table if it exists")
    add_option_flags(snap, skip=WRITE_OPTIONS)
    snap.set_defaults(run=command_snapshot, parser=snap)

    types = _command(
        commands,
        "types",
        "list the resource tables (every catalog type), their StackQL names and how each is listed",
        "One line per table whose table, StackQL or type name contains PATTERN (case-insensitive;\n"
        "% and * match anything):\n"
        "table name, StackQL name, scope (global: listed once, through one region; regional), list mode\n"
        "(region_wide, walk, fixed, account_id, needs_where), the walk, and the columns a SELECT must give\n"
        "in WHERE. SELECT * FROM vtab_types shows everything.",
        "examples:\n  vtab types eks\n  vtab types AWS::Logs::",
    )
    types.add_argument("pattern", metavar="PATTERN", nargs="?", default="", help="part of a name")
    types.set_defaults(run=command_types, parser=types, debug=False)

    commands.add_parser(
        "emulator", help="run the local Cloud Control endpoint (no AWS account needed)", add_help=False
    )
    demo = _command(
        commands,
        "demo",
        "the reference queries against a local endpoint with demo data",
        "Start a local Cloud Control endpoint with demo data and run the reference queries.",
        DEMO_EXAMPLES,
    )
    demo.set_defaults(run=run_demo, parser=demo, debug=False)
    return parser


def command_types(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    """``vtab types [PATTERN]``: the catalog's tables, read from the catalog alone (no AWS client)."""
    from vtab.catalog.discovery import TYPE_COLUMNS, type_rows

    # part of a name; % and * match anything, as in .tables and a shell's glob (eks_node%, *groups)
    wanted = re.compile(".*".join(re.escape(part) for part in re.split(r"[%*]", args.pattern)), re.IGNORECASE)
    index = {name: i for i, name in enumerate(TYPE_COLUMNS)}
    shown = ("table_name", "stackql_name", "scope", "list_mode", "walk", "needs_where")
    lines = [
        [str(row[index[name]] or "") for name in shown]
        for row in type_rows()
        if any(wanted.search(str(row[index[name]])) for name in ("table_name", "stackql_name", "type_name"))
    ]
    if not lines:
        print(
            f"vtab types: no table, StackQL or type name contains {args.pattern!r}; "
            "vtab types alone lists them all",
            file=sys.stderr,
        )
    widths = [max([len(name)] + [len(line[i]) for line in lines]) for i, name in enumerate(shown)]
    for line in [list(shown), *lines]:
        out.write(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() + "\n"
        )
    return 0 if lines else 1


# --- entry point --------------------------------------------------------------------------------------

PASSTHROUGH: dict[str, Callable[[Sequence[str]], int]] = {"shell": run_shell, "emulator": run_emulator}
"""Commands whose arguments belong (mostly) to another parser: apsw's shell, the emulator's CLI."""


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in PASSTHROUGH:
        return PASSTHROUGH[argv[0]](argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        result: int = args.run(args.parser, args, sys.stdout)
        return result
    except BrokenPipeError:
        raise  # main() ends quietly: the reader went away
    except Exception as exc:  # any failure (a bad endpoint is botocore's ValueError): one line, status 1
        if args.debug:
            raise
        print(f"{PROG} {args.command}: error: {_error_text(exc)}", file=sys.stderr)
        return INTERRUPTED_STATUS if isinstance(exc, apsw.InterruptError) else 1


@contextlib.contextmanager
def command_conventions() -> Iterator[None]:
    """What holds while the command runs: hints name flags (--regions), warnings are one line each."""
    with hints.speaking_to(hints.Audience.COMMAND), warnings.catch_warnings():
        warnings.showwarning = show_warning
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point (``vtab = "vtab.cli.main:main"``); returns the exit status."""
    try:
        with command_conventions():
            status = _dispatch(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        status = INTERRUPTED_STATUS
    except BrokenPipeError:
        # the reader went away (vtab query ... | head): stop quietly, as sqlite3 does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    if status == INTERRUPTED_STATUS and argv is None:
        # The command was interrupted (Ctrl-C): calls still in flight would hold the exit until they time
        # out (read_timeout per attempt), and their answers are not wanted. Only as the console command
        # (argv None): a Python caller of main() gets the status back.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


if __name__ == "__main__":
    sys.exit(main())
