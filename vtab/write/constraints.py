"""The schema's limits on a property's value (length, range, item count, pattern, and inside objects and
arrays each member's type, enum and required members), checked before a write is sent.

Cloud Control validates DesiredState against the registry schema and would refuse the row anyway, with a
message that names a JSON path but not the column; checking here names the column, the member and the fix,
and refuses the row before any row of the statement is sent. The rules are the catalog's ``check`` facts
(a compact JSON Schema subset, see ``vtab/catalog/facts.py``), checked by ``jsonschema`` (one validator per
type and property, the emulator's too); this module turns its best error into words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vtab.catalog.checks import strict_validator
from vtab.messages import sql_literal

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

_VALIDATORS: dict[tuple[str, str], Validator] = {}
"""(type name, property) -> the validator of its ``check`` rules, built on first use."""

_KINDS = {"object": "a JSON object", "array": "a JSON array", "integer": "an integer", "null": "null"}


_SIZES = {
    "minLength": ("characters", "use", "fewer"),
    "maxLength": ("characters", "use", "more"),
    "minItems": ("items", "give", "fewer"),
    "maxItems": ("items", "give", "more"),
}
"""A size limit -> what it counts, the fix's verb, and how the value breaks it."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (``Tags/0/Value``: the property, then the members inside its value), the
    value found there (None: absent), the rule broken and the fix."""

    path: tuple[str, ...]
    value: Any
    rule: str
    fix: str


def a_kind(kind: str) -> str:
    """``object`` -> ``a JSON object``: a schema type as a message names it."""
    return _KINDS.get(kind, f"a {kind}")


def json_type_name(value: object) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, (int, float)):
        return "a JSON number"
    return "JSON null"


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _between(low: Any, high: Any, unit: str = "") -> str:
    """``0 to 900``, ``3 or more characters``, ``50 items at most``."""
    tail = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"{_number(low)} to {_number(high)}{tail}"
    if low is not None:
        return f"{_number(low)} or more{tail}"
    return f"{_number(high)}{tail} at most"


def describe(error: ValidationError, root: tuple[str, ...] = ()) -> Violation:
    """A jsonschema error of a value whose path starts at ``root`` (the property), as rule and fix."""
    path = (*root, *(str(part) for part in error.absolute_path))
    value: Any = error.instance
    rule: Any = error.validator_value
    schema: Any = error.schema
    low_high = {
        "minLength": ("minLength", "maxLength"),
        "maxLength": ("minLength", "maxLength"),
        "minimum": ("minimum", "maximum"),
        "maximum": ("minimum", "maximum"),
        "minItems": ("minItems", "maxItems"),
        "maxItems": ("minItems", "maxItems"),
    }.get(str(error.validator))
    low, high = (schema.get(low_high[0]), schema.get(low_high[1])) if low_high else (None, None)
    if error.validator == "type":
        wanted = " or ".join(a_kind(kind) for kind in ([rule] if isinstance(rule, str) else rule))
        return Violation(path, value, f"is {json_type_name(value)}, not {wanted}", f"write {wanted}")
    if error.validator == "enum":
        allowed = " or ".join(sql_literal(item) for item in rule)
        return Violation(path, value, "is not one of the values it allows", f"use {allowed}")
    if error.validator == "required":
        name = next((name for name in rule if name not in value), str(rule[0]))
        return Violation((*path, name), None, "is required", f'add "{name}" to {"/".join(path)}')
    if error.validator in _SIZES:
        unit, verb, than = _SIZES[str(error.validator)]
        size = f"is {_number(len(value))} characters" if unit == "characters" else f"has {len(value)} items"
        return Violation(
            path, value, f"{size}, {than} than {_number(rule)}", f"{verb} {_between(low, high, unit)}"
        )
    if error.validator in ("minimum", "maximum"):
        less = "less" if error.validator == "minimum" else "more"
        return Violation(path, value, f"is {less} than {_number(rule)}", f"use {_between(low, high)}")
    if error.validator == "pattern":
        return Violation(path, value, f"does not match the pattern {rule}", "use a value that matches it")
    return Violation(path, value, error.message, "see the resource type's schema")


def validator(type_name: str, prop: str, rules: Mapping[str, Any]) -> Validator:
    """The (cached) validator of a property's ``check`` rules."""
    key = (type_name, prop)
    found = _VALIDATORS.get(key)
    if found is None:
        found = _VALIDATORS[key] = strict_validator(rules)
    return found


class _Unread:
    """``before`` of a value with nothing read back before it (an INSERT's): every member is checked."""


UNREAD: Any = _Unread()


def _member(value: Any, path: Iterable[str | int]) -> Any:
    """The member of ``value`` at a jsonschema path, or UNREAD when there is none."""
    for part in path:
        in_object = isinstance(value, dict) and part in value
        in_array = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        if in_object or in_array:
            value = value[part]
        else:
            return UNREAD
    return value


def violation(
    type_name: str, prop: str, rules: Mapping[str, Any], value: Any, before: Any = UNREAD
) -> Violation | None:
    """The rule of ``rules`` that ``value`` (parsed JSON) breaks, jsonschema's best match (the shallowest
    first), or None.

    ``before``: the value as read back (an UPDATE's). A member the write leaves as AWS returned it is not
    checked: it was never written, and a value AWS itself gave is AWS's business (the update would be
    refused over a member the user did not touch)."""
    if value is None or not rules:
        return None
    from jsonschema.exceptions import best_match

    errors = validator(type_name, prop, rules).iter_errors(value)
    if before is not UNREAD:
        errors = (e for e in errors if _member(before, e.absolute_path) != e.instance)
    error = best_match(errors)
    return None if error is None else describe(error, (prop,))
