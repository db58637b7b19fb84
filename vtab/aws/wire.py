"""Cloud Control calls on the wire: each request built, signed, sent and retried without botocore's per-call
machinery, and byte for byte the request botocore would send.

Why: a page of a listing, a poll and a start call are small requests, and botocore spends about twice the
CPU of the HTTP exchange itself on each (its request dict, parameter events, endpoint rules, ten event
emissions, a new SigV4 signer deriving its key afresh, a parse of the answer member by member). Every page
of a listing is the same request but for its NextToken.

How: the first call of each operation on a client is built by botocore itself, stopped before it is
sent (``before-send``), and kept as that operation's template: its URL (the endpoint rules' answer:
endpoint_url, AWS_ENDPOINT_URL*, FIPS and dual-stack settings), its fixed headers (X-Amz-Target,
Content-Type, the User-Agent with vtab's extra), its signing region and name (from its Authorization).
Then the request this module builds for the same parameters at the same moment is compared with it, header
by header, body and signature included: only a template that reproduces botocore's request exactly is
used; any other operation keeps botocore's full call (``Caller.fallbacks`` says which and why). Each later
call: botocore's parameter validation, the idempotency token botocore would add, the body as botocore's
JSON serializer writes it, SigV4 by ``vtab.aws.sigv4`` (the signing key kept per day and account), the
client's own HTTP pool (its TLS, timeouts and connections; ``vtab.aws.exchange`` writes the request and reads
the answer, and a URL behind a proxy keeps the session's send), the answer checked once
(``transport.check_answer``) and read from that parse as botocore would read it.

Retries are botocore's: the client's own standard-mode handler (its ``needs-retry`` event: its attempts
limit, back-off and retry quota, which the ``after-call`` event refunds) decides on every error answer,
malformed answer and transport failure, and a retry is a new request, newly signed, as botocore's is. An
error answer raises what botocore raises (the client's modeled ClientError, parsed by botocore's parser).

Mocks: a ``before-send`` handler may answer a request instead of its being sent, as botocore's endpoint
lets it (moto does); a call botocore answers before building its request (a Stubber's ``before-call``)
keeps its operation botocore's if it answers the first call. A Stubber activated after an operation's
first call is not asked (nothing of vtab's does that: request-shape tests stub a fresh connection).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.credentials import Credentials, ReadOnlyCredentials
from botocore.exceptions import NoCredentialsError
from botocore.handlers import add_recursion_detection_header
from botocore.hooks import first_non_none_response
from botocore.parsers import create_parser
from botocore.utils import lowercase_dict
from botocore.validate import validate_parameters

from vtab.aws import signing, sigv4, transport
from vtab.aws.exchange import Exchange
from vtab.sql import interrupt

SIGNATURE_HEADERS = frozenset({"X-Amz-Date", "X-Amz-Security-Token", "Authorization"})
"""What SigV4 adds to a request (``vtab.aws.sigv4``)."""
ATTEMPT_HEADERS = ("amz-sdk-invocation-id", "amz-sdk-request")
"""What botocore adds after signing: the call's id and its attempt (``handlers.add_retry_headers``)."""
TRACE_HEADER = "X-Amzn-Trace-Id"
"""Added per call inside AWS Lambda (``botocore.handlers.add_recursion_detection_header``)."""
PER_REQUEST = SIGNATURE_HEADERS | set(ATTEMPT_HEADERS) | {"Content-Length", TRACE_HEADER}
"""Headers each request makes anew; every other header of botocore's first request is a template's."""
RETRY_HEADER_KEYS = ("ttl", "attempt", "max")
"""The ``amz-sdk-request`` members, in botocore's order."""


class _Captured(Exception):
    """botocore's request for an operation, stopped before it is sent (never leaves this module)."""

    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


_capturing = threading.local()


def _capture(request: AWSPreparedRequest, **_: Any) -> None:
    """A ``before-send`` handler: on a thread taking a template, botocore's request goes no further."""
    if getattr(_capturing, "on", False):
        raise _Captured(request)


