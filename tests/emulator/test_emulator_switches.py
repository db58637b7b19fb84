"""Every switch, set from Python, observed through plain boto3 and the call recorder."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError
from emulator_helpers import API, FAST_WAIT, INTEGRATION, IR, parent_model, wait_ok

from vtab.emulator import Emulator, Seeded

NO_RETRIES = Config(retries={"total_max_attempts": 1})


def _error(call) -> ClientError:
    with pytest.raises(ClientError) as info:
        call()
    return info.value


def test_latency_delays_every_call_without_serializing_them(
    emulator: Emulator, cloudcontrol, seeded: Seeded
) -> None:
    emulator.configure(latency=0.4)
    client = cloudcontrol()
    client.list_resources(TypeName=API)  # open a connection before timing anything
    emulator.clear_calls()
    barrier = threading.Barrier(4)

    def get(identifier: str) -> str:
        barrier.wait()
        return client.get_resource(TypeName=IR, Identifier=identifier)["ResourceDescription"]["Identifier"]

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(get, [*seeded.responses, seeded.responses[0]]))
    assert got == [*seeded.responses, seeded.responses[0]]
    calls = emulator.calls
    assert len(calls) == 4
    assert all(c.finished_at - c.at >= 0.4 for c in calls)
    # Every call started before any finished: they were all in flight at once.
    assert max(c.at for c in calls) < min(c.finished_at for c in calls)


def test_page_size(emulator: Emulator, cloudcontrol) -> None:
    seeded = emulator.seed("us-east-1", responses=7)
    emulator.configure(page_size=3)
    pages = (
        cloudcontrol()
        .get_paginator("list_resources")
        .paginate(
            TypeName=IR,
            ResourceModel=parent_model(*seeded.integrations[0]),
            PaginationConfig={"PageSize": 50},
        )
    )
    assert [len(p["ResourceDescriptions"]) for p in pages] == [3, 3, 1]


def test_throttle_next_answers_throttling_exception(emulator: Emulator, cloudcontrol) -> None:
    emulator.throttle_next(2)
    client = cloudcontrol(config=NO_RETRIES)
    for _ in range(2):
        error = _error(lambda: client.list_resources(TypeName=API))
        assert error.response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert client.list_resources(TypeName=API)["ResourceDescriptions"] == []
    assert [c.error_code for c in emulator.calls] == ["ThrottlingException", "ThrottlingException", None]


def test_deny_next_answers_access_denied_without_retries(emulator: Emulator, cloudcontrol) -> None:
    emulator.deny_next(1)
    error = _error(lambda: cloudcontrol().get_resource(TypeName=API, Identifier="abc"))
    assert error.response["Error"]["Code"] == "AccessDeniedException"
    assert "not authorized to perform: cloudformation:GetResource" in error.response["Error"]["Message"]
    assert [c.error_code for c in emulator.calls] == ["AccessDeniedException"]  # never retried
    assert cloudcontrol().list_resources(TypeName=API)["ResourceDescriptions"] == []


def test_fail_next_call_answers_that_exception_once(emulator: Emulator, cloudcontrol) -> None:
    emulator.fail_next_call("GeneralServiceException", "handler exploded")
    error = _error(lambda: cloudcontrol().list_resources(TypeName=API))
    assert error.response["Error"] == {"Code": "GeneralServiceException", "Message": "handler exploded"}
    assert cloudcontrol().list_resources(TypeName=API)["ResourceDescriptions"] == []
    with pytest.raises(ValueError, match="exception must be one of"):
        emulator.fail_next_call("NoSuchException")


@pytest.mark.parametrize(
    ("exception", "words"),
    [
        ("AccessDeniedException", "is not authorized to perform: cloudformation:ListResources on resource: "),
        ("TypeNotFoundException", "does not exist in the CloudFormation registry"),
        ("UnsupportedActionException", "is not yet supported via Cloud Control API"),
    ],
)
def test_refuse_type_refuses_that_type_in_that_region_only(
    emulator: Emulator, cloudcontrol, exception: str, words: str
) -> None:
    emulator.refuse_type(API, "eu-west-1", exception)
    for _ in range(2):  # not a one-shot: until reset
        error = _error(lambda: cloudcontrol("eu-west-1").list_resources(TypeName=API))
        assert error.response["Error"]["Code"] == exception
        assert words in error.response["Error"]["Message"]
    assert cloudcontrol("us-east-1").list_resources(TypeName=API)["ResourceDescriptions"] == []
    other = cloudcontrol("eu-west-1").list_resources(TypeName="AWS::Logs::LogGroup")
    assert other["ResourceDescriptions"] == []
    emulator.reset()
    assert cloudcontrol("eu-west-1").list_resources(TypeName=API)["ResourceDescriptions"] == []
    with pytest.raises(ValueError, match="exception must be one of"):
        emulator.refuse_type(API, "eu-west-1", "GeneralServiceException")


def test_boto3_default_retries_recover_from_one_throttle(emulator: Emulator, cloudcontrol) -> None:
    emulator.throttle_next(1)
    assert cloudcontrol().list_resources(TypeName=API)["ResourceDescriptions"] == []
    assert [c.error_code for c in emulator.calls] == ["ThrottlingException", None]


def test_throttle_rate_token_bucket(emulator: Emulator, cloudcontrol) -> None:
    client = cloudcontrol(config=NO_RETRIES)
    emulator.configure(throttle_rate=0.001)  # a burst of one, then one call per 1000 s
    client.list_resources(TypeName=API)
    assert (
        _error(lambda: client.list_resources(TypeName=API)).response["Error"]["Code"] == "ThrottlingException"
    )
    emulator.configure(throttle_rate=None)
    client.list_resources(TypeName=API)
    emulator.configure(throttle_rate=1000.0)  # burst of 1000: no throttling in a short loop
    for _ in range(5):
        client.list_resources(TypeName=API)
    assert [c.error_code for c in emulator.calls].count("ThrottlingException") == 1


def test_fail_next_write(emulator: Emulator, cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    api_id, integration_id = seeded.integrations[0]
    emulator.fail_next_write("Throttling", "Rate exceeded (downstream)")
    desired = json.dumps({"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": "x"})
    token = client.create_resource(TypeName=IR, DesiredState=desired)["ProgressEvent"]["RequestToken"]
    with pytest.raises(WaiterError) as info:
        client.get_waiter("resource_request_success").wait(RequestToken=token, WaiterConfig=FAST_WAIT)
    event = info.value.last_response["ProgressEvent"]
    assert (event["OperationStatus"], event["ErrorCode"], event["StatusMessage"]) == (
        "FAILED",
        "Throttling",
        "Rate exceeded (downstream)",
    )
    assert len(emulator.integration_responses("us-east-1", api_id, integration_id)) == 3
    # Only the next write fails.
    token = client.create_resource(TypeName=IR, DesiredState=desired)["ProgressEvent"]["RequestToken"]
    assert wait_ok(client, token)["OperationStatus"] == "SUCCESS"
    with pytest.raises(ValueError, match="HandlerErrorCode"):
        emulator.fail_next_write("NoSuchCode")


def test_invisible_for_hides_new_resources_from_list_only(
    emulator: Emulator, cloudcontrol, seeded: Seeded
) -> None:
    emulator.configure(invisible_for=2)
    client = cloudcontrol()
    api_id, integration_id = seeded.integrations[0]
    desired = json.dumps({"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": "late"})
    identifier = wait_ok(
        client, client.create_resource(TypeName=IR, DesiredState=desired)["ProgressEvent"]["RequestToken"]
    )["Identifier"]
    model = parent_model(api_id, integration_id)

    def listed() -> list[str]:
        out = client.list_resources(TypeName=IR, ResourceModel=model)
        return [d["Identifier"] for d in out["ResourceDescriptions"]]

    assert (
        client.get_resource(TypeName=IR, Identifier=identifier)["ResourceDescription"]["Identifier"]
        == identifier
    )
    assert identifier not in listed()
    assert identifier not in listed()
    assert listed() == [*seeded.responses, identifier]


def test_identifier_only_lists(emulator: Emulator, cloudcontrol, seeded: Seeded) -> None:
    emulator.configure(identifier_only_lists=True)
    api_id, integration_id = seeded.integrations[0]
    out = cloudcontrol().list_resources(TypeName=IR, ResourceModel=parent_model(api_id, integration_id))
    for description in out["ResourceDescriptions"]:
        a, i, r = description["Identifier"].split("|")
        assert json.loads(description["Properties"]) == {
            "ApiId": a,
            "IntegrationId": i,
            "IntegrationResponseId": r,
        }
    apis = cloudcontrol().list_resources(TypeName=API)["ResourceDescriptions"]
    assert [json.loads(d["Properties"]) for d in apis] == [{"ApiId": a} for a in seeded.api_ids]
    # Get still returns the full model.
    got = cloudcontrol().get_resource(TypeName=IR, Identifier=seeded.responses[0])["ResourceDescription"]
    assert "IntegrationResponseKey" in json.loads(got["Properties"])


@pytest.mark.parametrize(
    "code", ["ResourceNotFoundException", "InvalidRequestException", "GeneralServiceException"]
)
def test_missing_parent_error(emulator: Emulator, cloudcontrol, code: str) -> None:
    emulator.configure(missing_parent_error=code)
    error = _error(
        lambda: cloudcontrol().list_resources(TypeName=INTEGRATION, ResourceModel=parent_model("gone"))
    )
    assert error.response["Error"]["Code"] == code
    assert "Invalid API identifier specified 123456789012:gone" in error.response["Error"]["Message"]


def test_settings_are_validated(emulator: Emulator) -> None:
    for bad in (
        {"page_size": 0},
        {"latency": -1},
        {"polls_before_complete": -1},
        {"throttle_rate": 0},
        {"missing_parent_error": "NoSuchException"},
        {"no_such_switch": 1},
    ):
        with pytest.raises(ValueError):
            emulator.configure(**bad)
    assert emulator.settings.page_size == 25
    with pytest.raises(ValueError):
        Emulator(page_size=0)


def test_retry_after(emulator: Emulator, cloudcontrol, seeded: Seeded) -> None:
    emulator.configure(retry_after=5.0)
    emulator.configure(polls_before_complete=3)
    client = cloudcontrol()
    event = client.delete_resource(TypeName=IR, Identifier=seeded.responses[0])["ProgressEvent"]
    assert (event["RetryAfter"] - event["EventTime"]).total_seconds() == pytest.approx(5.0, abs=0.05)
    # Each later poll's RetryAfter counts from that poll, never from the first event.
    before = datetime.now(UTC)
    later = client.get_resource_request_status(RequestToken=event["RequestToken"])["ProgressEvent"]
    assert later["OperationStatus"] == "IN_PROGRESS"
    assert (later["RetryAfter"] - before).total_seconds() >= 4.9
