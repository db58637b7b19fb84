"""Write-only values (a secret's SecretString, a database's MasterUserPassword): masked wherever vtab
renders a row, a patch document, a resource model or a value as text for people to read.

The registry schema lists them in ``writeOnlyProperties``: whole (``/properties/SecretString``) or as a
member inside a property (``/properties/Code/ZipFile``, ``*`` for every array item). AWS never reads
them back; vtab never prints them. As Terraform does, the name stays and the value becomes
``(sensitive value)``: in messages, errors, write reports, ``vtab_dry_run`` and ``vtab_calls``. Text that
AWS wrote (a FAILED write's StatusMessage, a refusal quoting the model) is scrubbed of the values the
write carried, since vtab cannot choose its wording.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from vtab.messages import sql_literal

MASK = "(sensitive value)"
"""What a write-only value shows as (Terraform's words)."""
MIN_SCRUBBED = 4
"""Shorter write-only strings are not scrubbed out of AWS's text: a 'true' or an 'a' would garble every
word that holds it, and says nothing of a secret."""


@dataclass(frozen=True)
class Sensitive:
    """The write-only paths of one type: ``whole`` properties and ``members`` (as parts, property first)."""

    whole: frozenset[str]
    members: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.whole or self.members)

    def holds(self, prop: str | None) -> bool:
        """Whether ``prop``'s value is or may hold a write-only value."""
        return prop is not None and (prop in self.whole or any(parts[0] == prop for parts in self.members))

    # -- the one masking function -------------------------------------------------------------------

    def value(self, prop: str | None, value: Any) -> Any:
        """``value`` of property ``prop`` with its write-only parts masked: the whole value when ``prop`` is
        write-only, else each write-only member inside it (a JSON text stays JSON text), or all of it when
        it is not JSON of the shape the members live in. NULL stays NULL."""
        if prop is None or value is None:
            return value
        if prop in self.whole:
            return MASK
        paths = [parts[1:] for parts in self.members if parts[0] == prop]
        if not paths:
            return value
        parsed = value
        if isinstance(value, str):
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError:
                return MASK  # a JSON column's text that does not parse: its member cannot be told apart
        if not any(isinstance(parsed, list if parts[0] == "*" else dict) for parts in paths):
            return MASK  # not the container the members live in ('"secret"' for an object): nor here
        masked = parsed
        for parts in paths:
            masked = _masked_member(masked, parts)
        return orjson.dumps(masked).decode() if isinstance(value, str) else masked

    # -- built on it --------------------------------------------------------------------------------

    def literal(self, prop: str | None, value: Any) -> str:
        """``value`` as a message writes it (SQL's spelling): ``(sensitive value)``, unquoted, for a
        write-only property; a JSON column's write-only members masked inside its text."""
        return as_literal(self.value(prop, value))

    def model(self, model: dict[str, Any]) -> dict[str, Any]:
        """A resource model (DesiredState, a ResourceModel) with its write-only values masked."""
        if not self:
            return model
        return {prop: self.value(prop, value) for prop, value in model.items()}

    def patch(self, ops: list[Any]) -> list[Any]:
        """RFC 6902 operations with the value of every operation on a write-only path (or on a property
        holding a write-only member) masked; paths and op names stay, so the patch still reads."""
        if not self:
            return ops
        return [self._masked_op(op) for op in ops]

    def patch_text(self, text: object) -> object:
        """A patch document as given (text): masked when it parses; text that does not parse and names a
        write-only property is masked whole (its secret cannot be told apart); any other text as is."""
        if not self or not isinstance(text, str):
            return text
        try:
            ops = orjson.loads(text)
        except orjson.JSONDecodeError:
            return self._named_whole(text)
        if not isinstance(ops, list) or not all(_is_operation(op) for op in ops):
            # Valid JSON, but not an array of operations each with a text path: which value belongs to
            # which path cannot be told, so neither can the secret (an object, "path": ["SecretString"]).
            return self._named_whole(text)
        return orjson.dumps(self.patch(ops)).decode()

    def _named_whole(self, text: str) -> str:
        """``text`` masked whole if it names a write-only property (its secret cannot be told apart)."""
        names = {*self.whole, *(parts[0] for parts in self.members)}
        return MASK if any(name in text for name in names) else text

    def secrets(self, model: dict[str, Any] | None = None, ops: list[Any] | None = None) -> list[str]:
        """The write-only strings a write carries (in its model, or in its patch's values): what AWS's own
        text about that write is scrubbed of. Longest first, so a secret inside another goes with it."""
        found: list[Any] = []
        for prop, value in (model or {}).items():
            found += _leaves(self._secret_part(prop, value))
        for op in ops or ():
            if isinstance(op, dict) and "value" in op:
                masked = self._masked_op(op)
                if masked is not op:
                    found += _leaves(_difference(op.get("value"), masked.get("value")))
        texts = {text for text in found if isinstance(text, str) and len(text) >= MIN_SCRUBBED}
        return sorted(texts, key=len, reverse=True)

    @staticmethod
    def scrub(text: str, secrets: Iterable[str]) -> str:
        """``text`` (AWS's words) with every secret in it, raw or JSON-escaped, replaced by the mask."""
        for secret in secrets:
            escaped = orjson.dumps(secret).decode()[1:-1]
            text = text.replace(secret, MASK)
            if escaped != secret:
                text = text.replace(escaped, MASK)
        return text

    # -- helpers ------------------------------------------------------------------------------------

    def _secret_part(self, prop: str, value: Any) -> Any:
        """The write-only part of a property's value: all of it, or its write-only members' values."""
        return _difference(value, self.value(prop, value))

    def _masked_op(self, op: Any) -> Any:
        if not isinstance(op, dict) or "value" not in op or not isinstance(op.get("path"), str):
            return op
        parts = tuple(part.replace("~1", "/").replace("~0", "~") for part in op["path"].split("/")[1:])
        if not parts:  # "path": "" is the whole document: its value is a resource model
            value = op["value"]
            return {**op, "value": self.model(value)} if isinstance(value, dict) else op
        if parts[0] in self.whole:
            return {**op, "value": MASK}
        masked = op["value"]
        for member in self.members:
            if not _matches(member[: len(parts)], parts):
                continue
            if len(parts) >= len(member):
                return {**op, "value": MASK}  # the path is the member, or lies inside it
            masked = _masked_member(masked, member[len(parts) :])
        return op if masked is op["value"] else {**op, "value": masked}


