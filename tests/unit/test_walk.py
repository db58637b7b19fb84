"""The parent walk on its own: which listings and gets WHERE's values lead to, with the catalog's real
schemas and no call (the caller's account id comes from a function the test gives)."""

from __future__ import annotations

from typing import Any

import apsw
import pytest

from vtab.catalog.schema import ResourceSchema
from vtab.catalog.store import load_catalog
from vtab.read.rows import Row
from vtab.read.walk import GROUP_LIST_MIN, Walk

RESPONSES = "AWS::ApiGatewayV2::IntegrationResponse"
GLUE_TABLES = "AWS::Glue::Table"
WEB_ACLS = "AWS::WAFv2::WebACL"


def schema(type_name: str) -> ResourceSchema:
    return load_catalog().schema(type_name)


def no_account(region: str, fix: str) -> str:
    raise AssertionError("no account id is needed here")


def test_the_levels_of_a_walk_are_its_parents_then_the_type() -> None:
    walk = Walk(schema(RESPONSES), {}, no_account)
    assert [level.type_name for level in walk.levels] == [
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Integration",
        RESPONSES,
    ]
    assert walk.leaf_depth == 2


def test_given_parents_are_one_combination_per_in_value() -> None:
    walk = Walk(schema(RESPONSES), {"api_id": {"a", "b"}}, no_account)
    assert list(walk.given_parents(1)) == [
        {"AWS::ApiGatewayV2::Api": {"ApiId": "a"}},
        {"AWS::ApiGatewayV2::Api": {"ApiId": "b"}},
    ]
    assert list(walk.given_parents(0)) == [{}]  # a walk from the top is under no given parent


def test_the_leaf_is_listed_with_the_given_and_the_known_parents() -> None:
    walk = Walk(schema(RESPONSES), {"integration_id": {"i2", "i1"}}, no_account)
    known = {"AWS::ApiGatewayV2::Api": {"ApiId": "a"}}
    assert walk.models(2, known, "us-east-1") == [
        {"ApiId": "a", "IntegrationId": "i1"},
        {"ApiId": "a", "IntegrationId": "i2"},
    ]


def test_ids_that_cannot_be_ids_send_nothing() -> None:
    """'' and 'a|b' match no row ('|' joins ids into identifiers); a number is its text."""
    walk = Walk(schema(RESPONSES), {"api_id": {"", "a|b", "ok", 7}}, no_account)
    assert walk.texts("api_id") == ["7", "ok"]


def test_a_fixed_value_input_lists_once_per_value() -> None:
    walk = Walk(schema(WEB_ACLS), {}, no_account)
    assert walk.models(0, {}, "us-east-1") == [{"Scope": "CLOUDFRONT"}, {"Scope": "REGIONAL"}]


def test_the_account_id_is_asked_once_per_scan_and_a_failure_is_kept() -> None:
    asked: list[tuple[str, str]] = []

    def account_of(region: str, fix: str) -> str:
        asked.append((region, fix))
        raise apsw.AuthError("no credentials")

    walk = Walk(schema(GLUE_TABLES), {}, account_of)
    assert walk.asks_account(1)
    for _ in range(2):
        with pytest.raises(apsw.AuthError, match="no credentials"):
            walk.models(1, {"AWS::Glue::Database": {"DatabaseName": "db"}}, "us-east-1")
    assert asked == [("us-east-1", "give catalog_id = '123456789012' in WHERE")]


def test_an_account_id_given_in_where_is_used_and_nothing_is_asked() -> None:
    walk = Walk(schema(GLUE_TABLES), {"catalog_id": {"111111111111"}}, no_account)
    assert not walk.asks_account(1)
    assert walk.models(1, {"AWS::Glue::Database": {"DatabaseName": "db"}}, "us-east-1") == [
        {"DatabaseName": "db", "CatalogId": "111111111111"}
    ]


