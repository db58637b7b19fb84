"""``vtab shell``: apsw's sqlite3-compatible shell with vtab registered on every connection it opens."""

from __future__ import annotations

import os
import sys
import traceback
import weakref
from collections.abc import Sequence
from typing import Any, ClassVar, TextIO

import apsw
import apsw.ext
import apsw.shell
import orjson
from apsw.shell import Shell

import vtab
from vtab.cli.colours import Tokens, TokenScheme
from vtab.cli.conventions import (
    INTERRUPTED_STATUS,
    PROG,
    CommandError,
    error_text,
    say,
    undecodable_text,
    usage_error,
)
from vtab.cli.flags import options_from
from vtab.cli.output import WriteReporter, json_flags, nested
from vtab.cli.parsers import shell_parser
from vtab.cli.schema_text import declared_schema
from vtab.cli.shellargs import split_shell_args
from vtab.read.progress import AroundProgress
from vtab.sql.stackql import installed_names, is_stackql_name, no_such_table, rewrite_on, tables_like
from vtab.sqlite.install import eponymous_tables, open_database, resource_tables
from vtab.sqlite.read_only import explain_read_only
from vtab.sqlite.registry import Registry
from vtab.terminal import LINES, is_terminal, json_safe, sql_visible, visible

CONNECTION_SUMMARY = (
    "tables: one per resource type (SELECT table_name FROM vtab_types; .tables eks%), vtab_columns, "
    "vtab_calls, vtab_dry_run, vtab_returning; functions vtab_clear_cache(), vtab_clear_calls()"
)

SQL_VERBS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH", "VALUES", "EXPLAIN", "PRAGMA", "CREATE"}
)
"""The first words of a statement: an argument where the database goes that starts with one is SQL."""


def sql_in_place_of_the_database(argument: str) -> str | None:
    """The usage error for SQL (or a dot-command) given where the database goes (``vtab shell "SELECT
    ..."``): apsw would open a file named like it and run nothing; None for anything else, or a file
    that exists under that name."""
    first = argument.split(maxsplit=1)[0] if argument.strip() else ""
    dot_command = first.startswith(".") and first[1:].isalpha()
    if not (first.upper() in SQL_VERBS and first != argument) and not dot_command:
        return None
    if os.path.exists(argument):
        return None
    shown = argument if len(argument) <= 40 else argument[:37] + "..."
    example = first if dot_command else f'"{first} ..."'
    return (
        f"the first argument is the database (DB), and {shown!r} is not one: give the database first "
        f"(vtab shell :memory: {example}, or a file name), or run the SQL with vtab query"
    )


