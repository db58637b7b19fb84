"""The wire: Cloud Control's awsJson1_0 protocol over a threaded werkzeug server on 127.0.0.1.

``POST /`` with ``X-Amz-Target: CloudApiService.<Op>`` is dispatched to :class:`CloudControlService`,
with ``AWSOrganizationsV20161128.<Op>`` to ``organizations.py``; a query-protocol form POST (STS
``GetCallerIdentity``, ``AssumeRole``; EC2 ``DescribeRegions``, ``ec2.py``) is answered by ``sts.py``;
paths under ``/_emulator/`` go to the control routes. Injected latency is slept here, outside every
lock, so parallel calls overlap. Only the region and the access key id (which account the call acts in:
``accounts.py``) are read from the Authorization header; secrets are never stored or logged.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from werkzeug.exceptions import InternalServerError
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from vtab.emulator import ec2, organizations, sts
from vtab.emulator.accounts import DEFAULT_DURATION, Accounts
from vtab.emulator.errors import ERROR_NAMESPACE, CloudControlError
from vtab.emulator.recorder import CallRecord, Recorder
from vtab.emulator.served import type_not_found, unsupported_type
from vtab.emulator.service import CloudControlService
from vtab.emulator.state import ACCOUNT_ID
from vtab.emulator.switches import Switches

log = logging.getLogger("vtab.emulator")

TARGET_PREFIX = "CloudApiService."
CONTENT_TYPE = "application/x-amz-json-1.0"
CONTROL_PREFIX = "/_emulator/"
HOST = "127.0.0.1"
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")
_ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")

ControlHandler = Callable[[Request], Response]


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

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            response = self.control(request)
        elif sts.is_query_request(request):
            response = self.query(request)
        elif request.headers.get("X-Amz-Target", "").startswith(organizations.TARGET_PREFIX):
            response = self.organizations(request)
        else:
            response = self.cloud_control(request)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def cloud_control(self, request: Request) -> Response:
        at = time.monotonic()
        target = request.headers.get("X-Amz-Target", "")
        operation = target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else target
        region = region_of(request.headers.get("Authorization"))
        access_key = access_key_of(request.headers.get("Authorization"))
        account = ACCOUNT_ID
        params: dict[str, Any] = {}
        result: dict[str, Any] = {}
        error: CloudControlError | None = None
        latency = self.switches.settings.latency
        if latency > 0:
            time.sleep(latency)
        try:
            if request.method != "POST" or request.path != "/":
                raise CloudControlError("UnknownOperationException", "Cloud Control is served at POST /", 404)
            try:
                body = json.loads(request.get_data() or b"{}")
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
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if error is not None:
            log.info("%s %s -> %s", operation, region, error.code)
            payload = {"__type": f"{ERROR_NAMESPACE}#{error.code}", "Message": error.message}
            return Response(orjson.dumps(payload), error.status, headers, content_type=CONTENT_TYPE)
        log.debug("%s %s -> OK", operation, region)
        return Response(orjson.dumps(result), 200, headers, content_type=CONTENT_TYPE)

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

    def query(self, request: Request) -> Response:
        """An STS call (query protocol): GetCallerIdentity answers the credential's account, AssumeRole
        issues credentials for another (``accounts.py``). Latency and ``deny_next`` apply as to Cloud
        Control calls; it is recorded like them (no type name)."""
        at = time.monotonic()
        region = region_of(request.headers.get("Authorization"))
        access_key = access_key_of(request.headers.get("Authorization"))
        account = ACCOUNT_ID
        operation = request.form.get("Action", "")
        request_id = str(uuid.uuid4())
        error: CloudControlError | None = None
        body = b""
        latency = self.switches.settings.latency
        if latency > 0:
            time.sleep(latency)
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
        headers = {"x-amzn-RequestId": request_id}
        if error is not None:
            log.info("%s %s -> %s", operation, region, error.code)
            return Response(
                sts.error_body(error, request_id), error.status, headers, content_type=sts.CONTENT_TYPE
            )
        log.debug("%s %s -> OK", operation, region)
        return Response(body, 200, headers, content_type=sts.CONTENT_TYPE)

    def _assume_role(self, request: Request, account: str) -> Any:
        form = request.form
        missing = [name for name in ("RoleArn", "RoleSessionName") if not form.get(name)]
        if missing:
            raise CloudControlError("ValidationError", f"{', '.join(missing)} must not be null", 400)
        try:
            duration = int(form.get("DurationSeconds") or DEFAULT_DURATION)
        except ValueError:
            raise CloudControlError("ValidationError", "DurationSeconds must be a number", 400) from None
        return self.accounts.assume_role(
            account, form["RoleArn"], form["RoleSessionName"], duration, form.get("ExternalId")
        )

    def organizations(self, request: Request) -> Response:
        """An Organizations call (awsJson1_1), answered by moto's backend for the management account."""
        at = time.monotonic()
        operation = request.headers.get("X-Amz-Target", "").removeprefix(organizations.TARGET_PREFIX)
        region = region_of(request.headers.get("Authorization"))
        account = ACCOUNT_ID
        body = b"{}"
        error: CloudControlError | None = None
        latency = self.switches.settings.latency
        if latency > 0:
            time.sleep(latency)
        try:
            if region is None:
                raise CloudControlError(
                    "MissingAuthenticationTokenException", "Missing Authentication Token", 403
                )
            account = self.accounts.account_of(access_key_of(request.headers.get("Authorization")))
            try:
                params = json.loads(request.get_data() or b"{}")
            except ValueError:
                raise CloudControlError("SerializationException", "The request body is not JSON") from None
            paths = self.switches.settings.organization_paths
            body = self.accounts.organizations.handle(operation, account, params, paths=paths)
        except CloudControlError as exc:
            error = exc
        except Exception:
            log.exception("internal error in %s", operation)
            error = CloudControlError("ServiceException", "The emulator failed; see its log.", 500)
        self._record(operation, region or "", {}, {}, error, at, account)
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if error is not None:
            payload = {"__type": error.code, "Message": error.message}
            return Response(
                orjson.dumps(payload), error.status, headers, content_type=organizations.CONTENT_TYPE
            )
        return Response(body, 200, headers, content_type=organizations.CONTENT_TYPE)

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