def test_identifiers_of_one_parent_are_read_from_its_listing_the_rest_got() -> None:
    walk = Walk(schema(RESPONSES), {}, no_account)
    shared = [f"a|i|r{n}" for n in range(GROUP_LIST_MIN)]
    listed, singles = walk.groups("us-east-1", [*shared, "b|j|r"])
    assert listed == [({"ApiId": "a", "IntegrationId": "i"}, shared)]
    assert singles == ["b|j|r"]


def test_a_malformed_identifier_is_refused_before_any_call() -> None:
    walk = Walk(schema(RESPONSES), {"data__Identifier": {"only-one-part"}}, no_account)
    with pytest.raises(apsw.SQLError, match=r"malformed.*Write it as '<ApiId>\|<IntegrationId>"):
        walk.identifiers()


def test_a_get_plan_without_identifiers_joins_the_id_columns() -> None:
    values: dict[str, set[Any]] = {
        "api_id": {"a"},
        "integration_id": {"i"},
        "integration_response_id": {"r", "s"},
    }
    assert Walk(schema(RESPONSES), values, no_account).identifiers() == ["a|i|r", "a|i|s"]


def test_a_row_shows_its_identifier_parts_and_the_inputs_it_was_listed_under() -> None:
    walk = Walk(schema(RESPONSES), {}, no_account)
    row = walk.row("us-east-1", "a|i|r", {"IntegrationResponseKey": "$default"})
    assert row.properties == {
        "ApiId": "a",
        "IntegrationId": "i",
        "IntegrationResponseId": "r",
        "IntegrationResponseKey": "$default",
    }
    fed = walk.fed([("r2", {"IntegrationResponseKey": "k"})], {"ApiId": "a", "IntegrationId": "i"})
    assert fed == [("r2", {"ApiId": "a", "IntegrationId": "i", "IntegrationResponseKey": "k"})]


def test_pushed_down_values_decide_which_rows_match() -> None:
    walk = Walk(schema(RESPONSES), {"region": {"us-east-1"}, "api_id": {"a"}}, no_account)
    rows = [
        Row("us-east-1", "a|i|r", {"ApiId": "a"}),
        Row("eu-west-1", "a|i|r", {"ApiId": "a"}),
        Row("us-east-1", "b|i|r", {"ApiId": "b"}),
        Row("us-east-1", "a|j|s", {"ApiId": "a"}),
    ]
    assert walk.kept(rows) == [rows[0], rows[3]]


def test_a_page_of_items_becomes_rows_filled_in_where_an_item_lacks_its_ids() -> None:
    walk = Walk(schema(RESPONSES), {}, no_account)
    whole = {"ApiId": "a", "IntegrationId": "i", "IntegrationResponseId": "r"}
    rows = walk.rows("us-east-1", [("a|i|r", whole), ("a|i|s", {"IntegrationResponseKey": "k"})])
    assert rows[0].properties is whole  # shown whole: kept as it is
    assert rows[1].properties == {
        "ApiId": "a",
        "IntegrationId": "i",
        "IntegrationResponseId": "s",
        "IntegrationResponseKey": "k",
    }


def test_a_listed_page_is_its_items_fed_the_listings_inputs_then_made_rows_in_one_pass() -> None:
    """``listed`` is ``rows`` of ``fed``: an item showing its ids and the listing's inputs is its row as it
    is; one lacking them is filled in, its own values winning over the listing's."""
    walk = Walk(schema(RESPONSES), {}, no_account, account="111122223333")
    model = {"ApiId": "a", "IntegrationId": "i"}
    whole = {"ApiId": "a", "IntegrationId": "i", "IntegrationResponseId": "r"}
    lacking = {"IntegrationResponseId": "s", "IntegrationResponseKey": "k"}
    own_value = {"IntegrationId": "mine", "IntegrationResponseId": "t"}
    page = [("a|i|r", whole), ("a|i|s", lacking), ("a|mine|t", own_value)]
    rows = walk.listed("us-east-1", page, model)
    assert rows == walk.rows("us-east-1", walk.fed(page, model))
    assert rows[0].properties is whole
    assert rows[0].account == "111122223333"
    assert rows[1].properties == {**model, **lacking}
    assert rows[2].properties == {"ApiId": "a", **own_value}
