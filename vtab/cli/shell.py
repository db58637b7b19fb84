"""``vtab shell``: apsw's sqlite3-compatible shell with vtab registered on every connection it opens.

The shell is apsw's, made of parts that each decide one thing: shell_connections.py (each connection's
Registry, --read-only), shell_output.py (what reaches the terminal, JSON nesting), shell_tables.py (the
dot-commands that name tables); this module adds the statement loop's parts (failures, --cmd, the write
report) and runs the command.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import Any

import apsw

import vtab
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
from vtab.cli.output import WriteReporter
from vtab.cli.parsers import shell_parser
from vtab.cli.shell_output import OutputShell
from vtab.cli.shell_tables import TablesShell
from vtab.cli.shellargs import split_shell_args, sql_in_place_of_the_database

CONNECTION_SUMMARY = (
    "tables: one per resource type (SELECT table_name FROM vtab_types; .tables eks%), vtab_columns, "
    "vtab_calls, vtab_dry_run, vtab_returning; functions vtab_clear_cache(), vtab_clear_calls()"
)


class VtabShell(TablesShell, OutputShell):
    """apsw's shell, knowing vtab's tables: ``.tables`` and ``.schema`` list them (eponymous tables are not
    in sqlite_schema), the dot-commands that take a table name take its StackQL name too, ``.dump``
    refuses them (their rows are in AWS), ``.mode json``/``jsonl`` nest JSON columns, and a statement that
    wrote says what it did on stderr. The connection hook (run_shell) does the registering."""

    failures = 0
    """Statements and commands that failed: a shell fed by a pipe or file exits 1 after any, as sqlite3."""

    def handle_exception(self) -> Any:
        """Count and explain a failure, which apsw reports and reads on after; but a reader of the output
        that went away (``... | vtab shell | head -1``) ends the shell, quietly (status 141), as sqlite3."""
        failure = sys.exc_info()[1]
        if isinstance(failure, BrokenPipeError):
            raise  # run_shell and main end the command
        if not isinstance(failure, (SystemExit, KeyboardInterrupt)):
            self.failures += 1
        if failure is not None:
            self.explain(failure)
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

    def _query_details(self, sql: str, bindings: Any) -> Any:
        if self._report is not None:
            self._report.finish()  # the statement before this one is complete
        return super()._query_details(sql, bindings)


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
