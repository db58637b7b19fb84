"""Resource requests: idempotency, concurrency, status, cancel and ListResourceRequests."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError, WaiterError
from emulator_helpers import FAST_WAIT, IR, wait_ok

from vtab.emulator import Emulator, Seeded

RENAME = json.dumps([{"op": "replace", "path": "/IntegrationResponseKey", "value": "renamed"}])


def _desired(seeded: Seeded, key: str = "new") -> str:
    api_id, integration_id = seeded.integrations[0]
    return json.dumps({"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": key})


def _error(call) -> dict:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]


def test_same_client_token_and_request_returns_the_same_request(
    emulator: Emulator, cloudcontrol, seeded: Seeded
) -> None:
    client = cloudcontrol()
    first = client.create_resource(TypeName=IR, DesiredState=_desired(seeded), ClientToken="tok-1")[
        "ProgressEvent"
    ]
    again = client.create_resource(TypeName=IR, DesiredState=_desired(seeded), ClientToken="tok-1")[
        "ProgressEvent"
    ]
    assert again["RequestToken"] == first["RequestToken"]
    # The same event (only RetryAfter, "when to ask next", is counted from each answer).
    assert {k: v for k, v in again.items() if k != "RetryAfter"} == {
        k: v for k, v in first.items() if k != "RetryAfter"
    }
    wait_ok(client, first["RequestToken"])
    # A retry after completion still returns that request, now finished; nothing is created twice.
    late = client.create_resource(TypeName=IR, DesiredState=_desired(seeded), ClientToken="tok-1")[
        "ProgressEvent"
    ]
    assert (late["RequestToken"], late["OperationStatus"]) == (first["RequestToken"], "SUCCESS")
    assert len(emulator.integration_responses("us-east-1", *seeded.integrations[0])) == 4
    assert len(client.list_resource_requests()["ResourceRequestStatusSummaries"]) == 1


def test_same_client_token_with_a_different_request_conflicts(cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    client.create_resource(TypeName=IR, DesiredState=_desired(seeded, "a"), ClientToken="tok-2")
    for call in (
        lambda: client.create_resource(TypeName=IR, DesiredState=_desired(seeded, "b"), ClientToken="tok-2"),
        lambda: client.delete_resource(TypeName=IR, Identifier=seeded.responses[0], ClientToken="tok-2"),
        lambda: client.update_resource(
            TypeName=IR, Identifier=seeded.responses[0], PatchDocument=RENAME, ClientToken="tok-2"
        ),
    ):
        error = _error(call)
        assert error["Code"] == "ClientTokenConflictException"
        assert "tok-2" in error["Message"] and "already been used" in error["Message"]


def test_client_tokens_are_per_region(emulator: Emulator, cloudcontrol, seeded: Seeded) -> None:
    west = emulator.seed("eu-west-1", http_apis=0)
    api_id, integration_id = west.integrations[0]
    desired = json.dumps({"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": "w"})
    east_event = cloudcontrol().create_resource(
        TypeName=IR, DesiredState=_desired(seeded), ClientToken="tok-3"
    )
    west_event = cloudcontrol("eu-west-1").create_resource(
        TypeName=IR, DesiredState=desired, ClientToken="tok-3"
    )
    assert east_event["ProgressEvent"]["RequestToken"] != west_event["ProgressEvent"]["RequestToken"]


def test_botocore_fills_in_a_client_token(emulator: Emulator, cloudcontrol, seeded: Seeded) -> None:
    cloudcontrol().create_resource(TypeName=IR, DesiredState=_desired(seeded))
    (call,) = emulator.calls
    assert call.operation == "CreateResource" and len(call.client_token or "") == 36
    assert call.desired_state == json.loads(_desired(seeded))


def test_second_mutation_of_a_busy_identifier_is_concurrent_operation(cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    identifier = seeded.responses[0]
    token = client.update_resource(TypeName=IR, Identifier=identifier, PatchDocument=RENAME)["ProgressEvent"][
        "RequestToken"
    ]
    api_id, integration_id, response_id = identifier.split("|")
    as_json = json.dumps(
        {"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseId": response_id}
    )
    for call in (
        lambda: client.delete_resource(TypeName=IR, Identifier=identifier),
        lambda: client.delete_resource(TypeName=IR, Identifier=as_json),
        lambda: client.update_resource(TypeName=IR, Identifier=identifier, PatchDocument=RENAME),
    ):
        error = _error(call)
        assert error["Code"] == "ConcurrentOperationException"
        assert "Another resource operation is currently being performed on this resource" in error["Message"]
    # Other resources are not blocked, and the identifier is free again once the update finished.
    other = client.delete_resource(TypeName=IR, Identifier=seeded.responses[1])["ProgressEvent"]
    assert other["OperationStatus"] == "IN_PROGRESS"
    wait_ok(client, token)
    assert client.delete_resource(TypeName=IR, Identifier=identifier)["ProgressEvent"]["OperationStatus"] == (
        "IN_PROGRESS"
    )


def test_unknown_request_token(cloudcontrol, emulator: Emulator, seeded: Seeded) -> None:
    for call in (
        lambda: cloudcontrol().get_resource_request_status(RequestToken="no-such-token"),
        lambda: cloudcontrol().cancel_resource_request(RequestToken="no-such-token"),
    ):
        error = _error(call)
        assert error["Code"] == "RequestTokenNotFoundException"
        assert "no-such-token" in error["Message"]
    # Tokens are regional.
    token = cloudcontrol().create_resource(TypeName=IR, DesiredState=_desired(seeded))["ProgressEvent"][
        "RequestToken"
    ]
    error = _error(lambda: cloudcontrol("eu-west-1").get_resource_request_status(RequestToken=token))
    assert error["Code"] == "RequestTokenNotFoundException"


def test_cancel_in_flight_request(emulator: Emulator, cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    token = client.create_resource(TypeName=IR, DesiredState=_desired(seeded))["ProgressEvent"][
        "RequestToken"
    ]
    event = client.cancel_resource_request(RequestToken=token)["ProgressEvent"]
    assert (event["RequestToken"], event["OperationStatus"]) == (token, "CANCEL_COMPLETE")
    with pytest.raises(WaiterError) as info:
        client.get_waiter("resource_request_success").wait(RequestToken=token, WaiterConfig=FAST_WAIT)
    assert info.value.last_response["ProgressEvent"]["OperationStatus"] == "CANCEL_COMPLETE"
    assert "terminal failure state" in str(info.value)
    assert len(emulator.integration_responses("us-east-1", *seeded.integrations[0])) == 3
    # Cancelling again is idempotent.
    assert (
        client.cancel_resource_request(RequestToken=token)["ProgressEvent"]["OperationStatus"]
        == "CANCEL_COMPLETE"
    )


def test_cancel_releases_the_identifier(cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    token = client.delete_resource(TypeName=IR, Identifier=seeded.responses[0])["ProgressEvent"][
        "RequestToken"
    ]
    client.cancel_resource_request(RequestToken=token)
    again = client.delete_resource(TypeName=IR, Identifier=seeded.responses[0])["ProgressEvent"]
    assert wait_ok(client, again["RequestToken"])["OperationStatus"] == "SUCCESS"


def test_cancel_of_a_finished_request_is_concurrent_modification(cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    token = client.create_resource(TypeName=IR, DesiredState=_desired(seeded))["ProgressEvent"][
        "RequestToken"
    ]
    wait_ok(client, token)
    error = _error(lambda: client.cancel_resource_request(RequestToken=token))
    assert error["Code"] == "ConcurrentModificationException"
    assert "SUCCESS" in error["Message"]


def test_list_resource_requests_filters_and_paginates(
    emulator: Emulator, cloudcontrol, seeded: Seeded
) -> None:
    client = cloudcontrol()
    created = [
        client.create_resource(TypeName=IR, DesiredState=_desired(seeded, f"k{i}"))["ProgressEvent"][
            "RequestToken"
        ]
        for i in range(3)
    ]
    deleted = client.delete_resource(TypeName=IR, Identifier=seeded.responses[0])["ProgressEvent"][
        "RequestToken"
    ]
    wait_ok(client, created[0])
    emulator.fail_next_write("ServiceLimitExceeded", "too many")
    failing = client.delete_resource(TypeName=IR, Identifier=seeded.responses[1])["ProgressEvent"][
        "RequestToken"
    ]
    client.get_resource_request_status(RequestToken=failing)

    def tokens(**kwargs) -> list[str]:
        pages = client.get_paginator("list_resource_requests").paginate(**kwargs)
        return [e["RequestToken"] for p in pages for e in p["ResourceRequestStatusSummaries"]]

    newest_first = [failing, deleted, *reversed(created)]
    assert tokens() == newest_first
    assert tokens(PaginationConfig={"PageSize": 2}) == newest_first
    pages = list(client.get_paginator("list_resource_requests").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["ResourceRequestStatusSummaries"]) for p in pages] == [2, 2, 1]
    assert tokens(ResourceRequestStatusFilter={"Operations": ["DELETE"]}) == [failing, deleted]
    assert tokens(ResourceRequestStatusFilter={"OperationStatuses": ["IN_PROGRESS"]}) == [
        deleted,
        created[2],
        created[1],
    ]
    assert tokens(ResourceRequestStatusFilter={"OperationStatuses": ["SUCCESS", "FAILED"]}) == [
        failing,
        created[0],
    ]
    assert tokens(ResourceRequestStatusFilter={"Operations": ["UPDATE"]}) == []
    summary = client.list_resource_requests(ResourceRequestStatusFilter={"OperationStatuses": ["FAILED"]})
    (event,) = summary["ResourceRequestStatusSummaries"]
    assert (event["ErrorCode"], event["StatusMessage"]) == ("ServiceLimitExceeded", "too many")
    assert cloudcontrol("eu-west-1").list_resource_requests()["ResourceRequestStatusSummaries"] == []
    error = _error(lambda: client.list_resource_requests(NextToken="bogus"))
    assert error["Code"] == "InvalidRequestException"


def test_parallel_writes_from_many_threads_all_apply(
    emulator: Emulator, cloudcontrol, seeded: Seeded
) -> None:
    client = cloudcontrol()

    def create(i: int) -> str:
        token = client.create_resource(TypeName=IR, DesiredState=_desired(seeded, f"p{i}"))["ProgressEvent"][
            "RequestToken"
        ]
        return wait_ok(client, token)["Identifier"]

    with ThreadPoolExecutor(8) as pool:
        identifiers = list(pool.map(create, range(24)))
    assert len(set(identifiers)) == 24
    keys = {
        m["IntegrationResponseKey"]
        for m in emulator.integration_responses("us-east-1", *seeded.integrations[0])
    }
    assert {f"p{i}" for i in range(24)} <= keys
