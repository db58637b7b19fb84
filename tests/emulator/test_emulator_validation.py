"""Synchronous validation of writes (schema, RFC 6902, create-only/read-only) and moto's gaps filled."""

from __future__ import annotations

import json

import pytest
from emulator_helpers import INTEGRATION, IR, call_error, parent_model, wait_failed, wait_ok

from vtab.emulator import Emulator, Seeded


@pytest.mark.parametrize(
    ("extra", "drop", "message"),
    [
        ({}, "IntegrationResponseKey", "#: required key [IntegrationResponseKey] not found"),
        ({"Foo": 1}, None, "#: extraneous key [Foo] is not permitted"),
        ({"IntegrationResponseId": "abc"}, None, "read-only property [/properties/IntegrationResponseId]"),
        ({"ContentHandlingStrategy": "CONVERT_TO_XML"}, None, "CONVERT_TO_XML is not a valid enum value"),
        ({"ResponseTemplates": "text"}, None, "#/ResponseTemplates: expected type: Object, found: String"),
    ],
)
def test_create_rejects_invalid_desired_state(
    emulator: Emulator, cloudcontrol, seeded: Seeded, extra: dict, drop: str | None, message: str
) -> None:
    api_id, integration_id = seeded.integrations[0]
    desired = {"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": "k", **extra}
    if drop:
        del desired[drop]
    client = cloudcontrol()
    error = call_error(lambda: client.create_resource(TypeName=IR, DesiredState=json.dumps(desired)))
    assert error["Code"] == "InvalidRequestException"
    assert error["Message"].startswith("Model validation failed (")
    assert message in error["Message"]
    assert client.list_resource_requests()["ResourceRequestStatusSummaries"] == []


def test_create_reports_every_violation_at_once(cloudcontrol) -> None:
    desired = {"Foo": 1, "ContentHandlingStrategy": "NOPE"}
    error = call_error(lambda: cloudcontrol().create_resource(TypeName=IR, DesiredState=json.dumps(desired)))
    for expected in ("[ApiId]", "[IntegrationId]", "[IntegrationResponseKey]", "[Foo]", "NOPE"):
        assert expected in error["Message"]


@pytest.mark.parametrize("state", ["not json", "[1, 2]", '"text"'])
def test_create_rejects_desired_state_that_is_not_a_json_object(cloudcontrol, state: str) -> None:
    error = call_error(lambda: cloudcontrol().create_resource(TypeName=IR, DesiredState=state))
    assert error["Code"] == "InvalidRequestException"
    assert "DesiredState" in error["Message"]


def test_integration_schema_is_enforced_too(cloudcontrol, seeded: Seeded) -> None:
    desired = {"ApiId": seeded.api_ids[0], "IntegrationType": "CARRIER_PIGEON"}
    error = call_error(
        lambda: cloudcontrol().create_resource(TypeName=INTEGRATION, DesiredState=json.dumps(desired))
    )
    assert error["Code"] == "InvalidRequestException"
    assert "#/IntegrationType: CARRIER_PIGEON is not a valid enum value" in error["Message"]


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ("not json", "not valid JSON"),
        ('{"op": "replace", "path": "/IntegrationResponseKey", "value": "x"}', "must be a JSON array"),
        ('[{"op": "frobnicate", "path": "/IntegrationResponseKey"}]', "invalid 'op'"),
        ('[{"op": "replace", "path": "/IntegrationResponseKey"}]', "has no 'value'"),
        ('[{"op": "replace", "path": "IntegrationResponseKey", "value": "x"}]', "invalid 'path'"),
        ('[{"op": "move", "path": "/IntegrationResponseKey"}]', "invalid 'from'"),
        ('["replace"]', "is not a JSON object"),
        ('[{"op": "replace", "path": "", "value": {}}]', "whole document"),
        ('[{"op": "add", "path": "/Foo", "value": 1}]', "extraneous key [Foo]"),
        ('[{"op": "remove", "path": "/ContentHandlingStrategy"}]', "Invalid patch document"),
        ('[{"op": "remove", "path": "/IntegrationResponseKey"}]', "required key [IntegrationResponseKey]"),
        ('[{"op": "add", "path": "/ContentHandlingStrategy", "value": "X"}]', "X is not a valid enum"),
        ('[{"op": "test", "path": "/IntegrationResponseKey", "value": "other"}]', "Invalid patch document"),
    ],
)
def test_update_rejects_invalid_patch_documents(
    cloudcontrol, seeded: Seeded, document: str, fragment: str
) -> None:
    client = cloudcontrol()
    error = call_error(
        lambda: client.update_resource(TypeName=IR, Identifier=seeded.responses[0], PatchDocument=document)
    )
    assert error["Code"] == "InvalidRequestException"
    assert fragment in error["Message"]
    assert client.list_resource_requests()["ResourceRequestStatusSummaries"] == []


