"""The lean request path (vtab.aws.wire): each operation's request is botocore's byte for byte, botocore's
per-call machinery runs once per operation and region (not per page), and what it cannot rebuild
exactly stays botocore's. Real botocore clients; the local endpoint where something is sent."""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HeadersDict
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.faultproxy import Fault, FaultProxy
from tests.readhelpers import connect, rows
from vtab.aws import transport, wire
from vtab.aws.cloudcontrol import ANSWER_MEMBERS
from vtab.emulator import Emulator

IR = "AWS::ApiGatewayV2::IntegrationResponse"
LOG_GROUP = "AWS::Logs::LogGroup"
WHEN = datetime.datetime(2026, 12, 7, 20, 30, 5)
TOKEN = "c1a6d7c0-0000-4000-8000-000000000001"
OPERATIONS: dict[str, dict[str, Any]] = {
    "ListResources": {"TypeName": IR, "ResourceModel": '{"ApiId": "a1", "IntegrationId": "i1"}'},
    "GetResource": {"TypeName": IR, "Identifier": "a1|i1|r1"},
    "CreateResource": {"TypeName": LOG_GROUP, "DesiredState": '{"LogGroupName": "x"}', "ClientToken": TOKEN},
    "UpdateResource": {
        "TypeName": LOG_GROUP,
        "Identifier": "x",
        "PatchDocument": '[{"op": "add", "path": "/RetentionInDays", "value": 7}]',
        "ClientToken": TOKEN,
        "RoleArn": "arn:aws:iam::123456789012:role/cc",
    },
    "DeleteResource": {"TypeName": LOG_GROUP, "Identifier": "x", "ClientToken": TOKEN},
    "GetResourceRequestStatus": {"RequestToken": "t-1"},
}
SETTINGS: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "endpoint_url": ({"region_name": "us-east-1", "endpoint_url": "http://127.0.0.1:4566"}, {}),
    "AWS's own endpoint": ({"region_name": "eu-west-1"}, {}),
    "FIPS and dual-stack": (
        {
            "region_name": "us-gov-west-1",
            "config": Config(use_fips_endpoint=True, use_dualstack_endpoint=True),
        },
        {},
    ),
    "AWS_ENDPOINT_URL_CLOUDCONTROL": (
        {"region_name": "ap-south-1"},
        {"AWS_ENDPOINT_URL_CLOUDCONTROL": "https://cc.example.test:8443"},
    ),
}


def _client(monkeypatch: pytest.MonkeyPatch, setting: str, token: str | None = None) -> Any:
    arguments, environment = SETTINGS[setting]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = Config(retries={"mode": "standard", "total_max_attempts": 4}, user_agent_extra="vtab")
    return botocore.session.Session().create_client(
        "cloudcontrol",
        aws_access_key_id="AKIDWIRE",
        aws_secret_access_key="wire-secret",
        aws_session_token=token,
        **{**arguments, "config": config.merge(arguments.get("config", Config()))},
    )


class _Stop(Exception):
    pass


