"""Pure logic of the catalog-type provider: rules from facts, list inputs, model errors, generated values."""

from __future__ import annotations

from random import Random

import pytest

from vtab.catalog import load_catalog
from vtab.catalog.facts import TypeFacts
from vtab.emulator.errors import CloudControlError
from vtab.emulator.ids import Draw, default_value, identifier_value
from vtab.emulator.memory import derived_from, list_inputs_of
from vtab.emulator.provider import ListInputs
from vtab.emulator.rules import TypeRules
from vtab.emulator.seed_types import ancestors, example_value
from vtab.emulator.validation import model_errors, parse_identifier

RNG = Random(0)

FACTS = TypeFacts(
    type_name="AWS::Demo::Widget",
    properties={
        "Name": {"type": "string"},
        "Size": {"type": "integer"},
        "Kind": {"type": "string", "enum": ["A", "B"]},
        "Arn": {"type": "string"},
        "Config": {"type": "object"},
        "Secret": {"type": "string"},
        "ConfigId": {"type": "string"},
        "ConfigIdentifier": {"type": "string"},
    },
    required=("Name", "Arn"),
    read_only=("Arn", "ConfigId", "Config/Version"),
    create_only=("Name", "Config/Mode"),
    write_only=("Secret",),
    primary_identifier=("Arn",),
)


def test_rules_from_facts_keep_whole_top_level_paths_and_drop_read_only_from_required() -> None:
    rules = TypeRules.from_facts(FACTS)
    assert rules.required == ("Name",)
    assert rules.read_only == {"Arn", "ConfigId"}
    assert rules.create_only == {"Name"}
    assert rules.json_schema["additionalProperties"] is False


def test_model_errors_are_worded_like_cloudformation_and_ordered() -> None:
    rules = TypeRules.from_facts(FACTS)
    model = {"Size": 1.0, "Kind": "C", "Arn": "x", "Extra": 1, "Name": None}
    assert model_errors(rules, model, allow_read_only=False) == [
        "#: required key [Name] not found",
        "#/Size: expected type: Integer, found: Number",
        "#/Kind: C is not a valid enum value",
        "#: read-only property [/properties/Arn] cannot be set",
        "#: extraneous key [Extra] is not permitted",
    ]
    assert model_errors(rules, {"Name": "n", "Size": True}, allow_read_only=False) == [
        "#/Size: expected type: Integer, found: Boolean"
    ]
    assert model_errors(rules, {"Name": "n", "Arn": "x"}, allow_read_only=True) == []


def test_identifiers_split_in_primary_identifier_order() -> None:
    rules = TypeRules.from_facts(load_catalog().facts("AWS::Logs::LogStream"))
    assert parse_identifier(rules, "g|s") == {"LogGroupName": "g", "LogStreamName": "s"}
    assert parse_identifier(rules, '{"LogGroupName": "g", "LogStreamName": "s"}') == {
        "LogGroupName": "g",
        "LogStreamName": "s",
    }
    for bad in ("g", "g|", "g|s|t", "", '{"LogGroupName": "g"}'):
        assert parse_identifier(rules, bad) is None
    nested = TypeRules.from_facts(load_catalog().facts("AWS::S3::StorageLens"))
    assert nested.identifier_of({"StorageLensConfiguration": {"Id": "lens"}}) == "lens"


def test_list_inputs_demand_required_keys_or_one_branch() -> None:
    inputs = ListInputs(required=("A",), choices=(("B",), ("C", "D")), one_of=True, optional=("E",))
    assert inputs.given("T", {"A": "a", "C": "c", "D": "d", "E": "e", "F": "f"}) == {
        "A": "a",
        "C": "c",
        "D": "d",
        "E": "e",
    }
    with pytest.raises(CloudControlError) as info:
        inputs.given("T", {"A": "", "C": "c"})
    assert info.value.message == (
        "Missing or invalid ResourceModel property in T list handler request input.Required property: "
        "(#: required key [A] not found, #: 0 subschemas matched instead of one "
        "(#: required key [B] not found, #: required key [D] not found))"
    )


def test_list_inputs_come_from_the_handler_schema_or_the_derived_walk() -> None:
    catalog = load_catalog()

    def of(type_name: str) -> ListInputs:
        return list_inputs_of(catalog.facts(type_name), catalog.entry(type_name))

    assert of("AWS::EKS::Nodegroup") == ListInputs(required=("ClusterName",))
    assert of("AWS::ApiGatewayV2::IntegrationResponse").required == ("ApiId", "IntegrationId")
    listener = of("AWS::ElasticLoadBalancingV2::Listener")
    assert listener.choices == (("LoadBalancerArn",), ("ListenerArns",)) and listener.one_of
    assert of("AWS::EKS::Cluster") == ListInputs()


def test_read_only_ids_are_derived_from_the_writable_property_of_the_same_name() -> None:
    read_only = frozenset({"Arn", "ConfigId"})
    assert derived_from(FACTS, read_only, "ConfigId") == "ConfigIdentifier"
    assert derived_from(FACTS, read_only, "Arn") is None
    facts = load_catalog().facts("AWS::DataZone::Project")
    assert derived_from(facts, frozenset(facts.read_only), "DomainId") == "DomainIdentifier"


def test_generated_values_are_plausible() -> None:
    assert identifier_value(Draw(RNG, "AWS::EKS::Nodegroup", "eu-west-1"), "Arn", {}).startswith(
        "arn:aws:eks:eu-west-1:123456789012:nodegroup/"
    )
    assert identifier_value(
        Draw(RNG, "AWS::S3::Bucket", "us-east-1"), "BucketName", {"type": "string"}
    ).startswith("bucket-")
    assert isinstance(
        identifier_value(Draw(RNG, "AWS::X::Y", "us-east-1"), "Number", {"type": "integer"}), int
    )
    assert (
        identifier_value(Draw(RNG, "AWS::X::Y", "us-east-1"), "Scope", {"enum": ["REGIONAL", "CLOUDFRONT"]})
        == "REGIONAL"
    )
    assert default_value(Draw(RNG, "AWS::X::Y", "us-east-1"), "CreatedAt", {"type": "string"}).endswith("Z")
    assert default_value(Draw(RNG, "AWS::X::Y", "us-east-1"), "Endpoint", {"type": "string"}) is None
    assert default_value(Draw(RNG, "AWS::X::Y", "us-east-1"), "Config", {"type": "object"}) is None


def test_example_values_have_the_property_type() -> None:
    assert example_value("NodeRole", {"type": "string"}, 3) == "node-role-3"
    assert example_value("Size", {"type": "integer"}, 3) == 4
    assert example_value("Kind", {"type": "string", "enum": ["A", "B"]}, 3) == "A"
    assert example_value("Tags", {"type": "array"}, 0) == []


def test_ancestors_follow_the_walk_outermost_first() -> None:
    assert ancestors("AWS::DataZone::EnvironmentActions") == [
        "AWS::DataZone::Domain",
        "AWS::DataZone::Project",
        "AWS::DataZone::Environment",
    ]
    assert ancestors("AWS::EKS::Cluster") == []
