"""The endpoint's account: STS GetCallerIdentity (query protocol) answers it, and account-wide list handlers
(QuickSight's AwsAccountId, Glue's CatalogId) refuse any other account, as AWS does."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from vtab.emulator import Emulator
from vtab.emulator.state import ACCOUNT_ID

AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/sts/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0000"
)


def sts(emulator: Emulator) -> Any:
    return boto3.client("sts", endpoint_url=emulator.endpoint_url, region_name="us-east-1")


def test_get_caller_identity_answers_the_account_and_is_recorded(emulator: Emulator) -> None:
    answer = sts(emulator).get_caller_identity()
    assert answer["Account"] == ACCOUNT_ID
    assert answer["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/testing"
    assert answer["UserId"]
    assert (
        answer["ResponseMetadata"]["RequestId"]
        == answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    )
    (call,) = emulator.calls
    assert (call.operation, call.region, call.type_name, call.error_code, call.http_status) == (
        "GetCallerIdentity",
        "us-east-1",
        None,
        None,
        200,
    )


def test_deny_next_refuses_get_caller_identity_in_the_query_protocol(emulator: Emulator) -> None:
    emulator.deny_next(1)
    with pytest.raises(ClientError) as caught:
        sts(emulator).get_caller_identity()
    error = caught.value.response
    assert error["Error"]["Code"] == "AccessDenied"
    assert "not authorized to perform: sts:GetCallerIdentity" in error["Error"]["Message"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403 and error["ResponseMetadata"]["RequestId"]
    assert sts(emulator).get_caller_identity()["Account"] == ACCOUNT_ID  # one-shot
    assert [(c.error_code, c.http_status) for c in emulator.calls] == [("AccessDenied", 403), (None, 200)]


def _form(emulator: Emulator, body: bytes, authorized: bool = True) -> tuple[int, str]:
    request = urllib.request.Request(emulator.endpoint_url + "/", data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    if authorized:
        request.add_header("Authorization", AUTH)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_other_query_actions_and_unsigned_calls_are_refused(emulator: Emulator) -> None:
    status, text = _form(emulator, b"Action=GetSessionToken&Version=2011-06-15")
    assert status == 400
    assert "<Code>InvalidAction</Code>" in text and "Could not find operation GetSessionToken" in text
    status, text = _form(emulator, b"Action=GetCallerIdentity&Version=2011-06-15", authorized=False)
    assert (status, "<Code>MissingAuthenticationToken</Code>" in text) == (403, True)
    status, text = _form(emulator, b"Action=GetCallerIdentity&Version=2011-06-15")
    assert status == 200 and f"<Account>{ACCOUNT_ID}</Account>" in text
    assert [c.error_code for c in emulator.calls] == ["InvalidAction", "MissingAuthenticationToken", None]


@pytest.mark.parametrize(
    ("type_name", "model"),
    [
        ("AWS::QuickSight::Analysis", "AwsAccountId"),
        ("AWS::Glue::Connection", "CatalogId"),
    ],
)
def test_account_wide_lists_refuse_another_account(
    emulator: Emulator, cloudcontrol: Any, type_name: str, model: str
) -> None:
    seeded = emulator.seed_type(type_name, "us-east-1", count=2)
    own = cloudcontrol().list_resources(TypeName=type_name, ResourceModel=f'{{"{model}": "{ACCOUNT_ID}"}}')
    assert sorted(d["Identifier"] for d in own["ResourceDescriptions"]) == sorted(seeded.identifiers)
    with pytest.raises(ClientError) as caught:
        cloudcontrol().list_resources(TypeName=type_name, ResourceModel=f'{{"{model}": "999999999999"}}')
    assert caught.value.response["Error"]["Code"] == "HandlerFailureException"
    assert caught.value.response["Error"]["Message"] == f"Access denied for operation '{type_name}'."