class VtabShell(Shell):
    """apsw's shell, knowing vtab's tables: ``.tables`` and ``.schema`` list them (eponymous tables are not
    in sqlite_schema), the dot-commands that take a table name take its StackQL name too, ``.dump``
    refuses them (their rows are in AWS), ``.mode json``/``jsonl`` nest JSON columns, and a statement that
    wrote says what it did on stderr. The connection hook (run_shell) does the registering."""

    registries: ClassVar[weakref.WeakKeyDictionary[apsw.Connection, Registry]] = weakref.WeakKeyDictionary()
    """Every connection the hook registered vtab on, with its Registry."""

    def __init__(self, *args: Any, progress: bool = False, read_only: bool = False, **kwargs: Any) -> None:
        self.read_only = read_only
        """``--read-only``: every database the shell opens (the first, ``.open``) is opened read-only."""
        self._json_columns: list[bool] = []
        self.progress_on_terminal = progress
        self.on_terminal = False
        """Whether stdout (the terminal, or .output's file) is a terminal: values are escaped for it."""
        self.tokens = Tokens()
        """The shell's colour codes as tokens no value can spell (vtab.cli.colours)."""
        super().__init__(*args, **kwargs)
        self.stderr = ShellMessages(self.stderr, self)

    failures = 0
    """Statements and commands that failed: a shell fed by a pipe or file exits 1 after any, as sqlite3."""

    def handle_exception(self) -> Any:
        failure = sys.exc_info()[1]
        if not isinstance(failure, (SystemExit, KeyboardInterrupt)):
            self.failures += 1
        if failure is not None:
            self.explain(failure)
        return super().handle_exception()

    def explain(self, failure: BaseException) -> None:
        """A write to a database file under --read-only says why it is refused and what to do."""
        if self.read_only:
            explain_read_only(failure, self.registry)

    # -- --read-only: the database is opened read-only, as sqlite3 -readonly opens it, also after .open ----

    def _ensure_db(self) -> apsw.Connection:
        if self._db is None and self.read_only:
            filename = self.dbfilename or ":memory:"
            try:
                db = open_database(filename, read_only=True, uri=True)
            except apsw.CantOpenError as error:
                raise self.Error(str(error)) from None
            self._set_db((db, filename))
        return super()._ensure_db()

    db = property(_ensure_db, Shell._set_db, None, "The current connection (read-only under --read-only).")

    def command_open(self, cmd: list[str]) -> None:
        """``.open [--vfs VFS] [FILE]``: under --read-only the file is opened read-only too; ``--flags``
        and ``--wipe`` (which deletes the file) are refused there."""
        if self.read_only:
            refused = [word for word in cmd if word in ("--flags", "--wipe")]
            if refused:
                raise self.Error(
                    f".open {refused[0]}: the shell runs with --read-only, so .open opens files read-only "
                    "(as sqlite3 -readonly); run vtab shell without --read-only to write or wipe a file"
                )
            cmd = [*cmd, "--flags", "READONLY|URI"]
        super().command_open(cmd)

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
        """Rows on a terminal lift a read's progress line first (see AroundProgress); what reaches a
        terminal shows its control characters but the shell's own colours (.schema and .dump text too)."""
        if dest is self.stdout and self.on_terminal:
            text = self.shown(text)
            if self.progress_on_terminal:
                AroundProgress(dest).write(text)
                return
        elif not isinstance(dest, ShellMessages):
            text = self.tokens.codes(text, self.colour)
        dest.write(text)

    # -- what reaches a terminal: control characters shown (vtab.terminal) -----------------------------
    # Every text mode formats its values (and column and csv their headers) with _fmt_text_col, tcl with
    # _fmt_c_string; list and line print the column names as they are, insert its own literals. python
    # (repr), json and jsonl (escaped JSON) and box (apsw sanitizes) print no control character anyway.
    # write() and ShellMessages (stderr) escape what is left, keeping only the colour scheme's codes: the
    # shell's code sees each as a token no value can spell, made a code after the escaping
    # (vtab.cli.colours), so a value or a table name that spells a code stays escaped.

    @property
    def colour(self) -> TokenScheme:
        return self._colour

    @colour.setter
    def colour(self, scheme: Any) -> None:
        """apsw sets its colour scheme at start and on each change of output (_out_colour)."""
        self._colour = scheme if isinstance(scheme, TokenScheme) else self.tokens.scheme(scheme)

    def shown(self, text: str) -> str:
        """``text`` with its control characters shown, except the colour codes the shell itself adds."""
        return self.tokens.shown(text, self.colour)

    @property
    def stdout(self) -> TextIO:
        return self._stdout

    @stdout.setter
    def stdout(self, stream: TextIO) -> None:
        """apsw sets stdout at start and on .output/.once: whether it is a terminal is decided here."""
        self._stdout = stream
        self.on_terminal = is_terminal(stream)

    def _fmt_text_col(self, v: Any) -> str:
        text: str = super()._fmt_text_col(v)
        return visible(text, LINES) if self.on_terminal else text

    def _fmt_json_value(self, v: Any) -> str:
        return json_safe(super()._fmt_json_value(v))  # apsw's json.dumps leaves DEL raw

    def _fmt_c_string(self, v: Any) -> str:
        text: str = super()._fmt_c_string(v)
        return visible(text) if self.on_terminal else text

    def output_list(self, header: bool, line: Sequence[Any]) -> None:
        "All items on one line with separator"
        super().output_list(header, self._shown_names(header, line))

    def output_line(self, header: bool, line: Sequence[Any]) -> None:
        """
        One value per line in the form 'column = value' with a blank
        line between rows.
        """
        super().output_line(header, self._shown_names(header, line))

    output_lines = output_line

    def _shown_names(self, header: bool, line: Sequence[Any]) -> Sequence[Any]:
        """Column names (a view in someone's file names them) as list and line modes print them."""
        return [visible(str(name)) for name in line] if header and self.on_terminal else line

    def output_insert(self, header: bool, line: Sequence[Any]) -> None:
        """Lines as SQL insert statements. The table name is "table" unless you specified a different
        one as the second parameter to the .mode command. On a terminal a control character in text is
        written as SQL's char(n), so the statement still inserts the exact value."""
        if header:
            return
        literals = [apsw.format_sql_value(value) for value in line]
        if self.on_terminal:
            literals = [sql_visible(literal) for literal in literals]
        values = ",".join(self.colour.colour_value(v, text) for v, text in zip(line, literals, strict=True))
        self.write(self.stdout, f"INSERT INTO {self._output_table} VALUES({values});\n")

    # -- writes report ----------------------------------------------------------------------------------

    _report: WriteReporter | None = None
    """The report of the statements process_sql runs now (several on one line): finished as each next one
    starts (``_query_details``), so that each says what it wrote and skipped, as the query command's do."""

    def process_sql(
        self, sql: str, bindings: Any = None, internal: bool = False, summary: Any = None
    ) -> None:
        registry = None if internal else self.registry
        report = WriteReporter(registry, self.stderr) if registry is not None else None
        outer, self._report = self._report, report
        try:
            super().process_sql(sql, bindings, internal, summary)
        except UnicodeDecodeError as exc:
            raise self.Error(undecodable_text(exc, "a value of the result")) from None
        finally:
            self._report = outer
        if report is not None:
            report.finish()

    # -- JSON columns nested in .mode json / jsonl ----------------------------------------------------

    def _query_details(self, sql: str, bindings: Any) -> Any:
        if self._report is not None:
            self._report.finish()  # the statement before this one is complete
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
                json_safe(orjson.dumps(nested(value, True)).decode())
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


