"""Shared helpers of the write tests (no tests here): a connection on the endpoint and views of its calls."""

from __future__ import annotations

import json
from typing import Any

import apsw

import vtab
from tests.readhelpers import connect, rows
from vtab.emulator import Emulator
from vtab.emulator.recorder import CallRecord

IR = "AWS::ApiGatewayV2::IntegrationResponse"
WRITE_OPERATIONS = ("CreateResource", "UpdateResource", "DeleteResource", "GetResourceRequestStatus")

__all__ = [
    "IR",
    "connect",
    "connect_with_registry",
    "create_response",
    "error_of",
    "rows",
    "sent_writes",
    "write_calls",
]


def connect_with_registry(emulator: Emulator, **options: Any) -> tuple[apsw.Connection, vtab.Registry]:
    """Like ``connect``, also returning the Registry (its tables, call log and dry-run log)."""
    connection = apsw.Connection(":memory:")
    defaults: dict[str, Any] = {
        "endpoint_url": emulator.endpoint_url,
        "regions": "us-east-1",
        "rate_limit": None,
        "cache_ttl": 0,
    }
    return connection, vtab.register(connection, **{**defaults, **options})


def write_calls(emulator: Emulator) -> list[CallRecord]:
    """Every write-side call the endpoint answered (including polls and throttled attempts)."""
    return [call for call in emulator.calls if call.operation in WRITE_OPERATIONS]


def sent_writes(emulator: Emulator, operation: str) -> list[CallRecord]:
    """The accepted calls of one write operation (throttled or refused attempts left out)."""
    return [call for call in emulator.calls if call.operation == operation and call.error_code is None]


def error_of(db: apsw.Connection, sql: str, bindings: Any = ()) -> apsw.Error:
    """The apsw exception ``sql`` raises (the test fails when it raises none)."""
    try:
        db.execute(sql, bindings).fetchall()
    except apsw.Error as error:
        return error
    raise AssertionError(f"no error from {sql}")


def create_response(cloudcontrol: Any, api_id: str, integration_id: str, key: str, **extra: Any) -> str:
    """Create an integration response straight through boto3 (not through vtab); its identifier."""
    client = cloudcontrol()
    desired = {"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": key, **extra}
    token = client.create_resource(TypeName=IR, DesiredState=json.dumps(desired))["ProgressEvent"][
        "RequestToken"
    ]
    while True:
        event = client.get_resource_request_status(RequestToken=token)["ProgressEvent"]
        if event["OperationStatus"] == "SUCCESS":
            return str(event["Identifier"])
        assert event["OperationStatus"] == "IN_PROGRESS", event
