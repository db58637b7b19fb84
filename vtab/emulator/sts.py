"""STS on the local endpoint: GetCallerIdentity (per credential) and AssumeRole (see ``accounts.py``).

STS speaks the AWS query protocol: a form POST (``Action=GetCallerIdentity&Version=2011-06-15``) answered
in XML. The endpoint answers it beside Cloud Control, so a client pointed at it for both (vtab sends STS
to Cloud Control's endpoint when that is overridden) learns the emulator's account: 123456789012 for
default credentials, the assumed account for AssumeRole's.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from vtab.emulator import ec2
from vtab.emulator.accounts import CALLER_ARN, AssumedSession, Identity
from vtab.emulator.errors import CloudControlError
from vtab.emulator.http_server import HttpRequest

VERSION = "2011-06-15"
NAMESPACE = f"https://sts.amazonaws.com/doc/{VERSION}/"
CONTENT_TYPE = "text/xml"
OPERATIONS = ("GetCallerIdentity", "AssumeRole")


def is_query_request(request: HttpRequest) -> bool:
    """A query-protocol call (STS): a form POST with an Action and no X-Amz-Target (Cloud Control's JSON
    calls always have one)."""
    return (
        request.method == "POST"
        and "x-amz-target" not in request.headers
        and request.mimetype == "application/x-www-form-urlencoded"
        and "Action" in request.form
    )


def operation_of(request: HttpRequest) -> str:
    """The Action of a query request; InvalidAction unless it is one the endpoint serves (STS's, or EC2's
    DescribeRegions: ``ec2.py``)."""
    action = request.form.get("Action", "")
    version = request.form.get("Version", "")
    served = (action in OPERATIONS and version == VERSION) or (
        action in ec2.OPERATIONS and version == ec2.VERSION
    )
    if not served:
        raise CloudControlError(
            "InvalidAction", f"Could not find operation {action} for version {version or 'NO_VERSION'}"
        )
    return action


def caller_identity(request_id: str, identity: Identity) -> bytes:
    """The GetCallerIdentity answer: the credential's account, ARN and user id."""
    return (
        f'<GetCallerIdentityResponse xmlns="{NAMESPACE}">'
        "<GetCallerIdentityResult>"
        f"<Arn>{escape(identity.arn)}</Arn><UserId>{escape(identity.user_id)}</UserId>"
        f"<Account>{identity.account_id}</Account>"
        "</GetCallerIdentityResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>"
    ).encode()


def assumed_role(request_id: str, session: AssumedSession) -> bytes:
    """The AssumeRole answer: the new credentials and who they act as."""
    expiration = session.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'<AssumeRoleResponse xmlns="{NAMESPACE}"><AssumeRoleResult>'
        f"<AssumedRoleUser><AssumedRoleId>{escape(session.user_id)}</AssumedRoleId>"
        f"<Arn>{escape(session.arn)}</Arn></AssumedRoleUser>"
        f"<Credentials><AccessKeyId>{session.access_key_id}</AccessKeyId>"
        f"<SecretAccessKey>{escape(session.secret_access_key)}</SecretAccessKey>"
        f"<SessionToken>{escape(session.session_token)}</SessionToken>"
        f"<Expiration>{expiration}</Expiration></Credentials>"
        "</AssumeRoleResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</AssumeRoleResponse>"
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