def _is_operation(op: Any) -> bool:
    """Whether ``op`` has a JSON Patch operation's shape as far as masking needs: an object whose path is
    a JSON Pointer (text that is empty or starts with ``/``)."""
    path = op.get("path") if isinstance(op, dict) else None
    return isinstance(path, str) and (path == "" or path.startswith("/"))


def as_literal(masked: Any) -> str:
    """A masked value as a message writes it: the mask bare, anything else in SQL's spelling (objects and
    arrays as their JSON text)."""
    if masked is MASK:
        return MASK
    if isinstance(masked, dict | list):
        masked = orjson.dumps(masked).decode()
    return sql_literal(masked)


def _matches(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    """Whether a JSON Pointer's ``parts`` follow a member path (``*`` matches an array index)."""
    return len(pattern) == len(parts) and all(
        want == got or (want == "*" and got.isdigit()) for want, got in zip(pattern, parts, strict=True)
    )


def _masked_member(value: Any, parts: tuple[str, ...]) -> Any:
    """``value`` with the member at ``parts`` (``*``: in every array item) masked; a copy where changed."""
    if not parts:
        return MASK if value is not None else value
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [_masked_member(item, rest) for item in value] if isinstance(value, list) else value
    if not isinstance(value, dict) or head not in value:
        return value
    return {**value, head: _masked_member(value[head], rest)}


def _difference(value: Any, masked: Any) -> Any:
    """The parts of ``value`` that masking replaced (what a mask stands for), as a list of values."""
    if masked is MASK or masked == MASK:
        return [value]
    if isinstance(value, str) and isinstance(masked, str) and value != masked:
        try:
            return _difference(orjson.loads(value), orjson.loads(masked))
        except orjson.JSONDecodeError:
            return []
    if isinstance(value, dict) and isinstance(masked, dict):
        return [_difference(value[key], masked.get(key)) for key in value if masked.get(key) != value[key]]
    if isinstance(value, list) and isinstance(masked, list):
        return [_difference(a, b) for a, b in zip(value, masked, strict=False) if a != b]
    return []


def _leaves(value: Any) -> list[Any]:
    """Every scalar inside ``value`` (the values of objects, the items of arrays)."""
    if isinstance(value, dict):
        return [leaf for member in value.values() for leaf in _leaves(member)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]