class ShellMessages:
    """The shell's stderr: what is written there shows its control characters (an endpoint's error text,
    the SQL around a syntax error), but the shell's own colour codes pass (VtabShell.shown)."""

    def __init__(self, stream: TextIO, shell: VtabShell) -> None:
        self.stream = stream
        self.shell = shell

    def write(self, text: str) -> int:
        return self.stream.write(self.shell.shown(text))

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()


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
        usage_error(parser, str(exc))
    if split.want_help:
        parser.print_help()
        return 0
    args = parser.parse_args(split.ours)
    misplaced = sql_in_place_of_the_database(split.positional[0]) if split.positional else None
    if misplaced:
        usage_error(parser, misplaced)
    options = options_from(parser, args)

    def register_vtab(connection: apsw.Connection) -> None:
        VtabShell.registries[connection] = vtab.register(connection, **options)

    shell = VtabShell(progress=bool(options.get("progress")), read_only=bool(options.get("read_only")))
    apsw.connection_hooks.append(register_vtab)
    try:
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
        shell.explain(exc)
        if args.debug:
            say(traceback.format_exc())
        elif not getattr(exc, "_handle_exception_saw_this", False):
            say(f"{PROG} shell: error: {error_text(exc)}")
        return INTERRUPTED_STATUS if isinstance(exc, apsw.InterruptError) else 1
    finally:
        apsw.connection_hooks.remove(register_vtab)
    return 0
