"""Global types and region-confined values: the overlay facts, their derivation into the catalog, and the
pure rule that picks the one region a global type is listed through."""

from __future__ import annotations

import pytest

from vtab.catalog.build import build_index
from vtab.catalog.facts import ListInput, ListSchema, TypeFacts, Verb
from vtab.catalog.list_plan import Feed, FeedKind
from vtab.catalog.overlays import OverlayError, Overlays, parse
from vtab.catalog.schema import InputSource, ResourceSchema, Scope
from vtab.catalog.store import Catalog, data_folder, load_catalog
from vtab.catalog.walks import derive_plans
from vtab.read.regions import GLOBAL_KEY, cache_region, scan_regions

ALL_VERBS = {verb: (f"demo:{verb.value}",) for verb in Verb}

DEMO = """
[services.Demo]
global = "Demo has one endpoint per partition"

[types."AWS::Demo::Local"]
regional = "Local lives in one region"

[types."AWS::Other::Mrap"]
global = "routed to us-west-2 whatever region is asked"

[types."AWS::Other::Acl".inputs.Scope]
values = ["EDGE", "REGIONAL"]
regions = { EDGE = ["us-east-1"] }
why = "EDGE exists in us-east-1 only"
"""


def facts(type_name: str, *requires: str) -> TypeFacts:
    props = {name: {"type": "string"} for name in ("Id", *requires)}
    listing = ListSchema({n: ListInput(n, n) for n in requires}, required=requires) if requires else None
    return TypeFacts(type_name, props, primary_identifier=("Id",), permissions=ALL_VERBS, list_schema=listing)


TYPES = {
    t.type_name: t
    for t in (
        facts("AWS::Demo::Thing"),
        facts("AWS::Demo::Local"),
        facts("AWS::Other::Mrap"),
        facts("AWS::Other::Acl", "Scope"),
        facts("AWS::Other::Plain"),
    )
}


# -- overlay facts --------------------------------------------------------------------------------------


def test_a_service_fact_makes_its_types_global_and_a_type_fact_overrides_it() -> None:
    overlays = parse([("demo.toml", DEMO)])
    assert overlays.scope("AWS::Demo::Thing") == (Scope.GLOBAL, "Demo has one endpoint per partition")
    assert overlays.scope("AWS::Demo::Local") == (Scope.REGIONAL, "")
    assert overlays.scope("AWS::Other::Mrap") == (
        Scope.GLOBAL,
        "routed to us-west-2 whatever region is asked",
    )
    assert overlays.scope("AWS::Other::Plain") == (Scope.REGIONAL, "")


def test_region_confined_values_reach_the_feed_and_survive_json() -> None:
    plans = derive_plans(TYPES, parse([("demo.toml", DEMO)]))
    (feed,) = plans["AWS::Other::Acl"].feeds
    assert (feed.kind, feed.values, feed.value_regions) == (
        FeedKind.VALUES,
        ("EDGE", "REGIONAL"),
        {"EDGE": ("us-east-1",)},
    )
    assert Feed.from_json(feed.to_json()) == feed
    plan = plans["AWS::Other::Acl"]
    schema = ResourceSchema.from_facts(TYPES["AWS::Other::Acl"], plan, "other_acls")
    (item,) = schema.list_inputs
    assert item.source is InputSource.VALUES
    assert item.exists_in("EDGE", "us-east-1") and not item.exists_in("EDGE", "eu-west-1")
    assert item.exists_in("REGIONAL", "eu-west-1") and item.exists_in(None, "eu-west-1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[services.IAM]\nglobal = true", r"services.IAM: global takes the reason as text"),
        ('[services.IAM]\nglobl = "x"', r"services.IAM: unknown key\(s\) \['globl'\]; use \['global'\]"),
        ('[types."AWS::A::B"]\nglobal = ""', r"global takes the reason as text"),
        ('[types."AWS::A::B"]\nglobal = "x"\nregional = "y"', "a type is either global, regional or"),
        (
            '[types."AWS::A::B"]\nglobal = "x"\nlisted_account_wide = "y"',
            "a type is either global, regional or listed_account_wide; give one of them",
        ),
        ('[types."AWS::A::B"]\nregional = "y"', "regional overrides a global service, but A is not global"),
        (
            '[types."AWS::A::B".inputs.S]\nvalues = ["X"]\nregions = { Y = ["us-east-1"] }\nwhy = "w"',
            r"regions names 'Y', which is not one of values \['X'\]",
        ),
        (
            '[types."AWS::A::B".inputs.S]\nvalues = ["X"]\nregions = { X = [] }\nwhy = "w"',
            "regions.X must be a non-empty list of region names",
        ),
        (
            "[service]\n",
            r"unknown top-level key\(s\) \['service'\]; use 'types', 'service_inputs', 'services'",
        ),
    ],
)
def test_global_fact_mistakes_name_the_file_and_key(text: str, message: str) -> None:
    with pytest.raises(OverlayError, match=message):
        parse([("a.toml", text)])


