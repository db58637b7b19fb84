"""One parse per answer: the answer check's parse of a ListResources or GetResource answer, and of a write's
ProgressEvent with its timestamps converted, is what botocore returns (botocore parses it no more), while
error answers and members not converted here are parsed by botocore as ever. Real botocore clients
against the local endpoint."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from typing import Any

import botocore.session
import orjson
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import BaseJSONParser, create_parser

from vtab.aws import transport
from vtab.aws.cloudcontrol import ANSWER_MEMBERS
from vtab.emulator import Emulator

IR = "AWS::ApiGatewayV2::IntegrationResponse"
LOG_GROUP = "AWS::Logs::LogGroup"


def _client(emulator: Emulator, *, checked: bool) -> Any:
    client = botocore.session.get_session().create_client(
        "cloudcontrol", region_name="us-east-1", endpoint_url=emulator.endpoint_url
    )
    if checked:
        transport.install(client, ANSWER_MEMBERS)
    return client


@pytest.fixture
def parsed_by_botocore(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every non-empty body botocore's JSON parser is given (its own json.loads and member walk)."""
    bodies: list[bytes] = []
    original: Callable[[Any, bytes], Any] = BaseJSONParser._parse_body_as_json

    def spy(parser: Any, body: bytes) -> Any:
        if body:
            bodies.append(body)
        return original(parser, body)

    monkeypatch.setattr(BaseJSONParser, "_parse_body_as_json", spy)
    yield bodies


def _without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in answer.items() if name != "ResponseMetadata"}


def test_a_page_is_parsed_once_and_reads_as_botocore_reads_it(
    emulator: Emulator, parsed_by_botocore: list[bytes]
) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=30, http_apis=0)
    api_id, integration_id = seeded.integrations[0]
    model = json.dumps({"ApiId": api_id, "IntegrationId": integration_id})
    plain, checked = _client(emulator, checked=False), _client(emulator, checked=True)

    expected = plain.list_resources(TypeName=IR, ResourceModel=model)
    parsed_by_botocore.clear()
    first = checked.list_resources(TypeName=IR, ResourceModel=model)
    assert parsed_by_botocore == []
    assert _without_metadata(first) == _without_metadata(expected)
    assert first["NextToken"]  # a page of 25 of the 30: the token botocore would have read
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert first["ResponseMetadata"]["RequestId"]

    last = checked.list_resources(TypeName=IR, ResourceModel=model, NextToken=first["NextToken"])
    assert "NextToken" not in last  # null or absent: as botocore leaves it, no member
    assert len(last["ResourceDescriptions"]) == 5

    got = checked.get_resource(TypeName=IR, Identifier=seeded.responses[0])
    assert parsed_by_botocore == []
    assert _without_metadata(got) == _without_metadata(
        plain.get_resource(TypeName=IR, Identifier=seeded.responses[0])
    )

    # Error answers stay botocore's to parse.
    parsed_by_botocore.clear()
    with pytest.raises(ClientError) as raised:
        checked.get_resource(TypeName=IR, Identifier=f"{seeded.responses[0]}x")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert parsed_by_botocore and b"was not found" in parsed_by_botocore[-1]


def _botocore_parse(operation: str, body: bytes) -> dict[str, Any]:
    """botocore's own parse of ``body`` as an answer to ``operation`` (its JSON parser, member by member)."""
    shape = botocore.session.get_session().get_service_model("cloudcontrol").operation_model(operation)
    answer = {"body": body, "headers": {}, "status_code": 200}
    return _without_metadata(create_parser("json").parse(answer, shape.output_shape))


