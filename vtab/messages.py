"""How values appear in messages: one rule for every error, so a value reads the same everywhere."""

from __future__ import annotations


def sql_literal(value: object) -> str:
    """``value`` the way it would be written in SQL, for messages (long text is shortened)."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"X'{value[:32].hex().upper()}{'…' if len(value) > 32 else ''}'"
    if isinstance(value, str):
        text = value if len(value) <= 200 else value[:200] + "…"
        return "'" + text.replace("'", "''") + "'"
    return str(value)
