"""An Organization on the local endpoint, built as a user would with plain boto3: CreateOrganization,
CreateOrganizationalUnit, CreateAccount, MoveAccount, CloseAccount, and log groups created in each member
account through credentials STS AssumeRole gave for it.

``build_org(emulator)`` makes the estate the ``org`` fixture (tests/conftest.py) hands to tests:

    root  management 123456789012 (default credentials)   1 log group per region
    Prod  prod-a, prod-b                                  2 log groups in us-east-1, 1 in eu-west-1
    Prod/Web  web-a                                       (an OU includes its child OUs)
    Dev   dev-a
          dev-locked   created with RoleName=AdminRole: OrganizationAccountAccessRole is AccessDenied
          dev-closed   closed after seeding: SUSPENDED, cannot be assumed
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from tests.syncfiles import file_rows
from vtab.cli.main import main
from vtab.emulator import Emulator
from vtab.emulator.state import ACCOUNT_ID
from vtab.sync import sync
from vtab.sync.summary import SyncSummary

ROLE_NAME = "OrganizationAccountAccessRole"
LOG_GROUP = "AWS::Logs::LogGroup"
REGIONS = ("us-east-1", "eu-west-1")


@dataclass
class OrgAccount:
    """One account of the test organization and what it holds."""

    account_id: str
    name: str
    email: str
    ou_path: str
    status: str = "ACTIVE"
    assumable: bool = True
    log_groups: dict[str, list[str]] = field(default_factory=dict)
    """Region -> the LogGroupNames created in the account there."""


@dataclass
class Org:
    """The organization: its root, OUs (path -> id) and accounts, the management account first."""

    root_id: str
    ous: dict[str, str]
    accounts: list[OrgAccount]

    def named(self, name: str) -> OrgAccount:
        return next(account for account in self.accounts if account.name == name)

    @property
    def members(self) -> list[OrgAccount]:
        return [account for account in self.accounts if account.account_id != ACCOUNT_ID]


def client(emulator: Emulator, service: str, region: str = "us-east-1", **credentials: Any) -> Any:
    return boto3.client(service, endpoint_url=emulator.endpoint_url, region_name=region, **credentials)


def assume(emulator: Emulator, account_id: str, role_name: str = ROLE_NAME, **extra: Any) -> dict[str, str]:
    """boto3 client credentials for ``account_id`` (STS AssumeRole from the management account)."""
    answer = client(emulator, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}", RoleSessionName="tests", **extra
    )["Credentials"]
    return {
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }


def create_log_group(cloudcontrol: Any, name: str) -> None:
    """CreateResource, polled to SUCCESS."""
    token = cloudcontrol.create_resource(TypeName=LOG_GROUP, DesiredState=json.dumps({"LogGroupName": name}))[
        "ProgressEvent"
    ]["RequestToken"]
    for _ in range(10):
        event = cloudcontrol.get_resource_request_status(RequestToken=token)["ProgressEvent"]
        if event["OperationStatus"] == "SUCCESS":
            return
        assert event["OperationStatus"] in ("PENDING", "IN_PROGRESS"), event
    raise AssertionError(f"{name} was not created")


def seed_account(emulator: Emulator, account: OrgAccount, credentials: dict[str, str]) -> None:
    """Log groups named after the account: two in us-east-1 and one in eu-west-1 (one each for the
    management account)."""
    counts = (
        {"us-east-1": 2, "eu-west-1": 1} if account.account_id != ACCOUNT_ID else dict.fromkeys(REGIONS, 1)
    )
    for region, count in counts.items():
        cloudcontrol = client(emulator, "cloudcontrol", region, **credentials)
        names = [f"/{account.name}/{region}/{i}" for i in range(count)]
        for name in names:
            create_log_group(cloudcontrol, name)
        account.log_groups[region] = names


def build_org(emulator: Emulator) -> Org:
    organizations = client(emulator, "organizations")
    organizations.create_organization(FeatureSet="ALL")
    root_id = organizations.list_roots()["Roots"][0]["Id"]
    ous: dict[str, str] = {}
    for path, parent in (("Prod", root_id), ("Dev", root_id), ("Prod/Web", "Prod")):
        parent_id = ous.get(parent, parent)
        name = path.rsplit("/", 1)[-1]
        ous[path] = organizations.create_organizational_unit(ParentId=parent_id, Name=name)[
            "OrganizationalUnit"
        ]["Id"]
    management = OrgAccount(ACCOUNT_ID, "master", "master@example.com", "")
    accounts = [management]
    for name, path, role in (
        ("prod-a", "Prod", ROLE_NAME),
        ("prod-b", "Prod", ROLE_NAME),
        ("web-a", "Prod/Web", ROLE_NAME),
        ("dev-a", "Dev", ROLE_NAME),
        ("dev-locked", "Dev", "AdminRole"),
        ("dev-closed", "Dev", ROLE_NAME),
    ):
        email = f"{name}@example.com"
        status = organizations.create_account(AccountName=name, Email=email, RoleName=role)
        account_id = status["CreateAccountStatus"]["AccountId"]
        organizations.move_account(
            AccountId=account_id, SourceParentId=root_id, DestinationParentId=ous[path]
        )
        accounts.append(OrgAccount(account_id, name, email, path, assumable=role == ROLE_NAME))
    for account in accounts:
        if account.account_id == ACCOUNT_ID:
            seed_account(emulator, account, {})
        elif account.assumable:
            seed_account(emulator, account, assume(emulator, account.account_id))
        else:
            seed_account(emulator, account, assume(emulator, account.account_id, "AdminRole"))
    closed = next(account for account in accounts if account.name == "dev-closed")
    organizations.close_account(AccountId=closed.account_id)
    closed.status, closed.assumable = "SUSPENDED", False
    return Org(root_id, ous, accounts)


def assumable_log_groups(org: Org) -> int:
    """The log groups a sync of the org can read: those of the accounts whose role can be assumed."""
    return sum(
        len(names) for account in org.accounts if account.assumable for names in account.log_groups.values()
    )


def sync_org(emulator: Emulator, out: str, **options: Any) -> SyncSummary:
    """``vtab.sync`` of the org's accounts in REGIONS on the emulator, with ``options``."""
    defaults = {"endpoint_url": emulator.endpoint_url, "regions": ",".join(REGIONS), "accounts": "org"}
    return sync(out, **(defaults | options))


def run_sync_command(emulator: Emulator, org: Org, out: str, executor: str) -> None:
    """``vtab sync`` of the org's log groups in REGIONS on ``executor``: status 3 (--on-error skip: the
    locked account is recorded, not fatal) and every assumable account's log groups in ``out``."""
    argv = ["sync", out, "--tables", "logs_log_groups", "--executor", executor, "--accounts", "org"]
    assert main([*argv, "--regions", ",".join(REGIONS), "--endpoint-url", emulator.endpoint_url]) == 3
    assert file_rows(out, "SELECT count(*) FROM logs_log_groups") == [(assumable_log_groups(org),)]


def command_failure_line(err: str) -> str:
    """The one failure line ``run_sync_command`` prints on stderr (the locked account's two tasks): checked
    to name the command's flag, as the sync's process speaks to the command's user, whichever executor's
    workers ran the tasks; returned for an executor's own checks."""
    failed = [line for line in err.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 1, failed
    (line,) = failed
    assert line.startswith("failed: 2 tasks of logs_log_groups in account "), line
    assert "add --skip-accounts '" in line, line
    assert "vtab.register()" not in line and "skip_accounts=" not in line, line
    return line
