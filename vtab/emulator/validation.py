"""Synchronous request validation, driven by the type's :class:`~vtab.emulator.rules.TypeRules`.

Cloud Control checks DesiredState against the type's schema and PatchDocument against RFC 6902 and the
create-only / read-only lists before it hands anything to a handler; these checks answer synchronously.
Models are checked by a real JSON Schema validator (``jsonschema``) and its errors are worded the way
CloudFormation's validator (everit) words them: ``#: required key [X] not found``,
``#/X: expected type: String, found: Integer``, ``#/X: V is not a valid enum value``,
``#: extraneous key [X] is not permitted``, and inside a property (its ``check`` facts: limits, patterns,
nested members) ``#/DelaySeconds: -5 is not greater or equal to 0``, ``#/Tags/0: required key [Value] not
found``, so the emulator refuses what AWS refuses when a client's own checks are bypassed.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonpatch
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from vtab.catalog.checks import strict_validator
from vtab.emulator.errors import CloudControlError, invalid_request
from vtab.emulator.rules import TypeRules

_TYPE_NAMES = {
    dict: "JSONObject",
    list: "JSONArray",
    str: "String",
    bool: "Boolean",
    int: "Integer",
    float: "Number",
}
_PATCH_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


@functools.cache
def _validator(rules: TypeRules) -> Validator:
    return strict_validator(rules.json_schema)


def parse_json_object(text: Any, what: str) -> dict[str, Any]:
    """A JSON string member (DesiredState, ResourceModel) that must hold an object."""
    if not isinstance(text, str):
        raise invalid_request(f"{what} must be a JSON string")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise invalid_request(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise invalid_request(f"{what} must be a JSON object")
    return value


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _pointer(path: Any) -> str:
    """``("Tags", 0, "Value")`` -> ``#/Tags/0/Value`` (the whole model: ``#``)."""
    return "/".join(["#", *(str(part) for part in path)])


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def everit_message(error: ValidationError) -> str:
    """One violation as CloudFormation's validator (everit) words it: ``#/DelaySeconds: -5 is not greater
    or equal to 0``, ``#/Tags/0: required key [Value] not found``."""
    where = _pointer(error.absolute_path)
    value: Any = error.instance
    rule: Any = error.validator_value
    if error.validator == "type":
        expected = " or ".join(str(kind).capitalize() for kind in ([rule] if isinstance(rule, str) else rule))
        return f"{where}: expected type: {expected}, found: {_type_name(value)}"
    if error.validator == "enum":
        return f"{where}: {value} is not a valid enum value"
    if error.validator == "minimum":
        return f"{where}: {_number(value)} is not greater or equal to {_number(rule)}"
    if error.validator == "maximum":
        return f"{where}: {_number(value)} is not less or equal to {_number(rule)}"
    if error.validator == "minLength":
        return f"{where}: expected minLength: {rule}, actual: {len(value)}"
    if error.validator == "maxLength":
        return f"{where}: expected maxLength: {rule}, actual: {len(value)}"
    if error.validator == "pattern":
        return f"{where}: string [{value}] does not match pattern {rule}"
    if error.validator == "minItems":
        return f"{where}: expected minimum item count: {rule}, found: {len(value)}"
    if error.validator == "maxItems":
        return f"{where}: expected maximum item count: {rule}, found: {len(value)}"
    if error.validator == "required":
        missing = [name for name in rule if name not in value]
        return ", ".join(f"{where}: required key [{name}] not found" for name in missing)
    return f"{where}: {error.message}"


def model_errors(rules: TypeRules, model: dict[str, Any], *, allow_read_only: bool) -> list[str]:
    """Schema violations of a resource model, worded as CloudFormation words them: missing required keys
    first (in schema order), then each property's violations in the model's order (inside a property:
    type, enum, limits and pattern, and the members of its objects and arrays). A null counts as absent
    (Cloud Control drops nulls), and a read-only property is reported as such rather than checked.
    ``allow_read_only``: the model is one read back and patched, with read-only values and without
    write-only ones."""
    present = {name: value for name, value in model.items() if value is not None}
    by_property: dict[str, list[str]] = {}
    missing: set[str] = set()
    for error in _validator(rules).iter_errors(present):
        if not error.path and error.validator == "required":
            missing.update(name for name in rules.required if name not in present)
        elif (
            allow_read_only
            and error.path
            and error.validator == "required"
            and _write_only_members_missing(rules, error)
        ):
            continue  # a model read back lacks its write-only members by design, as it lacks such properties
        elif error.validator == "additionalProperties":
            for name in present:
                if name not in rules.properties:
                    by_property.setdefault(name, []).append(f"#: extraneous key [{name}] is not permitted")
        elif error.path:
            text = everit_message(error)
            found = by_property.setdefault(str(error.path[0]), [])
            if text not in found:  # one required error per missing member, each naming all of them
                found.append(text)
    if allow_read_only:  # a model read back (and patched) lacks its write-only properties by design
        missing -= rules.write_only
    errors = [f"#: required key [{name}] not found" for name in rules.required if name in missing]
    for name in model:
        if name in rules.read_only and not allow_read_only and name in rules.properties:
            errors.append(f"#: read-only property [/properties/{name}] cannot be set")
            continue
        errors.extend(by_property.get(name, ()))
    return errors


