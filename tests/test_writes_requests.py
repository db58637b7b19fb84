"""Request shaping, checked with botocore's Stubber: the exact members each write call carries."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import apsw
from botocore.stub import ANY, Stubber

import vtab

IR = "AWS::ApiGatewayV2::IntegrationResponse"
ROLE = "arn:aws:iam::123456789012:role/cloudcontrol-writer"


def _stubbed(**options: Any) -> tuple[apsw.Connection, Stubber]:
    db = apsw.Connection(":memory:")
    registry = vtab.register(db, regions="us-east-1", rate_limit=None, cache_ttl=0, **options)
    db.execute("SELECT 1 FROM integration_responses WHERE 0")  # connects the eponymous table
    (table,) = registry.tables
    stubber = Stubber(table.context.cloud.client("us-east-1"))
    stubber.activate()
    return db, stubber


def _event(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "ProgressEvent": {
            "TypeName": IR,
            "RequestToken": "token-1",
            "Operation": "CREATE",
            "OperationStatus": status,
            "EventTime": datetime(2026, 1, 1, tzinfo=UTC),
            **extra,
        }
    }


def test_create_carries_desired_state_a_uuid_client_token_and_the_role() -> None:
    db, stubber = _stubbed(role_arn=ROLE)
    desired = {  # in the schema's property order
        "ResponseTemplates": {"application/json": "{}"},
        "IntegrationId": "i1",
        "IntegrationResponseKey": "$default",
        "ApiId": "a1",
    }
    stubber.add_response(
        "create_resource",
        _event("IN_PROGRESS"),
        {
            "TypeName": IR,
            "DesiredState": json.dumps(desired, separators=(",", ":")),
            "ClientToken": ANY,
            "RoleArn": ROLE,
        },
    )
    # Polls carry only the RequestToken (RoleArn is not a member of GetResourceRequestStatus).
    stubber.add_response(
        "get_resource_request_status",
        _event("SUCCESS", Identifier="a1|i1|r1"),
        {"RequestToken": "token-1"},
    )
    db.execute(
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region, "
        "response_templates) VALUES ('a1', 'i1', '$default', 'us-east-1', '{\"application/json\": \"{}\"}')"
    )
    stubber.assert_no_pending_responses()
    (identifier, request_token) = db.execute(
        "SELECT identifier, request_token FROM vtab_calls WHERE operation = 'CreateResource'"
    ).fetchone()
    assert (identifier, request_token) == ("a1|i1|r1", "token-1")


def test_each_row_gets_its_own_uuid4_client_token() -> None:
    db, stubber = _stubbed()
    tokens: list[str] = []

    def capture(params: dict[str, Any], **kwargs: Any) -> None:
        if "ClientToken" in params:
            tokens.append(params["ClientToken"])

    stubber.client.meta.events.register("before-parameter-build.cloudcontrol.CreateResource", capture)
    for _ in range(2):
        stubber.add_response("create_resource", _event("SUCCESS", Identifier="a|i|r"))
    db.execute(
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES ('a', 'i', 'k1', 'us-east-1'), ('a', 'i', 'k2', 'us-east-1')"
    )
    stubber.assert_no_pending_responses()
    assert len(tokens) == 2 and tokens[0] != tokens[1]
    assert all(uuid.UUID(t).version == 4 for t in tokens)
