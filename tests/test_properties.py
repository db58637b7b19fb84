"""Property-based tests (hypothesis) of the pure conversions: identifiers, column names and patches.

These are the places where one odd value (a '|' in an id, a '/' in a property name, a null inside an
object) would silently change what is sent or read, so they are checked on generated values, not on a
few examples.
"""

from __future__ import annotations

import copy
from typing import Any

import apsw
import jsonpatch
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtab.catalog.schema import ResourceSchema, load_schema, supported_types
from vtab.sqlite.table import Columns
from vtab.write.patch import PatchDocumentRules, diff_patch, pointer, top_level
from vtab.write.validate import RowRules

IR = load_schema("AWS::ApiGatewayV2::IntegrationResponse")

id_parts = st.text(min_size=1).filter(lambda part: "|" not in part and part.strip() != "")
"""What an id part can be: any text that is not blank and has no '|' (which joins the parts); odd
characters too. Writes refuse blank parts, and reads give them no row."""


@given(st.lists(id_parts, min_size=3, max_size=3))
def test_identifier_join_then_split_gives_the_parts_back(parts: list[str]) -> None:
    model = dict(zip(IR.primary_identifier, parts, strict=True))
    identifier = IR.identifier_of(model)
    assert IR.split_identifier(identifier) == model


@given(st.text())
def test_splitting_any_text_gives_its_parts_or_a_value_error(text: str) -> None:
    try:
        parts = IR.split_identifier(text)
    except ValueError as error:
        assert repr(text) in str(error)  # the message names the value
        return
    assert IR.identifier_of(parts) == text
    assert all(parts.values())


words = st.from_regex(r"[A-Z][a-z0-9]{0,6}", fullmatch=True)
property_names = st.lists(words, min_size=1, max_size=4).map("".join)
"""CloudFormation property names: capitalised words (ApiId, ResponseTemplates, Ipv6Address)."""


def _schema(names: list[str]) -> ResourceSchema:
    return ResourceSchema.from_json(
        {
            "typeName": "Test::Generated::Thing",
            "properties": {name: {"type": "string"} for name in names},
            "primaryIdentifier": [f"/properties/{names[0]}"],
        }
    )


@given(st.lists(property_names, min_size=1, max_size=8, unique=True))
def test_property_to_column_to_property_is_the_identity(names: list[str]) -> None:
    columns = Columns(_schema(names))
    for name in names:
        assert columns.property_of[IR.column_of(name)] == name


@pytest.mark.parametrize("type_name", supported_types())
def test_every_shipped_schema_maps_properties_to_distinct_columns(type_name: str) -> None:
    schema = load_schema(type_name)
    columns = Columns(schema)
    assert len({schema.column_of(p) for p in schema.properties}) == len(schema.properties)
    for prop in schema.properties:
        assert columns.property_of[schema.column_of(prop)] == prop


def test_properties_that_would_share_a_column_are_refused() -> None:
    with pytest.raises(ValueError, match=r"ApiID and ApiId would both be column api_id"):
        Columns(_schema(["ApiID", "ApiId"]))


json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
top_values = json_values.filter(lambda value: value is not None)
"""A property's value: any JSON but null at the top (a NULL column means the property is absent)."""
keys = st.text(alphabet="ab/~ 0", min_size=1, max_size=4)
"""Property names with the characters JSON Pointer escapes ('/', '~')."""
states = st.dictionaries(keys, top_values, max_size=5)


@given(states, states)
def test_the_update_patch_turns_the_old_state_into_the_new_one(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    changes = {key: new.get(key) for key in old.keys() | new.keys()}
    patch = diff_patch(old, changes)
    assert jsonpatch.apply_patch(copy.deepcopy(old), patch) == new
    assert {top_level(op["path"]) for op in patch} == {k for k in changes if old.get(k) != new.get(k)}


@given(states, states)
def test_a_patch_of_some_columns_changes_only_those(old: dict[str, Any], changes: dict[str, Any]) -> None:
    patch = diff_patch(old, changes)
    expected = {k: v for k, v in {**old, **changes}.items() if v is not None}
    assert jsonpatch.apply_patch(copy.deepcopy(old), patch) == expected


@given(keys)
def test_pointer_and_top_level_are_inverse(name: str) -> None:
    assert top_level(pointer(name)) == name


ops = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "frob"])},
    optional={
        "path": st.sampled_from(
            [
                "/ResponseTemplates",
                "/ResponseTemplates/a",
                "/ResponseTemplates/a/b",
                "/",
                "/IntegrationResponseKey",
                "/ResponseParameters/-",
                "",
                "x",
                "/~2",
            ]
        ),
        "from": st.sampled_from(
            ["/ResponseTemplates", "/ResponseTemplates/a", "/Nope", "/ResponseParameters"]
        ),
        "value": json_values,
    },
)
current = st.fixed_dictionaries(
    {"IntegrationResponseKey": st.just("$default"), "ApiId": st.just("a"), "IntegrationId": st.just("i")},
    optional={"ResponseTemplates": st.dictionaries(st.sampled_from("ab"), json_values, max_size=2)},
)


@given(st.lists(ops, max_size=3) | json_values, current)
def test_a_patch_document_is_accepted_or_refused_with_an_apsw_error(
    document: Any, row: dict[str, Any]
) -> None:
    rules = PatchDocumentRules(RowRules("t", IR, Columns(IR).property_of))
    text = orjson.dumps(document).decode()
    try:
        patch = rules.parse(text, row, "[t]")
    except apsw.Error as error:
        assert "data__PatchDocument" in str(error) or " = " in str(error)
        return
    jsonpatch.apply_patch(copy.deepcopy(row), patch)  # what was accepted applies
