"""STS GetCallerIdentity on the local endpoint: the one STS call vtab makes (to learn the account id).

STS speaks the AWS query protocol: a form POST (``Action=GetCallerIdentity&Version=2011-06-15``) answered
in XML. The endpoint answers it beside Cloud Control, so a client pointed at it for both (vtab sends STS
to Cloud Control's endpoint when that is overridden) learns the emulator's account, 123456789012.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from werkzeug.wrappers import Request

from vtab.emulator.errors import CloudControlError
from vtab.emulator.state import ACCOUNT_ID

VERSION = "2011-06-15"
NAMESPACE = f"https://sts.amazonaws.com/doc/{VERSION}/"
CONTENT_TYPE = "text/xml"
OPERATIONS = ("GetCallerIdentity",)
CALLER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/testing"
"""Who the emulator says the caller is (its denials name the same user)."""
CALLER_USER_ID = "AIDAEMULATORTESTING01"


def is_query_request(request: Request) -> bool:
    """A query-protocol call (STS): a form POST with an Action and no X-Amz-Target (Cloud Control's JSON
    calls always have one)."""
    return (
        request.method == "POST"
        and "X-Amz-Target" not in request.headers
        and request.mimetype == "application/x-www-form-urlencoded"
        and "Action" in request.form
    )


def operation_of(request: Request) -> str:
    """The Action of a query request; InvalidAction unless it is one the endpoint serves."""
    action = request.form.get("Action", "")
    version = request.form.get("Version", "")
    if action not in OPERATIONS or version != VERSION:
        raise CloudControlError(
            "InvalidAction", f"Could not find operation {action} for version {version or 'NO_VERSION'}"
        )
    return action


def caller_identity(request_id: str) -> bytes:
    """The GetCallerIdentity answer: the emulator's account, user ARN and user id."""
    return (
        f'<GetCallerIdentityResponse xmlns="{NAMESPACE}">'
        "<GetCallerIdentityResult>"
        f"<Arn>{CALLER_ARN}</Arn><UserId>{CALLER_USER_ID}</UserId><Account>{ACCOUNT_ID}</Account>"
        "</GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    ).encode()


def error_body(error: CloudControlError, request_id: str) -> bytes:
    """A query-protocol error (botocore reads Code and Message as for real STS)."""
    kind = "Receiver" if error.status >= 500 else "Sender"
    return (
        f'<ErrorResponse xmlns="{NAMESPACE}">'
        f"<Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId>"
        "</ErrorResponse>"
    ).encode()


def denial() -> CloudControlError:
    """What ``deny_next`` makes GetCallerIdentity answer. No IAM policy can deny the call, so AWS refuses
    it only by an explicit deny elsewhere (a VPC endpoint policy)."""
    return CloudControlError(
        "AccessDenied",
        f"User: {CALLER_ARN} is not authorized to perform: sts:GetCallerIdentity with an explicit deny in "
        "a VPC endpoint policy",
        403,
    )
