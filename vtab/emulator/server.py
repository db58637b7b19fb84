"""The wire: Cloud Control's awsJson1_0 protocol, served by ``http_server.py`` on 127.0.0.1.

``POST /`` with ``X-Amz-Target: CloudApiService.<Op>`` is dispatched to :class:`CloudControlService`,
with ``AWSOrganizationsV20161128.<Op>`` to ``organizations.py``; a query-protocol form POST (STS
``GetCallerIdentity``, ``AssumeRole``; EC2 ``DescribeRegions``, ``ec2.py``) is answered by ``sts.py``;
paths under ``/_emulator/`` go to the control routes. Injected latency is :meth:`CloudControlApp.delay`:
the server holds each call that long before answering it, outside every lock, so parallel calls
overlap. Only the region and the access key id (which account the call acts in: ``accounts.py``) are
read from the Authorization header; secrets are never stored or logged.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from vtab.emulator import ec2, organizations, sts
from vtab.emulator.accounts import DEFAULT_DURATION, Accounts
from vtab.emulator.errors import ERROR_NAMESPACE, CloudControlError
from vtab.emulator.http_server import HttpRequest, HttpResponse
from vtab.emulator.recorder import CallRecord, Recorder
from vtab.emulator.served import type_not_found, unsupported_type
from vtab.emulator.service import CloudControlService
from vtab.emulator.state import ACCOUNT_ID
from vtab.emulator.switches import Switches

log = logging.getLogger("vtab.emulator")

TARGET_PREFIX = "CloudApiService."
CONTENT_TYPE = "application/x-amz-json-1.0"
CONTROL_PREFIX = "/_emulator/"
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")
_ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")

ControlHandler = Callable[[HttpRequest], HttpResponse]


def region_of(authorization: str | None) -> str | None:
    """The region of the SigV4 credential scope (``Credential=AKID/DATE/REGION/service/aws4_request``)."""
    match = _SCOPE.search(authorization or "")
    return match.group(1) if match else None


def access_key_of(authorization: str | None) -> str | None:
    """The access key id of the SigV4 credential (never the secret, which is not sent)."""
    match = _ACCESS_KEY.search(authorization or "")
    return match.group(1) if match else None


def _json_or_none(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


class CloudControlApp:
    """The WSGI application: protocol decoding, faults, latency, recording, and the control routes."""

    def __init__(
        self,
        service: CloudControlService,
        switches: Switches,
        recorder: Recorder,
        control: ControlHandler,
        accounts: Accounts,
    ) -> None:
        self.service = service
        self.accounts = accounts
        self.switches = switches
        self.recorder = recorder
        self.control = control

    def delay(self, request: HttpRequest) -> float:
        """The injected latency of every call but the control routes'."""
        return 0.0 if request.path.startswith(CONTROL_PREFIX) else self.switches.settings.latency

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(CONTROL_PREFIX):
            return self.control(request)
        if sts.is_query_request(request):
            return self.query(request)
        if request.header("X-Amz-Target").startswith(organizations.TARGET_PREFIX):
            return self.organizations(request)
        return self.cloud_control(request)

    def cloud_control(self, request: HttpRequest) -> HttpResponse:
        at = request.arrived_at
        target = request.header("X-Amz-Target")
        operation = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else target
        region = region_of(request.header("Authorization"))
        access_key = access_key_of(request.header("Authorization"))
        account = ACCOUNT_ID
        params: dict[str, Any] = {}
        result: dict[str, Any] = {}
        error: CloudControlError | None = None
        try:
            if request.method != "POST" or request.path != "/":
                raise CloudControlError("UnknownOperationException", "Cloud Control is served at POST /", 404)
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                raise CloudControlError("SerializationException", "The request body is not JSON") from None
            if not isinstance(body, dict):
                raise CloudControlError("SerializationException", "The request body must be a JSON object")
            params = body
            if region is None:
                raise CloudControlError(
                    "MissingAuthenticationTokenException", "Missing Authentication Token", 403
                )
            account = self.accounts.account_of(access_key)
            if self.switches.take_denial():
                raise CloudControlError(
                    "AccessDeniedException",
                    f"User: {self.accounts.identity(access_key).arn} is not authorized to perform: "
                    f"cloudformation:{operation} because no identity-based policy allows the "
                    f"cloudformation:{operation} action",
                )
            failure = self.switches.take_call_failure()
            if failure is not None:
                raise CloudControlError(*failure)
            refused = self.switches.refusal(params.get("TypeName"), region, account)
            if refused is not None:
                raise self._refused(refused, params["TypeName"], operation, access_key)
            if self.switches.take_throttle():
                raise CloudControlError("ThrottlingException", "Rate exceeded")
            result = self.service.handle(operation, region, params, account)
        except CloudControlError as exc:
            error = exc
        except Exception:
            log.exception("internal error in %s", operation)
            error = CloudControlError("InternalFailure", "The emulator failed; see its log.", 500)
        self._record(operation, region or "", params, result, error, at, account)
        headers = (("x-amzn-RequestId", str(uuid.uuid4())),)
        if error is not None:
            log.info("%s %s -> %s", operation, region, error.code)
            payload = {"__type": f"{ERROR_NAMESPACE}#{error.code}", "Message": error.message}
            return HttpResponse(error.status, orjson.dumps(payload), CONTENT_TYPE, headers)
        log.debug("%s %s -> OK", operation, region)
        return HttpResponse(200, orjson.dumps(result), CONTENT_TYPE, headers)

    def _refused(
        self, exception: str, type_name: str, operation: str, access_key: str | None
    ) -> CloudControlError:
        """The answer of a type ``refuse_type`` refused in a region, in AWS's words for each exception."""
        if exception == "AccessDeniedException":
            arn = self.accounts.identity(access_key).arn
            return CloudControlError(
                exception,
                f"User: {arn} is not authorized to perform: cloudformation:{operation} on resource: "
                f"{type_name} because no identity-based policy allows the cloudformation:{operation} action",
            )
        if exception == "TypeNotFoundException":
            return type_not_found(type_name)
        return unsupported_type(type_name)

    def query(self, request: HttpRequest) -> HttpResponse:
        """An STS call (query protocol): GetCallerIdentity answers the credential's account, AssumeRole
        issues credentials for another (``accounts.py``). Latency and ``deny_next`` apply as to Cloud
        Control calls; it is recorded like them (no type name)."""
        at = request.arrived_at
        region = region_of(request.header("Authorization"))
        access_key = access_key_of(request.header("Authorization"))
        account = ACCOUNT_ID
        operation = request.form.get("Action", "")
        request_id = str(uuid.uuid4())
        error: CloudControlError | None = None
        body = b""
        try:
            operation = sts.operation_of(request)
            if region is None:
                raise CloudControlError(
                    "MissingAuthenticationToken", "Request is missing Authentication Token", 403
                )
            account = self.accounts.account_of(access_key)
            if self.switches.take_denial():
                raise sts.denial()
            if operation == "AssumeRole":
                body = sts.assumed_role(request_id, self._assume_role(request, account))
            elif operation == "DescribeRegions":
                body = ec2.regions(request_id, self.switches.settings.enabled_regions)
            else:
                body = sts.caller_identity(request_id, self.accounts.identity(access_key))
        except CloudControlError as exc:
            error = exc
        self._record(operation, region or "", {}, {}, error, at, account)
        headers = (("x-amzn-RequestId", request_id),)
        if error is not None:
            log.info("%s %s -> %s", operation, region, error.code)
            return HttpResponse(error.status, sts.error_body(error, request_id), sts.CONTENT_TYPE, headers)
        log.debug("%s %s -> OK", operation, region)
        return HttpResponse(200, body, sts.CONTENT_TYPE, headers)

    def _assume_role(self, request: HttpRequest, account: str) -> Any:
        form = request.form
        missing = [name for name in ("RoleArn", "RoleSessionName") if not form.get(name)]
        if missing:
            raise CloudControlError("ValidationError", f"{', '.join(missing)} must not be null", 400)
        try:
            duration = int(form.get("DurationSeconds") or DEFAULT_DURATION)
        except ValueError:
            raise CloudControlError("ValidationError", "DurationSeconds must be a number", 400) from None
        return self.accounts.assume_role(
            account,
            form["RoleArn"],
            form["RoleSessionName"],
            duration,
            form.get("ExternalId"),
            form.get("SerialNumber"),
            form.get("TokenCode"),
        )

    def organizations(self, request: HttpRequest) -> HttpResponse:
        """An Organizations call (awsJson1_1), answered by moto's backend for the management account."""
        at = request.arrived_at
        operation = request.header("X-Amz-Target").removeprefix(organizations.TARGET_PREFIX)
        region = region_of(request.header("Authorization"))
        account = ACCOUNT_ID
        body = b"{}"
        error: CloudControlError | None = None
        try:
            if region is None:
                raise CloudControlError(
                    "MissingAuthenticationTokenException", "Missing Authentication Token", 403
                )
            account = self.accounts.account_of(access_key_of(request.header("Authorization")))
            try:
                params = json.loads(request.body or b"{}")
            except ValueError:
                raise CloudControlError("SerializationException", "The request body is not JSON") from None
            settings = self.switches.settings
            body = self.accounts.organizations.handle(
                operation, account, params, paths=settings.organization_paths, status=settings.account_status
            )
        except CloudControlError as exc:
            error = exc
        except Exception:
            log.exception("internal error in %s", operation)
            error = CloudControlError("ServiceException", "The emulator failed; see its log.", 500)
        self._record(operation, region or "", {}, {}, error, at, account)
        headers = (("x-amzn-RequestId", str(uuid.uuid4())),)
        if error is not None:
            payload = {"__type": error.code, "Message": error.message}
            return HttpResponse(error.status, orjson.dumps(payload), organizations.CONTENT_TYPE, headers)
        return HttpResponse(200, body, organizations.CONTENT_TYPE, headers)

    def _record(
        self,
        operation: str,
        region: str,
        params: dict[str, Any],
        result: dict[str, Any],
        error: CloudControlError | None,
        at: float,
        account_id: str = ACCOUNT_ID,
    ) -> None:
        event = result.get("ProgressEvent") or {}
        listed = result.get("ResourceDescriptions", result.get("ResourceRequestStatusSummaries"))
        resource_model = _json_or_none(params.get("ResourceModel"))
        desired = _json_or_none(params.get("DesiredState"))
        patch = _json_or_none(params.get("PatchDocument"))
        self.recorder.add(
            CallRecord(
                operation=operation,
                region=region,
                type_name=params.get("TypeName") or event.get("TypeName"),
                identifier=params.get("Identifier") or event.get("Identifier"),
                resource_model=resource_model if isinstance(resource_model, dict) else None,
                next_token=params.get("NextToken"),
                client_token=params.get("ClientToken"),
                request_token=params.get("RequestToken") or event.get("RequestToken"),
                error_code=error.code if error is not None else None,
                at=at,
                finished_at=time.monotonic(),
                http_status=error.status if error is not None else 200,
                desired_state=desired if isinstance(desired, dict) else None,
                patch_document=patch if isinstance(patch, list) else None,
                returned_next_token=result.get("NextToken"),
                items=len(listed) if isinstance(listed, list) else None,
                operation_status=event.get("OperationStatus"),
                account_id=account_id,
            )
        )
