"""What reaches a terminal: control characters shown, never obeyed.

Values vtab prints were written by someone else: a tag, a description, an endpoint's error message, a
table name in a database file. Printed raw, an ESC sequence clears the screen, recolours text or plants
an OSC 8 hyperlink, a bare carriage return overwrites what was printed, BEL rings and NUL or a C1 control
(U+009B is a one-character CSI to many terminals) does what the terminal makes of it. Text for eyes shows
each such character as a backslash escape instead, psql's and Python's convention: ``\\x1b``, ``\\x9b``,
``\\x7f``, ``\\x00``, and ``\\r``, ``\\n``, ``\\t`` where a format does not keep them. A backslash already in
the text is not doubled: the escaped form is for reading; files, pipes and SQL get the exact value.

One rule for every printing path (docs/trust.md, "What is escaped where"): the command's result writers,
the shell's output modes, errors, warnings, write reports and progress lines.
"""

from __future__ import annotations

import functools
import re

CONTROLS = frozenset(chr(code) for code in (*range(0x20), *range(0x7F, 0xA0)))
"""The characters a terminal may act on: C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F)."""

LINES = "\n\t"
"""What text with lines keeps (messages, CSV fields, the shell's list and line modes): newline and tab."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

_JSON_UNESCAPED = re.compile("[\x7f-\x9f]")
"""What a JSON encoder leaves raw: it escapes C0 itself, but DEL and C1 are legal JSON as they are."""


@functools.cache
def _controls(keep: str) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(char) for char in sorted(CONTROLS - set(keep))) + "]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def visible(text: str, keep: str = "") -> str:
    """``text`` with every control character but those in ``keep`` shown as a backslash escape."""
    if text.isprintable():  # no control character (a scan in C): most text
        return text
    return _controls(keep).sub(_escape, text)


def json_safe(text: str) -> str:
    """JSON text with DEL and C1 controls written as ``\\u007f``/``\\u009b``: the same JSON value, and no
    character a terminal acts on (a JSON encoder already escapes C0)."""
    if text.isascii() and "\x7f" not in text:  # most JSON text (two scans in C)
        return text
    return _JSON_UNESCAPED.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def sql_visible(literal: str) -> str:
    """A SQL literal (``apsw.format_sql_value``) with each control character as ``'||char(27)||'``: the
    same value when run, nothing a terminal acts on when shown (controls occur only inside quotes)."""
    return _controls("").sub(lambda match: f"'||char({ord(match.group())})||'", literal)


def is_terminal(stream: object) -> bool:
    """Whether ``stream`` is a terminal (a stream without ``isatty``, such as a StringIO, is not)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
