"""The endpoint's Organization: Organizations (moto's backend) and STS AssumeRole on the same endpoint, and
every Cloud Control resource in the account its caller's credentials act in."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.orgs import LOG_GROUP, ROLE_NAME, Org, assume, client
from vtab.emulator import Emulator
from vtab.emulator.accounts import WRONG_MFA_CODE
from vtab.emulator.state import ACCOUNT_ID


def log_group_names(emulator: Emulator, region: str = "us-east-1", **credentials: str) -> list[str]:
    cloudcontrol = client(emulator, "cloudcontrol", region, **credentials)
    listed = cloudcontrol.list_resources(TypeName=LOG_GROUP)["ResourceDescriptions"]
    return sorted(json.loads(item["Properties"])["LogGroupName"] for item in listed)


def test_assumed_credentials_act_in_the_target_account_and_its_resources_only(
    emulator: Emulator, org: Org
) -> None:
    prod_a = org.named("prod-a")
    credentials = assume(emulator, prod_a.account_id)
    identity = client(emulator, "sts", **credentials).get_caller_identity()
    assert identity["Account"] == prod_a.account_id
    assert identity["Arn"] == f"arn:aws:sts::{prod_a.account_id}:assumed-role/{ROLE_NAME}/tests"
    assert log_group_names(emulator, **credentials) == prod_a.log_groups["us-east-1"]
    assert log_group_names(emulator, "eu-west-1", **credentials) == prod_a.log_groups["eu-west-1"]
    # the default credentials keep today's account, which holds only its own
    assert client(emulator, "sts").get_caller_identity()["Account"] == ACCOUNT_ID
    assert log_group_names(emulator) == org.named("master").log_groups["us-east-1"]
    calls = [c for c in emulator.calls if c.operation == "ListResources"]
    assert [c.account_id for c in calls] == [prod_a.account_id, prod_a.account_id, ACCOUNT_ID]


def test_a_resource_arn_names_its_account(emulator: Emulator, org: Org) -> None:
    dev_a = org.named("dev-a")
    cloudcontrol = client(emulator, "cloudcontrol", **assume(emulator, dev_a.account_id))
    name = dev_a.log_groups["us-east-1"][0]
    model = json.loads(
        cloudcontrol.get_resource(TypeName=LOG_GROUP, Identifier=name)["ResourceDescription"]["Properties"]
    )
    assert model["Arn"] == f"arn:aws:logs:us-east-1:{dev_a.account_id}:log-group:{name}:*"


@pytest.mark.parametrize(
    ("account", "role"),
    [
        ("dev-locked", ROLE_NAME),  # created with RoleName=AdminRole
        ("dev-closed", ROLE_NAME),  # SUSPENDED
        ("prod-a", "SomeOtherRole"),
        ("000000000000", ROLE_NAME),  # not in the organization
    ],
)
def test_assume_role_is_denied_unless_it_is_the_accounts_organization_role(
    emulator: Emulator, org: Org, account: str, role: str
) -> None:
    account_id = account if account.isdigit() else org.named(account).account_id
    with pytest.raises(ClientError) as caught:
        assume(emulator, account_id, role)
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert f"sts:AssumeRole on resource: arn:aws:iam::{account_id}:role/{role}" in error["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_member_credentials_can_neither_assume_further_nor_list_the_organization(
    emulator: Emulator, org: Org
) -> None:
    credentials = assume(emulator, org.named("prod-a").account_id)
    with pytest.raises(ClientError) as caught:
        client(emulator, "sts", **credentials).assume_role(
            RoleArn=f"arn:aws:iam::{org.named('prod-b').account_id}:role/{ROLE_NAME}",
            RoleSessionName="chained",
        )
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as caught:
        client(emulator, "organizations", **credentials).list_accounts()
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"


def test_assume_role_keeps_the_external_id_and_duration(emulator: Emulator, org: Org) -> None:
    account_id = org.named("web-a").account_id
    answer = client(emulator, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE_NAME}",
        RoleSessionName="audit",
        ExternalId="shared-external-id",
        DurationSeconds=900,
    )
    session = emulator.accounts.sessions()[-1]
    assert (session.account_id, session.external_id, session.session_name) == (
        account_id,
        "shared-external-id",
        "audit",
    )
    assert answer["Credentials"]["Expiration"] == session.expires_at
    assert answer["AssumedRoleUser"]["Arn"] == session.arn


def test_list_accounts_shows_each_status_in_pages_of_at_most_20(emulator: Emulator, org: Org) -> None:
    organizations = client(emulator, "organizations")
    for index in range(20):
        organizations.create_account(AccountName=f"extra-{index}", Email=f"extra-{index}@example.com")
    pages = list(organizations.get_paginator("list_accounts").paginate())
    assert [len(page["Accounts"]) for page in pages] == [20, 7]
    statuses = {a["Name"]: a["State"] for page in pages for a in page["Accounts"]}
    assert statuses["dev-closed"] == "SUSPENDED"
    assert statuses["prod-a"] == statuses["master"] == "ACTIVE"
    # State alone, as AWS answers since it retired Status; the switch answers Status beside it
    assert not any("Status" in a for page in pages for a in page["Accounts"])
    emulator.configure(account_status=True)
    account = organizations.describe_account(AccountId=org.named("dev-closed").account_id)["Account"]
    assert (account["Status"], account["State"]) == ("SUSPENDED", "SUSPENDED")


def test_the_ou_tree_holds_the_moved_accounts(emulator: Emulator, org: Org) -> None:
    organizations = client(emulator, "organizations")
    children = organizations.list_organizational_units_for_parent(ParentId=org.ous["Prod"])
    assert [ou["Name"] for ou in children["OrganizationalUnits"]] == ["Web"]
    in_dev = organizations.list_accounts_for_parent(ParentId=org.ous["Dev"])["Accounts"]
    assert sorted(a["Name"] for a in in_dev) == ["dev-a", "dev-closed", "dev-locked"]


def test_organizations_calls_are_recorded_with_their_caller(emulator: Emulator, org: Org) -> None:
    client(emulator, "organizations").list_roots()
    (call,) = emulator.calls
    assert (call.operation, call.account_id, call.error_code) == ("ListRoots", ACCOUNT_ID, None)


def test_seed_org_makes_an_organization_each_member_reachable_with_the_same_ids_per_seed() -> None:
    with Emulator(seed="demo") as emulator, Emulator(seed="demo") as again:
        made = emulator.seed_org(5)
        assert again.seed_org(5).account_ids == made.account_ids
        organizations = client(emulator, "organizations")
        accounts = organizations.list_accounts()["Accounts"]
        assert sorted(a["Id"] for a in accounts) == sorted(made.account_ids)
        for name, ou_id in made.ous.items():
            in_ou = organizations.list_accounts_for_parent(ParentId=ou_id)["Accounts"]
            assert len(in_ou) == 2 and all(a["Name"].startswith(name.lower()) for a in in_ou)
        member = made.account_ids[-1]
        emulator.seed_demo(member)
        cloudcontrol = client(emulator, "cloudcontrol", **assume(emulator, member))
        apis = cloudcontrol.list_resources(TypeName="AWS::ApiGatewayV2::Api")["ResourceDescriptions"]
        assert len(apis) == 4
        assert (
            client(emulator, "cloudcontrol").list_resources(TypeName="AWS::ApiGatewayV2::Api")[
                "ResourceDescriptions"
            ]
            == []
        )


def test_the_org_control_route_makes_an_organization(emulator: Emulator) -> None:
    request = urllib.request.Request(
        emulator.endpoint_url + "/_emulator/org",
        data=json.dumps({"accounts": 4, "ous": ["A", "B", "C"]}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        made = json.loads(answer.read())
    assert sorted(made["ous"]) == ["A", "B", "C"] and made["accounts"][0] == ACCOUNT_ID
    listed = client(emulator, "organizations").list_accounts()["Accounts"]
    assert sorted(a["Id"] for a in listed) == sorted(made["accounts"])


def _seed_route(emulator: Emulator, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        emulator.endpoint_url + "/_emulator/seed", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


def test_the_seed_route_seeds_the_account_it_names(emulator: Emulator) -> None:
    """The benchmarks seed every account of an Organization over HTTP: ``account`` puts the resources in
    that account only; a value that is not an account id is refused, naming it."""
    member = emulator.seed_org(2).account_ids[-1]
    _seed_route(emulator, {"account": member, "websocket_apis": 1, "integrations": 1, "http_apis": 0})
    _seed_route(emulator, {"account": member, "type": "AWS::Logs::LogGroup", "count": 2})
    credentials = assume(emulator, member)
    apis = client(emulator, "cloudcontrol", **credentials).list_resources(TypeName="AWS::ApiGatewayV2::Api")
    assert len(apis["ResourceDescriptions"]) == 1
    assert len(log_group_names(emulator, **credentials)) == 2
    own = client(emulator, "cloudcontrol").list_resources(TypeName="AWS::ApiGatewayV2::Api")
    assert own["ResourceDescriptions"] == [] and log_group_names(emulator) == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        _seed_route(emulator, {"account": "prod", "websocket_apis": 1})
    assert refused.value.code == 400
    assert json.loads(refused.value.read()) == {"error": "seed account 'prod' is not a 12-digit account id"}


def test_assume_role_with_an_mfa_device_checks_its_code_as_sts_does(emulator: Emulator, org: Org) -> None:
    """A code of 6 digits passes (the device is kept on the session), another shape is a ValidationError,
    and WRONG_MFA_CODE is refused as STS refuses a wrong code."""
    role = f"arn:aws:iam::{org.named('web-a').account_id}:role/{ROLE_NAME}"
    sts = client(emulator, "sts")
    serial = "arn:aws:iam::123456789012:mfa/me"
    sts.assume_role(RoleArn=role, RoleSessionName="mfa", SerialNumber=serial, TokenCode="123456")
    assert emulator.accounts.sessions()[-1].serial_number == serial
    for code, expected in (("12ab56", "ValidationError"), (WRONG_MFA_CODE, "AccessDenied")):
        with pytest.raises(ClientError) as refused:
            sts.assume_role(RoleArn=role, RoleSessionName="mfa", SerialNumber=serial, TokenCode=code)
        assert refused.value.response["Error"]["Code"] == expected
