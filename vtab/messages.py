"""How values appear in messages: one rule for every error, so a value reads the same everywhere."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def sql_literal(value: object) -> str:
    """``value`` the way it would be written in SQL, for messages (long text is shortened)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):  # a JSON boolean reads as 1/0 in a column
        return str(int(value))
    if isinstance(value, bytes):
        return f"X'{value[:32].hex().upper()}{'…' if len(value) > 32 else ''}'"
    if isinstance(value, str):
        text = value if len(value) <= 200 else value[:200] + "…"
        quoted = "'" + text.replace("'", "''") + "'"
        # Control characters (a NUL, an escape) would garble a terminal: shown as SQL's char(n) instead.
        return _CONTROL.sub(lambda m: f"' || char({ord(m.group())}) || '", quoted)
    return str(value)
