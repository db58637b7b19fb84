"""The two ways Cloud Control says no.

A synchronous API error (:class:`CloudControlError`) becomes an HTTP error body that botocore turns into
``ClientError`` with ``Error.Code``; a handler failure (:class:`HandlerFailure`) becomes a FAILED
ProgressEvent for writes, or is mapped to a synchronous error for reads.
"""

from __future__ import annotations

ERROR_NAMESPACE = "com.amazon.cloudapiservice"

#: Every exception the botocore model declares for Cloud Control (all carry only ``Message``).
MODELED_EXCEPTIONS = frozenset(
    {
        "AlreadyExistsException",
        "ClientTokenConflictException",
        "ConcurrentModificationException",
        "ConcurrentOperationException",
        "GeneralServiceException",
        "HandlerFailureException",
        "HandlerInternalFailureException",
        "InvalidCredentialsException",
        "InvalidRequestException",
        "NetworkFailureException",
        "NotStabilizedException",
        "NotUpdatableException",
        "PrivateTypeException",
        "RequestTokenNotFoundException",
        "ResourceConflictException",
        "ResourceNotFoundException",
        "ServiceInternalErrorException",
        "ServiceLimitExceededException",
        "ThrottlingException",
        "TypeNotFoundException",
        "UnsupportedActionException",
    }
)

#: HandlerErrorCode -> the exception a synchronous call (Get/List) raises when its handler fails that way.
SYNC_EXCEPTION_OF = {
    "NotUpdatable": "NotUpdatableException",
    "InvalidRequest": "InvalidRequestException",
    "AccessDenied": "HandlerFailureException",
    "UnauthorizedTaggingOperation": "HandlerFailureException",
    "InvalidCredentials": "InvalidCredentialsException",
    "AlreadyExists": "AlreadyExistsException",
    "NotFound": "ResourceNotFoundException",
    "ResourceConflict": "ResourceConflictException",
    "Throttling": "ThrottlingException",
    "ServiceLimitExceeded": "ServiceLimitExceededException",
    "NotStabilized": "NotStabilizedException",
    "GeneralServiceException": "GeneralServiceException",
    "ServiceInternalError": "ServiceInternalErrorException",
    "ServiceTimeout": "HandlerFailureException",
    "NetworkFailure": "NetworkFailureException",
    "InternalFailure": "HandlerInternalFailureException",
}

#: The HandlerErrorCode enum of ProgressEvent.ErrorCode.
HANDLER_ERROR_CODES = frozenset(SYNC_EXCEPTION_OF)


class CloudControlError(Exception):
    """A synchronous API error; ``code`` is what botocore shows as ``Error.Code``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class HandlerFailure(Exception):
    """A resource handler failed with a HandlerErrorCode such as ``NotFound`` or ``AlreadyExists``."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code
        self.message = message

    def as_sync_error(self) -> CloudControlError:
        """What a synchronous operation (Get, List) answers when its handler fails this way."""
        return CloudControlError(
            SYNC_EXCEPTION_OF.get(self.error_code, "HandlerFailureException"), self.message
        )


def invalid_request(message: str) -> CloudControlError:
    return CloudControlError("InvalidRequestException", message)


def not_found_message(type_name: str, identifier: str) -> str:
    """The CloudFormation handlers' standard NotFound wording."""
    return f"Resource of type '{type_name}' with identifier '{identifier}' was not found."