def test_a_service_in_two_overlay_files_is_refused() -> None:
    text = '[services.IAM]\nglobal = "x"'
    with pytest.raises(
        OverlayError, match=r"b\.toml services\.IAM: the service has facts in two overlay files"
    ):
        parse([("a.toml", text), ("b.toml", text)])


# -- the index ------------------------------------------------------------------------------------------


def test_the_index_carries_the_global_reason_and_the_entry_its_scope() -> None:
    index, _ = build_index(TYPES, parse([("demo.toml", DEMO)]), {"cfnLint": "test"})
    assert index["types"]["AWS::Demo::Thing"]["global"] == "Demo has one endpoint per partition"
    assert "global" not in index["types"]["AWS::Demo::Local"]
    catalog = Catalog(index, data_folder())
    entry = catalog.entry("AWS::Other::Mrap")
    assert (entry.scope, entry.scope_reason) == (Scope.GLOBAL, "routed to us-west-2 whatever region is asked")
    assert catalog.entry("AWS::Other::Plain").scope is Scope.REGIONAL


def test_an_overlay_naming_an_unknown_service_is_refused() -> None:
    overlays = Overlays(services=parse([("x.toml", '[services.Nope]\nglobal = "x"')]).services)
    with pytest.raises(ValueError, match="overlays name services the catalog does not have: Nope"):
        build_index(TYPES, overlays, {})


def test_the_shipped_catalog_knows_the_global_services_and_keeps_regional_look_alikes_regional() -> None:
    catalog = load_catalog()
    for name in (
        "AWS::IAM::Role",
        "AWS::IAM::ManagedPolicy",
        "AWS::Route53::HostedZone",
        "AWS::Route53::RecordSet",
        "AWS::CloudFront::Distribution",
        "AWS::Organizations::Account",
        "AWS::GlobalAccelerator::Accelerator",
        "AWS::NetworkManager::GlobalNetwork",
        "AWS::Route53RecoveryControl::Cluster",
        "AWS::Shield::Protection",
        "AWS::S3::MultiRegionAccessPoint",
    ):
        schema = catalog.schema(name)
        assert schema.is_global and schema.scope_reason, name
    bucket = catalog.schema("AWS::S3::Bucket")  # listed account-wide, read and written in its own region only
    assert bucket.is_listed_account_wide and not bucket.is_global and "aws-cli#6464" in bucket.scope_reason
    for name in (
        "AWS::Route53Resolver::ResolverRule",
        "AWS::WAFv2::WebACL",
        "AWS::SSO::Instance",
        "AWS::IdentityStore::Group",
        "AWS::ApiGatewayV2::IntegrationResponse",  # hand-verified schema
    ):
        assert catalog.schema(name).scope is Scope.REGIONAL, name


def test_every_wafv2_scope_input_lists_cloudfront_in_us_east_1_only() -> None:
    catalog = load_catalog()
    scoped = [
        name
        for name in catalog.type_names()
        if name.startswith("AWS::WAFv2::") and any(f.input == "Scope" for f in catalog.entry(name).plan.feeds)
    ]
    assert sorted(scoped) == [
        "AWS::WAFv2::IPSet",
        "AWS::WAFv2::RegexPatternSet",
        "AWS::WAFv2::RuleGroup",
        "AWS::WAFv2::WebACL",
    ]
    for name in scoped:
        (scope,) = catalog.schema(name).list_inputs
        assert scope.values == ("CLOUDFRONT", "REGIONAL")
        assert scope.value_regions == {"CLOUDFRONT": ("us-east-1",)}


# -- the region a global type is listed through ---------------------------------------------------------


def partition(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws"


def schema(scope: Scope) -> ResourceSchema:
    plan = derive_plans(TYPES, Overlays())["AWS::Demo::Thing"]
    return ResourceSchema.from_facts(TYPES["AWS::Demo::Thing"], plan, "demo_things", scope)


def test_a_regional_type_lists_in_every_region_asked_in_the_order_given() -> None:
    regional = schema(Scope.REGIONAL)
    assert scan_regions(regional, ["us-east-1", "eu-west-1"], "us-east-1", partition) == [
        "us-east-1",
        "eu-west-1",
    ]
    assert cache_region(regional, "eu-west-1", partition) == "eu-west-1"


def test_a_global_type_lists_once_per_partition_through_the_preferred_region_else_the_first_sorted() -> None:
    glob = schema(Scope.GLOBAL)
    asked = ["us-east-1", "eu-west-1", "ap-south-1"]
    assert scan_regions(glob, asked, "us-east-1", partition) == ["us-east-1"]
    assert scan_regions(glob, list(reversed(asked)), "us-east-1", partition) == ["us-east-1"]
    assert scan_regions(glob, asked, "sa-east-1", partition) == ["ap-south-1"]  # preferred not asked
    assert scan_regions(glob, asked, None, partition) == ["ap-south-1"]
    assert scan_regions(glob, ["cn-north-1", "eu-west-1", "cn-northwest-1"], None, partition) == [
        "cn-north-1",
        "eu-west-1",
    ]
    assert cache_region(glob, "eu-west-1", partition) == cache_region(glob, "us-east-1", partition)
    assert cache_region(glob, "cn-north-1", partition) == GLOBAL_KEY + "aws-cn"
