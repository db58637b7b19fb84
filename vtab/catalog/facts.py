"""The compact facts of one resource type, cut from its CloudFormation registry schema.

A registry schema is 8 KB of JSON on average, most of it descriptions and nested definitions vtab does not
use. ``compact`` keeps what tables, walks and writes need: each top-level property's JSON type (with
``$ref``/``definitions`` resolved), enums, relationshipRefs, the identifier and property-kind lists, each
handler's IAM permissions, and the list handler's ``handlerSchema``. It is pure, so the generator and the
loader (for the hand-verified schemas in ``vtab/schemas``) share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vtab.catalog.checks import compiled_pattern

MAX_ENUM = 64
"""Enums longer than this are dropped (they cost space and no list input needs them)."""

CHECK_KEYWORDS = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems")
"""The JSON Schema limits a write checks (besides type, enum, pattern and required members)."""

CHECK_DEPTH = 6
"""How deep into objects and arrays the checks go (WAFv2's statements nest without end)."""

OPEN_ENUMS: dict[str, tuple[str, ...]] = {
    "AWS::Lambda::Function": ("Runtime",),
    "AWS::Lambda::LayerVersion": ("CompatibleRuntimes/*",),
    "AWS::Route53::HealthCheck": ("HealthCheckConfig/AlarmIdentifier/Region",),
}
"""Enums not checked (``*``: an array's items): lists AWS grows (Lambda's runtimes, the regions) that the
registry schema leaves open and cfn-lint's Smithy patches close with the values of their day. Checking them
would refuse the runtime Lambda adds next month, which AWS accepts."""

JSON_MAP_TYPES = frozenset({"object", "string"})
"""cfn-lint widens JSON-map properties to ``type: ["object", "string"]`` (with ``format: json``) so that
templates may give them as strings; the registry's type is ``object``, which is what Cloud Control returns."""


class Verb(StrEnum):
    """The five registry handlers, which are also the Cloud Control operations a type supports."""

    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    LIST = "list"


@dataclass(frozen=True)
class ListInput:
    """One property of the list handler's ``handlerSchema``: a key of ListResources' ``ResourceModel``.

    ``property_name`` is the resource property the input mirrors (its ``$ref`` target), which differs from
    ``name`` in a few types (APS::AnomalyDetector's input ``Arn`` is the ``Workspace`` property).
    """

    name: str
    property_name: str
    is_array: bool = False


@dataclass(frozen=True)
class ListSchema:
    """The list ``handlerSchema``: its inputs and which of them ListResources requires."""

    inputs: dict[str, ListInput]
    required: tuple[str, ...] = ()
    any_of: tuple[tuple[str, ...], ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()

    @property
    def needs_input(self) -> bool:
        """Whether a list without any ``ResourceModel`` fails (required inputs, or a choice of inputs)."""
        return bool(self.required or self.any_of or self.one_of)


@dataclass(frozen=True)
class TypeFacts:
    """What vtab knows of one resource type. Paths (read-only, create-only, write-only) are kept as
    ``Name`` or ``Name/Nested`` (the registry's ``/properties/`` prefix dropped)."""

    type_name: str
    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()
    create_only: tuple[str, ...] = ()
    write_only: tuple[str, ...] = ()
    primary_identifier: tuple[str, ...] = ()
    additional_identifiers: tuple[tuple[str, ...], ...] = ()
    permissions: dict[Verb, tuple[str, ...]] = field(default_factory=dict)
    list_schema: ListSchema | None = None

    @property
    def service(self) -> str:
        """``AWS::ApiGatewayV2::IntegrationResponse`` -> ``ApiGatewayV2``."""
        return self.type_name.split("::")[1]

    @property
    def resource(self) -> str:
        """``AWS::ApiGatewayV2::IntegrationResponse`` -> ``IntegrationResponse``."""
        return self.type_name.split("::")[2]

    @property
    def verbs(self) -> frozenset[Verb]:
        return frozenset(self.permissions)

    def relationships(self, prop: str) -> tuple[tuple[str, str], ...]:
        """(type name, property) pairs the property's relationshipRefs name."""
        refs = self.properties.get(prop, {}).get("relationshipRef", ())
        return tuple((ref[0], ref[1]) for ref in refs)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"typeName": self.type_name, "properties": self.properties}
        for key, value in (
            ("required", list(self.required)),
            ("readOnly", list(self.read_only)),
            ("createOnly", list(self.create_only)),
            ("writeOnly", list(self.write_only)),
            ("primaryIdentifier", list(self.primary_identifier)),
            ("additionalIdentifiers", [list(ids) for ids in self.additional_identifiers]),
            ("permissions", {verb.value: list(perms) for verb, perms in self.permissions.items()}),
        ):
            if value:
                doc[key] = value
        if self.list_schema is not None:
            doc["listSchema"] = _list_schema_json(self.list_schema)
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> TypeFacts:
        listing = doc.get("listSchema")
        return cls(
            type_name=doc["typeName"],
            properties=dict(doc["properties"]),
            required=tuple(doc.get("required", ())),
            read_only=tuple(doc.get("readOnly", ())),
            create_only=tuple(doc.get("createOnly", ())),
            write_only=tuple(doc.get("writeOnly", ())),
            primary_identifier=tuple(doc.get("primaryIdentifier", ())),
            additional_identifiers=tuple(tuple(ids) for ids in doc.get("additionalIdentifiers", ())),
            permissions={Verb(verb): tuple(perms) for verb, perms in doc.get("permissions", {}).items()},
            list_schema=None if listing is None else _list_schema_of(listing),
        )


def _list_schema_json(schema: ListSchema) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for name, item in schema.inputs.items():
        entry: dict[str, Any] = {}
        if item.property_name != name:
            entry["property"] = item.property_name
        if item.is_array:
            entry["array"] = True
        inputs[name] = entry
    doc: dict[str, Any] = {"inputs": inputs}
    for key, groups in (("anyOf", schema.any_of), ("oneOf", schema.one_of)):
        if groups:
            doc[key] = [list(group) for group in groups]
    if schema.required:
        doc["required"] = list(schema.required)
    return doc


def _list_schema_of(doc: Mapping[str, Any]) -> ListSchema:
    return ListSchema(
        inputs={
            name: ListInput(name, entry.get("property", name), bool(entry.get("array", False)))
            for name, entry in doc["inputs"].items()
        },
        required=tuple(doc.get("required", ())),
        any_of=tuple(tuple(group) for group in doc.get("anyOf", ())),
        one_of=tuple(tuple(group) for group in doc.get("oneOf", ())),
    )


# -- compaction ---------------------------------------------------------------------------------------


def compact(schema: Mapping[str, Any]) -> TypeFacts:
    """The facts of one registry schema (as published, or as cfn-lint patched it)."""
    resolver = _Resolver(schema)
    properties = {name: resolver.property_facts(spec) for name, spec in schema.get("properties", {}).items()}
    open_enums(properties, OPEN_ENUMS.get(schema["typeName"], ()))
    handlers: Mapping[str, Any] = schema.get("handlers", {})
    listing = handlers.get("list", {}).get("handlerSchema")
    return TypeFacts(
        type_name=schema["typeName"],
        properties=properties,
        required=tuple(schema.get("required", ())),
        read_only=_paths(schema.get("readOnlyProperties", ())),
        create_only=_paths(schema.get("createOnlyProperties", ())),
        write_only=_paths(schema.get("writeOnlyProperties", ())),
        primary_identifier=_paths(schema.get("primaryIdentifier", ())),
        additional_identifiers=tuple(_paths(ids) for ids in schema.get("additionalIdentifiers", ())),
        permissions={Verb(verb): tuple(spec.get("permissions", ())) for verb, spec in handlers.items()},
        list_schema=None if listing is None else _list_schema(listing),
    )


def open_enums(properties: dict[str, dict[str, Any]], paths: Iterable[str]) -> None:
    """Drops the enum at each ``Prop/Member/*`` path of a type's property facts (see OPEN_ENUMS)."""
    for path in paths:
        name, *members = path.split("/")
        node = properties.get(name)
        if node is None:
            continue
        if not members:
            node.pop("enum", None)
        node = node.get("check", {})
        for member in members:
            node = node.get("items" if member == "*" else "properties", {})
            node = node if member == "*" else node.get(member, {})
        node.pop("enum", None)


def _paths(paths: Iterable[str]) -> tuple[str, ...]:
    """``/properties/A/B`` -> ``A/B``."""
    return tuple(path.removeprefix("/properties/") for path in paths)


def _ref_property(ref: str) -> str | None:
    """``resource-schema.json#/properties/Workspace`` -> ``Workspace``."""
    head, _, name = ref.rpartition("/properties/")
    return name if head and "/" not in name else None


def _list_schema(doc: Mapping[str, Any]) -> ListSchema:
    inputs = {}
    for name, spec in doc.get("properties", {}).items():
        is_array = spec.get("type") == "array"
        ref = (spec.get("items", {}) if is_array else spec).get("$ref", "")
        inputs[name] = ListInput(name, _ref_property(ref) or name, is_array)
    return ListSchema(
        inputs=inputs,
        required=tuple(doc.get("required", ())),
        any_of=tuple(tuple(branch.get("required", ())) for branch in doc.get("anyOf", ())),
        one_of=tuple(tuple(branch.get("required", ())) for branch in doc.get("oneOf", ())),
    )


class _Resolver:
    """Resolves a schema's local ``#/definitions/...`` references far enough to know a JSON type."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.definitions: Mapping[str, Any] = schema.get("definitions", {})

    def deref(self, spec: Mapping[str, Any], seen: frozenset[str] = frozenset()) -> Mapping[str, Any]:
        ref = spec.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/definitions/") or ref in seen:
            return spec
        target = self.definitions.get(ref.removeprefix("#/definitions/"))
        if target is None:
            return spec
        merged = {**target, **{key: value for key, value in spec.items() if key != "$ref"}}
        return self.deref(merged, seen | {ref})

    def json_types(self, spec: Mapping[str, Any], depth: int = 0) -> frozenset[str]:
        """The JSON types a value of ``spec`` may have (empty: anything)."""
        spec = self.deref(spec)
        kind = spec.get("type")
        if isinstance(kind, str):
            return frozenset({kind})
        if isinstance(kind, list):
            kinds = frozenset(kind)
            return frozenset({"object"}) if kinds == JSON_MAP_TYPES else kinds
        branches = [branch for key in ("oneOf", "anyOf") for branch in spec.get(key, ())]
        if branches and depth < 8:
            kinds = frozenset().union(*(self.json_types(branch, depth + 1) for branch in branches))
            if kinds:
                return kinds
        for branch in spec.get("allOf", ()) if depth < 8 else ():
            kinds = self.json_types(branch, depth + 1)
            if kinds:
                return kinds
        if "properties" in spec or "patternProperties" in spec or spec.get("format") == "json":
            return frozenset({"object"})
        if "items" in spec:
            return frozenset({"array"})
        return frozenset()

    def json_type(self, spec: Mapping[str, Any]) -> str | None:
        """One JSON type for a column, or None when the schema allows several (the column is untyped)."""
        kinds = self.json_types(spec)
        if kinds == {"integer", "number"}:
            return "number"
        if kinds >= JSON_MAP_TYPES and kinds <= JSON_MAP_TYPES | {"array"}:
            return "object"
        return next(iter(kinds)) if len(kinds) == 1 else None

    def property_facts(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        kind = self.json_type(spec)
        if kind is not None:
            facts["type"] = kind
        resolved = self.deref(spec)
        enum = resolved.get("enum")
        if isinstance(enum, list) and 0 < len(enum) <= MAX_ENUM:
            facts["enum"] = enum
        refs = self._relationships(spec)
        if refs:
            facts["relationshipRef"] = refs
        check = self.check(spec, top=True)
        if check:
            facts["check"] = check
        return facts

    def check(self, spec: Mapping[str, Any], depth: int = 0, *, top: bool = False) -> dict[str, Any]:
        """The rules a value of ``spec`` must keep that a write can check before sending: length, range,
        item count and pattern limits, and inside objects and arrays each member's type, enum and rules
        (down to CHECK_DEPTH levels). A top-level property's type and enum are its own facts, not here."""
        spec = self.deref(spec)
        rules: dict[str, Any] = {}
        kind = self.json_type(spec)
        if top and kind is None and self.json_types(spec):
            rules["type"] = sorted(self.json_types(spec))  # several (DynamoDB's KeySchema: array, object)
        if not top:
            if kind is not None and frozenset(self.json_types(spec)) != JSON_MAP_TYPES:
                rules["type"] = kind
            enum = spec.get("enum")
            if isinstance(enum, list) and 0 < len(enum) <= MAX_ENUM:
                rules["enum"] = enum
        for key in CHECK_KEYWORDS:
            value = spec.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                rules[key] = value
        pattern = spec.get("pattern")
        if isinstance(pattern, str) and compiled_pattern(pattern) is not None:
            rules["pattern"] = pattern
        if depth >= CHECK_DEPTH:
            return rules
        members = {
            name: member
            for name, sub in spec.get("properties", {}).items()
            if isinstance(sub, Mapping) and (member := self.check(sub, depth + 1))
        }
        if members:
            rules["properties"] = members
        required = spec.get("required")
        if isinstance(required, list) and required and "properties" in spec:
            rules["required"] = [name for name in required if isinstance(name, str)]
        items = spec.get("items")
        if isinstance(items, Mapping):
            item_rules = self.check(items, depth + 1)
            if item_rules:
                rules["items"] = item_rules
        return rules

    def _relationships(self, spec: Mapping[str, Any]) -> list[list[str]]:
        """relationshipRefs of the property, of its array items, and of its oneOf/anyOf branches."""
        spec = self.deref(spec)
        found = []
        candidates = [spec, self.deref(spec.get("items", {}))]
        candidates += [self.deref(branch) for key in ("oneOf", "anyOf") for branch in spec.get(key, ())]
        for candidate in candidates:
            ref = candidate.get("relationshipRef")
            if isinstance(ref, dict) and "typeName" in ref:
                pair = [ref["typeName"], _paths([ref.get("propertyPath", "")])[0]]
                if pair not in found:
                    found.append(pair)
        return found
