"""Who a caller is: the default account, or the account STS AssumeRole credentials act in.

Every call's account comes from the access key of its SigV4 Authorization header: keys that AssumeRole
issued act in the account of the role they assumed (until they expire), any other key in the default
account, 123456789012, which is also the organization's management account. AssumeRole succeeds, as in
AWS for the role Organizations creates, only from the management account, into an ACTIVE member account,
for the role that account's CreateAccount named (``RoleName``; OrganizationAccountAccessRole unless
given); anything else is AccessDenied. Secrets are never logged.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random

from vtab.emulator.errors import CloudControlError
from vtab.emulator.organizations import Organizations
from vtab.emulator.state import ACCOUNT_ID

CALLER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/testing"
"""Who the emulator says a caller with default credentials is (its denials name the same user)."""
CALLER_USER_ID = "AIDAEMULATORTESTING01"
MIN_DURATION, MAX_DURATION, DEFAULT_DURATION = 900, 43200, 3600
"""AssumeRole's DurationSeconds bounds and default, as STS has them."""
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:[^/]+/)*([\w+=,.@-]{1,64})")
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
WRONG_MFA_CODE = "000000"
"""The MFA code the emulator's STS refuses (any other 6 digits pass): a test's wrong code."""


@dataclass(frozen=True)
class AssumedSession:
    """Credentials AssumeRole issued: the account and role they act as, until ``expires_at``."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    account_id: str
    role_name: str
    session_name: str
    external_id: str | None
    expires_at: datetime
    serial_number: str | None = None
    """The MFA device AssumeRole named (``SerialNumber``), whose code (``TokenCode``) it was given."""

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.role_name}/{self.session_name}"

    @property
    def user_id(self) -> str:
        return f"AROAEMULATOR{self.account_id}:{self.session_name}"


@dataclass(frozen=True)
class Identity:
    """GetCallerIdentity's answer for one credential."""

    user_id: str
    arn: str
    account_id: str


class Accounts:
    """The organization and the sessions AssumeRole issued, for one emulator."""

    def __init__(self, rng: Random) -> None:
        self._random = rng
        self._lock = threading.Lock()
        self._sessions: dict[str, AssumedSession] = {}
        self.organizations = Organizations(rng)

    def reset(self) -> None:
        with self._lock:
            self._sessions = {}
            self.organizations = Organizations(self._random)

    def session_of(self, access_key_id: str | None) -> AssumedSession | None:
        with self._lock:
            return self._sessions.get(access_key_id or "")

    def sessions(self) -> list[AssumedSession]:
        """Every session issued, oldest first (tests read which role and ExternalId a client sent)."""
        with self._lock:
            return list(self._sessions.values())

    def account_of(self, access_key_id: str | None) -> str:
        """The account a call with this access key acts in; ExpiredToken once its session has expired."""
        session = self.session_of(access_key_id)
        if session is None:
            return ACCOUNT_ID
        if session.expires_at <= datetime.now(UTC):
            raise CloudControlError(
                "ExpiredTokenException", "The security token included in the request is expired", 403
            )
        return session.account_id

    def identity(self, access_key_id: str | None) -> Identity:
        session = self.session_of(access_key_id)
        if session is None:
            return Identity(CALLER_USER_ID, CALLER_ARN, ACCOUNT_ID)
        return Identity(session.user_id, session.arn, session.account_id)

    def assume_role(
        self,
        caller_account: str,
        role_arn: str,
        session_name: str,
        duration: int = DEFAULT_DURATION,
        external_id: str | None = None,
        serial_number: str | None = None,
        token_code: str | None = None,
    ) -> AssumedSession:
        """New credentials acting as ``role_arn``; ValidationError for a malformed request, AccessDenied
        unless the management account assumes a member account's organization role. With an MFA device
        (``serial_number``) its code must be 6 digits, as STS checks; ``WRONG_MFA_CODE`` is the one code
        the emulator refuses, as STS refuses a wrong one (AccessDenied)."""
        if serial_number is not None:
            if not re.fullmatch(r"[0-9]{6}", token_code or ""):
                raise CloudControlError(
                    "ValidationError", "TokenCode must be the 6 digits of the MFA device's code", 400
                )
            if token_code == WRONG_MFA_CODE:
                raise CloudControlError(
                    "AccessDenied",
                    "MultiFactorAuthentication failed with invalid MFA one time pass code.",
                    403,
                )
        match = _ROLE_ARN.fullmatch(role_arn)
        if match is None:
            raise CloudControlError("ValidationError", f"{role_arn!r} is not a valid IAM role ARN", 400)
        if not _SESSION_NAME.fullmatch(session_name):
            raise CloudControlError(
                "ValidationError", f"RoleSessionName {session_name!r} must be 2-64 of [\\w+=,.@-]", 400
            )
        if not MIN_DURATION <= duration <= MAX_DURATION:
            raise CloudControlError(
                "ValidationError",
                f"DurationSeconds must be {MIN_DURATION} to {MAX_DURATION}, not {duration}",
                400,
            )
        account_id, role_name = match.group(1), match.group(2)
        organizations = self.organizations
        if (
            caller_account != ACCOUNT_ID
            or organizations.status_of(account_id) != "ACTIVE"
            or organizations.role_names.get(account_id) != role_name
        ):
            caller = self.identity(None).arn if caller_account == ACCOUNT_ID else f"account {caller_account}"
            raise CloudControlError(
                "AccessDenied",
                f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                403,
            )
        session = AssumedSession(
            access_key_id="ASIA" + secrets.token_hex(8).upper(),
            secret_access_key=secrets.token_urlsafe(30),
            session_token=secrets.token_urlsafe(60),
            account_id=account_id,
            role_name=role_name,
            session_name=session_name,
            external_id=external_id,
            serial_number=serial_number,
            expires_at=datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=duration),
        )
        with self._lock:
            self._sessions[session.access_key_id] = session
        return session
