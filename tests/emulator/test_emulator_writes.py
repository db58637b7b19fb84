"""CreateResource, UpdateResource, DeleteResource and the polling that completes them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, WaiterError
from emulator_helpers import API, FAST_WAIT, INTEGRATION, IR, wait_ok

from vtab.emulator import Emulator, Seeded


def _create_ir(client, api_id: str, integration_id: str, key: str = "new", **extra) -> dict:
    desired = {"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": key, **extra}
    return client.create_resource(TypeName=IR, DesiredState=json.dumps(desired))["ProgressEvent"]


def test_create_returns_in_progress_then_success_through_the_waiter(
    emulator: Emulator, cloudcontrol, seeded: Seeded
) -> None:
    client = cloudcontrol()
    api_id, integration_id = seeded.integrations[0]
    event = _create_ir(client, api_id, integration_id, ResponseTemplates={"text/plain": "hi"})
    assert event["OperationStatus"] == "IN_PROGRESS"
    assert event["Operation"] == "CREATE"
    assert event["TypeName"] == IR
    assert "Identifier" not in event and "ResourceModel" not in event
    assert event["RetryAfter"] >= event["EventTime"]
    # Nothing changes until someone polls.
    assert len(emulator.integration_responses("us-east-1", api_id, integration_id)) == 3
    final = wait_ok(client, event["RequestToken"])
    assert final["OperationStatus"] == "SUCCESS"
    model = json.loads(final["ResourceModel"])
    assert final["Identifier"] == f"{api_id}|{integration_id}|{model['IntegrationResponseId']}"
    assert model["ResponseTemplates"] == {"text/plain": "hi"}
    assert "RetryAfter" not in final
    got = client.get_resource(TypeName=IR, Identifier=final["Identifier"])["ResourceDescription"]
    assert json.loads(got["Properties"]) == model
    assert len(emulator.integration_responses("us-east-1", api_id, integration_id)) == 4


def test_polls_before_complete_counts_polls(emulator: Emulator, cloudcontrol, seeded: Seeded) -> None:
    emulator.configure(polls_before_complete=3)
    client = cloudcontrol()
    token = _create_ir(client, *seeded.integrations[0])["RequestToken"]
    statuses = [
        client.get_resource_request_status(RequestToken=token)["ProgressEvent"]["OperationStatus"]
        for _ in range(4)
    ]
    assert statuses == ["IN_PROGRESS", "IN_PROGRESS", "SUCCESS", "SUCCESS"]


def test_polls_before_complete_zero_applies_at_submission(
    emulator: Emulator, cloudcontrol, seeded: Seeded
) -> None:
    emulator.configure(polls_before_complete=0)
    client = cloudcontrol()
    api_id, integration_id = seeded.integrations[0]
    event = _create_ir(client, api_id, integration_id)
    assert event["OperationStatus"] == "IN_PROGRESS"
    assert len(emulator.integration_responses("us-east-1", api_id, integration_id)) == 4
    assert (
        client.get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"][
            "OperationStatus"
        ]
        == "SUCCESS"
    )


def test_update_applies_a_json_patch(cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    identifier = seeded.responses[0]
    patch = [
        {"op": "replace", "path": "/IntegrationResponseKey", "value": "201"},
        {"op": "add", "path": "/ResponseTemplates/text~1plain", "value": "plain"},
        {"op": "remove", "path": "/ResponseParameters"},
        {"op": "add", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_BINARY"},
    ]
    event = client.update_resource(TypeName=IR, Identifier=identifier, PatchDocument=json.dumps(patch))[
        "ProgressEvent"
    ]
    assert event["OperationStatus"] == "IN_PROGRESS"
    assert event["Operation"] == "UPDATE" and event["Identifier"] == identifier
    final = wait_ok(client, event["RequestToken"])
    model = json.loads(
        client.get_resource(TypeName=IR, Identifier=identifier)["ResourceDescription"]["Properties"]
    )
    assert json.loads(final["ResourceModel"]) == model
    assert model["IntegrationResponseKey"] == "201"
    assert model["ResponseTemplates"] == {
        "application/json": '{"response": 0, "body": $input.body}',
        "text/plain": "plain",
    }
    assert "ResponseParameters" not in model
    assert model["ContentHandlingStrategy"] == "CONVERT_TO_BINARY"


def test_delete_then_get_is_not_found(emulator: Emulator, cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    identifier = seeded.responses[1]
    event = client.delete_resource(TypeName=IR, Identifier=identifier)["ProgressEvent"]
    assert (event["Operation"], event["OperationStatus"], event["Identifier"]) == (
        "DELETE",
        "IN_PROGRESS",
        identifier,
    )
    final = wait_ok(client, event["RequestToken"])
    assert final["OperationStatus"] == "SUCCESS" and "ResourceModel" not in final
    with pytest.raises(ClientError) as info:
        client.get_resource(TypeName=IR, Identifier=identifier)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert len(emulator.integration_responses("us-east-1", *seeded.integrations[0])) == 2


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_update_or_delete_of_missing_resource_fails_not_found(
    cloudcontrol, seeded: Seeded, operation: str
) -> None:
    client = cloudcontrol()
    api_id, integration_id = seeded.integrations[0]
    identifier = f"{api_id}|{integration_id}|missing"
    if operation == "update":
        patch = json.dumps([{"op": "replace", "path": "/IntegrationResponseKey", "value": "x"}])
        event = client.update_resource(TypeName=IR, Identifier=identifier, PatchDocument=patch)[
            "ProgressEvent"
        ]
    else:
        event = client.delete_resource(TypeName=IR, Identifier=identifier)["ProgressEvent"]
    assert event["OperationStatus"] == "IN_PROGRESS"
    with pytest.raises(WaiterError) as info:
        client.get_waiter("resource_request_success").wait(
            RequestToken=event["RequestToken"], WaiterConfig=FAST_WAIT
        )
    final = info.value.last_response["ProgressEvent"]
    assert final["OperationStatus"] == "FAILED"
    assert final["ErrorCode"] == "NotFound"
    assert final["StatusMessage"] == f"Resource of type '{IR}' with identifier '{identifier}' was not found."


def test_second_delete_fails_not_found(cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    identifier = seeded.responses[0]
    wait_ok(
        client, client.delete_resource(TypeName=IR, Identifier=identifier)["ProgressEvent"]["RequestToken"]
    )
    token = client.delete_resource(TypeName=IR, Identifier=identifier)["ProgressEvent"]["RequestToken"]
    final = client.get_resource_request_status(RequestToken=token)["ProgressEvent"]
    assert (final["OperationStatus"], final["ErrorCode"]) == ("FAILED", "NotFound")


def test_create_api_and_integration_and_cascade_delete(emulator: Emulator, cloudcontrol) -> None:
    client = cloudcontrol()
    event = client.create_resource(
        TypeName=API,
        DesiredState=json.dumps(
            {
                "Name": "made",
                "ProtocolType": "WEBSOCKET",
                "RouteSelectionExpression": "$request.body.action",
                "Tags": {"team": "x"},
                "IpAddressType": "dualstack",
            }
        ),
    )["ProgressEvent"]
    api = json.loads(wait_ok(client, event["RequestToken"])["ResourceModel"])
    assert api["Name"] == "made" and api["Tags"] == {"team": "x"} and api["IpAddressType"] == "dualstack"
    event = client.create_resource(
        TypeName=INTEGRATION, DesiredState=json.dumps({"ApiId": api["ApiId"], "IntegrationType": "MOCK"})
    )["ProgressEvent"]
    integration = json.loads(wait_ok(client, event["RequestToken"])["ResourceModel"])
    assert integration["ApiId"] == api["ApiId"] and integration["IntegrationType"] == "MOCK"
    final = wait_ok(client, _create_ir(client, api["ApiId"], integration["IntegrationId"])["RequestToken"])
    wait_ok(
        client, client.delete_resource(TypeName=API, Identifier=api["ApiId"])["ProgressEvent"]["RequestToken"]
    )
    with pytest.raises(ClientError) as info:
        client.get_resource(TypeName=IR, Identifier=final["Identifier"])
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert emulator.backend("us-east-1").apis == {}
