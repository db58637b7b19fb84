"""``vtab shell``'s command line, split: vtab's flags (and ``--cmd``), apsw's options, then the database
and the SQL, wherever the user put them (sqlite3 reads options anywhere, apsw only before the database)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence

import apsw.shell

from vtab.cli.conventions import CommandError, unknown_option_text
from vtab.cli.flags import option_flags
from vtab.hints import did_you_mean

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
            if token.startswith("--") and not positional and _misspelled(name, flags):
                raise CommandError(unknown_option_text(name, flags))
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


def _misspelled(name: str, flags: Iterable[str]) -> bool:
    """A ``--flag`` before the database that is no apsw option and is close to one of ours (``--acounts``):
    apsw would refuse it as "Unrecognized argument 'acounts'", without the flag that was meant."""
    bare = name.lstrip("-")
    return bare not in _SHELL_VALUE_OPTIONS | _SHELL_SWITCHES and bool(did_you_mean(name, flags))


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
