"""What each column of a resource table takes, before the first try: the rows of ``vtab_columns``, the
comments of the shell's ``.schema`` and the lines of ``vtab describe``, from the schema alone (no call).

One row per column a ``SELECT *`` shows (the properties in schema order, then ``region``) and vtab's two
hidden ones (``data__Identifier``, ``data__PatchDocument``). The hidden spellings of a property
(``ApiId``, StackQL's ``e_ip``) are the same column and are not repeated.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from vtab.catalog.columns import IDENTIFIER, PATCH_DOCUMENT, REGION
from vtab.catalog.schema import InputSource, ResourceSchema

COLUMN_FACT_NAMES = (
    "table",
    "column",
    "property",
    "type",
    "required",
    "read_only",
    "create_only",
    "write_only",
    "list_input",
    "description",
)
"""The columns of ``vtab_columns`` (``table`` and ``column`` are SQL keywords: write ``"table"``)."""

OWN_DESCRIPTIONS = {
    REGION: "the AWS region of the row; an INSERT may leave it out when one region is configured",
    IDENTIFIER: "Cloud Control's identifier of the resource (hidden; also named Identifier): "
    "WHERE data__Identifier = '...' reads one resource; AWS sets it",
    PATCH_DOCUMENT: "a JSON Patch document (hidden, write-only; also named PatchDocument): "
    "UPDATE ... SET data__PatchDocument = '[...]' sends it as it is",
}


@dataclasses.dataclass(frozen=True)
class ColumnFacts:
    """One column of a resource table and what a write may do with it."""

    table: str
    column: str
    property: str | None
    """The Cloud Control property (None for vtab's own columns)."""
    type: str
    """The property's JSON type (string, integer, number, boolean, object, array; '' when several)."""
    required: bool
    read_only: bool
    create_only: bool
    write_only: bool
    list_input: str | None
    """Where a listing's value of the column comes from (an InputSource: parent, values, account_id,
    where), None when a listing does not need it."""
    description: str

    def row(self) -> tuple[Any, ...]:
        """The ``vtab_columns`` row (booleans as 0/1)."""
        return tuple(int(value) if isinstance(value, bool) else value for value in dataclasses.astuple(self))

    def flags(self) -> list[str]:
        """What a write must know, as ``.schema`` comments and ``vtab describe`` say it."""
        named = [
            ("required", self.required),
            ("read-only", self.read_only),
            ("create-only", self.create_only),
            ("write-only", self.write_only),
        ]
        words = [word for word, on in named if on]
        if self.list_input:
            words.append(f"list input ({self.list_input})")
        return words


def column_facts(table: str, schema: ResourceSchema) -> list[ColumnFacts]:
    """The columns of ``table`` (of ``schema``'s type), in the order the table declares them."""
    inputs: dict[str, InputSource] = {}
    for item in schema.list_inputs:
        for prop in item.holders:
            inputs.setdefault(prop, item.source)
    facts = [
        ColumnFacts(
            table=table,
            column=schema.column_of(prop),
            property=prop,
            type=_json_type(spec),
            required=prop in schema.required,
            read_only=prop in schema.read_only,
            create_only=prop in schema.create_only,
            write_only=prop in schema.write_only,
            list_input=inputs[prop].value if prop in inputs else None,
            description=_description(schema, prop, spec, inputs.get(prop)),
        )
        for prop, spec in schema.properties.items()
    ]
    facts += [
        ColumnFacts(
            table=table,
            column=name,
            property=None,
            type="string",
            required=False,
            read_only=name == IDENTIFIER,
            create_only=False,
            write_only=name == PATCH_DOCUMENT,
            list_input=None,
            description=OWN_DESCRIPTIONS[name],
        )
        for name in (REGION, IDENTIFIER, PATCH_DOCUMENT)
    ]
    return facts


def _json_type(spec: dict[str, Any]) -> str:
    kind = spec.get("type")
    return kind if isinstance(kind, str) else ""


def _description(schema: ResourceSchema, prop: str, spec: dict[str, Any], source: InputSource | None) -> str:
    """The schema's own description where it has one; else what its rules say (values, lengths, the
    members of an object), and where a listing takes the value from."""
    parts = [str(spec["description"])] if spec.get("description") else []
    check = spec.get("check", {})
    if spec.get("enum"):
        parts.append("one of " + ", ".join(str(value) for value in spec["enum"]))
    if "minLength" in check or "maxLength" in check:
        parts.append(f"{check.get('minLength', 0)} to {check.get('maxLength', 'any')} characters")
    if "minimum" in check or "maximum" in check:
        parts.append(f"from {check.get('minimum', 'any')} to {check.get('maximum', 'any')}")
    if "pattern" in check:
        parts.append(f"matching {check['pattern']}")
    members = check.get("properties") or check.get("items", {}).get("properties")
    if spec.get("type") in ("object", "array"):
        shape = "a JSON object" if spec.get("type") == "object" else "a JSON array"
        if members:
            required = set(check.get("required") or check.get("items", {}).get("required") or ())
            keys = ", ".join(f"{key}{' (required)' if key in required else ''}" for key in members)
            shape += f" of objects with {keys}" if spec.get("type") == "array" else f" with {keys}"
        parts.append(shape + " as text")
    if prop in schema.account_properties:
        parts.append("an INSERT that leaves it NULL gets the caller's account id")
    if source is InputSource.WHERE:
        parts.append("a SELECT must give it in WHERE")
    elif source is InputSource.PARENT:
        parts.append("a listing walks its parent for it")
    return "; ".join(parts)
