"""Global types share one store per partition, and a value confined to some regions fails elsewhere, as in
AWS: through real boto3 clients of several regions on one endpoint."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from emulator_helpers import call_error, wait_failed, wait_ok

from vtab.emulator import Emulator
from vtab.emulator.seed_types import minimal_desired_state

ROLE = "AWS::IAM::Role"
WEB_ACL = "AWS::WAFv2::WebACL"
LOG_GROUP = "AWS::Logs::LogGroup"
TRUST = {"Version": "2012-10-17", "Statement": []}
SCOPE_ERROR = "Error reason: The scope is not valid., field: SCOPE_VALUE, parameter: CLOUDFRONT"


def _create(client: Any, type_name: str, desired: dict[str, Any]) -> dict[str, Any]:
    event = client.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"]
    return wait_ok(client, event["RequestToken"])


def _identifiers(client: Any, type_name: str, model: dict[str, Any] | None = None) -> list[str]:
    params: dict[str, Any] = {"TypeName": type_name}
    if model is not None:
        params["ResourceModel"] = json.dumps(model)
    return [d["Identifier"] for d in client.list_resources(**params)["ResourceDescriptions"]]


def test_a_role_created_in_one_region_is_the_same_in_every_region_of_its_partition(
    cloudcontrol: Callable[..., Any],
) -> None:
    eu, us, mumbai, china = (cloudcontrol(r) for r in ("eu-west-1", "us-east-1", "ap-south-1", "cn-north-1"))
    _create(eu, ROLE, {"RoleName": "shared", "AssumeRolePolicyDocument": TRUST})
    assert _identifiers(us, ROLE) == ["shared"] == _identifiers(mumbai, ROLE)
    model = json.loads(
        mumbai.get_resource(TypeName=ROLE, Identifier="shared")["ResourceDescription"]["Properties"]
    )
    assert model["Arn"].startswith("arn:aws:iam::123456789012:")  # a global ARN names no region
    assert _identifiers(china, ROLE) == []  # another partition, another IAM
    event = us.delete_resource(TypeName=ROLE, Identifier="shared")["ProgressEvent"]
    wait_ok(us, event["RequestToken"])
    assert _identifiers(eu, ROLE) == []


def test_a_regional_type_stays_in_its_region(cloudcontrol: Callable[..., Any]) -> None:
    _create(cloudcontrol("eu-west-1"), LOG_GROUP, {"LogGroupName": "mine"})
    assert _identifiers(cloudcontrol("eu-west-1"), LOG_GROUP) == ["mine"]
    assert _identifiers(cloudcontrol("us-east-1"), LOG_GROUP) == []


def test_cloudfront_scope_exists_in_us_east_1_only(
    emulator: Emulator, cloudcontrol: Callable[..., Any]
) -> None:
    us, eu = cloudcontrol("us-east-1"), cloudcontrol("eu-west-1")
    edge = minimal_desired_state(WEB_ACL, {}, extra={"Name": "edge", "Scope": "CLOUDFRONT"})
    made = _create(us, WEB_ACL, edge)
    assert _identifiers(us, WEB_ACL, {"Scope": "CLOUDFRONT"}) == [made["Identifier"]]
    error = call_error(lambda: eu.list_resources(TypeName=WEB_ACL, ResourceModel='{"Scope": "CLOUDFRONT"}'))
    assert (error["Code"], error["Message"]) == ("InvalidRequestException", SCOPE_ERROR)
    error = call_error(lambda: eu.get_resource(TypeName=WEB_ACL, Identifier=made["Identifier"]))
    assert error["Code"] == "InvalidRequestException"
    event = eu.create_resource(TypeName=WEB_ACL, DesiredState=json.dumps(edge))["ProgressEvent"]
    failed = wait_failed(eu, event["RequestToken"])
    assert (failed["ErrorCode"], failed["StatusMessage"]) == ("InvalidRequest", SCOPE_ERROR)
    assert _identifiers(eu, WEB_ACL, {"Scope": "REGIONAL"}) == []
    regional = minimal_desired_state(WEB_ACL, {}, extra={"Name": "app", "Scope": "REGIONAL"})
    assert _create(eu, WEB_ACL, regional)["OperationStatus"] == "SUCCESS"


def test_seeding_a_type_with_a_confined_value_picks_one_that_exists_in_the_region(emulator: Emulator) -> None:
    seeded = emulator.seed_type(WEB_ACL, "eu-west-1", count=2)
    assert [identifier.rsplit("|", 1)[1] for identifier in seeded.identifiers] == ["REGIONAL", "REGIONAL"]
    assert minimal_desired_state(WEB_ACL, {}, region="us-east-1")["Scope"] == "CLOUDFRONT"