def test_each_write_answer_is_parsed_once_and_reads_as_botocore_reads_it(
    emulator: Emulator, parsed_by_botocore: list[bytes]
) -> None:
    """Start calls and polls: the client's ProgressEvent, timestamps included, equals botocore's parse of
    the same body, which botocore no longer parses."""
    emulator.configure(polls_before_complete=1, retry_after=5.0)
    checked = _client(emulator, checked=True)
    bodies: list[bytes] = []
    checked.meta.events.register_first(
        "before-parse.cloudcontrol", lambda response_dict, **_: bodies.append(bytes(response_dict["body"]))
    )
    model = json.dumps({"LogGroupName": "parsed-once"})
    patch = json.dumps([{"op": "add", "path": "/RetentionInDays", "value": 7}])
    calls: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("CreateResource", lambda: checked.create_resource(TypeName=LOG_GROUP, DesiredState=model)),
        ("GetResourceRequestStatus", lambda: checked.get_resource_request_status(RequestToken=token)),
        ("GetResourceRequestStatus", lambda: checked.get_resource_request_status(RequestToken=token)),
        (
            "UpdateResource",
            lambda: checked.update_resource(
                TypeName=LOG_GROUP, Identifier="parsed-once", PatchDocument=patch
            ),
        ),
        ("GetResourceRequestStatus", lambda: checked.get_resource_request_status(RequestToken=token)),
        ("GetResourceRequestStatus", lambda: checked.get_resource_request_status(RequestToken=token)),
        ("DeleteResource", lambda: checked.delete_resource(TypeName=LOG_GROUP, Identifier="parsed-once")),
    ]
    token = ""
    retry_after_seen = False
    for operation, call in calls:
        bodies.clear()
        got = call()
        event = got["ProgressEvent"]
        if operation != "GetResourceRequestStatus":
            token = event["RequestToken"]
        if event["OperationStatus"] in ("PENDING", "IN_PROGRESS") and "RetryAfter" in event:
            retry_after_seen = True
            assert isinstance(event["RetryAfter"], datetime.datetime)
        assert parsed_by_botocore == [], operation
        assert isinstance(event["EventTime"], datetime.datetime)
        assert _without_metadata(got) == _botocore_parse(operation, bodies[0]), operation
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
        parsed_by_botocore.clear()
    assert retry_after_seen


ANSWERS = [
    # epoch seconds, as Cloud Control sends them; nulls and members botocore does not model
    b'{"ProgressEvent": {"TypeName": "AWS::Logs::LogGroup", "OperationStatus": "IN_PROGRESS",'
    b' "EventTime": 1765000000.123, "RetryAfter": 1765000005, "StatusMessage": null, "Extra": 1},'
    b' "Unmodelled": {"a": 1}}',
    # ISO 8601 and RFC 822 text, an integer where a string is modelled (botocore passes it through)
    b'{"ProgressEvent": {"EventTime": "2026-12-07T18:00:00.5Z",'
    b' "RetryAfter": "Mon, 07 Dec 2026 18:00:05 GMT",'
    b' "Identifier": 12}}',
    b'{"ProgressEvent": {"Identifier": "x", "EventTime": null}, "HooksProgressEvent": null}',
]


@pytest.mark.parametrize("body", ANSWERS)
@pytest.mark.parametrize(
    "operation", ["CreateResource", "UpdateResource", "DeleteResource", "GetResourceRequestStatus"]
)
def test_a_progress_event_read_from_the_checks_parse_equals_botocores_parse(
    operation: str, body: bytes
) -> None:
    shape = botocore.session.get_session().get_service_model("cloudcontrol").operation_model(operation)
    reader = transport.answer_reader(shape.output_shape)
    assert reader is not None
    assert reader(orjson.loads(body)) == _botocore_parse(operation, body)


@pytest.mark.parametrize(
    "body",
    [
        # hooks' events (timestamps inside a list of structures) are not converted here
        b'{"ProgressEvent": {"Identifier": "x"}, "HooksProgressEvent": [{"HookStatus": "HOOK_PENDING",'
        b' "HookEventTime": 1765000000}]}',
        # a timestamp botocore's parser refuses: it raises as it would have without the hand-over
        b'{"ProgressEvent": {"EventTime": "not a time"}}',
    ],
)
def test_a_status_answer_with_members_not_converted_here_is_left_to_botocore(body: bytes) -> None:
    shape = botocore.session.get_session().get_service_model("cloudcontrol")
    reader = transport.answer_reader(shape.operation_model("GetResourceRequestStatus").output_shape)
    assert reader is not None
    assert reader(orjson.loads(body)) is None


def test_every_checked_operation_is_handed_over() -> None:
    model = botocore.session.get_session().get_service_model("cloudcontrol")
    plain = {name for name in ANSWER_MEMBERS if transport.is_plain(model.operation_model(name).output_shape)}
    assert plain == {"ListResources", "GetResource"}
    readers = {
        name for name in ANSWER_MEMBERS if transport.answer_reader(model.operation_model(name).output_shape)
    }
    assert readers == set(ANSWER_MEMBERS)
