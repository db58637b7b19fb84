"""Global types over SQL: listed once, through one region of the query's, whose rows carry that region; a
join asking region by region sees them in each region from one listing; writes go through any region; and
WAFv2's CLOUDFRONT scope is listed (and written) in us-east-1 only."""

from __future__ import annotations

import json
from typing import Any

import apsw
import pytest
from readhelpers import connect, endpoint_ops, rows

from vtab.catalog import load_catalog

ROLE = "AWS::IAM::Role"
WEB_ACL = "AWS::WAFv2::WebACL"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


def _roles(db: apsw.Connection, region: str = "eu-west-1", names: tuple[str, ...] = ("a", "b")) -> None:
    values = ", ".join("(?, ?, ?)" for _ in names)
    db.execute(
        f"INSERT INTO iam_roles (role_name, assume_role_policy_document, region) VALUES {values}",
        [v for name in names for v in (name, TRUST, region)],
    )


def _lists(emulator: Any, type_name: str = ROLE) -> list[str]:
    """The region of every ListResources of the type the endpoint answered, in order."""
    return [c.region for c in emulator.calls if c.operation == "ListResources" and c.type_name == type_name]


def test_roles_created_in_one_region_read_once_over_two_regions_with_one_listing(emulator: Any) -> None:
    db = connect(emulator)
    _roles(db)  # created through eu-west-1
    emulator.clear_calls()
    got = rows(db, "SELECT role_name, region FROM iam_roles WHERE region IN ('eu-west-1', 'us-east-1')")
    assert sorted(got) == [("a", "us-east-1"), ("b", "us-east-1")]  # us-east-1: the regions option's first
    assert _lists(emulator) == ["us-east-1"]
    assert endpoint_ops(emulator) == {("ListResources", ROLE): 1}


def test_a_single_region_returns_the_roles_under_that_region(emulator: Any) -> None:
    db = connect(emulator)
    _roles(db, region="us-east-1")
    emulator.clear_calls()
    got = rows(db, "SELECT role_name, region FROM iam_roles WHERE region = 'eu-west-1'")
    assert sorted(got) == [("a", "eu-west-1"), ("b", "eu-west-1")]
    assert _lists(emulator) == ["eu-west-1"]


def test_without_the_preferred_region_the_first_sorted_one_lists(emulator: Any) -> None:
    db = connect(emulator)
    _roles(db)
    emulator.clear_calls()
    sql = "SELECT role_name, region FROM iam_roles WHERE region IN ('sa-east-1', 'eu-west-1', 'ap-south-1')"
    assert sorted(rows(db, sql)) == [("a", "ap-south-1"), ("b", "ap-south-1")]
    assert _lists(emulator) == ["ap-south-1"]


def test_unconstrained_over_configured_regions_lists_once_through_the_first_of_them(emulator: Any) -> None:
    db = connect(emulator, regions="eu-west-1,us-east-1,ap-south-1")
    _roles(db)
    emulator.clear_calls()
    assert sorted(rows(db, "SELECT role_name, region FROM iam_roles")) == [
        ("a", "eu-west-1"),
        ("b", "eu-west-1"),
    ]
    assert _lists(emulator) == ["eu-west-1"]
    emulator.clear_calls()
    sql = "SELECT region, count(*) FROM logs_log_groups GROUP BY region"  # a regional type: every region
    assert rows(db, sql) == []
    assert sorted(_lists(emulator, "AWS::Logs::LogGroup")) == ["ap-south-1", "eu-west-1", "us-east-1"]


