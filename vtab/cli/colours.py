"""The shell's colour codes as tokens no value can spell, so that what reaches a terminal keeps the shell's
own colours and shows every control character of the data.

apsw's shell writes its colour codes (SGR sequences such as ``ESC [31m``) into the same text as values, table
names and error messages. Told apart by their bytes, a table named ``"t\\x1b[31m"`` in someone's file would
pass as a colour of the shell's (``.dump``, an error naming it). So the shell's code sees each code as a
token, NUL, a random per-process nonce and the code's name, and the text is escaped first and the tokens
turned into codes after (``Tokens.shown``): a value cannot guess the nonce.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from vtab.terminal import LINES, visible

PLAIN = frozenset({"prompt", "prompt_"})
"""Codes apsw gives the line editor, not write(): those stay the codes themselves."""


class TokenScheme:
    """An apsw colour scheme (``Shell._colourscheme``) whose codes read as tokens (see the module)."""

    def __init__(self, real: Any, nonce: str) -> None:
        self.real = real
        self.nonce = nonce

    def __getattr__(self, name: str) -> Any:
        code = getattr(self.real, name)
        if name in PLAIN or not isinstance(code, str) or not code:
            return code
        return f"\x00{self.nonce}{name}\x00"

    def colour_value(self, val: Any, formatted: str) -> str:
        """apsw's colour_value, with this scheme's tokens (the "off" scheme has its own, colourless)."""
        own = vars(self.real).get("colour_value")
        if own is not None:
            return str(own(val, formatted))
        return str(type(self.real).colour_value(self, val, formatted))

    def __eq__(self, other: object) -> bool:
        return bool(self.real == (other.real if isinstance(other, TokenScheme) else other))

    __hash__ = None  # type: ignore[assignment]


class Tokens:
    """One shell's nonce, and how its text becomes what a terminal, or a file, gets."""

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(8)
        self.pattern = re.compile(f"\x00{self.nonce}(\\w+)\x00")

    def scheme(self, real: Any) -> TokenScheme:
        return TokenScheme(real, self.nonce)

    def shown(self, text: str, scheme: TokenScheme) -> str:
        """For a terminal: every control character of ``text`` shown, then the tokens made codes."""
        parts = self.pattern.split(text)  # text, name, text, name, ..., text
        return "".join(
            str(getattr(scheme.real, part)) if i % 2 else visible(part, LINES) for i, part in enumerate(parts)
        )

    def codes(self, text: str, scheme: TokenScheme) -> str:
        """For a file or a pipe: the tokens made codes, the rest as it is."""
        return self.pattern.sub(lambda match: str(getattr(scheme.real, match.group(1))), text)
