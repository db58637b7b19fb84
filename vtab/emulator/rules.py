"""The facts of one type that Cloud Control itself enforces, whichever provider serves the type.

Cloud Control checks DesiredState, PatchDocument and Identifier against the registry schema before a
handler runs; :class:`TypeRules` is that part of the schema, built either from a hand-verified schema
(the moto-backed ApiGatewayV2 types) or from the catalog's compact facts (every other type), so one
validator and one identifier parser serve both kinds of provider.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from vtab.catalog.facts import TypeFacts
from vtab.catalog.schema import JSON_TYPES, ResourceSchema, member_paths, read_view, whole_properties


def property_rules(spec: dict[str, Any]) -> dict[str, Any]:
    """The checkable part of a property: its JSON type (when one), its enum, and its ``check`` facts
    (limits, pattern, and inside objects and arrays each member's type, enum and required members)."""
    rules: dict[str, Any] = dict(spec.get("check", {}))
    kind = spec.get("type")
    if isinstance(kind, str) and kind in JSON_TYPES:
        rules["type"] = kind
    enum = spec.get("enum")
    if isinstance(enum, list) and enum:
        rules["enum"] = list(enum)
    return rules


@dataclass(frozen=True, eq=False)
class TypeRules:
    """Properties (JSON type, enum), required, read-only / create-only / write-only top-level properties,
    and the primary identifier (parts may be nested paths such as ``Schedule/ScheduleId``).

    Compared and hashed by identity: one instance per type, so validators can be cached per instance."""

    type_name: str
    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...]
    read_only: frozenset[str]
    create_only: frozenset[str]
    write_only: frozenset[str]
    primary_identifier: tuple[str, ...]
    additional_identifiers: tuple[tuple[str, ...], ...] = ()
    additional_properties: bool = False
    write_only_members: tuple[tuple[str, ...], ...] = ()
    """Write-only members (``Code/S3Key`` as parts): a read shows their property without them."""

    @classmethod
    def from_schema(cls, schema: ResourceSchema) -> TypeRules:
        return cls(
            type_name=schema.type_name,
            properties={name: property_rules(spec) for name, spec in schema.properties.items()},
            required=schema.required,
            read_only=schema.read_only,
            create_only=schema.create_only,
            write_only=schema.write_only,
            write_only_members=schema.write_only_members,
            primary_identifier=schema.primary_identifier,
            additional_properties=schema.additional_properties,
        )

    @classmethod
    def from_facts(cls, facts: TypeFacts) -> TypeRules:
        """Registry schemas of AWS types forbid additional properties; a required property that is also
        read-only (a schema slip) is not demanded of DesiredState."""
        read_only = whole_properties(facts.read_only)
        return cls(
            type_name=facts.type_name,
            properties={name: property_rules(spec) for name, spec in facts.properties.items()},
            required=tuple(name for name in facts.required if name not in read_only),
            read_only=read_only,
            create_only=whole_properties(facts.create_only),
            write_only=whole_properties(facts.write_only),
            write_only_members=member_paths(facts.write_only),
            primary_identifier=facts.primary_identifier,
            additional_identifiers=facts.additional_identifiers,
        )

    @functools.cached_property
    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema a DesiredState (or a patched model) must satisfy."""
        return {
            "type": "object",
            "properties": self.properties,
            "required": list(self.required),
            "additionalProperties": self.additional_properties,
        }

    def as_read(self, model: dict[str, Any]) -> dict[str, Any]:
        """``model`` as a read handler returns it: nulls, write-only properties and members left out."""
        return read_view(model, self.write_only, self.write_only_members)

    def value_at(self, model: dict[str, Any], path: str) -> Any:
        """The value of property path ``A`` or ``A/B`` in ``model``, or None."""
        if path in model:
            return model[path]
        value: Any = model
        for part in path.split("/"):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    def identifier_of(self, model: dict[str, Any]) -> str:
        """``A|B|C``: the primary identifier values in primaryIdentifier order."""
        return "|".join(str(self.value_at(model, name)) for name in self.primary_identifier)

    def has_identifier(self, model: dict[str, Any]) -> bool:
        return all(self.value_at(model, name) not in (None, "") for name in self.primary_identifier)

    def split_identifier(self, identifier: str) -> dict[str, str] | None:
        """``A|B|C`` -> named parts (one part: the identifier whole); None when the arity is wrong or a part
        is empty."""
        parts = identifier.split("|") if len(self.primary_identifier) > 1 else [identifier]
        if len(parts) != len(self.primary_identifier) or not all(parts):
            return None
        return dict(zip(self.primary_identifier, parts, strict=True))
