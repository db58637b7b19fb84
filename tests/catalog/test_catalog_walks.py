"""Walk derivation: which list inputs a type needs, where each value comes from, and the chain of parents."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources

import pytest

from vtab.catalog.facts import ListInput, ListSchema, TypeFacts, Verb
from vtab.catalog.list_plan import FeedKind, LinkSource, ListMode, ListPlan
from vtab.catalog.overlays import Overlays, parse
from vtab.catalog.schema import schema_file_name, supported_types
from vtab.catalog.store import load_catalog
from vtab.catalog.walks import derive_plans, walk_steps

ALL_VERBS = {verb: (f"demo:{verb.value}",) for verb in Verb}


def facts(
    type_name: str,
    identifier: tuple[str, ...],
    properties: tuple[str, ...] = (),
    requires: tuple[str, ...] = (),
    verbs: dict[Verb, tuple[str, ...]] | None = None,
    **extra: object,
) -> TypeFacts:
    """A type with string properties (its identifier's and ``properties``) and a list handlerSchema when
    ``requires`` names inputs."""
    props = {name: {"type": "string"} for name in (*identifier, *properties, *requires)}
    listing = (
        ListSchema({name: ListInput(name, name) for name in requires}, required=requires)
        if requires
        else None
    )
    return TypeFacts(
        type_name,
        props,
        primary_identifier=identifier,
        permissions=ALL_VERBS if verbs is None else verbs,
        list_schema=listing,
        **extra,  # type: ignore[arg-type]
    )


def plans_of(*types: TypeFacts, overlays: Overlays | None = None) -> dict:
    return derive_plans({t.type_name: t for t in types}, overlays or Overlays())


def test_handler_schema_input_walks_the_type_named_like_it() -> None:
    plans = plans_of(
        facts("AWS::EKS::Cluster", ("Name",)),
        facts("AWS::EKS::Nodegroup", ("Id",), requires=("ClusterName",)),
    )
    plan = plans["AWS::EKS::Nodegroup"]
    assert plan.mode is ListMode.WALK
    assert plan.chain == ("AWS::EKS::Cluster",)
    (feed,) = plan.feeds
    # ClusterName is fed by the cluster's Name: the suffix left after the type's name
    assert (feed.input, feed.parent, feed.parent_property) == ("ClusterName", "AWS::EKS::Cluster", "Name")
    assert (feed.needed_by, feed.found_by, feed.kind) == (
        LinkSource.HANDLER_SCHEMA,
        LinkSource.NAME_MATCH,
        FeedKind.PARENT,
    )
    assert plans["AWS::EKS::Cluster"].mode is ListMode.REGION_WIDE


def test_composite_identifier_gives_hidden_parents_and_a_two_level_chain() -> None:
    plans = plans_of(
        facts("AWS::ApiGatewayV2::Api", ("ApiId",)),
        facts("AWS::ApiGatewayV2::Integration", ("ApiId", "IntegrationId"), requires=("ApiId",)),
        facts("AWS::ApiGatewayV2::IntegrationResponse", ("ApiId", "IntegrationId", "IntegrationResponseId")),
    )
    plan = plans["AWS::ApiGatewayV2::IntegrationResponse"]
    assert plan.mode is ListMode.WALK
    assert plan.chain == ("AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Integration")
    assert [(f.input, f.parent, f.needed_by) for f in plan.feeds] == [
        ("ApiId", "AWS::ApiGatewayV2::Api", LinkSource.PRIMARY_IDENTIFIER),
        ("IntegrationId", "AWS::ApiGatewayV2::Integration", LinkSource.PRIMARY_IDENTIFIER),
    ]
    assert plan.list_requires == ("ApiId", "IntegrationId")
    steps = walk_steps(plans, "AWS::ApiGatewayV2::IntegrationResponse")
    assert [name for name, _ in steps] == [*plan.chain, "AWS::ApiGatewayV2::IntegrationResponse"]
    assert [f.input for f in steps[1][1]] == ["ApiId"]  # the Integration level is fed by the Api


def test_identifier_parts_that_name_nothing_are_the_types_own() -> None:
    plans = plans_of(
        facts("AWS::AppStream::User", ("UserName", "AuthenticationType")),
        facts("AWS::Kendra::Index", ("Id",)),
        facts("AWS::Kendra::Faq", ("Id", "IndexId")),  # the parent part need not lead
    )
    assert plans["AWS::AppStream::User"].mode is ListMode.REGION_WIDE
    faq = plans["AWS::Kendra::Faq"]
    assert [(f.input, f.parent, f.parent_property) for f in faq.feeds] == [
        ("IndexId", "AWS::Kendra::Index", "Id")
    ]


def test_a_handler_schema_of_optional_filters_means_no_hidden_parents() -> None:
    detector = facts("AWS::GuardDuty::Detector", ("Id",))
    child = facts("AWS::GuardDuty::Filter", ("DetectorId", "Name"))
    optional = ListSchema({"DetectorId": ListInput("DetectorId", "DetectorId")})
    guessed = plans_of(detector, child)["AWS::GuardDuty::Filter"]
    assert (guessed.mode, guessed.chain) == (ListMode.WALK, ("AWS::GuardDuty::Detector",))
    declared = replace(child, list_schema=optional)
    assert plans_of(detector, declared)["AWS::GuardDuty::Filter"].mode is ListMode.REGION_WIDE


def test_a_listable_type_with_the_input_as_its_whole_identifier_is_the_parent() -> None:
    plans = plans_of(
        facts("AWS::Demo::Thing", ("ThingKey",)),
        facts("AWS::Demo::Setting", ("ThingKey",), verbs={Verb.CREATE: ()}),  # same identifier, no list
        facts("AWS::Demo::Child", ("Id",), requires=("ThingKey",)),
    )
    (feed,) = plans["AWS::Demo::Child"].feeds
    assert (feed.parent, feed.parent_property) == ("AWS::Demo::Thing", "ThingKey")


def test_ambiguous_identifier_matches_need_where_with_the_candidates_named() -> None:
    plans = plans_of(
        facts("AWS::Demo::RequesterGateway", ("GatewayId",)),
        facts("AWS::Demo::ResponderGateway", ("GatewayId",)),
        facts("AWS::Demo::Link", ("LinkId",), requires=("GatewayId",)),
    )
    plan = plans["AWS::Demo::Link"]
    assert plan.mode is ListMode.NEEDS_WHERE
    assert plan.where_columns == ("gateway_id",)
    assert "AWS::Demo::RequesterGateway, AWS::Demo::ResponderGateway" in plan.reason


def test_relationship_ref_beats_name_matching() -> None:
    child = facts("AWS::Demo::Association", ("Id",), requires=("GatewayId",))
    child.properties["GatewayId"]["relationshipRef"] = [["AWS::Other::Gateway", "GwId"]]
    plans = plans_of(
        facts("AWS::Demo::Gateway", ("GatewayId",)), facts("AWS::Other::Gateway", ("GwId",)), child
    )
    (feed,) = plans["AWS::Demo::Association"].feeds
    assert (feed.found_by, feed.parent, feed.parent_property) == (
        LinkSource.RELATIONSHIP_REF,
        "AWS::Other::Gateway",
        "GwId",
    )


def test_enum_inputs_list_once_per_value() -> None:
    acl = facts("AWS::WAFv2::WebACL", ("Name", "Id", "Scope"), requires=("Scope",))
    acl.properties["Scope"]["enum"] = ["CLOUDFRONT", "REGIONAL"]
    plan = plans_of(acl)["AWS::WAFv2::WebACL"]
    assert plan.mode is ListMode.FIXED
    (feed,) = plan.feeds
    assert (feed.kind, feed.found_by, feed.values) == (
        FeedKind.VALUES,
        LinkSource.ENUM,
        ("CLOUDFRONT", "REGIONAL"),
    )


def test_one_of_takes_the_first_branch_a_walk_can_fill() -> None:
    listener = facts("AWS::ELBv2::Listener", ("ListenerArn",))
    listener = TypeFacts(
        listener.type_name,
        {**listener.properties, "LoadBalancerArn": {"type": "string"}},
        primary_identifier=("ListenerArn",),
        permissions=ALL_VERBS,
        list_schema=ListSchema(
            {
                "ListenerArns": ListInput("ListenerArns", "ListenerArn", True),
                "LoadBalancerArn": ListInput("LoadBalancerArn", "LoadBalancerArn"),
            },
            one_of=(("ListenerArns",), ("LoadBalancerArn",)),
        ),
    )
    plans = plans_of(facts("AWS::ELBv2::LoadBalancer", ("LoadBalancerArn",)), listener)
    plan = plans["AWS::ELBv2::Listener"]
    assert plan.mode is ListMode.WALK
    assert [(f.input, f.parent) for f in plan.feeds] == [("LoadBalancerArn", "AWS::ELBv2::LoadBalancer")]
    lonely = plans_of(listener)["AWS::ELBv2::Listener"]
    assert lonely.mode is ListMode.NEEDS_WHERE
    assert lonely.reason.startswith("give one of (listener_arn) or (load_balancer_arn)")


def test_a_parent_that_needs_where_makes_its_children_need_it_too() -> None:
    plans = plans_of(
        facts("AWS::Lambda::LayerVersion", ("LayerVersionArn",), requires=("LayerName",)),
        facts("AWS::Lambda::LayerVersionPermission", ("Id",), requires=("LayerVersionArn",)),
    )
    child = plans["AWS::Lambda::LayerVersionPermission"]
    assert child.mode is ListMode.NEEDS_WHERE
    assert child.where_columns == ("layer_version_arn",)
    assert "parent AWS::Lambda::LayerVersion needs WHERE on layer_name" in child.reason
    (feed,) = child.feeds
    assert feed.parent == "AWS::Lambda::LayerVersion"  # the link found stays visible


def test_unlistable_parents_cycles_and_unrelated_parents_need_where() -> None:
    plans = plans_of(
        facts("AWS::EMR::Cluster", ("Id",), verbs={}),
        facts("AWS::EMR::InstanceFleetConfig", ("Id",), requires=("ClusterId",)),
        facts("AWS::Demo::Left", ("LeftId",), requires=("RightId",)),
        facts("AWS::Demo::Right", ("RightId",), requires=("LeftId",)),
        facts("AWS::Demo::Volume", ("VolumeId",)),
        facts("AWS::Demo::Instance", ("InstanceId",)),
        facts("AWS::Demo::Attachment", ("Id",), requires=("VolumeId", "InstanceId")),
    )
    assert "no handlers (not provisionable)" in plans["AWS::EMR::InstanceFleetConfig"].reason
    assert plans["AWS::EMR::Cluster"].mode is ListMode.NO_LIST
    assert "a cycle" in plans["AWS::Demo::Left"].reason + plans["AWS::Demo::Right"].reason
    attachment = plans["AWS::Demo::Attachment"]
    assert attachment.mode is ListMode.NEEDS_WHERE
    assert attachment.where_columns == ("volume_id", "instance_id")
    assert "unrelated parents" in attachment.reason


def test_overlays_fix_parents_give_values_account_ids_keeps_exclusions() -> None:
    overlays = parse(
        [
            (
                "demo.toml",
                """
[service_inputs.Demo.AccountId]
account_id = true
why = "the caller's account"

[types."AWS::Demo::Resolver".inputs.ApiId]
parent = "AWS::Demo::GraphQLApi"
property = "ApiId"
why = "GraphQL types belong to a GraphQL API"

[types."AWS::Demo::Resolver".keep."AWS::Demo::GraphQLApi"]
ApiType = "GRAPHQL"

[types."AWS::Demo::Policy".inputs.Kind]
values = ["a", "b"]
why = "the two kinds"

[types."AWS::Demo::Stream".inputs.LedgerName]
where = true
why = "ledgers cannot be listed"

[types."AWS::Demo::Robot"]
exclude = "the feature ended"

[types."AWS::Demo::Pair"]
region_wide = "verified: lists without input"
""",
            )
        ]
    )
    plans = plans_of(
        facts("AWS::Demo::Api", ("ApiId",)),
        facts("AWS::Demo::GraphQLApi", ("Arn",), ("ApiId", "ApiType")),
        facts("AWS::Demo::Resolver", ("ResolverArn",), requires=("ApiId", "AccountId")),
        facts("AWS::Demo::Policy", ("Id",)),
        facts("AWS::Demo::Stream", ("Id",)),
        facts("AWS::Demo::Robot", ("Id",)),
        facts("AWS::Demo::Pair", ("ApiId", "PairId")),
        overlays=overlays,
    )
    resolver = plans["AWS::Demo::Resolver"]
    assert resolver.mode is ListMode.WALK
    assert [(f.input, f.kind, f.found_by, f.parent) for f in resolver.feeds] == [
        ("ApiId", FeedKind.PARENT, LinkSource.OVERLAY, "AWS::Demo::GraphQLApi"),
        ("AccountId", FeedKind.ACCOUNT_ID, LinkSource.OVERLAY, None),
    ]
    assert resolver.keep == {"AWS::Demo::GraphQLApi": {"ApiType": "GRAPHQL"}}
    policy = plans["AWS::Demo::Policy"]  # an overlay input the schema does not declare
    assert (policy.mode, policy.feeds[0].values, policy.feeds[0].needed_by) == (
        ListMode.FIXED,
        ("a", "b"),
        LinkSource.OVERLAY,
    )
    stream = plans["AWS::Demo::Stream"]
    assert (stream.mode, stream.where_columns, stream.reason) == (
        ListMode.NEEDS_WHERE,
        ("ledger_name",),
        "ledger_name: ledgers cannot be listed",
    )
    assert (plans["AWS::Demo::Robot"].mode, plans["AWS::Demo::Robot"].reason) == (
        ListMode.EXCLUDED,
        "the feature ended",
    )
    assert plans["AWS::Demo::Pair"].mode is ListMode.REGION_WIDE


# -- aliases: another property holding a list input's value ---------------------------------------------


def _aliases(plan: ListPlan) -> dict[str, list[tuple[str, LinkSource]]]:
    return {feed.input: [(a.property_name, a.found_by) for a in feed.aliases] for feed in plan.feeds}


def test_an_identifier_part_naming_the_inputs_parent_property_is_its_alias() -> None:
    """DataZone: Project is ``DomainId|Id`` but lists by ``DomainIdentifier``; both name a Domain's Id."""
    plans = plans_of(
        facts("AWS::DataZone::Domain", ("Id",)),
        facts("AWS::DataZone::Project", ("DomainId", "Id"), requires=("DomainIdentifier",)),
        facts(
            "AWS::DataZone::Environment",
            ("DomainId", "Id"),
            ("ProjectId",),
            requires=("DomainIdentifier", "ProjectIdentifier"),
        ),
    )
    # the bare Id is the type's own (it matches Domain's whole identifier, but it is no alias)
    assert _aliases(plans["AWS::DataZone::Project"]) == {
        "DomainIdentifier": [("DomainId", LinkSource.NAME_MATCH)]
    }
    assert _aliases(plans["AWS::DataZone::Environment"]) == {
        "DomainIdentifier": [("DomainId", LinkSource.NAME_MATCH)],
        "ProjectIdentifier": [("ProjectId", LinkSource.NAME_MATCH)],
    }
    plan = plans["AWS::DataZone::Project"]
    assert type(plan).from_json(plan.type_name, plan.to_json()) == plan
    assert plan.to_json()["feeds"][0]["aliases"] == [{"property": "DomainId", "foundBy": "name_match"}]


def test_a_relationship_ref_to_the_inputs_parent_property_makes_an_alias() -> None:
    child = facts("AWS::Demo::Rule", ("RuleId",), ("OwnerRef",), requires=("GatewayId",))
    child.properties["OwnerRef"]["relationshipRef"] = [["AWS::Demo::Gateway", "GatewayId"]]
    plans = plans_of(facts("AWS::Demo::Gateway", ("GatewayId",)), child)
    assert _aliases(plans["AWS::Demo::Rule"]) == {"GatewayId": [("OwnerRef", LinkSource.RELATIONSHIP_REF)]}


def test_an_inputs_id_form_is_its_alias_even_without_a_parent() -> None:
    """AppSync SourceApiAssociation: no type provides SourceApiIdentifier (WHERE), SourceApiId holds it."""
    plan = plans_of(
        facts(
            "AWS::AppSync::SourceApiAssociation",
            ("AssociationArn",),
            ("SourceApiId", "SourceApiArn"),
            requires=("SourceApiIdentifier",),
        )
    )["AWS::AppSync::SourceApiAssociation"]
    assert plan.mode is ListMode.NEEDS_WHERE
    # the ARN is another value (an identifier may be either, but SourceApiArn is not the Id form)
    assert _aliases(plan) == {"SourceApiIdentifier": [("SourceApiId", LinkSource.ID_FORM)]}


def test_names_that_hold_another_value_are_no_alias() -> None:
    keyspace = facts("AWS::Cassandra::Keyspace", ("KeyspaceName",))
    table = facts(
        "AWS::Cassandra::Table",
        ("KeyspaceName", "TableName"),
        # KeyspaceArn matches Keyspace only through its identifier fallback; Resource is an object;
        # ClusterName is another input; KeyspaceId is no Id form of a Name
        ("KeyspaceArn", "KeyspaceId", "ClusterName", "Resource"),
        requires=("KeyspaceName", "ClusterName"),
    )
    table.properties["Resource"] = {
        "type": "object",
        "relationshipRef": [["AWS::Cassandra::Keyspace", "KeyspaceName"]],
    }
    plans = plans_of(keyspace, facts("AWS::Cassandra::Cluster", ("ClusterName",)), table)
    assert _aliases(plans["AWS::Cassandra::Table"]) == {"KeyspaceName": [], "ClusterName": []}


def test_the_shipped_catalog_records_the_datazone_aliases() -> None:
    catalog = load_catalog()
    plan = catalog.entry("AWS::DataZone::EnvironmentActions").plan
    assert _aliases(plan) == {
        "DomainIdentifier": [("DomainId", LinkSource.NAME_MATCH)],
        "EnvironmentIdentifier": [("EnvironmentId", LinkSource.NAME_MATCH)],
    }
    schema = catalog.schema("AWS::DataZone::Project")
    (item,) = schema.list_inputs
    assert (item.input, item.aliases) == ("DomainIdentifier", ("DomainId",))
    assert schema.input_columns_of(item) == ("domain_identifier", "domain_id")
    typed = [name for name in catalog.type_names() if any(f.aliases for f in catalog.entry(name).plan.feeds)]
    assert not any(f.aliases for f in catalog.entry("AWS::Cassandra::Type").plan.feeds)
    assert len(typed) == 19  # docs/coverage.md lists them; docs/catalog.md says how many


def test_plans_survive_the_json_round_trip() -> None:
    catalog = load_catalog()
    for type_name in (
        "AWS::ApiGatewayV2::IntegrationResponse",
        "AWS::WAFv2::WebACL",
        "AWS::Lambda::LayerVersion",
    ):
        plan = catalog.entry(type_name).plan
        assert type(plan).from_json(type_name, plan.to_json()) == plan


# -- the shipped catalog ------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", supported_types())
def test_derived_walks_equal_the_hand_written_ones(type_name: str) -> None:
    """The x-vtab blocks of vtab/schemas (Api: none; Integration: Api; IntegrationResponse: WebSocket Api,
    then Integration) are what the catalog derives by itself plus the WebSocket keep overlay."""
    hand = json.loads(
        (resources.files("vtab.catalog") / "schemas" / schema_file_name(type_name)).read_text()
    )["x-vtab"]
    plan = load_catalog().entry(type_name).plan
    assert plan.mode is (ListMode.WALK if hand["parents"] else ListMode.REGION_WIDE)
    assert list(plan.chain) == [parent["typeName"] for parent in hand["parents"]]
    assert list(plan.list_requires) == hand["listRequires"]
    assert plan.keep == {
        parent["typeName"]: parent["keep"] for parent in hand["parents"] if parent.get("keep")
    }
    # level i of the chain provides input i, from its property of the same name (how vtab walks today)
    by_input = {feed.input: feed for feed in plan.feeds}
    for parent, name in zip(plan.chain, plan.list_requires, strict=True):
        assert (by_input[name].parent, by_input[name].parent_property) == (parent, name)


def test_the_integration_response_walk_keeps_websocket_apis_only() -> None:
    plan = load_catalog().entry("AWS::ApiGatewayV2::IntegrationResponse").plan
    assert plan.chain == ("AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Integration")
    assert plan.keep == {"AWS::ApiGatewayV2::Api": {"ProtocolType": "WEBSOCKET"}}


def test_shipped_overlays_fix_the_known_name_matching_mistakes() -> None:
    catalog = load_catalog()
    resolver = catalog.entry("AWS::AppSync::Resolver").plan.feeds[0]
    assert (resolver.input, resolver.parent, resolver.found_by) == (
        "ApiId",
        "AWS::AppSync::GraphQLApi",
        LinkSource.OVERLAY,
    )
    nodegroup = catalog.entry("AWS::EKS::Nodegroup").plan.feeds[0]
    assert (nodegroup.parent, nodegroup.parent_property) == ("AWS::EKS::Cluster", "Name")
    analysis = catalog.entry("AWS::QuickSight::Analysis").plan
    assert (analysis.mode, analysis.feeds[0].kind) == (ListMode.ACCOUNT_ID, FeedKind.ACCOUNT_ID)
    acl = catalog.entry("AWS::WAFv2::WebACL").plan
    assert set(acl.feeds[0].values) == {"REGIONAL", "CLOUDFRONT"}
    glue = {f.input: f.kind for f in catalog.entry("AWS::Glue::Partition").plan.feeds}
    assert glue == {
        "CatalogId": FeedKind.ACCOUNT_ID,
        "DatabaseName": FeedKind.PARENT,
        "TableName": FeedKind.PARENT,
    }
