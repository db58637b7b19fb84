"""Reads: the seed page's SQL verbatim, each plan, and the calls each one makes (and no others)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.readhelpers import KNOWN_ACCOUNT, connect, endpoint_summary, rows

QUERY_LIST = """
SELECT region, api_id, integration_id, integration_response_id
FROM integration_responses WHERE region = 'us-east-1';
"""

QUERY_GET = """
SELECT region, integration_response_id, response_templates, template_selection_expression,
       response_parameters, content_handling_strategy, integration_id, integration_response_key, api_id
FROM integration_responses
WHERE region = 'us-east-1' AND data__Identifier = '{identifier}';
"""


def plan_of(db: Any, sql: str) -> str:
    return " ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql))


def test_region_query_verbatim_walks_websocket_apis_and_returns_every_response(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=3, responses=2, http_apis=1)
    emulator.seed("eu-west-1", websocket_apis=1, integrations=1, responses=1)
    db = connect(emulator)
    emulator.clear_calls()

    got = rows(db, QUERY_LIST)

    assert sorted(f"{a}|{i}|{r}" for _, a, i, r in got) == sorted(seeded.responses)
    assert {region for region, *_ in got} == {"us-east-1"}
    # One list of APIs; integrations of the 2 WebSocket APIs only (the HTTP API is skipped); one list of
    # responses per integration; no GetResource, because only identifier columns are selected.
    assert endpoint_summary(emulator) == {
        "ListResources Api": 1,
        "ListResources Integration": 2,
        "ListResources IntegrationResponse": 6,
    }
    assert "walk from=Api" in plan_of(db, QUERY_LIST)


def test_identifier_query_verbatim_is_one_get_with_every_column(emulator: Any, cloudcontrol: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=2, responses=3)
    identifier = seeded.responses[0]
    truth = json.loads(
        cloudcontrol().get_resource(TypeName="AWS::ApiGatewayV2::IntegrationResponse", Identifier=identifier)[
            "ResourceDescription"
        ]["Properties"]
    )
    db = connect(emulator)
    emulator.clear_calls()

    (row,) = rows(db, QUERY_GET.format(identifier=identifier))

    region, response_id, templates, selection, parameters, handling, integration_id, key, api_id = row
    assert region == "us-east-1"
    assert f"{api_id}|{integration_id}|{response_id}" == identifier
    assert json.loads(templates) == truth["ResponseTemplates"]
    assert json.loads(parameters) == truth["ResponseParameters"]
    assert selection == truth.get("TemplateSelectionExpression")
    assert handling == truth.get("ContentHandlingStrategy")
    assert key == truth["IntegrationResponseKey"]
    assert endpoint_summary(emulator) == {"GetResource IntegrationResponse": 1}
    assert "get args=region,data__Identifier" in plan_of(db, QUERY_GET.format(identifier=identifier))


def test_missing_resource_on_get_is_no_row(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator)
    assert rows(db, QUERY_GET.format(identifier=f"{api_id}|{integration_id}|nosuchid")) == []
    assert rows(db, QUERY_GET.format(identifier="noapi|noint|noresp")) == []


def test_all_three_ids_make_a_get(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    api_id, integration_id, response_id = seeded.responses[1].split("|")
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(
        db,
        "SELECT integration_response_key FROM integration_responses WHERE region = 'us-east-1' "
        "AND api_id = ? AND integration_id = ? AND integration_response_id = ?",
        (api_id, integration_id, response_id),
    )
    assert len(got) == 1
    assert endpoint_summary(emulator) == {"GetResource IntegrationResponse": 1}


def test_parent_ids_make_one_parent_scoped_list(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=2, responses=4)
    api_id, integration_id = seeded.integrations[1]
    db = connect(emulator)
    emulator.clear_calls()
    sql = (
        "SELECT integration_response_key, response_templates FROM integration_responses "
        f"WHERE region = 'us-east-1' AND api_id = '{api_id}' AND integration_id = '{integration_id}'"
    )
    got = rows(db, sql)
    assert sorted(key for key, _ in got) == sorted(["$default", "200", "400", "404"])
    assert endpoint_summary(emulator) == {"ListResources IntegrationResponse": 1}
    (call,) = emulator.calls
    assert call.resource_model == {"ApiId": api_id, "IntegrationId": integration_id}
    assert "list args=region,api_id,integration_id" in plan_of(db, sql)


def test_api_id_walks_from_its_integrations(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=3, responses=1)
    api_id = seeded.websocket_api_ids[0]
    db = connect(emulator)
    emulator.clear_calls()
    sql = (
        f"SELECT integration_id FROM integration_responses WHERE region = 'us-east-1' AND api_id = '{api_id}'"
    )
    got = rows(db, sql)
    assert sorted(i for (i,) in got) == sorted(i for a, i in seeded.integrations if a == api_id)
    assert endpoint_summary(emulator) == {
        "ListResources Integration": 1,
        "ListResources IntegrationResponse": 3,
    }
    assert "walk from=Integration" in plan_of(db, sql)


def test_no_region_reads_every_configured_region(emulator: Any) -> None:
    east = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    west = emulator.seed("eu-west-1", websocket_apis=1, integrations=1, responses=3)
    db = connect(emulator, regions="us-east-1,eu-west-1")
    emulator.clear_calls()
    got = rows(db, "SELECT region, data__Identifier FROM integration_responses")
    assert sorted(got) == sorted(
        [("us-east-1", i) for i in east.responses] + [("eu-west-1", i) for i in west.responses]
    )
    assert sorted(call.region for call in emulator.calls if call.type_name.endswith("::Api")) == [
        "eu-west-1",
        "us-east-1",
    ]


def test_no_region_uses_the_boto3_default_region(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    west = emulator.seed("eu-west-1", websocket_apis=1, integrations=1, responses=2)
    emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    db = connect(emulator, regions="")
    got = rows(db, "SELECT region, data__Identifier FROM integration_responses")
    assert sorted(got) == sorted(("eu-west-1", i) for i in west.responses)


def test_limit_without_order_by_stops_after_the_first_page(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=60)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator, **KNOWN_ACCOUNT)
    where = f"WHERE region = 'us-east-1' AND api_id = '{api_id}' AND integration_id = '{integration_id}'"
    emulator.clear_calls()
    assert len(rows(db, f"SELECT * FROM integration_responses {where} LIMIT 5")) == 5
    assert endpoint_summary(emulator) == {"ListResources IntegrationResponse": 1}

    # With an ORDER BY SQLite still offers the LIMIT; honouring it would return the wrong rows.
    emulator.clear_calls()
    got = rows(
        db, f"SELECT integration_response_key FROM integration_responses {where} ORDER BY 1 DESC LIMIT 2"
    )
    keys = sorted(rows(db, f"SELECT integration_response_key FROM integration_responses {where}"))
    assert got == sorted(keys, reverse=True)[:2]
    assert endpoint_summary(emulator)["ListResources IntegrationResponse"] == 3 + 3


def test_pagination_reads_every_page_without_a_cap(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=130)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(
        db,
        "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1' AND api_id = ? "
        "AND integration_id = ?",
        (api_id, integration_id),
    )
    assert sorted(i for (i,) in got) == sorted(seeded.responses)
    assert endpoint_summary(emulator) == {"ListResources IntegrationResponse": 6}  # 5 x 25 + 5
    (logged,) = rows(db, "SELECT pages, items FROM vtab_calls WHERE operation = 'ListResources'")
    assert logged == (6, 130)
