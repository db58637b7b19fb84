"""vtab_resources' planning without HTTP: the plan in idxStr, the types a WHERE selects, the listings of
the places, and the statement's error over failed listings."""

from __future__ import annotations

import apsw
import pytest

from vtab.aws.calllog import CallLog, tag
from vtab.catalog.store import load_catalog
from vtab.read.accounts import StatementAccounts, failure_error, failure_of
from vtab.read.resources import (
    Column,
    Condition,
    Listing,
    Op,
    Place,
    ResourcesPlan,
    listable_types,
    listings,
    matching,
    places,
    select_types,
)

CATALOG = load_catalog()


def partition_of(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws"


def test_the_plan_reads_in_explain_and_decodes_to_its_arguments() -> None:
    plan = ResourcesPlan(
        (
            Condition("type_name", Op.LIKE, "AWS::EKS::%"),
            Condition("region", Op.EQ, None),
            Condition("limit", Op.LIMIT),
        )
    )
    text = plan.encode()
    assert (
        text
        == "types=like:AWS::EKS::% regions=? accounts=caller limit args=type_name:like,region:eq,limit:limit"
    )
    decoded = ResourcesPlan.decode(text)
    assert [(c.column, c.op) for c in decoded.conditions] == [
        ("type_name", Op.LIKE),
        ("region", Op.EQ),
        ("limit", Op.LIMIT),
    ]
    assert ResourcesPlan(()).encode() == "types=listable regions=default accounts=caller args=-"
    assert ResourcesPlan.decode("types=listable regions=default accounts=caller args=-").conditions == ()


def test_a_literal_with_spaces_cannot_break_the_decoding() -> None:
    plan = ResourcesPlan((Condition("type_name", Op.EQ, "a b args=x:eq"),))
    assert ResourcesPlan.decode(plan.encode()).conditions == (Condition("type_name", Op.EQ),)


def test_like_and_glob_select_as_sqlite_matches() -> None:
    names = ["AWS::EKS::Cluster", "AWS::EKS::Nodegroup", "AWS::EC2::VPC", "aws::eks::lower"]
    assert matching(names, Op.LIKE, "AWS::EKS::%") == [
        "AWS::EKS::Cluster",
        "AWS::EKS::Nodegroup",
        "aws::eks::lower",
    ]
    assert matching(names, Op.GLOB, "AWS::EKS::*") == ["AWS::EKS::Cluster", "AWS::EKS::Nodegroup"]
    assert matching(names, Op.GLOB, "AWS::E[CK]?::*") == names[:3]
    assert matching(names, Op.LIKE, None) == []


def test_conditions_intersect_and_table_names_map_to_types() -> None:
    eks = select_types(CATALOG, [(Condition("type_name", Op.LIKE), "AWS::EKS::%")])
    assert "AWS::EKS::Cluster" in eks.types and all(t.startswith("AWS::EKS::") for t in eks.types)
    both = select_types(
        CATALOG,
        [
            (Condition("type_name", Op.LIKE), "AWS::EKS::%"),
            (Condition("table_name", Op.EQ), {"eks_clusters", "logs_log_groups"}),
        ],
    )
    assert both.types == ["AWS::EKS::Cluster"] and both.unlistable == []
    assert select_types(CATALOG, [(Condition("type_name", Op.EQ), None)]).types == []  # NULL: nothing


def test_every_listable_type_when_none_is_named_and_never_one_that_needs_where() -> None:
    every = select_types(CATALOG, [])
    assert every.types == sorted(listable_types(CATALOG))
    assert len(every.types) > 1500
    needs = [
        t for t in CATALOG.type_names() if CATALOG.entry(t).table and CATALOG.entry(t).plan.where_columns
    ]
    assert needs and not set(needs) & set(every.types)
    named = select_types(CATALOG, [(Condition("type_name", Op.EQ), {needs[0], "AWS::EKS::Cluster"})])
    assert named.types == ["AWS::EKS::Cluster"] and named.unlistable == [needs[0]]


def test_an_unknown_name_names_the_column_the_value_and_the_closest() -> None:
    with pytest.raises(
        apsw.SQLError, match=r"type_name = 'aws::eks::cluster' .* did you mean 'AWS::EKS::Cluster'"
    ):
        select_types(CATALOG, [(Condition("type_name", Op.EQ), "aws::eks::cluster")])
    with pytest.raises(apsw.SQLError, match=r"table_name = 'eks_clustrs' .* did you mean 'eks_clusters'"):
        select_types(CATALOG, [(Condition("table_name", Op.EQ), "eks_clustrs")])


def test_places_and_listings_a_global_type_once_per_partition() -> None:
    where = places(["111111111111"], ["us-east-1", "eu-west-1", "cn-north-1"])
    assert where[0] == Place("111111111111", "us-east-1") and len(where) == 3
    found = listings(CATALOG, ["AWS::IAM::Role", "AWS::EKS::Nodegroup"], where, partition_of, "eu-west-1")
    roles = [listing for listing in found if listing.type_name == "AWS::IAM::Role"]
    assert roles == [
        Listing(Place("111111111111", "cn-north-1"), "AWS::IAM::Role", ("cn-north-1",)),
        Listing(Place("111111111111", "eu-west-1"), "AWS::IAM::Role", ("eu-west-1", "us-east-1")),
    ]
    nodegroups = [listing for listing in found if listing.type_name == "AWS::EKS::Nodegroup"]
    assert [listing.place.region for listing in nodegroups] == ["us-east-1", "eu-west-1", "cn-north-1"]
    assert {listing.parents for listing in nodegroups} == {("AWS::EKS::Cluster",)}
    assert nodegroups[0].depth == 1 and roles[0].depth == 0


def _failed(code: str, error: apsw.Error, log: CallLog) -> apsw.Error:
    record = log.start("ListResources", "eu-west-1", "AWS::EKS::Cluster", account_id="111111111111")
    record.error_code = code
    return tag(error, record)


def test_the_statements_error_names_each_failure_root_causes_first() -> None:
    log, accounts = CallLog(), StatementAccounts()
    error = _failed("AccessDeniedException", apsw.PermissionsError("AccessDeniedException: no [x]"), log)
    denied = failure_of("111111111111", None, "eu-west-1", "AWS::EKS::Cluster", error)
    assert denied is not None and denied.code == "AccessDeniedException"  # the call's, not the text's
    accounts.fail(denied.under("AWS::EKS::Addon"))
    accounts.fail(denied)
    assert accounts.parent_failure("111111111111", "eu-west-1", ("AWS::EKS::Cluster",)) == denied
    assert accounts.parent_failure("111111111111", "us-east-1", ("AWS::EKS::Cluster",)) is None
    assert accounts.failed("111111111111", "eu-west-1", "AWS::EKS::Cluster")
    assert not accounts.failed("111111111111", "eu-west-1", "AWS::EKS::Nodegroup")  # other types go on
    failures = accounts.unreported()
    error = failure_error(failures, "vtab_resources", 10)
    assert isinstance(error, apsw.PermissionsError)
    assert str(error).startswith(
        "vtab_resources: 2 of 10 listings failed in 1 account (the others' rows were read): "
        "AWS::EKS::Cluster in account 111111111111 in eu-west-1: AccessDeniedException: no [x]; "
        "AWS::EKS::Addon in account 111111111111 in eu-west-1: AccessDeniedException: not listed, "
        "its walk lists AWS::EKS::Cluster, whose listing failed there. Leave those types"
    )
    down = failure_of(
        "111111111111", None, "us-east-1", "AWS::S3::Bucket", _failed("HTTP 503", apsw.IOError("down"), log)
    )
    assert down is not None and down.code == "HTTP 503"
    mixed = failure_error([*failures, down], "vtab_resources", 10)
    assert type(mixed) is apsw.SQLError and str(mixed).startswith("vtab_resources: 3 of 10 listings")
    assert failure_of("111111111111", None, "us-east-1", "AWS::S3::Bucket", apsw.SQLError("x")) is None


def test_column_names_are_the_declared_ones() -> None:
    assert [column.value for column in Column] == [
        "type_name",
        "table_name",
        "account_id",
        "region",
        "identifier",
        "properties",
        "account_name",  # hidden, as in a typed table
    ]
