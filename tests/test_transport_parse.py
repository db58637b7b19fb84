"""One parse per answer: the answer check's parse of a ListResources or GetResource answer is what botocore
returns (botocore parses it no more), while answers botocore must convert (a ProgressEvent's timestamps)
and error answers are parsed by botocore as ever. Real botocore clients against the local endpoint."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import BaseJSONParser

from vtab.aws import transport
from vtab.aws.cloudcontrol import ANSWER_MEMBERS
from vtab.emulator import Emulator

IR = "AWS::ApiGatewayV2::IntegrationResponse"


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

    # What botocore converts (a ProgressEvent's timestamps) and error answers stay botocore's to parse.
    parsed_by_botocore.clear()
    event = checked.delete_resource(TypeName=IR, Identifier=seeded.responses[0])["ProgressEvent"]
    assert isinstance(event["EventTime"], datetime.datetime)
    with pytest.raises(ClientError) as raised:
        checked.get_resource(TypeName=IR, Identifier=f"{seeded.responses[0]}x")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert b'"ProgressEvent"' in parsed_by_botocore[0]
    assert b"was not found" in parsed_by_botocore[-1]


def test_only_outputs_botocore_would_return_unchanged_are_handed_over() -> None:
    model = botocore.session.get_session().get_service_model("cloudcontrol")
    plain = {name for name in ANSWER_MEMBERS if transport.is_plain(model.operation_model(name).output_shape)}
    assert plain == {"ListResources", "GetResource"}
