"""How error hints name an option: ``regions=`` for Python callers, ``--regions`` for the ``vtab`` command.

Messages say how to fix a problem in the words the reader can type. The vocabulary is one process-wide
setting (the command sets it once at start; worker threads raise errors too, so a context variable, which
threads do not inherit, would not reach them).
"""

from __future__ import annotations

import contextlib
import difflib
import enum
from collections.abc import Iterable, Iterator


class Audience(enum.Enum):
    PYTHON = "python"
    """Keyword arguments of vtab.register() / vtab.connect()."""
    COMMAND = "command"
    """Flags of the vtab command."""


_audience = Audience.PYTHON


def current() -> Audience:
    return _audience


@contextlib.contextmanager
def speaking_to(audience: Audience) -> Iterator[None]:
    """Hints name options for ``audience`` inside the block (the command wraps its whole run in it)."""
    global _audience
    previous, _audience = _audience, audience
    try:
        yield
    finally:
        _audience = previous


def option(name: str) -> str:
    """The option as the reader spells it: ``rate_limit`` or ``--rate-limit``."""
    if _audience is Audience.COMMAND:
        return "--" + name.replace("_", "-")
    return name


def assignment(name: str, value: str | bool) -> str:
    """An option with a value as the reader writes it: ``max_writes=100`` or ``--max-writes 100``; a
    boolean ``dry_run=True`` or ``--dry-run`` (``--no-dry-run``)."""
    if _audience is Audience.COMMAND:
        if isinstance(value, bool):
            return option(name) if value else "--no-" + option(name).removeprefix("--")
        return f"{option(name)} {value}"
    return f"{name}={value}"


def set_option(name: str, value: str | bool) -> str:
    """How to set an option for the whole connection: ``pass regions=X to vtab.register()`` or
    ``add --regions X to the command``."""
    if _audience is Audience.COMMAND:
        return f"add {assignment(name, value)} to the vtab command"
    return f"pass {name}={value} to vtab.register()"


def without_option(name: str, value: str | bool) -> str:
    """How to leave a connection setting out: ``open the connection without read_only=True`` or ``run the
    vtab command without --read-only``."""
    if _audience is Audience.COMMAND:
        return f"run the vtab command without {assignment(name, value)}"
    return f"open the connection without {name}={value}"


UNSAFE_USE = "unsafe use of "
"""How SQLite's refusal begins when a view or trigger reaches what it may not (see ``unsafe_use``)."""

_UNSAFE_WHY = (
    "a view or trigger stored in a database file (main or ATTACHed) may not use it, and no trigger may write "
    "to a vtab table, so that a file you open cannot act with your credentials"
)


def unsafe_use(message: str) -> str:
    """SQLite's ``unsafe use of virtual table "x"`` (or ``of f()``) with why and the fix; other text as is.

    vtab marks its tables SQLITE_VTAB_DIRECTONLY and turns the connection's trusted_schema off, so a view
    or trigger stored in a database file cannot reach them (nor functions not marked innocuous), and no
    trigger, TEMP ones included, can write to them (SQLite refuses any trigger's write to such a table).
    A message that already says so is returned as is (it may pass two edges: the cursor, then the command).
    """
    if not message.startswith(UNSAFE_USE) or _UNSAFE_WHY in message:
        return message
    return (
        f"{message}: {_UNSAFE_WHY}; query the table yourself, or through your own CREATE TEMP VIEW (a TEMP "
        f"TRIGGER may read it), or, if you trust the file, {set_option('trusted_schema', True)}"
    )


SUGGESTIONS_SHOWN = 3
"""A "did you mean" names at most this many names."""


def did_you_mean(word: str, names: Iterable[str], *, quoted: bool = False, qualifier: str = "") -> str:
    """``did you mean eks_clusters?`` (the names closest to ``word``, any case; difflib's measure; each in
    quotes when ``quoted``: ``'us-east-1'``; each written ``c.name`` after a ``qualifier`` ``c``, as the
    user wrote the name), or '' when none is close or ``word`` is one of ``names``: the one way vtab
    suggests a name (a table, a column, a region, a profile)."""
    given = list(names)
    if word in given:
        return ""
    by_lower: dict[str, str] = {}
    for name in given:
        by_lower.setdefault(name.lower(), name)
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=SUGGESTIONS_SHOWN, cutoff=0.75)
    dotted = [f"{qualifier}.{by_lower[name]}" if qualifier else by_lower[name] for name in close]
    shown = [repr(name) if quoted else name for name in dotted]
    if not shown:
        return ""
    listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    return f"did you mean {listed}?"


def describe(table: str) -> str:
    """How the reader lists a table's columns: ``vtab describe eks_clusters`` from the command, else the
    SELECT on vtab_columns."""
    if _audience is Audience.COMMAND:
        return f"vtab describe {table}"
    return f"SELECT * FROM vtab_columns WHERE \"table\" = '{table}'"


READ_ONLY_WRITE = "attempt to write a readonly database"
"""How SQLite's refusal begins when SQL writes a database file opened read-only (see ``read_only_files``)."""


def read_only_files(message: str) -> str:
    """SQLite's ``attempt to write a readonly database`` with why and the fix, for a connection vtab opened
    read-only because of its read_only option (vtab.sqlite.install.open_database); other text as is."""
    if not message.startswith(READ_ONLY_WRITE) or "sqlite3 -readonly" in message:
        return message
    return (
        f"{message}: {assignment('read_only', True)} opens the database files read-only, as sqlite3 "
        "-readonly does; write to temp instead (CREATE TEMP TABLE, CREATE TEMP VIEW, CREATE VIRTUAL TABLE "
        f"temp.x), or {without_option('read_only', True)}"
    )


def read_only_refusal(table: str, verb: str) -> str:
    """Why a write to vtab table ``table`` is refused on a read_only connection, and the fix."""
    return (
        f"{table} is read-only (the connection's {assignment('read_only', True)}): {verb} refused before "
        f"anything was sent; a table cannot lift it: {without_option('read_only', True)} to change AWS "
        "resources"
    )