class _Unseen:
    """An operation with no template yet (its first call takes one)."""


_UNSEEN = _Unseen()


@dataclass(frozen=True)
class Template:
    """An operation's request as botocore builds it, less what each request makes anew."""

    operation: Any
    """botocore's OperationModel."""
    url: str
    method: str
    fixed: tuple[tuple[str, Any], ...]
    """The headers before the signature, as botocore sends them (names and encoded values, in order)."""
    signer: sigv4.Signer
    max_attempts: int | None
    """The ``max`` of botocore's amz-sdk-request header (the client's total_max_attempts)."""
    member: transport.Member | None
    reader: transport.Reader | None


@dataclass
class Request:
    """A call built and signed, ready to send (``Caller.prepare``): a caller may sign its next call while
    another is in flight. Each retry is signed again when it is sent."""

    operation: str
    params: dict[str, Any]
    credentials: Credentials | None
    template: Template | None
    """None: botocore's full call sends it."""
    context: dict[str, Any]
    """botocore's request context: the retry handler's attempt, invocation id and quota."""
    prepared: AWSPreparedRequest | None = None
    answer: dict[str, Any] | None = None
    """botocore's answer, when its own call answered without sending (a Stubber's ``before-call``)."""


class Caller:
    """Cloud Control calls of one botocore client (one region), from any thread."""

    def __init__(self, client: Any, members: dict[str, transport.Member]) -> None:
        self._client = client
        self._members = members
        model = client.meta.service_model
        self._service = model.service_id.hyphenize()
        self._events = client.meta.events
        self._config = client.meta.config
        self._http = client._endpoint.http_session  # no public handle: botocore's own since 2015
        self._endpoint = client._endpoint
        self._parser = create_parser(model.resolved_protocol)
        self._methods = {api: method for method, api in client.meta.method_to_api_mapping.items()}
        self._templates: dict[str, Template | _Unseen | None] = {}
        self._exchanges: dict[str, Exchange | None] = {}
        """URL -> its requests' exchange on the session's pool (None: the session's own send)."""
        self.fallbacks: dict[str, str] = {}
        """Operation -> why botocore's full call sends it (a template that did not match its request)."""
        self._events.register_first(
            f"before-send.{self._service}", _capture, unique_id=f"vtab-wire-capture-{self._service}"
        )
        signing.install(client)  # botocore's requests sign with the call's credentials too

    @property
    def client(self) -> Any:
        """The botocore client whose calls these are."""
        return self._client

    def operation(self, method: str) -> str:
        """``list_resources`` -> ``ListResources``."""
        name: str = self._client.meta.method_to_api_mapping[method]
        return name

    # -- building -----------------------------------------------------------------------------------

    def prepare(self, operation: str, params: dict[str, Any], credentials: Credentials | None) -> Request:
        """``operation`` with ``params``, signed with ``credentials`` (None: the client's own); botocore's
        ParamValidationError or NoCredentialsError as botocore's call raises them."""
        template = self._templates.get(operation, _UNSEEN)
        answer = None
        if template is _UNSEEN:
            template, answer = self._template(operation, params, credentials)
        assert not isinstance(template, _Unseen)
        context = self._context()
        if template is None:
            return Request(operation, params, credentials, None, context, answer=answer)
        params = self._checked(template, params)
        request = Request(operation, params, credentials, template, context)
        request.prepared = self._signed(request, _frozen(self._own(credentials)), _now())
        return request

    def _context(self) -> dict[str, Any]:
        """A request's context as botocore's endpoint starts it; SENT_BY_WIRE tells vtab's before-send
        check (for botocore's own calls) that this module sends the request and checks its answer."""
        return {
            "client_config": self._config,
            "retries": {"attempt": 1, "invocation-id": str(uuid.uuid4())},
            transport.SENT_ELSEWHERE: True,
        }

    def _checked(self, template: Template, params: dict[str, Any]) -> dict[str, Any]:
        """The parameters as botocore sends them: validated, each missing idempotency token a new uuid4."""
        operation = template.operation
        missing = [name for name in operation.idempotent_members if name not in params]
        if missing:
            params = {**params, **{name: str(uuid.uuid4()) for name in missing}}
        if self._config.parameter_validation:
            validate_parameters(params, operation.input_shape)
        return params

    def _signed(self, request: Request, credentials: ReadOnlyCredentials, stamp: str) -> AWSPreparedRequest:
        template = request.template
        assert template is not None
        body = json.dumps(request.params).encode()
        headers = dict(template.fixed)
        add_recursion_detection_header({"headers": headers})
        if TRACE_HEADER in headers:
            headers[TRACE_HEADER] = _bytes(headers[TRACE_HEADER])
        for name, value in template.signer.sign(credentials, stamp, body):
            headers[name] = value.encode()
        retries = request.context["retries"]
        if template.max_attempts is not None:
            retries["max"] = template.max_attempts
        headers["amz-sdk-invocation-id"] = retries["invocation-id"].encode()
        headers["amz-sdk-request"] = "; ".join(
            f"{key}={retries[key]}" for key in RETRY_HEADER_KEYS if key in retries
        ).encode()
        headers["Content-Length"] = str(len(body))
        # A plain dict, as urllib3 takes it (botocore's own is a case-insensitive map: slower to fill).
        prepared = AWSPreparedRequest(template.method, template.url, headers, body, False, request.context)  # type: ignore[arg-type]
        return prepared

    def _own(self, credentials: Credentials | None) -> Credentials | None:
        return credentials if credentials is not None else self._client._get_credentials()

    # -- templates ----------------------------------------------------------------------------------

    def _template(
        self, operation: str, params: dict[str, Any], credentials: Credentials | None
    ) -> tuple[Template | None, dict[str, Any] | None]:
        """Take ``operation``'s template from botocore's own request for ``params`` (built, signed, not
        sent), and keep it only if this module rebuilds that request exactly; also botocore's answer, if
        its call answered without sending (a Stubber: the operation then stays botocore's)."""
        model = self._client.meta.service_model.operation_model(operation)
        why = _unusual(model)
        if why is None:
            tokens = {name: str(uuid.uuid4()) for name in model.idempotent_members if name not in params}
            params = {**params, **tokens}
            own = self._own(credentials)
            # Both sign with the same frozen credentials: a refresh in between cannot tell them apart.
            frozen = _frozen(own) if own is not None else None
            signer = (
                Credentials(str(frozen.access_key), str(frozen.secret_key), frozen.token) if frozen else None
            )
            captured = self._botocore_request(operation, params, signer)
            if isinstance(captured, dict):
                why = "botocore answers it without sending it (a stub)"
                self.fallbacks[operation] = why
                self._templates[operation] = None
                return None, captured
            if frozen is None:  # pragma: no cover - botocore raises NoCredentialsError first
                return None, None
            template, why = self._rebuilt(model, params, frozen, captured)
            if template is not None:
                self._templates[operation] = template
                return template, None
        self.fallbacks[operation] = why or "?"
        self._templates[operation] = None
        return None, None

    def _botocore_request(
        self, operation: str, params: dict[str, Any], credentials: Credentials | None
    ) -> AWSPreparedRequest | dict[str, Any]:
        """botocore's request for ``params``, stopped before it is sent; or botocore's answer, if a handler
        answered it before it was built (what botocore's call raises, it raises)."""
        _capturing.on = True
        try:
            with signing.signing_as(credentials):
                answer: dict[str, Any] = getattr(self._client, self._methods[operation])(**params)
        except _Captured as captured:
            return captured.request
        finally:
            _capturing.on = False
        return answer

    def _rebuilt(
        self,
        model: Any,
        params: dict[str, Any],
        frozen: ReadOnlyCredentials,
        captured: AWSPreparedRequest,
    ) -> tuple[Template | None, str | None]:
        """A template from botocore's request, and None or why it does not rebuild that request."""
        headers = list(captured.headers.items())
        names = [name for name, _ in headers]
        if "Authorization" not in names or "X-Amz-Date" not in names:
            return None, "botocore's request is not signed with SigV4"
        fixed = tuple((n, v) for n, v in headers[: names.index("X-Amz-Date")] if n not in PER_REQUEST)
        authorization = _text(captured.headers["Authorization"])
        scope = authorization.partition("Credential=")[2].partition(",")[0].split("/")
        if not authorization.startswith(sigv4.ALGORITHM) or len(scope) != 5:
            return None, f"botocore's request is signed otherwise: {authorization.split(' ')[0]}"
        retries = (getattr(captured, "context", None) or {}).get("retries", {})
        signer = sigv4.Signer(
            captured.method, captured.url, {n: _text(v) for n, v in fixed}, scope[2], scope[3]
        )
        template = Template(
            model,
            captured.url,
            captured.method,
            fixed,
            signer,
            retries.get("max"),
            self._members.get(model.name),
            transport.answer_reader(model.output_shape) if model.name in self._members else None,
        )
        request = Request(model.name, params, None, template, self._context())
        request.context["retries"]["invocation-id"] = retries.get("invocation-id", "")
        ours = self._signed(request, frozen, _text(captured.headers["X-Amz-Date"]))
        if (ours.method, ours.url, ours.body) != (captured.method, captured.url, captured.body):
            return None, "the URL, method or body differ from botocore's"
        if list(ours.headers.items()) != headers:
            return None, "the headers differ from botocore's"
        return template, None

    # -- sending ------------------------------------------------------------------------------------

    def call(self, operation: str, params: dict[str, Any], credentials: Credentials | None) -> dict[str, Any]:
        """``operation`` with ``params``, retried as botocore retries it: botocore's answer dict, or what
        botocore's call raises."""
        return self.send(self.prepare(operation, params, credentials))

    def send(self, request: Request) -> dict[str, Any]:
        """Send a prepared request (again, signed anew, for each retry the client's retry handler asks)."""
        template = request.template
        if request.answer is not None:
            return request.answer
        if template is None:
            with signing.signing_as(request.credentials):
                answer: dict[str, Any] = getattr(self._client, self._methods[request.operation])(
                    **request.params
                )
            return answer
        context = request.context
        attempt = 1
        prepared = request.prepared
        while True:
            if prepared is None:
                prepared = self._signed(request, _frozen(self._own(request.credentials)), _now())
            http, parsed, error = self._attempt(template, prepared)
            prepared = None
            if error is None and http is not None and http.status_code < 300:
                break  # standard mode retries no answer without an error
            if not self._retry(template, attempt, context, http, parsed, error):
                break
            attempt += 1
            update = getattr(self._endpoint, "_update_retries_context", None)
            if update is not None:
                update(context, attempt, (http, parsed) if http is not None else None)
            else:  # pragma: no cover - botocore has had it since 1.19
                context["retries"]["attempt"] = attempt
        operation = template.operation
        if error is not None:
            self._events.emit(
                f"after-call-error.{self._service}.{operation.name}", exception=error, context=context
            )
            raise error
        assert http is not None and parsed is not None
        parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = attempt - 1
        self._events.emit(
            f"after-call.{self._service}.{operation.name}",
            http_response=http,
            parsed=parsed,
            model=operation,
            context=context,
        )
        if http.status_code >= 300:
            code = context.get("error_code_override") or parsed.get("Error", {}).get("Code")
            raise self._client.exceptions.from_code(code)(parsed, operation.name)
        return parsed

    def _attempt(
        self, template: Template, prepared: AWSPreparedRequest
    ) -> tuple[AWSResponse | None, dict[str, Any] | None, Exception | None]:
        """One attempt: (the answer, botocore's parse of it, None) or (None, None, what went wrong)."""
        transport.note_sent()
        try:
            # As botocore's endpoint: a before-send handler may answer instead (moto, a test's mock).
            found = self._events.emit(
                f"before-send.{self._service}.{template.operation.name}", request=prepared
            )
            http: AWSResponse = first_non_none_response(found) or self._exchange(prepared)
        except Exception as error:  # as botocore's endpoint: any failure to send is for the retry handler
            return None, None, error
        status = http.status_code
        content = http.content
        if status >= 300:
            return http, self._error_answer(template, http), None
        answer = transport.check_answer(status, http.headers.get("content-length"), content, template.member)
        if answer.problem is not None:
            return (
                None,
                None,
                transport.MalformedAnswerError(
                    endpoint_url=prepared.url,
                    error=answer.problem,
                    request_id=http.headers.get(transport.REQUEST_ID_HEADER),
                ),
            )
        parsed = template.reader(answer.parsed) if template.reader and answer.parsed is not None else None
        if parsed is None:
            return http, self._parse(template, http, template.operation.output_shape), None
        metadata: dict[str, Any] = {}
        request_id = http.headers.get(transport.REQUEST_ID_HEADER)
        if request_id is not None:
            metadata["RequestId"] = request_id
        metadata["HTTPStatusCode"] = status
        metadata["HTTPHeaders"] = lowercase_dict(http.headers)
        parsed["ResponseMetadata"] = metadata
        return http, parsed, None

    def _exchange(self, prepared: AWSPreparedRequest) -> AWSResponse:
        """The request sent and its answer read (vtab.aws.exchange; the session's own send where a proxy
        applies)."""
        url = prepared.url
        exchange = self._exchanges.get(url, _UNSEEN)
        if exchange is _UNSEEN:
            exchange = self._exchanges[url] = Exchange.of(self._http, url)
        if exchange is None:
            response: AWSResponse = self._http.send(prepared)
            return response
        assert isinstance(exchange, Exchange)
        return exchange.send(prepared)

    def _parse(self, template: Template, http: AWSResponse, shape: Any) -> dict[str, Any]:
        response = {
            "headers": http.headers,
            "status_code": http.status_code,
            "body": http.content,
            "context": {"operation_name": template.operation.name},
        }
        parsed: dict[str, Any] = self._parser.parse(response, shape)
        return parsed

    def _error_answer(self, template: Template, http: AWSResponse) -> dict[str, Any]:
        """An error answer as botocore's endpoint parses it, its modeled error's members added."""
        parsed = self._parse(template, http, template.operation.output_shape)
        code = parsed.get("Error", {}).get("Code")
        if code is not None:
            shape = template.operation.service_model.shape_for_error_code(code)
            if shape is not None:
                parsed.update(self._parse(template, http, shape))
        return parsed

    def _retry(
        self,
        template: Template,
        attempt: int,
        context: dict[str, Any],
        http: AWSResponse | None,
        parsed: dict[str, Any] | None,
        error: Exception | None,
    ) -> bool:
        """Ask the client's retry handler, and sleep as botocore's endpoint does when it says retry (a sleep
        an interrupt cuts short when the call runs on the SQLite thread: vtab.sql.interrupt.pause; the
        retry is then never sent)."""
        responses = self._events.emit(
            f"needs-retry.{self._service}.{template.operation.name}",
            response=(http, parsed) if http is not None else None,
            endpoint=self._endpoint,
            operation=template.operation,
            attempts=attempt,
            caught_exception=error,
            request_dict={"context": context},
        )
        delay = first_non_none_response(responses)
        if delay is None or delay is False:
            return False
        interrupt.pause(delay)
        return True


def _unusual(model: Any) -> str | None:
    """Why botocore's request for the operation may depend on more than this module repeats, or None."""
    if model.context_parameters or model.static_context_parameters:
        return "its endpoint depends on its parameters"
    if model.http_checksum or model.request_compression or model.has_streaming_input:
        return "its body is checksummed, compressed or streamed"
    if model.has_streaming_output or model.has_event_stream_output:
        return "its answer is streamed"
    return None


def _frozen(credentials: Credentials | None) -> ReadOnlyCredentials:
    """The call's credentials now (refreshed by botocore when they are about to expire)."""
    if credentials is None:
        raise NoCredentialsError()
    frozen: ReadOnlyCredentials = credentials.get_frozen_credentials()
    return frozen


def _now() -> str:
    return time.strftime(sigv4.TIMESTAMP, time.gmtime())


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
