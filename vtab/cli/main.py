"""The ``vtab`` command: the tables for people with a sqlite3 habit, no Python needed.

A Python virtual table lives only in the process that registered it, so plain ``sqlite3`` cannot see it.
The command offers the three honest routes (DESIGN.md "Other clients"):

    vtab shell [DB] [SQL...]          apsw's sqlite3-compatible shell, vtab on every connection it opens
    vtab query "SQL" --format csv     run statements on an in-memory connection, print the rows
    vtab snapshot OUT.db "SELECT ..." --table NAME   copy rows into a plain table any sqlite3 client opens
    vtab sync OUT.db --accounts org   every table of every account and region into a plain file
    vtab describe eks_clusters        a table's columns: required, read-only, create-only, ... (vtab_columns)
    vtab diff OLD.db NEW.db           resources added, removed and changed between two syncs
    vtab emulator --seed demo         the local Cloud Control endpoint
    vtab demo                         the reference queries against the local endpoint

This module is the entry point: it picks the command and runs it under the command conventions. Each
command has its module (query.py, snapshot.py, sync.py, shell.py); parsers.py describes the command line,
flags.py turns vtab's options into flags, output.py prints results.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TextIO

import apsw

from vtab import hints
from vtab.cli.conventions import (
    INTERRUPTED_STATUS,
    PROG,
    command_conventions,
    error_text,
    say,
    unknown_option_text,
    usage_error,
)
from vtab.cli.describe import command_describe
from vtab.cli.diff import command_diff
from vtab.cli.parsers import build_parser, emulator_parser
from vtab.cli.query import command_query
from vtab.cli.shell import run_shell
from vtab.cli.snapshot import command_snapshot
from vtab.cli.sync import command_sync


def run_emulator(argv: Sequence[str]) -> int:
    """Delegate to ``python -m vtab.emulator``, with this command's name and help style."""
    from vtab.emulator.__main__ import main as emulator_main

    emulator_parser().parse_args(argv)  # --help and bad arguments, reported under our name
    return emulator_main(list(argv))


def run_demo(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    from vtab.cli.demo import main as demo_main

    demo_main()
    return 0


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

COMMANDS: dict[str, Callable[[argparse.ArgumentParser, argparse.Namespace, TextIO], int]] = {
    "query": command_query,
    "snapshot": command_snapshot,
    "sync": command_sync,
    "types": command_types,
    "describe": command_describe,
    "diff": command_diff,
    "demo": run_demo,
}
"""The commands build_parser() parses, each called with its own parser, the arguments and stdout."""


def not_a_command(argv: list[str]) -> str:
    """What a first word that is no command was meant as: a misspelt command, SQL, or a database (sqlite3's
    habits: ``sqlite3 inventory.db``, ``sqlite3 :memory: "SELECT 1"``), each with the command line to use."""
    word = argv[0]
    commands = [*PASSTHROUGH, *COMMANDS]
    close = hints.did_you_mean(word, commands)
    if close:
        meant = close
    elif " " in word.strip() or word.rstrip().endswith(";"):
        meant = f"to run SQL, write {shlex.join([PROG, 'query', *argv])}"
    else:
        meant = f"to open a database as sqlite3 does, write {shlex.join([PROG, 'shell', *argv])}"
    return f"{word!r} is not a command ({', '.join(commands)}); {meant}"


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in PASSTHROUGH:
        return PASSTHROUGH[argv[0]](argv[1:])
    parser = build_parser()
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        usage_error(parser, not_a_command(argv))
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command: argparse.ArgumentParser = getattr(args, "parser", None) or parser
        options = [token for token in unknown if token.startswith("-") and token != "-"]
        if options:
            usage_error(command, unknown_option_text(options[0], command._option_string_actions))
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        result: int = COMMANDS[args.command](args.parser, args, sys.stdout)
        return result
    except BrokenPipeError:
        raise  # main() ends quietly: the reader went away
    except Exception as exc:  # any failure (a bad endpoint is botocore's ValueError): one line, status 1
        say(traceback.format_exc() if args.debug else f"{PROG} {args.command}: error: {error_text(exc)}")
        return INTERRUPTED_STATUS if isinstance(exc, apsw.InterruptError) else 1


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