@pytest.mark.parametrize(
    ("op", "kind", "name"),
    [
        ({"op": "replace", "path": "/ApiId", "value": "x"}, "createOnlyProperties", "ApiId"),
        ({"op": "remove", "path": "/IntegrationId"}, "createOnlyProperties", "IntegrationId"),
        (
            {"op": "replace", "path": "/IntegrationResponseId", "value": "x"},
            "readOnlyProperties",
            "IntegrationResponseId",
        ),
        (
            {"op": "move", "from": "/ApiId", "path": "/IntegrationResponseKey"},
            "createOnlyProperties",
            "ApiId",
        ),
    ],
)
def test_update_touching_create_only_or_read_only_is_not_updatable(
    cloudcontrol, seeded: Seeded, op: dict, kind: str, name: str
) -> None:
    client = cloudcontrol()
    patch = json.dumps([op])
    error = call_error(
        lambda: client.update_resource(TypeName=IR, Identifier=seeded.responses[0], PatchDocument=patch)
    )
    assert error["Code"] == "NotUpdatableException"
    assert error["Message"] == f"Invalid patch update: {kind} [/properties/{name}] cannot be updated"


def test_patch_test_operation_may_read_create_only_properties(cloudcontrol, seeded: Seeded) -> None:
    api_id = seeded.responses[0].split("|")[0]
    patch = [
        {"op": "test", "path": "/ApiId", "value": api_id},
        {"op": "replace", "path": "/IntegrationResponseKey", "value": "tested"},
    ]
    client = cloudcontrol()
    event = client.update_resource(
        TypeName=IR, Identifier=seeded.responses[0], PatchDocument=json.dumps(patch)
    )
    final = wait_ok(client, event["ProgressEvent"]["RequestToken"])
    assert json.loads(final["ResourceModel"])["IntegrationResponseKey"] == "tested"


def test_duplicate_integration_response_key_fails_already_exists(
    emulator: Emulator, cloudcontrol, seeded: Seeded
) -> None:
    client = cloudcontrol()
    api_id, integration_id = seeded.integrations[0]
    desired = {"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": "$default"}
    token = client.create_resource(TypeName=IR, DesiredState=json.dumps(desired))["ProgressEvent"][
        "RequestToken"
    ]
    event = wait_failed(client, token)
    assert event["ErrorCode"] == "AlreadyExists"
    assert "IntegrationResponseKey=$default" in event["StatusMessage"]
    assert len(emulator.integration_responses("us-east-1", api_id, integration_id)) == 3
    # An update to a key another response of the integration uses fails the same way.
    patch = json.dumps([{"op": "replace", "path": "/IntegrationResponseKey", "value": "200"}])
    token = client.update_resource(TypeName=IR, Identifier=seeded.responses[0], PatchDocument=patch)[
        "ProgressEvent"
    ]["RequestToken"]
    assert wait_failed(client, token)["ErrorCode"] == "AlreadyExists"


def test_integration_responses_only_on_websocket_apis(
    emulator: Emulator, cloudcontrol, seeded: Seeded
) -> None:
    client = cloudcontrol()
    api_id, integration_id = seeded.http_integrations[0]
    desired = {"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": "$default"}
    token = client.create_resource(TypeName=IR, DesiredState=json.dumps(desired))["ProgressEvent"][
        "RequestToken"
    ]
    event = wait_failed(client, token)
    assert event["ErrorCode"] == "InvalidRequest"
    assert "WebSocket" in event["StatusMessage"]
    assert emulator.backend("us-east-1").apis[api_id].integrations[integration_id].responses == {}
    error = call_error(
        lambda: client.list_resources(TypeName=IR, ResourceModel=parent_model(api_id, integration_id))
    )
    assert error["Code"] == "InvalidRequestException"
    assert "WebSocket" in error["Message"]


def test_create_under_missing_parent_fails_not_found(cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    api_id, _ = seeded.integrations[0]
    for desired in (
        {"ApiId": "nope", "IntegrationId": "nope", "IntegrationResponseKey": "k"},
        {"ApiId": api_id, "IntegrationId": "nope", "IntegrationResponseKey": "k"},
    ):
        token = client.create_resource(TypeName=IR, DesiredState=json.dumps(desired))["ProgressEvent"][
            "RequestToken"
        ]
        event = wait_failed(client, token)
        assert event["ErrorCode"] == "NotFound"
        assert "nope" in event["StatusMessage"]
        assert "Identifier" not in event


def test_deleting_a_missing_integration_fails_not_found(cloudcontrol, seeded: Seeded) -> None:
    """moto deletes a missing integration silently; the handler reports NotFound."""
    client = cloudcontrol()
    identifier = f"{seeded.api_ids[0]}|missing"
    token = client.delete_resource(TypeName=INTEGRATION, Identifier=identifier)["ProgressEvent"][
        "RequestToken"
    ]
    assert wait_failed(client, token)["ErrorCode"] == "NotFound"


def test_malformed_identifier_of_a_write_fails_not_found(cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    token = client.delete_resource(TypeName=IR, Identifier="only|two")["ProgressEvent"]["RequestToken"]
    event = wait_failed(client, token)
    assert event["ErrorCode"] == "NotFound"
    assert event["Identifier"] == "only|two"
