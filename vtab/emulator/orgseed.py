"""An Organization made in one step: ``vtab emulator --accounts N`` and the benchmarks.

The management account (123456789012, the default credentials' account) and N-1 member accounts created
through moto's Organizations backend (no HTTP), spread over OUs under the root; each member's role is
OrganizationAccountAccessRole, so ``accounts='org'`` reaches every one. Account ids come from the
emulator's Random: a seeded emulator makes the same ones every run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vtab.emulator.accounts import Accounts
from vtab.emulator.state import ACCOUNT_ID

DEFAULT_OUS = ("Prod", "Dev")


@dataclass(frozen=True)
class SeededOrg:
    """What ``seed_org`` made: OU name -> id, and each member account's (id, OU name)."""

    root_id: str
    ous: dict[str, str]
    members: tuple[tuple[str, str], ...]

    @property
    def account_ids(self) -> tuple[str, ...]:
        """Every account, the management account first."""
        return (ACCOUNT_ID, *(account_id for account_id, _ in self.members))


def seed_org(accounts: Accounts, size: int, ous: tuple[str, ...] = DEFAULT_OUS) -> SeededOrg:
    """An organization of ``size`` accounts (the management account included), its members dealt round
    the OUs ``ous`` in turn. ValueError for a size below 1 or an organization that already exists."""
    if size < 1:
        raise ValueError(f"an organization has at least 1 account (its management account), not {size}")
    organizations = accounts.organizations
    if organizations.backend.org is not None:
        raise ValueError("the emulator already has an organization")

    def call(operation: str, **params: object) -> Any:
        return json.loads(organizations.handle(operation, ACCOUNT_ID, params))

    call("CreateOrganization", FeatureSet="ALL")
    root_id = str(organizations.backend.ou[0].id)
    ou_ids = {
        name: str(call("CreateOrganizationalUnit", ParentId=root_id, Name=name)["OrganizationalUnit"]["Id"])
        for name in ous
    }
    members = []
    for index in range(1, size):
        ou = ous[(index - 1) % len(ous)] if ous else ""
        status = call(
            "CreateAccount",
            AccountName=f"{ou.lower() or 'member'}-{index}",
            Email=f"account-{index}@example.com",
        )
        account_id = str(status["CreateAccountStatus"]["AccountId"])
        if ou:
            call("MoveAccount", AccountId=account_id, SourceParentId=root_id, DestinationParentId=ou_ids[ou])
        members.append((account_id, ou))
    return SeededOrg(root_id, ou_ids, tuple(members))
