"""What every ``vtab`` command shares: its name, the exit statuses, the errors a user can fix, and how
errors and warnings are printed (one line each, no traceback)."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from typing import TextIO

import apsw.shell

from vtab import hints
from vtab.options import OptionError

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


@contextlib.contextmanager
def command_conventions() -> Iterator[None]:
    """What holds while the command runs: hints name flags (--regions), warnings are one line each."""
    with hints.speaking_to(hints.Audience.COMMAND), warnings.catch_warnings():
        warnings.showwarning = show_warning
        yield