def _botocores_request(client: Any, operation: str, params: dict[str, Any]) -> AWSPreparedRequest:
    """What botocore itself would send (stopped at before-send, registered first of all)."""
    seen: list[AWSPreparedRequest] = []

    def stop(request: AWSPreparedRequest, **_: Any) -> None:
        seen.append(request)
        raise _Stop

    client.meta.events.register_first("before-send.cloudcontrol", stop, unique_id="test-stop")
    try:
        with pytest.raises(_Stop):
            method = next(m for m, api in client.meta.method_to_api_mapping.items() if api == operation)
            getattr(client, method)(**params)
    finally:
        client.meta.events.unregister("before-send.cloudcontrol", unique_id="test-stop")
    return seen[0]


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's clock and vtab's at the same second."""
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda *_, **__: WHEN)
    monkeypatch.setattr(wire, "_now", lambda: WHEN.strftime("%Y%m%dT%H%M%SZ"))


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("token", [None, "session-token/with+chars=="])
@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_each_request_is_the_one_botocore_would_send(
    monkeypatch: pytest.MonkeyPatch, operation: str, setting: str, token: str | None
) -> None:
    client = _client(monkeypatch, setting, token)
    caller = wire.Caller(client, ANSWER_MEMBERS)
    params = OPERATIONS[operation]

    caller.prepare(operation, params, None)  # the first takes the template
    ours = caller.prepare(operation, params, None).prepared
    theirs = _botocores_request(client, operation, params)

    assert caller.fallbacks == {}
    assert ours is not None
    assert (ours.method, ours.url, ours.body) == (theirs.method, theirs.url, theirs.body)
    assert list(ours.headers) == list(theirs.headers.keys())
    for name, value in theirs.headers.items():
        if name != "amz-sdk-invocation-id":  # a uuid4 per call
            assert ours.headers[name] == value, name
    assert ours.headers["amz-sdk-request"] == b"attempt=1; max=4"


def test_a_missing_client_token_is_a_new_uuid_as_botocore_adds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    caller = wire.Caller(_client(monkeypatch, "endpoint_url"), ANSWER_MEMBERS)
    params = {"TypeName": LOG_GROUP, "Identifier": "x"}
    bodies = [json.loads(caller.prepare("DeleteResource", params, None).prepared.body) for _ in range(2)]  # type: ignore[union-attr]
    assert [list(body) for body in bodies] == [["TypeName", "Identifier", "ClientToken"]] * 2
    assert bodies[0]["ClientToken"] != bodies[1]["ClientToken"]
    assert params == {"TypeName": LOG_GROUP, "Identifier": "x"}  # the caller's own dict is left alone


def test_refreshable_credentials_are_refreshed_for_each_request(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = itertools.count(1)

    def refresh() -> dict[str, str]:
        soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(
            minutes=5
        )  # inside the refresh window
        return {
            "access_key": f"AKIDROTATED{next(keys)}",
            "secret_key": "s",
            "token": "t",
            "expiry_time": soon.isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(refresh(), refresh, "test")
    caller = wire.Caller(_client(monkeypatch, "endpoint_url"), ANSWER_MEMBERS)
    signed = [
        caller.prepare("GetResourceRequestStatus", {"RequestToken": "t"}, credentials).prepared
        for _ in range(3)
    ]
    keys_used = [
        request.headers["Authorization"].split(b"Credential=")[1].split(b"/")[0] for request in signed
    ]  # type: ignore[union-attr]
    assert len(set(keys_used)) == 3


@pytest.fixture
def paged() -> Iterator[Emulator]:
    with Emulator(page_size=5) as emu:
        yield emu


def _count(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    counted = [0]
    original: Callable[..., Any] = getattr(owner, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        counted[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return counted


def test_botocore_builds_and_signs_only_the_first_request_of_each_operation(
    paged: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing of 4 pages, twice, then a get: botocore signs 2 requests (one per operation, not sent),
    and the endpoint gets every page."""
    seeded = paged.seed("us-east-1", websocket_apis=1, integrations=1, responses=16)
    api_id, integration_id = seeded.integrations[0]
    signed_by_botocore = _count(monkeypatch, SigV4Auth, "add_auth")
    db = connect(paged, account_id="123456789012")
    listing = (
        "SELECT data__Identifier FROM integration_responses "
        "WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?"
    )

    for _ in range(2):
        assert len(rows(db, listing, (api_id, integration_id))) == 16
    get = f"{listing.split(' AND ')[0]} AND data__Identifier = ?"
    got = rows(db, get, (seeded.responses[0],))

    assert got == [(seeded.responses[0],)]
    assert signed_by_botocore[0] == 2
    assert [call.operation for call in paged.calls].count("ListResources") == 8