class _KeepAliveHandler(WSGIRequestHandler):
    """Keeps each connection open for the client's next call, as AWS does (werkzeug's handler answers
    every request with ``Connection: close``, so each call paid a TCP setup and a new server thread), and
    logs no request line (the app logs operation names, never headers).

    The request body is read whole by its Content-Length before the app runs, so the next request starts
    where this one ended whatever the app read; every answer carries its Content-Length. A request
    framed otherwise (chunked) is left to werkzeug, which closes the connection after it."""

    disable_nagle_algorithm = True
    """An answer is written as headers then body: on a kept connection Nagle's algorithm would hold the
    body until the client's delayed ACK of the headers (40 ms); the closing connection used to flush it."""

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length") or "0"
        if "Transfer-Encoding" in self.headers or not length.isdigit():
            super().run_wsgi()
            return
        body = self.rfile.read(int(length))
        environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        answer: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return None

        try:
            chunks = self.server.app(environ, start_response)
            data = b"".join(chunks)
        except Exception:
            log.exception("the emulator failed to answer %s %s", self.command, self.path)
            data = b"".join(InternalServerError()(environ, start_response))
            self.close_connection = True
        status, headers = answer
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _Server(ThreadedWSGIServer):
    """Threaded server that remembers its open connections so ``stop`` can close keep-alive ones."""

    def __init__(self, app: CloudControlApp, port: int) -> None:
        super().__init__(HOST, port, app, handler=_KeepAliveHandler)
        self._open_lock = threading.Lock()
        self._open: dict[socket.socket, threading.Thread] = {}
        self.stopping = False

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="vtab-emulator-conn",
            daemon=True,
        )
        with self._open_lock:
            self._open[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not self.stopping:
            super().handle_error(request, client_address)

    def close_connections(self, timeout: float) -> None:
        """Unblock handler threads waiting on idle keep-alive connections, then wait for them."""
        with self._open_lock:
            open_now = list(self._open.items())
        for sock, _ in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, thread in open_now:
            thread.join(max(0.0, deadline - time.monotonic()))


class ServerThread:
    """Runs a :class:`CloudControlApp` on 127.0.0.1 in a background thread."""

    def __init__(self, app: CloudControlApp, port: int = 0) -> None:
        try:
            self._server = _Server(app, port)
        except SystemExit:  # werkzeug reports a busy port by printing and exiting
            raise OSError(f"cannot listen on {HOST}:{port}") from None
        self.port: int = self._server.port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},  # bounds how long stop() waits
            name="vtab-emulator",
            daemon=True,
        )

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._server.stopping = True
        self._server.shutdown()
        self._thread.join(timeout)
        self._server.server_close()
        self._server.close_connections(timeout)
