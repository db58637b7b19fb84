"""What every ``vtab`` command shares: its name, the exit statuses, the errors a user can fix, and how
errors, warnings and reports are printed (one line each, no traceback, control characters shown)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Iterable, Iterator
from typing import NoReturn, TextIO

import apsw.shell

from vtab import hints
from vtab.options import OptionError
from vtab.terminal import LINES, visible

PROG = "vtab"

INTERRUPTED_STATUS = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""


class CommandError(Exception):
    """A failure the user can fix; main() prints the message (no traceback) and exits 1."""


def error_text(exc: BaseException) -> str:
    """Our own errors are already sentences; others keep their class name (``SQLError: no such table``).
    SQLite's refusal of an unsafe use says why (hints.unsafe_use) also when it came from a later statement
    of a script, past the cursor's execute."""
    if isinstance(exc, CommandError | OptionError | apsw.shell.Shell.Error):
        return str(exc)
    return f"{type(exc).__name__}: {hints.unsafe_use(str(exc))}"


USAGE_STATUS = 2
"""Exit status of a command line vtab cannot run as given (argparse's own, for its errors too)."""


def usage_error(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    """A value our own checks refused (an option's text, the shell's arguments): the one line naming the
    option, the value and the fix, and where the help is, without argparse's usage block, which buries it
    under every flag the command has. Exits with argparse's status for a bad command line."""
    say(f"{parser.prog}: error: {message}")
    say(f"see {parser.prog} --help")
    parser.exit(USAGE_STATUS)


def unknown_option_text(token: str, known: Iterable[str]) -> str:
    """An option the command does not have (``--acounts``), named with the closest it does have: argparse
    says only "unrecognized arguments", under the top command's usage, with the option's value mixed in."""
    name = token.partition("=")[0]
    close = hints.did_you_mean(name, [k for k in known if k.startswith("--")])
    return f"no option {name}" + (f"; {close}" if close else "")


def undecodable_text(exc: UnicodeDecodeError, where: str) -> str:
    """The message for text SQLite holds that is not UTF-8 (CAST(x'ff' AS TEXT)): Python cannot read it
    as text, so the value is named by its bytes, with the way to read it."""
    raw = bytes(exc.object)
    shown = raw[:32].hex().upper() + ("…" if len(raw) > 32 else "")
    return (
        f"{where} is text that is not valid UTF-8 (X'{shown}': byte 0x{raw[exc.start]:02X} at offset "
        f"{exc.start}); SQLite keeps text as it was stored, but it cannot be shown as text: select that "
        "column as CAST(column AS BLOB) or hex(column) to see its bytes"
    )


def say(text: str, file: TextIO | None = None) -> None:
    """A message for eyes on stderr (or ``file``): its control characters shown, on a terminal and in a
    log alike (an endpoint's error text, an identifier or a table name may hold an escape sequence)."""
    print(visible(text, LINES), file=file or sys.stderr, flush=True)


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Warnings as one ``vtab: warning: ...`` line on stderr (no Python file and line)."""
    say(f"{PROG}: warning: {message}", file)


@contextlib.contextmanager
def command_conventions() -> Iterator[None]:
    """What holds while the command runs: hints name flags (--regions), warnings are one line each."""
    with hints.speaking_to(hints.Audience.COMMAND), warnings.catch_warnings():
        warnings.showwarning = show_warning
        yield
