"""Synchronous request validation, driven by the registry schema (``vtab.schema.load_schema``).

Cloud Control checks DesiredState against the type's schema and PatchDocument against RFC 6902 and the
create-only / read-only lists before it hands anything to a handler; these checks answer synchronously.
"""

from __future__ import annotations

import json
from typing import Any

import jsonpatch

from vtab.emulator.errors import CloudControlError, invalid_request
from vtab.schema import JSON_TYPES, ResourceSchema, is_json_type

_TYPE_NAMES = {dict: "JSONObject", list: "JSONArray", str: "String", bool: "Boolean", int: "Integer"}
_PATCH_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


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


def model_errors(schema: ResourceSchema, model: dict[str, Any], *, allow_read_only: bool) -> list[str]:
    """Schema violations of a resource model, in the everit-style wording CloudFormation uses."""
    errors = []
    for name in schema.required:
        if model.get(name) is None:
            errors.append(f"#: required key [{name}] not found")
    for name, value in model.items():
        spec = schema.properties.get(name)
        if spec is None:
            if not schema.additional_properties:
                errors.append(f"#: extraneous key [{name}] is not permitted")
            continue
        if name in schema.read_only and not allow_read_only:
            errors.append(f"#: read-only property [/properties/{name}] cannot be set")
            continue
        if value is None:
            continue
        expected = spec.get("type")
        if isinstance(expected, str) and expected in JSON_TYPES and not is_json_type(value, expected):
            errors.append(f"#/{name}: expected type: {expected.capitalize()}, found: {_type_name(value)}")
            continue
        enum = schema.enum(name)
        if enum is not None and value not in enum:
            errors.append(f"#/{name}: {value} is not a valid enum value")
    return errors


def validate_model(schema: ResourceSchema, model: dict[str, Any], *, allow_read_only: bool = False) -> None:
    """InvalidRequestException listing every violation, or nothing."""
    errors = model_errors(schema, model, allow_read_only=allow_read_only)
    if errors:
        raise invalid_request(f"Model validation failed ({', '.join(errors)})")


def _top_level(pointer: str) -> str | None:
    """``/ResponseTemplates/application~1json`` -> ``ResponseTemplates``; ``""`` (whole document) -> None."""
    if pointer == "":
        return None
    return pointer.split("/")[1].replace("~1", "/").replace("~0", "~")


def parse_patch(schema: ResourceSchema, text: Any) -> list[dict[str, Any]]:
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
            if name in schema.create_only:
                raise CloudControlError(
                    "NotUpdatableException",
                    f"Invalid patch update: createOnlyProperties [/properties/{name}] cannot be updated",
                )
            if name in schema.read_only:
                raise CloudControlError(
                    "NotUpdatableException",
                    f"Invalid patch update: readOnlyProperties [/properties/{name}] cannot be updated",
                )
            if name not in schema.properties and not schema.additional_properties:
                raise invalid_request(
                    f"Model validation failed (#: extraneous key [{name}] is not permitted)"
                )
    return ops


def apply_patch(schema: ResourceSchema, current: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The model after the patch, validated; InvalidRequestException when it does not apply or validate."""
    try:
        patched = jsonpatch.apply_patch(current, ops)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise invalid_request(f"Invalid patch document: {exc}") from None
    if not isinstance(patched, dict):
        raise invalid_request("Invalid patch document: the result is not a JSON object")
    validate_model(schema, patched, allow_read_only=True)
    return patched


def parse_identifier(schema: ResourceSchema, identifier: Any) -> dict[str, str] | None:
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
        if not isinstance(value, dict) or set(value) != set(schema.primary_identifier):
            return None
        if not all(isinstance(value[name], str) and value[name] for name in schema.primary_identifier):
            return None
        return {name: value[name] for name in schema.primary_identifier}
    try:
        return schema.split_identifier(identifier)
    except ValueError:
        return None