def test_a_join_asking_region_by_region_sees_the_roles_in_each_from_one_listing(emulator: Any) -> None:
    db = connect(emulator)
    _roles(db)
    db.execute("CREATE TEMP TABLE wanted (name TEXT); INSERT INTO wanted VALUES ('us-east-1'), ('eu-west-1')")
    db.execute("SELECT vtab_clear_calls()")
    emulator.clear_calls()
    sql = "SELECT w.name, t.role_name, t.region FROM wanted w JOIN iam_roles t ON t.region = w.name"
    ((_, _, _, inner), *_) = reversed(db.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
    assert "list args=region" in inner  # region pushed per outer row
    got = sorted(rows(db, sql))
    assert got == [
        ("eu-west-1", "a", "eu-west-1"),
        ("eu-west-1", "b", "eu-west-1"),
        ("us-east-1", "a", "us-east-1"),
        ("us-east-1", "b", "us-east-1"),
    ]
    assert _lists(emulator) == ["us-east-1"]  # the first outer row's region; the second is remembered
    calls = rows(db, "SELECT region, cache FROM vtab_calls WHERE operation = 'ListResources' ORDER BY seq")
    assert calls == [("us-east-1", "miss"), ("eu-west-1", "memo")]


def test_gets_updates_and_deletes_of_a_global_type_go_through_any_region(emulator: Any) -> None:
    db = connect(emulator)
    _roles(db, names=("a",))
    emulator.clear_calls()
    sql = (
        "SELECT region, description FROM iam_roles "
        "WHERE region IN ('us-east-1', 'eu-west-1') AND role_name = ?"
    )
    assert rows(db, sql, ("a",)) == [("us-east-1", None)]
    assert endpoint_ops(emulator) == {("GetResource", ROLE): 1}
    db.execute("UPDATE iam_roles SET description = 'changed' WHERE region = 'ap-south-1' AND role_name = 'a'")
    assert rows(db, "SELECT description FROM iam_roles WHERE region = 'eu-west-1' AND role_name = 'a'") == [
        ("changed",)
    ]
    assert emulator.resource("us-east-1", ROLE, "a")["Description"] == "changed"
    db.execute("DELETE FROM iam_roles WHERE region = 'eu-west-1' AND role_name = 'a'")
    assert emulator.resource("us-east-1", ROLE, "a") is None
    assert rows(db, "SELECT role_name FROM iam_roles WHERE region IN ('us-east-1', 'eu-west-1')") == []


def test_an_insert_without_region_of_a_global_type_goes_through_the_first_configured_region(
    emulator: Any,
) -> None:
    db = connect(emulator, regions="eu-west-1,us-east-1")
    emulator.clear_calls()
    db.execute("INSERT INTO iam_roles (role_name, assume_role_policy_document) VALUES ('a', ?)", (TRUST,))
    assert {c.region for c in emulator.calls if c.operation == "CreateResource"} == {"eu-west-1"}
    with pytest.raises(apsw.SQLError, match="2 regions are configured"):  # a regional type must say which
        db.execute("INSERT INTO logs_log_groups (log_group_name) VALUES ('g')")


def test_wafv2_lists_cloudfront_only_in_us_east_1(emulator: Any) -> None:
    emulator.seed_type(WEB_ACL, "us-east-1", count=1)  # a CLOUDFRONT one
    emulator.seed_type(WEB_ACL, "eu-west-1", count=1)  # a REGIONAL one (CLOUDFRONT cannot exist there)
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(db, "SELECT scope, region FROM wafv2_web_acls WHERE region IN ('us-east-1', 'eu-west-1')")
    assert sorted(got) == [("CLOUDFRONT", "us-east-1"), ("REGIONAL", "eu-west-1")]
    sent = sorted(
        (c.region, (c.resource_model or {}).get("Scope"))
        for c in emulator.calls
        if c.operation == "ListResources"
    )
    assert sent == [("eu-west-1", "REGIONAL"), ("us-east-1", "CLOUDFRONT"), ("us-east-1", "REGIONAL")]
    assert all(c.error_code is None for c in emulator.calls)


def test_cloudfront_scope_outside_us_east_1_is_no_row_and_no_call(emulator: Any) -> None:
    seeded = emulator.seed_type(WEB_ACL, "us-east-1", count=1)
    db = connect(emulator)
    emulator.clear_calls()
    assert (
        rows(db, "SELECT name FROM wafv2_web_acls WHERE region = 'eu-west-1' AND scope = 'CLOUDFRONT'") == []
    )
    sql = "SELECT name FROM wafv2_web_acls WHERE region = 'eu-west-1' AND data__Identifier = ?"
    assert rows(db, sql, (seeded.identifiers[0],)) == []
    assert emulator.calls == []


@pytest.mark.parametrize("scope", ["regional", "GLOBAL", ""])
def test_a_scope_outside_its_fixed_values_is_no_row_and_no_call(scope: str, emulator: Any) -> None:
    """WAFv2 answers an unknown Scope with an error, not an empty list: no web ACL can have it."""
    seeded = emulator.seed_type(WEB_ACL, "us-east-1", count=1)
    db = connect(emulator)
    emulator.clear_calls()
    assert (
        rows(db, "SELECT name FROM wafv2_web_acls WHERE region = 'us-east-1' AND scope = ?", (scope,)) == []
    )
    sql = "SELECT name FROM wafv2_web_acls WHERE scope IN (?, 'CLOUDFRONT') AND region = 'us-east-1'"
    assert len(rows(db, sql, (scope,))) == 1
    assert [(c.resource_model or {}).get("Scope") for c in emulator.calls] == ["CLOUDFRONT"]
    name, key, _ = seeded.identifiers[0].split("|")
    assert (
        rows(
            db,
            "SELECT name FROM wafv2_web_acls WHERE region = 'us-east-1' AND data__Identifier = ?",
            (f"{name}|{key}|{scope or 'x'}",),
        )
        == []
    )
    assert [(c.resource_model or {}).get("Scope") for c in emulator.calls] == ["CLOUDFRONT"]


def test_an_insert_of_cloudfront_scope_outside_us_east_1_is_refused_before_any_call(emulator: Any) -> None:
    db = connect(emulator)
    emulator.clear_calls()
    sql = (
        "INSERT INTO wafv2_web_acls (name, scope, default_action, visibility_config, region) VALUES "
        "('edge', 'CLOUDFRONT', '{\"Allow\": {}}', "
        '\'{"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "m"}\', ?)'
    )
    with pytest.raises(apsw.ConstraintError) as caught:
        db.execute(sql, ("eu-west-1",))
    assert str(caught.value).startswith(
        "scope = 'CLOUDFRONT': Scope CLOUDFRONT exists only in us-east-1, not in eu-west-1; "
        "write region = 'us-east-1'"
    )
    assert emulator.calls == []
    db.execute(sql, ("us-east-1",))
    assert rows(db, "SELECT name, scope FROM wafv2_web_acls WHERE region = 'us-east-1'") == [
        ("edge", "CLOUDFRONT")
    ]


def test_vtab_types_says_which_tables_are_global(emulator: Any) -> None:
    db = connect(emulator)
    scopes = dict(rows(db, "SELECT table_name, scope FROM vtab_types"))
    assert scopes["iam_roles"] == "global" and scopes["cloudfront_distributions"] == "global"
    assert scopes["wafv2_web_acls"] == "regional" and scopes["s3_buckets"] == "listed account-wide"
    catalog = load_catalog()
    expected = {
        t for t in catalog.type_names() if catalog.entry(t).table and catalog.entry(t).scope == "global"
    }
    assert len([t for t, s in scopes.items() if s == "global"]) == len(expected) > 80
