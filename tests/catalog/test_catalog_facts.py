"""Compaction of registry schemas into TypeFacts: types resolved through $ref, cfn-lint's patches undone."""

from __future__ import annotations

from typing import Any

from vtab.catalog.facts import ListInput, TypeFacts, Verb, compact

SCHEMA: dict[str, Any] = {
    "typeName": "AWS::Demo::Child",
    "definitions": {
        "Config": {"type": "object", "properties": {"A": {"type": "string"}}},
        "Mode": {"type": "string", "enum": ["ON", "OFF"]},
        "Alias": {"$ref": "#/definitions/Mode"},
        "Loop": {"$ref": "#/definitions/Loop"},
    },
    "properties": {
        "ParentId": {
            "type": "string",
            "relationshipRef": {"typeName": "AWS::Demo::Parent", "propertyPath": "/properties/Id"},
        },
        "Config": {"$ref": "#/definitions/Config", "description": "dropped"},
        "Mode": {"$ref": "#/definitions/Alias"},
        "Map": {"type": ["object", "string"], "format": "json"},
        "Either": {"type": ["string", "integer"]},
        "Count": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
        "Policy": {"format": "json", "maxLength": 10},
        "Items": {"items": {"type": "string"}},
        "Tags": {"patternProperties": {"^.+$": {"type": "string"}}},
        "Anything": {},
        "Loop": {"$ref": "#/definitions/Loop"},
        "Gateway": {
            "anyOf": [
                {
                    "relationshipRef": {
                        "typeName": "AWS::EC2::VPNGateway",
                        "propertyPath": "/properties/VPNGatewayId",
                    }
                },
                {
                    "relationshipRef": {
                        "typeName": "AWS::EC2::TransitGateway",
                        "propertyPath": "/properties/Id",
                    }
                },
            ]
        },
        "Id": {"type": "string"},
    },
    "required": ["ParentId"],
    "readOnlyProperties": ["/properties/Id", "/properties/Config/A"],
    "createOnlyProperties": ["/properties/ParentId"],
    "primaryIdentifier": ["/properties/ParentId", "/properties/Id"],
    "additionalIdentifiers": [["/properties/Gateway"]],
    "handlers": {
        "create": {"permissions": ["demo:Create"]},
        "list": {
            "permissions": ["demo:List"],
            "handlerSchema": {
                "properties": {
                    "Workspace": {"$ref": "resource-schema.json#/properties/ParentId"},
                    "Ids": {"type": "array", "items": {"$ref": "resource-schema.json#/properties/Id"}},
                },
                "oneOf": [{"required": ["Workspace"]}, {"required": ["Ids"]}],
            },
        },
    },
}


def test_property_types_are_resolved_through_refs_and_combinators() -> None:
    facts = compact(SCHEMA)
    kinds = {name: spec.get("type") for name, spec in facts.properties.items()}
    assert kinds == {
        "ParentId": "string",
        "Config": "object",
        "Mode": "string",
        "Map": "object",  # cfn-lint's ["object", "string"] patch undone
        "Either": None,  # two real types: the column stays untyped
        "Count": "number",
        "Policy": "object",  # format json without a type
        "Items": "array",
        "Tags": "object",
        "Anything": None,
        "Loop": None,  # a self-referencing definition does not recurse forever
        "Gateway": None,
        "Id": "string",
    }
    assert facts.properties["Mode"]["enum"] == ["ON", "OFF"]
    assert "description" not in facts.properties["Config"]


def test_relationship_refs_are_kept_from_the_property_and_its_branches() -> None:
    facts = compact(SCHEMA)
    assert facts.relationships("ParentId") == (("AWS::Demo::Parent", "Id"),)
    assert facts.relationships("Gateway") == (
        ("AWS::EC2::VPNGateway", "VPNGatewayId"),
        ("AWS::EC2::TransitGateway", "Id"),
    )
    assert facts.relationships("Id") == ()


def test_identifiers_paths_and_handlers() -> None:
    facts = compact(SCHEMA)
    assert facts.primary_identifier == ("ParentId", "Id")
    assert facts.additional_identifiers == (("Gateway",),)
    assert facts.read_only == ("Id", "Config/A")
    assert facts.create_only == ("ParentId",)
    assert facts.permissions == {Verb.CREATE: ("demo:Create",), Verb.LIST: ("demo:List",)}
    assert facts.verbs == {Verb.CREATE, Verb.LIST}
    assert (facts.service, facts.resource) == ("Demo", "Child")


def test_list_handler_schema_inputs_name_the_property_they_mirror() -> None:
    listing = compact(SCHEMA).list_schema
    assert listing is not None
    assert listing.inputs == {
        "Workspace": ListInput("Workspace", "ParentId"),
        "Ids": ListInput("Ids", "Id", is_array=True),
    }
    assert listing.one_of == (("Workspace",), ("Ids",))
    assert listing.required == ()
    assert listing.needs_input


def test_facts_survive_the_json_round_trip() -> None:
    facts = compact(SCHEMA)
    assert TypeFacts.from_json(facts.to_json()) == facts
    bare = compact({"typeName": "AWS::Demo::Bare", "properties": {}, "primaryIdentifier": ["/properties/Id"]})
    assert bare.to_json() == {"typeName": "AWS::Demo::Bare", "properties": {}, "primaryIdentifier": ["Id"]}
    assert TypeFacts.from_json(bare.to_json()) == bare
