"""ListResources and GetResource through plain boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import API, INTEGRATION, IR, parent_model

from vtab.emulator import Emulator, Seeded


def test_get_resource_returns_the_full_model_and_echoes_type_name(cloudcontrol, seeded: Seeded) -> None:
    identifier = seeded.responses[0]
    out = cloudcontrol().get_resource(TypeName=IR, Identifier=identifier)
    assert out["TypeName"] == IR
    assert out["ResourceDescription"]["Identifier"] == identifier
    api_id, integration_id, response_id = identifier.split("|")
    props = json.loads(out["ResourceDescription"]["Properties"])
    assert props == {
        "ApiId": api_id,
        "IntegrationId": integration_id,
        "IntegrationResponseId": response_id,
        "IntegrationResponseKey": "$default",
        "ResponseTemplates": {"application/json": '{"response": 0, "body": $input.body}'},
        "TemplateSelectionExpression": "$integration.response.header.Content-Type",
        "ResponseParameters": {
            "method.response.header.X-Response-Index": "'0'",
            "method.response.header.X-Request-Id": "integration.response.header.x-amzn-RequestId",
        },
    }


def test_get_resource_drops_nulls(cloudcontrol, seeded: Seeded) -> None:
    props = json.loads(
        cloudcontrol().get_resource(TypeName=IR, Identifier=seeded.responses[1])["ResourceDescription"][
            "Properties"
        ]
    )
    assert props["ContentHandlingStrategy"] == "CONVERT_TO_TEXT"
    assert "ResponseTemplates" not in props and "ResponseParameters" not in props
    assert None not in props.values()


def test_get_resource_accepts_the_json_identifier_form(cloudcontrol, seeded: Seeded) -> None:
    api_id, integration_id, response_id = seeded.responses[2].split("|")
    identifier = json.dumps(
        {"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseId": response_id}
    )
    out = cloudcontrol().get_resource(TypeName=IR, Identifier=identifier)
    assert out["ResourceDescription"]["Identifier"] == seeded.responses[2]


@pytest.mark.parametrize(
    "identifier",
    ["nope|nope|nope", "{api}|nope|nope", "{api}|{integration}|nope", "{api}|{integration}", "a||b"],
)
def test_get_resource_missing_resource_or_parent_is_resource_not_found(
    cloudcontrol, seeded: Seeded, identifier: str
) -> None:
    api_id, integration_id = seeded.integrations[0]
    identifier = identifier.format(api=api_id, integration=integration_id)
    with pytest.raises(ClientError) as info:
        cloudcontrol().get_resource(TypeName=IR, Identifier=identifier)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert info.value.response["Error"]["Message"] == (
        f"Resource of type '{IR}' with identifier '{identifier}' was not found."
    )
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_get_api_and_integration(cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    api_id, integration_id = seeded.integrations[0]
    api = json.loads(
        client.get_resource(TypeName=API, Identifier=api_id)["ResourceDescription"]["Properties"]
    )
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["ApiEndpoint"] == f"https://{api_id}.execute-api.us-east-1.amazonaws.com"
    assert api["Tags"] == {"seeded": "true"}
    out = client.get_resource(TypeName=INTEGRATION, Identifier=f"{api_id}|{integration_id}")
    integration = json.loads(out["ResourceDescription"]["Properties"])
    assert integration["IntegrationType"] == "MOCK"
    assert integration["IntegrationId"] == integration_id and integration["ApiId"] == api_id


def test_list_resources_pages_of_25_ignore_max_results(emulator: Emulator, cloudcontrol) -> None:
    seeded = emulator.seed("us-east-1", responses=60, http_apis=0)
    api_id, integration_id = seeded.integrations[0]
    paginator = cloudcontrol().get_paginator("list_resources")
    pages = list(
        paginator.paginate(
            TypeName=IR,
            ResourceModel=parent_model(api_id, integration_id),
            PaginationConfig={"PageSize": 5},
        )
    )
    assert [len(p["ResourceDescriptions"]) for p in pages] == [25, 25, 10]
    assert all(p["TypeName"] == IR for p in pages)
    identifiers = [d["Identifier"] for p in pages for d in p["ResourceDescriptions"]]
    assert identifiers == list(seeded.responses)
    lists = [c for c in emulator.calls if c.operation == "ListResources"]
    assert [c.items for c in lists] == [25, 25, 10]
    assert lists[0].next_token is None and lists[1].next_token == pages[0]["NextToken"]
    assert lists[0].resource_model == {"ApiId": api_id, "IntegrationId": integration_id}


def test_list_properties_are_the_full_model(cloudcontrol, seeded: Seeded) -> None:
    api_id, integration_id = seeded.integrations[0]
    out = cloudcontrol().list_resources(TypeName=IR, ResourceModel=parent_model(api_id, integration_id))
    listed = {d["Identifier"]: json.loads(d["Properties"]) for d in out["ResourceDescriptions"]}
    for identifier in seeded.responses:
        got = cloudcontrol().get_resource(TypeName=IR, Identifier=identifier)["ResourceDescription"]
        assert listed[identifier] == json.loads(got["Properties"])
    assert "NextToken" not in out


def test_list_apis_and_integrations(cloudcontrol, seeded: Seeded) -> None:
    client = cloudcontrol()
    apis = client.list_resources(TypeName=API)["ResourceDescriptions"]
    assert sorted(d["Identifier"] for d in apis) == sorted(seeded.api_ids)
    api_id, integration_id = seeded.integrations[0]
    integrations = client.list_resources(TypeName=INTEGRATION, ResourceModel=parent_model(api_id))
    assert [d["Identifier"] for d in integrations["ResourceDescriptions"]] == [f"{api_id}|{integration_id}"]


@pytest.mark.parametrize(
    ("type_name", "model", "missing"),
    [
        (INTEGRATION, None, ["ApiId"]),
        (INTEGRATION, "{}", ["ApiId"]),
        (IR, '{"ApiId": "x"}', ["IntegrationId"]),
        (IR, None, ["ApiId", "IntegrationId"]),
    ],
)
def test_list_without_parent_ids_is_invalid_request(
    cloudcontrol, type_name: str, model: str | None, missing: list[str]
) -> None:
    kwargs = {"TypeName": type_name}
    if model is not None:
        kwargs["ResourceModel"] = model
    with pytest.raises(ClientError) as info:
        cloudcontrol().list_resources(**kwargs)
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidRequestException"
    violations = ", ".join(f"#: required key [{k}] not found" for k in missing)
    assert error["Message"] == (
        f"Missing or invalid ResourceModel property in {type_name} list handler request input."
        f"Required property: ({violations})"
    )


def test_list_integration_message_matches_aws_exactly(cloudcontrol) -> None:
    with pytest.raises(ClientError) as info:
        cloudcontrol().list_resources(TypeName=INTEGRATION)
    assert info.value.response["Error"]["Message"] == (
        "Missing or invalid ResourceModel property in AWS::ApiGatewayV2::Integration list handler request "
        "input.Required property: (#: required key [ApiId] not found)"
    )


def test_list_unknown_parent_is_general_service_exception(cloudcontrol, seeded: Seeded) -> None:
    api_id, _ = seeded.integrations[0]
    for model in (parent_model("nope"), parent_model(api_id, "nope"), parent_model("nope", "nope")):
        type_name = IR if "IntegrationId" in model else INTEGRATION
        with pytest.raises(ClientError) as info:
            cloudcontrol().list_resources(TypeName=type_name, ResourceModel=model)
        assert info.value.response["Error"]["Code"] == "GeneralServiceException"
        assert "nope" in info.value.response["Error"]["Message"]


def test_bad_next_token_is_invalid_request(cloudcontrol, emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", responses=30)
    api_id, integration_id = seeded.integrations[0]
    client = cloudcontrol()
    model = parent_model(api_id, integration_id)
    token = client.list_resources(TypeName=IR, ResourceModel=model)["NextToken"]
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    other_parent = parent_model(*seeded.integrations[0][:1])  # same token, different request
    for kwargs in (
        {"TypeName": IR, "ResourceModel": model, "NextToken": "garbage"},
        {"TypeName": IR, "ResourceModel": model, "NextToken": forged},
        {"TypeName": INTEGRATION, "ResourceModel": other_parent, "NextToken": token},
    ):
        with pytest.raises(ClientError) as info:
            client.list_resources(**kwargs)
        assert info.value.response["Error"]["Code"] == "InvalidRequestException"
        assert "NextToken" in info.value.response["Error"]["Message"]
    assert (
        len(client.list_resources(TypeName=IR, ResourceModel=model, NextToken=token)["ResourceDescriptions"])
        == 5
    )


def test_type_outside_the_registry_is_type_not_found(cloudcontrol) -> None:
    client = cloudcontrol()
    calls = [
        lambda: client.list_resources(TypeName="AWS::Nowhere::Thing"),
        lambda: client.get_resource(TypeName="AWS::Nowhere::Thing", Identifier="b"),
        lambda: client.create_resource(TypeName="AWS::Nowhere::Thing", DesiredState="{}"),
        lambda: client.update_resource(TypeName="AWS::Nowhere::Thing", Identifier="b", PatchDocument="[]"),
        lambda: client.delete_resource(TypeName="AWS::Nowhere::Thing", Identifier="b"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as info:
            call()
        assert info.value.response["Error"]["Code"] == "TypeNotFoundException"
        assert "AWS::Nowhere::Thing" in info.value.response["Error"]["Message"]


def test_region_isolation(emulator: Emulator, cloudcontrol) -> None:
    east = emulator.seed("us-east-1", websocket_apis=2, http_apis=0)
    west = emulator.seed("eu-west-1", websocket_apis=1, http_apis=0)
    east_ids = [
        d["Identifier"]
        for d in cloudcontrol("us-east-1").list_resources(TypeName=API)["ResourceDescriptions"]
    ]
    west_ids = [
        d["Identifier"]
        for d in cloudcontrol("eu-west-1").list_resources(TypeName=API)["ResourceDescriptions"]
    ]
    assert sorted(east_ids) == sorted(east.api_ids)
    assert west_ids == list(west.api_ids)
    assert cloudcontrol("ap-south-1").list_resources(TypeName=API)["ResourceDescriptions"] == []
    with pytest.raises(ClientError) as info:
        cloudcontrol("eu-west-1").get_resource(TypeName=IR, Identifier=east.responses[0])
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert {c.region for c in emulator.calls} == {"us-east-1", "eu-west-1", "ap-south-1"}


def test_two_emulators_do_not_share_state() -> None:
    with Emulator() as first, Emulator() as second:
        first.seed("us-east-1", websocket_apis=2)
        assert len(first.backend("us-east-1").apis) == 3
        assert len(second.backend("us-east-1").apis) == 0
        assert first.endpoint_url != second.endpoint_url