def test_a_request_signed_ahead_is_sent_later(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller may build and sign its next call while another is in flight (a write slot's next start)."""
    caller = wire.Caller(_endpoint_client(emulator), ANSWER_MEMBERS)
    first = caller.prepare(
        "CreateResource", {"TypeName": LOG_GROUP, "DesiredState": '{"LogGroupName": "a"}'}, None
    )
    second = caller.prepare(
        "CreateResource", {"TypeName": LOG_GROUP, "DesiredState": '{"LogGroupName": "b"}'}, None
    )

    events = [caller.send(request)["ProgressEvent"] for request in (second, first)]

    assert [event["OperationStatus"] for event in events] == ["IN_PROGRESS", "IN_PROGRESS"]
    assert [call.desired_state for call in emulator.calls] == [{"LogGroupName": "b"}, {"LogGroupName": "a"}]


def _endpoint_client(emulator: Emulator) -> Any:
    return botocore.session.Session().create_client(
        "cloudcontrol",
        region_name="us-east-1",
        endpoint_url=emulator.endpoint_url,
        config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
    )


def test_an_error_answer_raises_botocores_client_error_and_is_sent_once(emulator: Emulator) -> None:
    client = _endpoint_client(emulator)
    caller = wire.Caller(client, ANSWER_MEMBERS)
    params = {"TypeName": IR, "Identifier": "a|b|c"}

    with pytest.raises(ClientError) as ours:
        caller.call("GetResource", params, None)
    with pytest.raises(ClientError) as theirs:
        client.get_resource(**params)

    assert type(ours.value) is type(theirs.value) is client.exceptions.ResourceNotFoundException
    assert str(ours.value) == str(theirs.value)
    mine, botocores = ours.value.response, theirs.value.response
    assert {k: v for k, v in mine.items() if k != "ResponseMetadata"} == {
        k: v for k, v in botocores.items() if k != "ResponseMetadata"
    }
    assert mine["ResponseMetadata"]["RetryAttempts"] == 0
    assert mine["ResponseMetadata"]["RequestId"]
    assert [call.operation for call in emulator.calls] == ["GetResource", "GetResource"]


def test_what_the_template_cannot_rebuild_stays_botocores(emulator: Emulator) -> None:
    """A header some handler adds after signing: the lean request would differ, so botocore sends it."""
    client = _endpoint_client(emulator)

    def late_header(request: Any, **_: Any) -> None:
        request.headers["X-Late"] = "1"

    client.meta.events.register("request-created.cloudcontrol", late_header)
    caller = wire.Caller(client, ANSWER_MEMBERS)

    for _ in range(2):
        answer = caller.call("ListResources", {"TypeName": LOG_GROUP}, None)
        assert answer["ResourceDescriptions"] == []

    assert caller.fallbacks == {"ListResources": "the headers differ from botocore's"}
    assert [call.operation for call in emulator.calls] == ["ListResources", "ListResources"]


def test_a_before_send_handler_may_answer_instead_as_with_botocore(emulator: Emulator) -> None:
    """What mocks of botocore rely on (moto answers at ``before-send``): the lean path asks too."""
    client = _endpoint_client(emulator)
    caller = wire.Caller(client, ANSWER_MEMBERS)
    assert caller.call("ListResources", {"TypeName": LOG_GROUP}, None)["ResourceDescriptions"] == []
    body = b'{"ResourceDescriptions": [{"Identifier": "mocked", "Properties": "{}"}]}'

    def mock(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        answer = AWSResponse(request.url, 200, HeadersDict({"x-amzn-RequestId": "mock-1"}), None)
        answer._content = body
        return answer

    client.meta.events.register("before-send.cloudcontrol", mock)
    got = caller.call("ListResources", {"TypeName": LOG_GROUP}, None)

    assert got["ResourceDescriptions"] == [{"Identifier": "mocked", "Properties": "{}"}]
    assert got["ResponseMetadata"]["RequestId"] == "mock-1"
    assert caller.fallbacks == {}
    assert [call.operation for call in emulator.calls] == ["ListResources"]


def test_a_stub_answering_the_first_call_keeps_the_operation_botocores(emulator: Emulator) -> None:
    client = _endpoint_client(emulator)
    caller = wire.Caller(client, ANSWER_MEMBERS)
    with Stubber(client) as stubber:
        for identifier in ("s1", "s2"):
            stubber.add_response(
                "get_resource",
                {
                    "TypeName": LOG_GROUP,
                    "ResourceDescription": {"Identifier": identifier, "Properties": "{}"},
                },
                {"TypeName": LOG_GROUP, "Identifier": identifier},
            )
        answers = [
            caller.call("GetResource", {"TypeName": LOG_GROUP, "Identifier": identifier}, None)
            for identifier in ("s1", "s2")
        ]
        stubber.assert_no_pending_responses()

    assert [answer["ResourceDescription"]["Identifier"] for answer in answers] == ["s1", "s2"]
    assert caller.fallbacks == {"GetResource": "botocore answers it without sending it (a stub)"}
    assert emulator.calls == []


@pytest.mark.parametrize("fault", [Fault.THROTTLE, Fault.ERROR_500_EMPTY, Fault.EMPTY_200])
def test_a_retry_sends_what_botocores_retry_sends(emulator: Emulator, fault: Fault) -> None:
    """Throttled, a 5xx, a malformed answer: the retry is a new request with botocore's headers (the same
    invocation id, its attempt number, signed again), and the answer is botocore's."""
    answers: dict[str, dict[str, Any]] = {}
    sent: dict[str, list[list[tuple[str, str]]]] = {}
    for sender in ("botocore", "wire"):
        with FaultProxy(emulator.endpoint_url) as proxy:
            client = botocore.session.Session().create_client(
                "cloudcontrol",
                region_name="us-east-1",
                endpoint_url=proxy.url,
                config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
            )
            transport.install(client, ANSWER_MEMBERS)
            caller = wire.Caller(client, ANSWER_MEMBERS)
            proxy.inject(fault, "ListResources", times=1)
            if sender == "botocore":
                answers[sender] = client.list_resources(TypeName=LOG_GROUP)
            else:
                caller.prepare("ListResources", {"TypeName": LOG_GROUP}, None)  # the template, not sent
                answers[sender] = caller.call("ListResources", {"TypeName": LOG_GROUP}, None)
            sent[sender] = proxy.received
    assert all(len(requests) == 2 for requests in sent.values())
    for sender, (first, retry) in sent.items():
        first_headers, retry_headers = dict(first), dict(retry)
        assert first_headers["amz-sdk-invocation-id"] == retry_headers["amz-sdk-invocation-id"], sender
    for index in (0, 1):
        ours, theirs = sent["wire"][index], sent["botocore"][index]
        assert [name for name, _ in ours] == [name for name, _ in theirs]
        assert dict(ours)["amz-sdk-request"] == dict(theirs)["amz-sdk-request"]
    assert dict(sent["wire"][1])["amz-sdk-request"].startswith("attempt=2;")
    assert answers["wire"]["ResponseMetadata"]["RetryAttempts"] == 1
    assert {k: v for k, v in answers["wire"].items() if k != "ResponseMetadata"} == {
        k: v for k, v in answers["botocore"].items() if k != "ResponseMetadata"
    }
