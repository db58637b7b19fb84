"""ResourceSchema from the catalog's facts, and the planner's walk start: pure logic, no endpoint."""

from __future__ import annotations

from vtab.catalog import load_catalog
from vtab.catalog.schema import InputSource, ResourceSchema, load_schema, without_member
from vtab.read.plan import missing_where, walk_start

CATALOG = load_catalog()
IR = "AWS::ApiGatewayV2::IntegrationResponse"


def generated(type_name: str) -> ResourceSchema:
    """The schema from_facts makes (even for a hand-verified type)."""
    entry = CATALOG.entry(type_name)
    return ResourceSchema.from_facts(CATALOG.facts(type_name), entry.plan, entry.table or "")


def test_the_derived_integration_response_schema_walks_like_the_hand_verified_one() -> None:
    derived, verified = generated(IR), load_schema(IR)
    assert derived.list_requires == verified.list_requires == ("ApiId", "IntegrationId")
    assert derived.parents == verified.parents  # Api (WebSocket only) -> Integration
    assert derived.primary_identifier == verified.primary_identifier
    assert derived.create_only == verified.create_only and derived.read_only == verified.read_only
    assert [(i.parent, i.parent_property) for i in derived.list_inputs] == [
        ("AWS::ApiGatewayV2::Api", "ApiId"),
        ("AWS::ApiGatewayV2::Integration", "IntegrationId"),
    ]


def test_a_parent_property_named_otherwise_feeds_the_input() -> None:
    (cluster,) = generated("AWS::EKS::Nodegroup").list_inputs
    assert (cluster.input, cluster.source, cluster.parent, cluster.parent_property) == (
        "ClusterName",
        InputSource.PARENT,
        "AWS::EKS::Cluster",
        "Name",
    )


def test_walk_start_is_the_deepest_level_the_given_columns_allow() -> None:
    schema = load_schema(IR)
    assert walk_start(schema, {"region"}) == 0
    assert walk_start(schema, {"region", "api_id"}) == 1
    assert walk_start(schema, {"region", "integration_id"}) == 0  # Integration's list needs ApiId
    assert walk_start(schema, {"region", "api_id", "integration_id"}) == 2  # a plain list
    resolver = CATALOG.schema("AWS::AppSync::Resolver")
    assert walk_start(resolver, {"api_id"}) == 1  # list the API's types, then each type's resolvers
    assert walk_start(resolver, {"api_id", "type_name"}) == 2


def test_fixed_values_account_ids_and_where_inputs() -> None:
    (scope,) = CATALOG.schema("AWS::WAFv2::WebACL").list_inputs
    assert (scope.source, scope.values) == (InputSource.VALUES, ("CLOUDFRONT", "REGIONAL"))
    dashboards = CATALOG.schema("AWS::QuickSight::Dashboard")
    (account,) = dashboards.list_inputs
    assert account.source is InputSource.ACCOUNT_ID
    assert dashboards.where_inputs == ()  # the account id is the option or looked up, never demanded
    assert missing_where(dashboards, {"region"}) == []
    customization = CATALOG.schema("AWS::QuickSight::Customization")
    assert missing_where(customization, {"region"}) == ["namespace"]


def test_account_properties_are_the_writable_ones_an_overlay_names_for_the_service() -> None:
    assert CATALOG.schema("AWS::QuickSight::Dashboard").account_properties == ("AwsAccountId",)
    # not a list input (the list is region-wide), but the same account id: an INSERT fills it too
    assert CATALOG.schema("AWS::QuickSight::CustomPermissions").account_properties == ("AwsAccountId",)
    assert CATALOG.schema("AWS::Glue::Database").account_properties == ("CatalogId",)
    assert CATALOG.schema("AWS::Glue::Catalog").account_properties == ()  # read-only there
    assert CATALOG.schema("AWS::EKS::Cluster").account_properties == ()


def test_a_generated_identifier_is_no_unique_key_and_a_given_one_is() -> None:
    assert CATALOG.schema("AWS::Logs::LogGroup").unique_key == ("LogGroupName",)
    assert CATALOG.schema("AWS::EKS::Nodegroup").unique_key == ()
    assert load_schema(IR).unique_key is None  # the hand-verified rule


def test_write_only_members_are_not_write_only_columns() -> None:
    lam = generated("AWS::Lambda::Function")
    assert "Code" not in lam.write_only and "SnapStart" in lam.write_only
    assert ("Code", "S3Key") in lam.write_only_members
    bucket = generated("AWS::S3::Bucket")
    assert bucket.write_only_member(
        ("LifecycleConfiguration", "Rules", "3", "Transition", "StorageClass")
    ) == (
        "LifecycleConfiguration",
        "Rules",
        "*",
        "Transition",
    )
    assert bucket.write_only_member(("LifecycleConfiguration", "Rules", "3", "Status")) is None
    assert bucket.write_only_member(("LifecycleConfiguration",)) is None


def test_a_read_leaves_out_write_only_members_in_every_array_item() -> None:
    config = {"Rules": [{"Id": "a", "Transition": {}}, {"Id": "b"}, "odd"], "Other": 1}
    assert without_member(config, ("Rules", "*", "Transition")) == {
        "Rules": [{"Id": "a"}, {"Id": "b"}, "odd"],
        "Other": 1,
    }
    assert config["Rules"][0] == {"Id": "a", "Transition": {}}  # the input is not changed
    assert without_member("text", ("Rules",)) == "text"
    bucket = generated("AWS::S3::Bucket")
    assert bucket.as_read(
        {"BucketName": "b", "AccessControl": "Private", "LifecycleConfiguration": config}
    ) == {
        "BucketName": "b",
        "LifecycleConfiguration": {"Rules": [{"Id": "a"}, {"Id": "b"}, "odd"], "Other": 1},
    }
