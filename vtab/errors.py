"""Cloud Control errors -> the apsw exception a SQL user sees (the table in DESIGN.md "Errors").

Messages start with the AWS error code, then the AWS message, then what we know that helps (the IAM
permissions a verb needs, the request token). They never contain credentials.
"""

from __future__ import annotations

import apsw
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from vtab import hints
from vtab.schema import ResourceSchema

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
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


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
    request_id = error.response.get("ResponseMetadata", {}).get("RequestId")
    text = f"{code}: {message} [{what}]"
    if error_stem(code) in _PERMISSION:
        text += permission_hint(schema, verb, operation)
    if error_stem(code) in ("Throttling", "RequestLimitExceeded"):
        text += (
            f"; retries were exhausted: lower {hints.option('rate_limit')} or {hints.option('max_workers')}, "
            "or try again later"
        )
    if request_id:
        text += f" (request id {request_id})"
    return exception_class(code)(text)


def from_transport_error(error: BotoCoreError, what: str) -> apsw.Error:
    """Network, credential and configuration failures; these never reached a handler."""
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
    if isinstance(error, ReadTimeoutError):
        return apsw.BusyError(f"Timeout: {what} timed out: {error}")
    if isinstance(error, (EndpointConnectionError, BotoConnectionError)):
        return apsw.IOError(f"NetworkFailure: {what} could not reach Cloud Control: {error}")
    return apsw.SQLError(f"{type(error).__name__}: {what}: {error}")
