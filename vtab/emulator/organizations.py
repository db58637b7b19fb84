"""AWS Organizations on the local endpoint: moto's backend, one per emulator, behind the JSON protocol.

Calls are ``POST /`` with ``X-Amz-Target: AWSOrganizationsV20161128.<Op>`` (awsJson1_1). moto's
``OrganizationsBackend`` keeps the organization (its answers, errors and pagination are moto's); this
module adds what the emulator's accounts need of it: only the management account may call it (members
get AccessDenied, as AWS answers them for ListAccounts), pages hold at most 20 accounts or OUs (AWS's
limit), account ids are drawn from the emulator's Random (a seeded emulator repeats them), the role
``CreateAccount`` asked for (``RoleName``, OrganizationAccountAccessRole by default) is remembered for
STS AssumeRole, and accounts and OUs carry their organization path (``Paths``, ``Path``:
``o-.../r-.../ou-.../111111111111/``) as AWS's answers do, which moto's lack. Accounts carry ``State``
alone, as AWS's do since it retired their ``Status`` field (9 September 2026), which moto still answers.
"""

from __future__ import annotations

import json
from random import Random
from typing import Any

from moto.core.exceptions import JsonRESTError, ServiceException
from moto.core.utils import camelcase_to_underscores
from moto.organizations.models import OrganizationsBackend
from moto.organizations.responses import OrganizationsResponse

from vtab.emulator.errors import CloudControlError
from vtab.emulator.providers import moto_ids
from vtab.emulator.state import ACCOUNT_ID

TARGET_PREFIX = "AWSOrganizationsV20161128."
CONTENT_TYPE = "application/x-amz-json-1.1"
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
"""The role CreateAccount makes in a new account unless RoleName says otherwise (as in AWS)."""
PAGE_LIMIT = 20
"""AWS's largest MaxResults for ListAccounts, ListAccountsForParent and ListOrganizationalUnitsForParent."""
_PAGED = frozenset({"ListAccounts", "ListAccountsForParent", "ListOrganizationalUnitsForParent"})
_PATHED = frozenset(
    {
        "ListAccounts",
        "ListAccountsForParent",
        "DescribeAccount",
        "ListOrganizationalUnitsForParent",
        "DescribeOrganizationalUnit",
        "CreateOrganizationalUnit",
    }
)
"""The operations whose accounts carry ``Paths`` and whose OUs carry ``Path``."""


class _Answer(OrganizationsResponse):
    """moto's response class over this emulator's backend and one request body (no moto routing)."""

    def __init__(self, backend: OrganizationsBackend, params: dict[str, Any]) -> None:
        super().__init__()
        self._backend = backend
        self.body = json.dumps(params)
        self.region = "us-east-1"

    @property
    def organizations_backend(self) -> OrganizationsBackend:
        return self._backend


class Organizations:
    """The emulator's organization: its management account is the default account (123456789012)."""

    def __init__(self, rng: Random) -> None:
        self._random = rng
        self.backend = OrganizationsBackend("us-east-1", ACCOUNT_ID)
        self.role_names: dict[str, str] = {}
        """Account id -> the role CreateAccount made in it (what AssumeRole may assume there)."""

    def handle(
        self,
        operation: str,
        caller_account: str,
        params: dict[str, Any],
        paths: bool = True,
        status: bool = False,
    ) -> bytes:
        """The JSON answer of one operation, or CloudControlError carrying Organizations' error code;
        ``paths``: accounts and OUs carry their organization path, as AWS's do; ``status``: accounts carry
        the retired ``Status`` beside ``State``."""
        if caller_account != ACCOUNT_ID:
            raise CloudControlError(
                "AccessDeniedException", "You don't have permissions to access this resource.", 400
            )
        if operation in _PAGED:
            params = {**params, "MaxResults": min(int(params.get("MaxResults") or PAGE_LIMIT), PAGE_LIMIT)}
        answer = _Answer(self.backend, params)
        method = getattr(answer, camelcase_to_underscores(operation), None)
        if method is None or operation.startswith("_"):
            raise CloudControlError("UnknownOperationException", f"Unknown operation {operation!r}")
        try:
            with moto_ids(self._random):
                text = method()
        except ServiceException as exc:
            raise CloudControlError(str(exc.code), str(exc.message), 400) from None
        except JsonRESTError as exc:
            raise CloudControlError(exc.relative_error_type, exc.message, exc.code) from None
        if operation == "CreateAccount":
            created = json.loads(text)["CreateAccountStatus"]["AccountId"]
            self.role_names[created] = params.get("RoleName") or DEFAULT_ROLE_NAME
        if operation in _PATHED and (paths or not status):
            listed: dict[str, Any] = json.loads(text)
            if paths:
                listed = self._with_paths(listed)
            if not status:
                for account in [*(listed.get("Accounts") or ()), listed.get("Account") or {}]:
                    account.pop("Status", None)
            text = json.dumps(listed)
        return text.encode() if isinstance(text, str) else bytes(text)

    def _with_paths(self, answer: dict[str, Any]) -> dict[str, Any]:
        """``answer`` with ``Paths`` on its accounts and ``Path`` on its OUs."""
        parent_of = {str(node.id): node.parent_id for node in self.backend.ou}
        parent_of.update((str(account.id), account.parent_id) for account in self.backend.accounts)
        org = self.backend.org

        def path(node_id: str) -> str:
            chain = [node_id]
            while (parent := parent_of.get(chain[-1])) is not None:
                chain.append(str(parent))
            return "/".join([str(org.id) if org else "", *reversed(chain)]) + "/"

        for account in [*(answer.get("Accounts") or ()), answer.get("Account") or {}]:
            if "Id" in account:
                account["Paths"] = [path(str(account["Id"]))]
        for ou in [*(answer.get("OrganizationalUnits") or ()), answer.get("OrganizationalUnit") or {}]:
            if "Id" in ou:
                ou["Path"] = path(str(ou["Id"]))
        return answer

    def status_of(self, account_id: str) -> str | None:
        """ACTIVE, SUSPENDED (closed) or None for an account outside the organization."""
        for account in self.backend.accounts:
            if account.id == account_id:
                return str(account.status)
        return None
