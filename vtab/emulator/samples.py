"""Values that keep a property's rules (type, enum, range, length, pattern, required members, item count),
for the values the emulator makes up: the identifiers its handlers generate (DataZone's ``dzd_...``,
Deadline's ``farm-...``) and the seeded models of tests and benchmarks.

A plain value (``name-3``, a short random id) is kept when it already fits: most identifiers have no
pattern, and seeded values stay readable and deterministic. Otherwise a string is generated from the
pattern with ``rstr`` and checked again (rstr ignores lookarounds); when no try fits, the plain value is
padded or cut to the length limits, and failing that returned as it is (the model validation then names
the rule, as AWS would).
"""

from __future__ import annotations

import re
import string
import uuid
from collections.abc import Mapping, Sequence
from random import Random
from typing import Any

import rstr

from vtab.catalog.checks import compiled_pattern
from vtab.catalog.columns import snake_case

_ID_ALPHABET = string.ascii_lowercase + string.digits

PATTERN_TRIES = 60
"""Strings generated from a pattern before the plain value is padded or cut instead."""

_KIND_ORDER = ("string", "object", "array", "integer", "number", "boolean")
"""For a property of several types (DynamoDB's KeySchema: array or object), the one a sample takes."""


def short_id(rng: Random, length: int = 10) -> str:
    """Lower-case letters and digits, a letter first: most id patterns (Redshift's ClusterIdentifier
    ``^[a-z][a-z0-9]*...``) start with one, and a random digit first would break them now and then."""
    return rng.choice(string.ascii_lowercase) + "".join(rng.choice(_ID_ALPHABET) for _ in range(length - 1))


def random_uuid(rng: Random) -> str:
    """A version-4 UUID from ``rng`` (``uuid.uuid4`` reads the OS's entropy, which no seed repeats)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def fits(rules: Mapping[str, Any], text: str) -> bool:
    """Whether ``text`` keeps the string rules (length limits and pattern) of ``rules``."""
    if len(text) < rules.get("minLength", 0) or len(text) > rules.get("maxLength", len(text)):
        return False
    pattern = rules.get("pattern")
    compiled = compiled_pattern(pattern) if isinstance(pattern, str) else None
    return compiled is None or compiled.search(text) is not None


class _ShortXeger(rstr.Xeger):
    """rstr's generator with ``*``, ``+`` and ``{m,n}`` repeating ``extra`` times more than their least
    (``exact``), or up to that (rstr's own bound, 100, overruns most maxLengths: SageMaker's
    ``^d-(-*[a-z0-9])+``, and a random count rarely hits an exact length: QuickSight's 12 digits)."""

    extra = 0
    exact = False

    def _handle_repeat(self, start_range: int, end_range: int, value: str) -> str:
        end = min(end_range, start_range + self.extra)
        return super()._handle_repeat(end if self.exact else start_range, end, value)


LENGTH_LOOKAHEAD = re.compile(r"^\^\(\?=\.\{\d*,?\d*\}\$\)")
"""A pattern's leading length check, ``^(?=.{20,2048}$)`` (EC2's secret ARNs), which rstr cannot generate:
the rest is generated, and the whole pattern (with the length) checks the result."""


def _from_pattern(pattern: str, attempt: int, rng: Random) -> str | None:
    """Attempt 0, 2, 4, ...: each repeat exactly 8, 9, ... 30, then 0 to 7 more than its least (long
    enough first, so that generated identifiers differ); odd attempts: a random count up to that."""
    xeger = _ShortXeger(rng)
    xeger.extra, xeger.exact = (8 + attempt // 2) % 31, attempt % 2 == 0
    try:
        return xeger.xeger(LENGTH_LOOKAHEAD.sub("^", pattern, count=1))
    except Exception:  # rstr cannot generate every pattern re compiles
        return None


def _plain(text: str) -> bool:
    """No ``|`` (it joins identifier parts), no control characters, no space at either end."""
    return "|" not in text and text.isprintable() and text == text.strip()


def string_value(
    rules: Mapping[str, Any],
    plain: str,
    also: Sequence[Mapping[str, Any]] = (),
    others: Sequence[str] = (),
    rng: Random | None = None,
) -> str:
    """``plain`` (or the first of ``others``) when it keeps ``rules`` and each of ``also`` (the rules of
    the children's properties that take this value), else a string generated (with ``rng``; by default
    one seeded from ``plain``, so seeded models repeat) from one of their patterns that keeps them all,
    else ``plain`` padded (``x``) or cut to the length limits."""
    every = [rules, *also]
    for text in (plain, *others):
        if all(fits(each, text) for each in every):
            return text
    rng = rng or Random(plain)
    for each in every:
        pattern = each.get("pattern")
        if not isinstance(pattern, str) or compiled_pattern(pattern) is None:
            continue
        for attempt in range(PATTERN_TRIES):
            made = _from_pattern(pattern, attempt, rng)
            if made is not None and _plain(made) and all(fits(other, made) for other in every):
                return made
    sized = plain.ljust(max(each.get("minLength", 0) for each in every), "x")
    sized = sized[: min(each.get("maxLength", len(sized)) for each in every)]
    return sized if all(fits(each, sized) for each in every) else plain


def _kind(rules: Mapping[str, Any]) -> str | None:
    kind = rules.get("type")
    if isinstance(kind, list):
        return next((k for k in _KIND_ORDER if k in kind), None)
    if kind is None and ("properties" in rules or "required" in rules):
        return "object"
    if kind is None and "items" in rules:
        return "array"
    return kind if isinstance(kind, str) else None


def clamp(value: int, rules: Mapping[str, Any]) -> int:
    """``value`` moved into the range of ``rules`` (``minimum``/``maximum``)."""
    low, high = rules.get("minimum"), rules.get("maximum")
    if low is not None and value < low:
        value = int(low) if low == int(low) else int(low) + 1
    if high is not None and value > high:
        value = int(high)
    return value


def sample_value(name: str, rules: Mapping[str, Any], index: int) -> Any:
    """A value of ``name`` that keeps ``rules`` (a property's JSON Schema subset: its type, enum and
    ``check`` facts): an enum's first value, ``index + 1`` within the range, an object with its required
    members, an array of its fewest items, ``name-index`` (or one generated from the pattern)."""
    enum = rules.get("enum")
    if enum:
        return enum[0]
    kind = _kind(rules)
    if kind == "integer":
        return clamp(index + 1, rules)
    if kind == "number":
        return float(clamp(index + 1, rules))
    if kind == "boolean":
        return False
    if kind == "object":
        members = rules.get("properties", {})
        required = rules.get("required", ())
        return {member: sample_value(member, members.get(member, {}), index) for member in required}
    if kind == "array":
        items = rules.get("items", {})
        return [sample_value(name, items, index + offset) for offset in range(rules.get("minItems", 0))]
    return string_value(rules, f"{snake_case(name).replace('_', '-')}-{index}")
