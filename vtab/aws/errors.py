"""Cloud Control errors -> the apsw exception a SQL user sees (the table in DESIGN.md "Errors").

Messages start with the AWS error code, then the AWS message, then what we know that helps (the IAM
permissions a verb needs, the request token). They never contain credentials.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

import apsw
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from vtab import hints
from vtab.aws.exchange import UnsendableHeader
from vtab.aws.transport import REQUEST_ID_HEADER, MalformedAnswerError
from vtab.catalog.schema import ResourceSchema

# HandlerErrorCode (a FAILED ProgressEvent) and exception names (a synchronous error) share these stems.
_CONSTRAINT = {"AlreadyExists", "ResourceConflict", "ClientTokenConflict"}
_READ_ONLY = {"NotUpdatable"}
_PERMISSION = {"AccessDenied", "InvalidCredentials", "UnauthorizedTaggingOperation", "UnrecognizedClient"}
_BUSY = {
    "Throttling",
    "ConcurrentOperation",
    "ConcurrentModification",
    "ServiceLimitExceeded",
    "RequestLimitExceeded",
}
_NOT_FOUND = {"NotFound", "ResourceNotFound", "RequestTokenNotFound", "TypeNotFound"}

NOT_FOUND_CODES = frozenset({"NotFound", "ResourceNotFound"})
"""Codes meaning "this resource (or its parent) does not exist": no row on a read."""


def error_stem(code: str) -> str:
    """``ResourceNotFoundException`` -> ``ResourceNotFound``; HandlerErrorCodes have no suffix already."""
    return code.removesuffix("Exception")


def aws_error_code(error: ClientError) -> str:
    """The AWS error code; ``HTTP 503`` when the body held none (botocore then gives the status)."""
    code = str(error.response.get("Error", {}).get("Code", "Unknown"))
    return f"HTTP {code}" if code.isdigit() else code


def request_id_of(error: ClientError) -> str | None:
    """The request id of the answer that ended the call (the last attempt's): botocore's RequestId, else
    the header itself, which botocore leaves unparsed when the body held no AWS error (a bare 5xx page)."""
    metadata = error.response.get("ResponseMetadata", {})
    found = metadata.get("RequestId") or metadata.get("HTTPHeaders", {}).get(REQUEST_ID_HEADER)
    return str(found) if found else None


def request_id_text(request_id: str | None) -> str:
    """`` (request id X)``, the end of a message about an answer AWS gave an id (AWS support asks for it)."""
    return f" (request id {request_id})" if request_id else ""


_REQUEST_ID = re.compile(r" \(request id ([^)\s]+)\)")


def request_id_in(message: str) -> str | None:
    """The request id a message names (``request_id_text``), if any: a failure kept as text (a sync's
    task) has it nowhere else."""
    found = _REQUEST_ID.search(message)
    return found.group(1) if found else None


def _header_refused(error: BotoCoreError) -> bool:
    """Whether http.client refused a request header (botocore's own send: a proxy's, an STS call), whose
    message quotes the value: a session token read with its newline would be printed."""
    inner = error.kwargs.get("error") if isinstance(error, HTTPClientError) else None
    return isinstance(inner, ValueError) and str(inner).startswith("Invalid header")


def transport_code(error: BotoCoreError) -> str:
    """The code a transport failure shows in messages and in vtab_calls.error_code."""
    if isinstance(error, UnsendableHeader) or _header_refused(error):
        return "UnsendableHeader"
    if isinstance(error, ReadTimeoutError):
        return "Timeout"
    if isinstance(error, MalformedAnswerError):
        return "MalformedAnswer"
    if isinstance(error, (BotoConnectionError, HTTPClientError)):
        return "NetworkFailure"
    return type(error).__name__


def exception_class(code: str) -> type[apsw.Error]:
    stem = error_stem(code)
    if stem in _CONSTRAINT:
        return apsw.ConstraintError
    if stem in _READ_ONLY:
        return apsw.ReadOnlyError
    if stem in _PERMISSION:
        return apsw.PermissionsError
    if stem in _BUSY:
        return apsw.BusyError
    if stem in _NOT_FOUND:
        return apsw.NotFoundError
    return apsw.SQLError


def permission_hint(schema: ResourceSchema, verb: str, operation: str | None = None) -> str:
    """The IAM actions a call needs: Cloud Control's own (cloudformation:<Operation>) and the handler's."""
    permissions = [f"cloudformation:{operation}"] if operation else []
    permissions += schema.permissions.get(verb, ())
    return (
        f" ({verb} {schema.type_name} needs IAM permissions: {', '.join(permissions)})" if permissions else ""
    )


def from_client_error(
    error: ClientError, schema: ResourceSchema, verb: str, operation: str, what: str
) -> apsw.Error:
    """Translate a synchronous boto3 error of ``operation`` (``what`` says where, for the message)."""
    code = aws_error_code(error)
    message = error.response.get("Error", {}).get("Message", "")
    request_id = request_id_text(request_id_of(error))
    if code.startswith("HTTP "):
        # No AWS error in the body (botocore then names the HTTP status): a proxy's or a failing server's
        # page, not Cloud Control's answer. 5xx were retried; they are faults of the way there.
        text = f"{code}: {what} got an answer that is not an AWS error: {message[:200]!r}"
        if code.startswith("HTTP 5"):
            return apsw.IOError(
                f"{text}; the endpoint failed after retries: try again or raise max_attempts{request_id}"
            )
        return apsw.SQLError(text + request_id)
    text = f"{code}: {message} [{what}]"
    if error_stem(code) in _PERMISSION:
        text += permission_hint(schema, verb, operation)
    if error_stem(code) in ("Throttling", "RequestLimitExceeded"):
        text += (
            f"; retries were exhausted: lower {hints.option('rate_limit')} or {hints.option('max_workers')}, "
            "or try again later"
        )
    return exception_class(code)(text + request_id)


def from_transport_error(
    error: BotoCoreError,
    what: str,
    *,
    connect_timeout: float,
    read_timeout: float,
    max_attempts: int,
    service: str = "Cloud Control",
    endpoint: str | None = None,
) -> apsw.Error:
    """Network, credential and configuration failures; these never reached a handler (or their answer
    never reached us). The message names the call and, for timeouts, the option to raise; ``endpoint`` is
    the service's own (a connection that failed elsewhere was the credentials')."""
    if isinstance(error, NoCredentialsError):
        return apsw.PermissionsError(
            f"NoCredentials: no AWS credentials found for {what}; choose a profile "
            f"({hints.set_option('profile', 'NAME')}) or set the standard AWS_* environment variables"
        )
    if isinstance(error, NoRegionError):
        return apsw.SQLError(
            f"NoRegion: {what} has no region; add region = '...' to the WHERE clause or "
            f"{hints.set_option('regions', 'us-east-1')}"
        )
    tries = f"{max_attempts} attempt{'s' if max_attempts != 1 else ''}"
    if isinstance(error, ReadTimeoutError):
        return apsw.BusyError(
            f"Timeout: {what} got no answer within read_timeout={read_timeout:g}s ({tries}): {error}; "
            "raise read_timeout (or max_attempts), or try again later"
        )
    if isinstance(error, ConnectTimeoutError) and isinstance(error.kwargs.get("error"), TimeoutError):
        # the socket's own timeout, not urllib3's connect's: the TLS handshake got no answer
        # (vtab.aws.exchange), as from an endpoint that speaks plain HTTP and waits for a request
        return apsw.IOError(
            f"NetworkFailure: {what} got no answer to its TLS handshake within connect_timeout="
            f"{connect_timeout:g}s ({tries}): {error}; an endpoint that speaks http:// (vtab's emulator, "
            "LocalStack) given as https:// waits so: check the endpoint URL's scheme, or raise "
            "connect_timeout"
        )
    if isinstance(error, ConnectTimeoutError):
        return apsw.IOError(
            f"NetworkFailure: {what} could not connect within connect_timeout={connect_timeout:g}s "
            f"({tries}): {error}; raise connect_timeout (or max_attempts), or check the endpoint"
        )
    if isinstance(error, MalformedAnswerError):
        return apsw.IOError(
            f"MalformedAnswer: {what} got no usable answer in {tries} ({error}); the network or the "
            f"endpoint failed: try again, or raise max_attempts{request_id_text(error.request_id)}"
        )
    if isinstance(error, EndpointConnectionError):
        return unreachable(error, what, service, tries, endpoint)
    if isinstance(error, BotoConnectionError):
        return apsw.IOError(
            f"NetworkFailure: {what} could not reach {service} ({tries}): {error}; try again, or raise "
            "max_attempts"
        )
    if _header_refused(error):
        return apsw.SQLError(
            f"UnsendableHeader: {what}: a request header holds a line break (CR or LF), which HTTP cannot "
            "carry (the value is not shown): most likely the credentials' session token; check "
            "AWS_SESSION_TOKEN, the profile's aws_session_token or what its credential_process prints"
        )
    if isinstance(error, HTTPClientError):
        return apsw.IOError(
            f"NetworkFailure: {what} lost its answer in transport ({tries}): {error}; try again, or raise "
            "max_attempts"
        )
    return apsw.SQLError(f"{type(error).__name__}: {what}: {error}")


def unknown_profile(error: ProfileNotFound, option: str | None, available: list[str]) -> apsw.SQLError:
    """A profile the AWS config files do not have: named with where it came from (the option, else
    AWS_PROFILE) and the profiles they do have (names only: a profile's settings are never shown)."""
    name = str(error.kwargs.get("profile", option))
    flag = hints.option("profile")
    origin = f"given as {hints.assignment('profile', repr(name))}" if option else "from AWS_PROFILE"
    meant = hints.did_you_mean(name, available, quoted=True)
    guess = f"{meant} " if meant else ""
    listed = ", ".join(sorted(available)) if available else "none"
    fix = (
        f"name one of them ({hints.assignment('profile', 'NAME')}), or leave {flag} out for the standard "
        "credential chain"
        if option
        else f"name one of them in AWS_PROFILE or {hints.assignment('profile', 'NAME')}, or unset AWS_PROFILE"
    )
    return apsw.SQLError(
        f"ProfileNotFound: the AWS profile {name!r} ({origin}) is not in your AWS config files (profiles "
        f"there: {listed}); {guess}{fix}"
    )


def unknown_profiles(missing: list[str], profiles: tuple[str, ...], available: list[str]) -> apsw.SQLError:
    """Profiles of the ``profiles`` option that the AWS config files do not have: named with the option
    (not ``profile``, which the estate's own reads are made with) and the profiles the files do have."""
    flag = hints.option("profiles")
    names = ", ".join(repr(name) for name in missing)
    one = len(missing) == 1
    which = f"profile {names}" if one else f"profiles {names}"
    guesses = [hints.did_you_mean(name, available, quoted=True) for name in missing]
    guess = "".join(f"{meant} " for meant in guesses if meant)
    listed = ", ".join(sorted(available)) if available else "none"
    return apsw.SQLError(
        f"ProfileNotFound: the AWS {which} (of {hints.assignment('profiles', repr(','.join(profiles)))}) "
        f"{'is' if one else 'are'} not in your AWS config files (profiles there: {listed}); {guess}name "
        f"profiles that are there, or leave {'it' if one else 'them'} out of {flag}"
    )


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})
"""Hosts of an endpoint on this machine: most likely vtab's emulator (or LocalStack), which may not run."""


