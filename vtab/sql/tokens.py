"""SQLite's tokens, enough to rewrite SQL text without touching literals, quoted identifiers or comments.

This follows SQLite's own tokenizer (tokenize.c) for the token boundaries that matter to a rewrite:
string literals with ``''`` escapes, blobs ``x'..'``, ``"quoted"``, ``[bracketed]`` and `` `backtick` ``
identifiers, ``--`` and ``/* */`` comments, numbers (so ``1.5`` is not a dot) and parameters (so
``:aws`` is not a name). Every character of the text belongs to exactly one token, so joining the
tokens' text gives the text back; an unterminated literal or comment runs to the end, as in SQLite.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass


class Kind(enum.Enum):
    SPACE = "space"
    COMMENT = "comment"
    STRING = "string"
    BLOB = "blob"
    NAME = "name"
    """A bare identifier or keyword."""
    QUOTED = "quoted"
    """A quoted identifier: "x", [x] or `x`."""
    NUMBER = "number"
    PARAMETER = "parameter"
    PUNCT = "punct"
    """An operator or punctuation: ``.``, ``(``, ``;``, ``||``, ``->>``, ..."""


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def is_gap(self) -> bool:
        """Whitespace or a comment: what SQLite skips between the tokens it parses."""
        return self.kind in (Kind.SPACE, Kind.COMMENT)

    @property
    def is_identifier(self) -> bool:
        return self.kind in (Kind.NAME, Kind.QUOTED)

    @property
    def identifier(self) -> str:
        """The name an identifier token stands for: quotes removed, doubled quotes undone."""
        if self.kind is not Kind.QUOTED:
            return self.text
        opening, body = self.text[0], self.text[1:]
        closing = "]" if opening == "[" else opening
        if body.endswith(closing):
            body = body[:-1]
        return body if opening == "[" else body.replace(closing * 2, closing)


_SPACE = " \t\n\f\r"
_PUNCT_LONGEST = ("->>", "->", "||", "==", "<=", ">=", "<>", "!=", "<<", ">>")


def _is_id_char(char: str) -> bool:
    return not char.isascii() or char.isalnum() or char in "_$"


def _is_id_start(char: str) -> bool:
    return _is_id_char(char) and not char.isdigit() and char != "$"


def tokenize(text: str) -> Iterator[Token]:
    """The tokens of ``text`` in order; their texts joined are ``text``."""
    i, n = 0, len(text)
    while i < n:
        start = i
        kind, i = _scan(text, i, n)
        yield Token(kind, text[start:i], start)


def _scan(text: str, i: int, n: int) -> tuple[Kind, int]:
    """The kind of the token starting at ``i`` and where it ends."""
    char = text[i]
    nxt = text[i + 1] if i + 1 < n else ""
    if char in _SPACE:
        while i < n and text[i] in _SPACE:
            i += 1
        return Kind.SPACE, i
    if char == "-" and nxt == "-":
        end = text.find("\n", i)
        return Kind.COMMENT, n if end < 0 else end
    if char == "/" and nxt == "*":
        end = text.find("*/", i + 2)
        return Kind.COMMENT, n if end < 0 else end + 2
    if char == "'":
        return Kind.STRING, _quoted_end(text, i, "'")
    if char in "xX" and nxt == "'":
        return Kind.BLOB, _quoted_end(text, i + 1, "'")
    if char in '"`':
        return Kind.QUOTED, _quoted_end(text, i, char)
    if char == "[":
        end = text.find("]", i)
        return Kind.QUOTED, n if end < 0 else end + 1
    if char.isdigit() or (char == "." and nxt.isdigit()):
        return Kind.NUMBER, _number_end(text, i, n)
    if char == "?":
        i += 1
        while i < n and text[i].isdigit():
            i += 1
        return Kind.PARAMETER, i
    if char in ":@$#" and nxt and _is_id_char(nxt):
        i += 1
        while i < n and (_is_id_char(text[i]) or (char == "$" and text.startswith("::", i))):
            i += 2 if text.startswith("::", i) else 1
        return Kind.PARAMETER, i
    if _is_id_start(char):
        while i < n and _is_id_char(text[i]):
            i += 1
        return Kind.NAME, i
    for punct in _PUNCT_LONGEST:
        if text.startswith(punct, i):
            return Kind.PUNCT, i + len(punct)
    return Kind.PUNCT, i + 1


def _quoted_end(text: str, i: int, quote: str) -> int:
    """The end of the literal opened by ``quote`` at ``i``; a doubled quote is part of it."""
    i += 1
    while True:
        end = text.find(quote, i)
        if end < 0:
            return len(text)
        if text.startswith(quote * 2, end):
            i = end + 2
            continue
        return end + 1


def _number_end(text: str, i: int, n: int) -> int:
    if text.startswith(("0x", "0X"), i):
        i += 2
        while i < n and (text[i] in "0123456789abcdefABCDEF_"):
            i += 1
        return i
    while i < n and (text[i].isdigit() or text[i] == "_"):
        i += 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and (text[i].isdigit() or text[i] == "_"):
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isdigit():
            i = j
            while i < n and text[i].isdigit():
                i += 1
    return i


def significant(tokens: Iterator[Token] | list[Token]) -> list[Token]:
    """The tokens SQLite parses: no whitespace, no comments."""
    return [token for token in tokens if not token.is_gap]
