"""The sync's plan without calls: which types a selection takes, and the tasks' shards and order."""

from __future__ import annotations

import pytest

from vtab.options import OptionError
from vtab.sync.plan import Place, Selection, SyncType, TypeRow, build_shards, interleaved

ROWS = [
    TypeRow("AWS::EC2::VPC", "ec2_vpcs", "regional", "region_wide"),
    TypeRow("AWS::EC2::Subnet", "ec2_subnets", "regional", "region_wide"),
    TypeRow("AWS::EKS::Cluster", "eks_clusters", "regional", "region_wide"),
    TypeRow("AWS::EKS::Nodegroup", "eks_nodegroups", "regional", "walk"),
    TypeRow("AWS::EKS::Addon", "eks_addons", "regional", "needs_where"),
    TypeRow("AWS::IAM::Role", "iam_roles", "global", "region_wide"),
    TypeRow(
        "AWS::ApiGatewayV2::IntegrationResponse", "apigatewayv2_integration_responses", "regional", "walk"
    ),
    TypeRow("AWS::ApiGatewayV2::IntegrationResponse", "integration_responses", "regional", "walk", False),
]


def names(selection: Selection) -> list[str]:
    return [found.table_name for found in selection.types(ROWS)]


def test_globs_select_listable_types_walks_included_and_skip_wins() -> None:
    assert names(Selection(("ec2_*", "EKS_*"))) == [
        "ec2_subnets",
        "ec2_vpcs",
        "eks_clusters",
        "eks_nodegroups",
    ]
    assert names(Selection(("ec2_*", "eks_*"), ("ec2_s*",))) == ["ec2_vpcs", "eks_clusters", "eks_nodegroups"]


def test_one_table_per_type_under_its_canonical_name_whichever_name_selects_it() -> None:
    assert names(Selection(("*integration_responses",))) == ["apigatewayv2_integration_responses"]
    assert names(Selection(("*integration_responses", "integration_responses"))) == [
        "apigatewayv2_integration_responses"
    ]


def test_a_type_that_needs_a_where_is_left_out_of_a_glob_and_refused_by_name() -> None:
    assert "eks_addons" not in names(Selection(("*",)))
    with pytest.raises(OptionError, match=r"eks_addons \(list_mode needs_where\)"):
        Selection(("eks_addons",)).types(ROWS)


def test_a_pattern_that_matches_nothing_is_reported() -> None:
    selection = Selection(("ec2_vpcs", "nosuch_*"))
    selection.types(ROWS)
    assert selection.unmatched == ["nosuch_*"]


def test_a_pattern_every_match_of_which_is_skipped_matched_and_a_skip_that_matches_nothing_is_reported() -> (
    None
):
    selection = Selection(("ec2_*", "eks_clusters"), ("eks_*", "nosuch_*"))
    assert names(selection) == ["ec2_subnets", "ec2_vpcs"]
    assert selection.unmatched == []  # eks_clusters names a table: --skip-tables left it out
    assert selection.unmatched_skips == ["nosuch_*"]


def test_shards_are_account_regions_global_types_once_and_the_order_is_a_fixed_shuffle() -> None:
    types = [SyncType(f"t{i}", f"AWS::T::{i}", False) for i in range(8)] + [SyncType("g", "AWS::G::G", True)]
    regions = ("us-east-1", "eu-west-1")
    accounts = [Place("111111111111", None, regions), Place("222222222222", "prod", regions)]
    shards = build_shards(accounts, types)
    assert [(s.account_id, s.region, s.profile) for s in shards] == [
        ("111111111111", "us-east-1", None),
        ("111111111111", "eu-west-1", None),
        ("222222222222", "us-east-1", "prod"),
        ("222222222222", "eu-west-1", "prod"),
    ]
    # the global type in one region only, the first by name: the same whatever order the regions are given
    assert [len(shard.tasks) for shard in shards] == [8, 9, 8, 9]
    orders = [[task.table_name for task in shard.tasks] for shard in shards]
    assert orders[0] != sorted(orders[0]) and orders[0] != orders[2]  # shuffled, differently per shard
    again = build_shards(accounts, types)
    assert [[task.table_name for task in shard.tasks] for shard in again] == orders  # the same every run

    order = interleaved(shards)
    assert [task.shard for task in order[:4]] == [(s.account_id, s.region) for s in shards]
    assert len(order) == 34


def test_a_shards_walks_run_after_their_parents_shuffled_within_a_depth() -> None:
    """A walk's parents run first (their listing is then in the shard's cache, and after a kill, done in
    the file for the resume: vtab/sync/seeds.py); the types of one depth stay shuffled."""
    types = [SyncType(f"walk{i}", f"AWS::W::{i}", False, depth=1 + i % 2) for i in range(6)]
    types += [SyncType(f"plain{i}", f"AWS::P::{i}", False) for i in range(6)]
    (shard,) = build_shards([Place("111111111111", None, ("us-east-1",))], types)
    depths = {kind.table_name: kind.depth for kind in types}
    order = [task.table_name for task in shard.tasks]
    assert [depths[name] for name in order] == [0] * 6 + [1] * 3 + [2] * 3
    assert order[:6] != sorted(order[:6])