def unreachable(
    error: EndpointConnectionError, what: str, service: str, tries: str, endpoint: str | None = None
) -> apsw.IOError:
    """No connection to the endpoint at all: refused (nothing listens there), or a host name that does not
    resolve. No answer came, so retrying sooner or more often would not help: the message says what to
    check instead. A URL other than the service's ``endpoint`` is where the call's credentials come from
    (a profile's role_arn, assumed through STS), which ``endpoint_url`` does not move."""
    url = str(error.kwargs.get("endpoint_url", "")).rstrip("/")
    reason = _socket_error(error.kwargs.get("error"))
    host = urlsplit(url).hostname or ""
    if endpoint and urlsplit(endpoint).netloc and urlsplit(endpoint).netloc != urlsplit(url).netloc:
        return _credentials_unreachable(what, url, reason, tries, service, endpoint.rstrip("/"))
    if isinstance(reason, ConnectionRefusedError):
        running = " (`vtab emulator` starts a local one)" if host in LOCAL_HOSTS else ""
        return apsw.IOError(
            f"NetworkFailure: {what} could not connect to {service} at {url}: connection refused "
            f"({tries}); is the endpoint running?{running}; check {hints.option('endpoint_url')} and the "
            "AWS_ENDPOINT_URL* variables"
        )
    if isinstance(reason, socket.gaierror):
        return apsw.IOError(
            f"NetworkFailure: {what} could not connect to {service} at {url}: the host name {host!r} does "
            f"not resolve ({tries}); check the network (DNS) and {hints.option('endpoint_url')}"
        )
    return apsw.IOError(
        f"NetworkFailure: {what} could not connect to {service} at {url} ({tries}): {error}; check the "
        "network and the endpoint, then try again"
    )