def _write_only_members_missing(rules: TypeRules, error: ValidationError) -> bool:
    """Whether every key a ``required`` error finds missing is a write-only member (AppStream's
    ServiceAccountCredentials/AccountPassword), which a read never returns."""
    at = tuple("*" if isinstance(part, int) else str(part) for part in error.path)
    instance = error.instance if isinstance(error.instance, dict) else {}
    required = error.validator_value if isinstance(error.validator_value, list) else []
    missing = [name for name in required if name not in instance]
    return bool(missing) and all((*at, name) in rules.write_only_members for name in missing)


def validate_model(rules: TypeRules, model: dict[str, Any], *, allow_read_only: bool = False) -> None:
    """InvalidRequestException listing every violation, or nothing."""
    errors = model_errors(rules, model, allow_read_only=allow_read_only)
    if errors:
        raise invalid_request(f"Model validation failed ({', '.join(errors)})")


def _top_level(pointer: str) -> str | None:
    """``/ResponseTemplates/application~1json`` -> ``ResponseTemplates``; ``""`` (whole document) -> None."""
    if pointer == "":
        return None
    return pointer.split("/")[1].replace("~1", "/").replace("~0", "~")


def parse_patch(rules: TypeRules, text: Any) -> list[dict[str, Any]]:
    """A PatchDocument that is valid RFC 6902 and touches only updatable properties.

    InvalidRequestException for a malformed document or an unknown property; NotUpdatableException for a
    path (or ``from``) naming a create-only or read-only property (``test`` only reads, so it may).
    """
    if not isinstance(text, str):
        raise invalid_request("PatchDocument must be a JSON string")
    try:
        ops = json.loads(text)
    except ValueError as exc:
        raise invalid_request(f"Invalid patch document: not valid JSON: {exc}") from None
    if not isinstance(ops, list):
        raise invalid_request("Invalid patch document: a JSON Patch document must be a JSON array")
    for index, op in enumerate(ops):
        where = f"Invalid patch document: operation {index}"
        if not isinstance(op, dict):
            raise invalid_request(f"{where} is not a JSON object")
        if op.get("op") not in _PATCH_OPS:
            raise invalid_request(f"{where} has an invalid 'op' {op.get('op')!r}")
        pointers = ["path", "from"] if op["op"] in ("move", "copy") else ["path"]
        for member in pointers:
            pointer = op.get(member)
            if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
                raise invalid_request(f"{where} has an invalid '{member}' {pointer!r}")
        if op["op"] in ("add", "replace", "test") and "value" not in op:
            raise invalid_request(f"{where} ('{op['op']}') has no 'value'")
    try:
        jsonpatch.JsonPatch(ops)
    except (jsonpatch.JsonPatchException, ValueError, TypeError) as exc:
        raise invalid_request(f"Invalid patch document: {exc}") from None
    for op in ops:
        if op["op"] == "test":
            continue
        pointers = [op["path"], op["from"]] if op["op"] in ("move", "copy") else [op["path"]]
        for pointer in pointers:
            name = _top_level(pointer)
            if name is None:
                raise invalid_request("Invalid patch document: the whole document cannot be replaced")
            if name in rules.create_only:
                raise CloudControlError(
                    "NotUpdatableException",
                    f"Invalid patch update: createOnlyProperties [/properties/{name}] cannot be updated",
                )
            if name in rules.read_only:
                raise CloudControlError(
                    "NotUpdatableException",
                    f"Invalid patch update: readOnlyProperties [/properties/{name}] cannot be updated",
                )
            if name not in rules.properties and not rules.additional_properties:
                raise invalid_request(
                    f"Model validation failed (#: extraneous key [{name}] is not permitted)"
                )
    return ops


def apply_patch(rules: TypeRules, current: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The model after the patch, validated; InvalidRequestException when it does not apply or validate."""
    try:
        patched = jsonpatch.apply_patch(current, ops)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise invalid_request(f"Invalid patch document: {exc}") from None
    if not isinstance(patched, dict):
        raise invalid_request("Invalid patch document: the result is not a JSON object")
    validate_model(rules, patched, allow_read_only=True)
    return patched


def parse_identifier(rules: TypeRules, identifier: Any) -> dict[str, str] | None:
    """``A|B|C`` (primaryIdentifier order) or its JSON object form -> named parts; None when malformed.

    A malformed identifier (wrong arity, empty part, not a string) names no resource, so callers treat it
    as "not found", as the notes (section 6.3) recommend.
    """
    if not isinstance(identifier, str) or not identifier:
        return None
    if identifier.lstrip().startswith("{"):
        try:
            value = json.loads(identifier)
        except ValueError:
            return None
        if not isinstance(value, dict) or set(value) != set(rules.primary_identifier):
            return None
        if not all(isinstance(value[name], str) and value[name] for name in rules.primary_identifier):
            return None
        return {name: value[name] for name in rules.primary_identifier}
    return rules.split_identifier(identifier)
