"""The schema's limits on a property's value (length, range, item count, pattern, and inside objects and
arrays each member's type, enum and required members), checked before a write is sent.

Cloud Control validates DesiredState against the registry schema and would refuse the row anyway, with a
message that names a JSON path but not the column; checking here names the column, the member and the fix,
and refuses the row before any row of the statement is sent. The rules are the catalog's ``check`` facts
(a compact JSON Schema subset, see ``vtab/catalog/facts.py``); a keyword applies only to values of its kind,
as in JSON Schema.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from vtab.catalog.schema import JSON_TYPES, is_json_type
from vtab.messages import sql_literal


@dataclass(frozen=True)
class Violation:
    """One broken rule: where inside the value (``KeySchema/0/KeyType``; empty: the value itself), the
    rule broken and the fix."""

    path: tuple[str, ...]
    value: Any
    rule: str
    fix: str


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "a JSON object" if isinstance(value, dict) else "a JSON array"
    return sql_literal(value)


def _a(kind: str) -> str:
    return {"object": "a JSON object", "array": "a JSON array", "integer": "an integer"}.get(kind, f"a {kind}")


def violation(rules: dict[str, Any], value: Any, path: tuple[str, ...] = ()) -> Violation | None:
    """The first rule of ``rules`` that ``value`` (parsed JSON) breaks, depth first, or None."""
    if value is None:
        return None
    kinds = rules.get("type")
    if kinds is not None:
        allowed = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(kind in JSON_TYPES and is_json_type(value, kind) for kind in allowed):
            wanted = " or ".join(_a(kind) for kind in allowed)
            return Violation(path, value, f"is {_shown(value)}, not {wanted}", f"write {wanted}")
    enum = rules.get("enum")
    if enum is not None and value not in enum:
        allowed_values = " or ".join(sql_literal(item) for item in enum)
        return Violation(path, value, "is not one of the values it allows", f"use {allowed_values}")
    return _limits(rules, value, path) or _members(rules, value, path)


def _limits(rules: dict[str, Any], value: Any, path: tuple[str, ...]) -> Violation | None:
    if isinstance(value, str):
        low, high = rules.get("minLength"), rules.get("maxLength")
        if low is not None and len(value) < low:
            return Violation(path, value, f"is {len(value)} characters, fewer than {low}", f"use {low} or more")
        if high is not None and len(value) > high:
            return Violation(path, value, f"is {len(value):,} characters, more than {high:,}", f"use {high:,} at most")
        pattern = rules.get("pattern")
        compiled = _compiled(pattern) if isinstance(pattern, str) else None
        if compiled is not None and not compiled.search(value):
            return Violation(path, value, f"does not match the pattern {pattern}", "use a value that matches it")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = rules.get("minimum"), rules.get("maximum")
        if low is not None and value < low:
            return Violation(path, value, f"is less than {low}", f"use {low} to {high}" if high is not None else f"use {low} or more")
        if high is not None and value > high:
            return Violation(path, value, f"is more than {high}", f"use {low} to {high}" if low is not None else f"use {high} at most")
    elif isinstance(value, list):
        low, high = rules.get("minItems"), rules.get("maxItems")
        if low is not None and len(value) < low:
            return Violation(path, value, f"has {len(value)} items, fewer than {low}", f"give {low} or more")
        if high is not None and len(value) > high:
            return Violation(path, value, f"has {len(value)} items, more than {high}", f"give {high} at most")
    return None


def _members(rules: dict[str, Any], value: Any, path: tuple[str, ...]) -> Violation | None:
    if isinstance(value, dict):
        for name in rules.get("required", ()):
            if value.get(name) is None:
                return Violation(
                    (*path, name), None, "is required", f"add \"{name}\" to {'/'.join(path) or 'the object'}"
                )
        for name, member in rules.get("properties", {}).items():
            found = violation(member, value.get(name), (*path, name))
            if found is not None:
                return found
    elif isinstance(value, list) and "items" in rules:
        for index, item in enumerate(value):
            found = violation(rules["items"], item, (*path, str(index)))
            if found is not None:
                return found
    return None