def _credentials_unreachable(
    what: str, url: str, reason: BaseException | None, tries: str, service: str, endpoint: str
) -> apsw.IOError:
    """The call's credentials could not be fetched: their endpoint (STS, for a profile's role_arn) is not
    the service's, and a profile's STS calls go where AWS_ENDPOINT_URL_STS says, not to ``endpoint_url``."""
    if isinstance(reason, ConnectionRefusedError):
        why = "connection refused"
    elif isinstance(reason, socket.gaierror):
        why = f"the host name {urlsplit(url).hostname!r} does not resolve"
    else:
        why = str(reason or "no connection")
    return apsw.IOError(
        f"NetworkFailure: {what} could not get its credentials: no connection to {url} ({why}; {tries}), "
        f"which is not {service}'s endpoint ({endpoint}) but where the profile's credentials come from (its "
        f"role_arn is assumed through STS); {hints.option('endpoint_url')} does not move STS: set "
        "AWS_ENDPOINT_URL_STS (on the local endpoint, to the same URL), or check the network"
    )


def _socket_error(error: object) -> BaseException | None:
    """The OS error under urllib3's wrapper (NewConnectionError's cause): refused, unresolvable, ..."""
    seen: BaseException | None = error if isinstance(error, BaseException) else None
    while seen is not None and not isinstance(seen, OSError):
        seen = seen.__cause__ or seen.__context__
    return seen


def malformed_answer(what: str, why: str, request_id: str | None = None) -> apsw.IOError:
    """An answer that parsed but does not hold what its operation promises (checked before use)."""
    return apsw.IOError(
        f"MalformedAnswer: {what} got an answer that {why}; the endpoint failed: try again"
        f"{request_id_text(request_id)}"
    )


def lost_in_transport(error: BaseException) -> bool:
    """Whether a call that raised ``error`` was sent but its answer never arrived whole: a reset, a read
    timeout, a malformed answer or a 5xx after retries. Such a write may or may not have been accepted.
    A 4xx answer is a definite refusal; a failure before sending (no credentials, no region) sent nothing.
    """
    cause = error.__cause__ if isinstance(error, apsw.Error) else error
    if isinstance(cause, ClientError):
        status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return not (isinstance(status, int) and 400 <= status < 500)
    if isinstance(cause, BotoCoreError):
        return isinstance(cause, (HTTPClientError, BotoConnectionError))
    return isinstance(error, apsw.IOError)  # malformed_answer: an answer came, but not a usable one
