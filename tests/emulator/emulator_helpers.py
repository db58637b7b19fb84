"""Helpers of the emulator tests: type names, parent models, and a waiter that never sleeps."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

API = "AWS::ApiGatewayV2::Api"
INTEGRATION = "AWS::ApiGatewayV2::Integration"
IR = "AWS::ApiGatewayV2::IntegrationResponse"
FAST_WAIT = {"Delay": 0, "MaxAttempts": 5}


def parent_model(api_id: str, integration_id: str | None = None) -> str:
    model = {"ApiId": api_id}
    if integration_id is not None:
        model["IntegrationId"] = integration_id
    return json.dumps(model)


def wait_ok(client: Any, token: str) -> dict[str, Any]:
    """Run the real ``resource_request_success`` waiter without delay, then return the final event."""
    client.get_waiter("resource_request_success").wait(RequestToken=token, WaiterConfig=FAST_WAIT)
    event: dict[str, Any] = client.get_resource_request_status(RequestToken=token)["ProgressEvent"]
    return event


def call_error(call: Callable[[], Any]) -> dict[str, Any]:
    """The ``Error`` of the ClientError the call must raise."""
    with pytest.raises(ClientError) as info:
        call()
    error: dict[str, Any] = info.value.response["Error"]
    return error


def wait_failed(client: Any, token: str) -> dict[str, Any]:
    """The final event of a write that must end FAILED; the real waiter must treat it as failure."""
    with pytest.raises(WaiterError) as info:
        client.get_waiter("resource_request_success").wait(RequestToken=token, WaiterConfig=FAST_WAIT)
    event: dict[str, Any] = info.value.last_response["ProgressEvent"]
    assert event["OperationStatus"] == "FAILED"
    return event
