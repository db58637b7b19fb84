"""The estate (vtab/aws/accounts.py) and vtab_accounts against an Organization on the local endpoint
(the ``org`` fixture, tests/orgs.py): discovery, OU scope and skips, AssumeRole per account (lazy, once,
in parallel, with ExternalId), each account's own Cloud Control, profiles, and where the calls go."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import apsw
import pytest

import vtab
from tests.orgs import LOG_GROUP, REGIONS, Org, assume
from tests.readhelpers import rows
from vtab.aws.accounts import MUST_RENEW_WITHIN, RENEW_WITHIN, Account, Estate, assumed_credentials
from vtab.catalog import load_catalog
from vtab.emulator import Emulator
from vtab.emulator.state import ACCOUNT_ID

ACCOUNTS_SQL = "SELECT account_id, name, status, ou_path, assumable, error FROM vtab_accounts ORDER BY name"


def register(emulator: Emulator, **options: Any) -> tuple[apsw.Connection, Any]:
    connection = apsw.Connection(":memory:")
    registry = vtab.register(
        connection, endpoint_url=emulator.endpoint_url, regions="us-east-1", rate_limit=None, **options
    )
    return connection, registry


def operations(emulator: Emulator) -> Counter[str]:
    return Counter(call.operation for call in emulator.calls)


def names(estate: Estate) -> list[str | None]:
    return sorted(account.name or account.account_id for account in estate.readable())


def test_without_account_options_vtab_accounts_is_the_callers_own(emulator: Emulator) -> None:
    connection, _ = register(emulator)
    assert emulator.calls == []  # nothing at connect
    assert rows(connection, "SELECT * FROM vtab_accounts") == [
        (ACCOUNT_ID, None, None, None, None, None, None, None, None)
    ]
    assert rows(connection, "SELECT count(*) FROM vtab_accounts") == [(1,)]  # read once per connection
    assert operations(emulator) == {"GetCallerIdentity": 1}


def test_org_lists_every_account_with_status_and_ou_path(emulator: Emulator, org: Org) -> None:
    connection, registry = register(emulator, accounts="org")
    shown = rows(connection, ACCOUNTS_SQL)
    expected = [
        (a.account_id, a.name, a.status, "/" + a.ou_path if a.ou_path else "/", None, None)
        for a in sorted(org.accounts, key=lambda a: a.name)
    ]
    assert shown == expected
    assert rows(connection, "SELECT count(*) FROM vtab_accounts WHERE joined_at LIKE '____-__-__T%'") == [
        (7,)
    ]
    # read once: ListAccounts (its accounts' Paths give their OU ids), then the names of the OUs on those
    # paths, one listing per OU that holds OUs (the root, Prod); then never again
    rows(connection, ACCOUNTS_SQL)
    assert operations(emulator) == {
        "GetCallerIdentity": 1,
        "ListAccounts": 1,
        "ListOrganizationalUnitsForParent": 2,
    }
    # SUSPENDED accounts are listed, never read
    assert "dev-closed" not in names(registry.estate())
    assert all(c.account_id == ACCOUNT_ID for c in emulator.calls)  # the management account asked
    # reading the estate without vtab_accounts takes ListAccounts alone
    emulator.clear_calls()
    _, registry = register(emulator, accounts="org")
    assert len(registry.estate().readable()) == 6
    assert operations(emulator) == {"GetCallerIdentity": 1, "ListAccounts": 1}


@pytest.mark.parametrize("status_field", [False, True])
def test_an_accounts_state_says_whether_it_is_read_with_or_without_the_retired_status(
    emulator: Emulator, org: Org, status_field: bool
) -> None:
    """AWS retired the accounts' Status field (9 September 2026): their State says it now (ACTIVE,
    SUSPENDED, CLOSED, PENDING_ACTIVATION, ...), and an answer with Status alone still reads. A closed
    account is listed with its state and never read, so on_account_error='fail' reads the others."""
    emulator.configure(account_status=status_field)
    closed, locked = org.named("dev-closed"), org.named("dev-locked")
    connection, _ = register(emulator, accounts="org", skip_accounts=locked.account_id)
    assert rows(connection, f"SELECT status FROM vtab_accounts WHERE account_id = '{closed.account_id}'") == [
        ("SUSPENDED",)
    ]
    read = [a for a in org.accounts if a.status == "ACTIVE" and a.assumable]
    assert rows(connection, "SELECT count(*) FROM logs_log_groups") == [
        (sum(len(a.log_groups["us-east-1"]) for a in read),)
    ]
    assert all(call.account_id != closed.account_id for call in emulator.calls)


def test_vtab_own_tables_take_an_account_id_written_as_a_number(emulator: Emulator, org: Org) -> None:
    """account_id = 123456789012 unquoted finds the account in vtab_accounts, vtab_calls and vtab_errors as
    in every resource table: their account_id is TEXT, so SQLite compares the number as its text."""
    emulator.refuse_type(LOG_GROUP, "us-east-1", account=ACCOUNT_ID)
    connection, _ = register(emulator, accounts="org", on_account_error="skip")
    rows(connection, f"SELECT count(*) FROM logs_log_groups WHERE account_id = '{ACCOUNT_ID}'")
    for table in ("vtab_accounts", "vtab_calls", "vtab_errors"):
        quoted = rows(connection, f"SELECT count(*) FROM {table} WHERE account_id = '{ACCOUNT_ID}'")
        assert quoted != [(0,)], table
        assert rows(connection, f"SELECT count(*) FROM {table} WHERE account_id = {ACCOUNT_ID}") == quoted, (
            table
        )


def test_a_refused_role_suggests_skip_accounts_with_the_accounts_already_skipped(
    emulator: Emulator, org: Org
) -> None:
    """The fix names the option's whole value: given as written, it keeps the accounts skipped before
    (a second --skip-accounts flag, or the option set again, replaces the first)."""
    skipped = org.named("prod-a").account_id
    connection, registry = register(emulator, accounts="org", skip_accounts=skipped)
    registry.estate().assume()
    locked = org.named("dev-locked").account_id
    (error,) = [error for _, name, _, _, _, error in rows(connection, ACCOUNTS_SQL) if name == "dev-locked"]
    assert f"to leave the account out, pass skip_accounts='{skipped},{locked}' to vtab.register()" in error


def test_assuming_records_who_could_be_reached_and_happens_once(emulator: Emulator, org: Org) -> None:
    connection, registry = register(emulator, accounts="org", external_id="vtab-external-id")
    estate = registry.estate()
    estate.assume()
    shown = {name: (assumable, error) for _, name, _, _, assumable, error in rows(connection, ACCOUNTS_SQL)}
    assert {name: assumable for name, (assumable, _) in shown.items()} == {
        "master": None,  # the caller's own: its own credentials
        "prod-a": 1,
        "prod-b": 1,
        "web-a": 1,
        "dev-a": 1,
        "dev-locked": 0,
        "dev-closed": None,  # SUSPENDED: not read, so not tried
    }
    locked = org.named("dev-locked").account_id
    error = shown["dev-locked"][1]
    assert error.startswith(
        f"AccessDenied: User: arn:aws:iam::{ACCOUNT_ID}:user/testing is not authorized to perform: "
        f"sts:AssumeRole on resource: arn:aws:iam::{locked}:role/OrganizationAccountAccessRole"
    )
    assert "assume_role_name='RoleName'" in error and "skip_accounts" in error
    assert {s.external_id for s in emulator.accounts.sessions()[-4:]} == {"vtab-external-id"}
    before = operations(emulator)["AssumeRole"]
    assert before == 5  # four members and the locked one, each once
    estate.assume()
    for account in estate.readable():
        if account.assumable:
            estate.cloud(account).client("us-east-1")
    assert operations(emulator)["AssumeRole"] == before + 1  # only the locked one is tried again
    logged = rows(
        connection, "SELECT operation, identifier, error_code FROM vtab_calls WHERE operation = 'AssumeRole'"
    )
    assert (
        "AssumeRole",
        f"arn:aws:iam::{locked}:role/OrganizationAccountAccessRole",
        "AccessDenied",
    ) in logged


def test_each_accounts_cloud_control_reads_that_account(emulator: Emulator, org: Org) -> None:
    _, registry = register(emulator, accounts="org")
    estate = registry.estate()
    schema = load_catalog().schema(LOG_GROUP)
    for account in estate.readable():
        if account.name == "dev-locked":
            with pytest.raises(apsw.PermissionsError, match="AccessDenied"):
                list(estate.cloud(account).list_pages("us-east-1", schema, None))
            continue
        for region in ("us-east-1", "eu-west-1"):
            listed = [
                props["LogGroupName"]
                for page in estate.cloud(account).list_pages(region, schema, None)
                for _, props in page
            ]
            assert sorted(listed) == org.named(account.name or "").log_groups[region], (account.name, region)
    lists = [c for c in emulator.calls if c.operation == "ListResources"]
    assert len({c.account_id for c in lists}) == 5  # management + 4 assumed members


def test_every_account_signs_through_the_regions_one_client(emulator: Emulator, org: Org) -> None:
    """Reaching an account makes no client: a region's one client serves every account, each call signed
    with its own account's credentials (vtab.aws.signing), also when the accounts' calls interleave on it
    from many threads."""
    _, registry = register(emulator, accounts="org")
    estate = registry.estate()
    schema = load_catalog().schema(LOG_GROUP)
    reachable = [account for account in estate.readable() if account.name != "dev-locked"]
    assert len({id(estate.cloud(account).client(region)) for account in reachable for region in REGIONS}) == 2

    def listed(pair: tuple[Account, str]) -> list[str]:
        account, region = pair
        pages = estate.cloud(account).list_pages(region, schema, None)
        return sorted(props["LogGroupName"] for page in pages for _, props in page)

    pairs = [(account, region) for account in reachable for region in REGIONS] * 3
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(listed, pairs))
    assert found == [org.named(account.name or "").log_groups[region] for account, region in pairs]
    lists = [call for call in emulator.calls if call.operation == "ListResources"]
    assert Counter(call.account_id for call in lists) == {account.account_id: 6 for account in reachable}


@pytest.mark.parametrize(
    ("scope", "expected", "calls"),
    [
        # an OU id: its DescribeOrganizationalUnit (whose Path names its parent, the root), then only its
        # subtree: one ListOrganizationalUnitsForParent and ListAccountsForParent per OU (Prod, Prod/Web)
        (
            {"organizational_units": "Prod"},
            ["prod-a", "prod-b", "web-a"],  # child OUs included
            {
                "DescribeOrganizationalUnit": 1,
                "ListOrganizationalUnitsForParent": 2,
                "ListAccountsForParent": 2,
            },
        ),
        (
            {"organizational_units": "Prod/Web"},
            ["web-a"],
            {
                "DescribeOrganizationalUnit": 2,
                "ListOrganizationalUnitsForParent": 1,
                "ListAccountsForParent": 1,
            },
        ),
        # an OU path: one listing per level from the root (root: Prod; Prod: Web), then the subtree (Web)
        (
            {"organizational_units": "/Prod/Web/"},
            ["web-a"],
            {"ListRoots": 1, "ListOrganizationalUnitsForParent": 3, "ListAccountsForParent": 1},
        ),
        # a skipped OU: ListAccounts' Paths say which accounts are under it (and vtab_accounts' ou_path
        # takes the names of the OUs on them: the root's OUs and Prod's)
        (
            {"skip_accounts": "Prod"},
            ["dev-a", "dev-locked", "master"],
            {"ListAccounts": 1, "ListOrganizationalUnitsForParent": 2},
        ),
        (
            {"organizational_units": "Prod,/Dev", "skip_accounts": "Prod/Web,prod-b"},
            ["dev-a", "dev-locked", "prod-a"],
            {
                "DescribeOrganizationalUnit": 1,
                "ListRoots": 1,
                "ListOrganizationalUnitsForParent": 4,  # the root (for /Dev), Prod, Web, Dev
                "ListAccountsForParent": 3,
            },
        ),
        # OUs inside another named one are walked once; a root is the whole Organization
        (
            {"organizational_units": "Prod/Web,Prod"},
            ["prod-a", "prod-b", "web-a"],
            {
                "DescribeOrganizationalUnit": 2,
                "ListOrganizationalUnitsForParent": 2,
                "ListAccountsForParent": 2,
            },
        ),
        (
            {"organizational_units": "/"},
            ["dev-a", "dev-locked", "master", "prod-a", "prod-b", "web-a"],
            {"ListRoots": 1, "ListAccounts": 1, "ListOrganizationalUnitsForParent": 2},
        ),
    ],
)
def test_ous_and_skips_choose_the_accounts(
    emulator: Emulator, org: Org, scope: dict[str, str], expected: list[str], calls: dict[str, int]
) -> None:
    def ids(text: str) -> str:
        return ",".join(
            item if item.startswith("/") else org.ous[item] if item in org.ous else org.named(item).account_id
            for item in text.split(",")
        )

    connection, registry = register(
        emulator, accounts="org", **{name: ids(value) for name, value in scope.items()}
    )
    assert names(registry.estate()) == expected
    # vtab_accounts' OU paths and ids come from the same discovery: no call more
    shown = rows(connection, "SELECT name, ou_path, ou_id FROM vtab_accounts WHERE status = 'ACTIVE'")
    paths = {account.name: "/" + account.ou_path if account.ou_path else "/" for account in org.accounts}
    assert {name: (path, ou) for name, path, ou in shown} == {
        name: (paths[name], org.ous[paths[name][1:]] if paths[name] != "/" else org.root_id)
        for name in expected
    }
    assert operations(emulator) == {"GetCallerIdentity": 1, **calls}


def test_listed_account_ids_are_read_as_given(emulator: Emulator, org: Org) -> None:
    wanted = [org.named("prod-a").account_id, ACCOUNT_ID, org.named("dev-a").account_id]
    _, registry = register(emulator, accounts=wanted, skip_accounts=org.named("dev-a").account_id)
    estate = registry.estate()
    assert [(a.account_id, a.own) for a in estate.readable()] == [(wanted[0], False), (ACCOUNT_ID, True)]
    assert "ListAccounts" not in operations(emulator)  # no Organizations call for a list of ids


def test_profiles_are_one_account_each(
    emulator: Emulator, org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = tmp_path / "credentials"
    prod = assume(emulator, org.named("prod-a").account_id)
    credentials.write_text(
        "[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        "[prod]\n" + "".join(f"{key} = {value}\n" for key, value in prod.items())
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    emulator.clear_calls()
    connection, registry = register(emulator, profiles="default,prod")
    assert rows(connection, "SELECT account_id, name FROM vtab_accounts") == [
        (ACCOUNT_ID, "default"),
        (org.named("prod-a").account_id, "prod"),
    ]
    estate = registry.estate()
    schema = load_catalog().schema(LOG_GROUP)
    prod_account = estate.readable()[1]
    listed = [
        p["LogGroupName"]
        for page in estate.cloud(prod_account).list_pages("us-east-1", schema, None)
        for _, p in page
    ]
    assert sorted(listed) == org.named("prod-a").log_groups["us-east-1"]
    # a profile's credentials are its own: one GetCallerIdentity each, no AssumeRole
    assert operations(emulator) == {"GetCallerIdentity": 2, "ListResources": 1}


def test_a_profile_of_profiles_missing_from_the_config_names_the_profiles_option(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error names the option the profile came from (profiles, not profile) and how to fix it there,
    before any call."""
    credentials = tmp_path / "credentials"
    credentials.write_text("[prod]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    emulator.clear_calls()
    connection, _ = register(emulator, profiles="prod,prdo,staging")
    with pytest.raises(apsw.SQLError) as raised:
        rows(connection, "SELECT account_id FROM vtab_accounts")
    assert str(raised.value) == (
        "ProfileNotFound: the AWS profiles 'prdo', 'staging' (of profiles='prod,prdo,staging') are not in "
        "your AWS config files (profiles there: prod); did you mean 'prod'? name profiles that are there, "
        "or leave them out of profiles"
    )
    assert operations(emulator) == {}


def test_sts_and_organizations_endpoints_follow_their_variables(
    emulator: Emulator, org: Org, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", emulator.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", emulator.endpoint_url)
    connection = apsw.Connection(":memory:")
    vtab.register(connection, endpoint_url=f"http://127.0.0.1:{closed_port}", accounts="org", max_attempts=1)
    assert rows(connection, "SELECT count(*) FROM vtab_accounts") == [(7,)]
    monkeypatch.delenv("AWS_ENDPOINT_URL_ORGANIZATIONS")
    connection = apsw.Connection(":memory:")
    vtab.register(connection, endpoint_url=f"http://127.0.0.1:{closed_port}", accounts="org", max_attempts=1)
    with pytest.raises(apsw.Error, match=r"ListAccounts \(Organizations, for the accounts=org estate\)"):
        rows(connection, "SELECT count(*) FROM vtab_accounts")


def test_a_member_account_cannot_discover_the_organization(emulator: Emulator, org: Org) -> None:
    member = assume(emulator, org.named("dev-a").account_id)
    connection = apsw.Connection(":memory:")
    vtab.register(connection, endpoint_url=emulator.endpoint_url, accounts="org")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", member["aws_access_key_id"])
        patch.setenv("AWS_SECRET_ACCESS_KEY", member["aws_secret_access_key"])
        patch.setenv("AWS_SESSION_TOKEN", member["aws_session_token"])
        with pytest.raises(apsw.Error) as caught:
            rows(connection, "SELECT * FROM vtab_accounts")
    message = str(caught.value)
    assert message.startswith("AccessDeniedException: You don't have permissions to access this resource.")
    assert "must be the management account's" in message


def test_account_rows_have_the_declared_columns() -> None:
    account = Account("111111111111", name="a", status="ACTIVE", assumable=False, error="why")
    assert account.row() == ("111111111111", "a", None, "ACTIVE", None, None, None, 0, "why")
    account.ou_path, account.parents = "/Prod", ("ou-ab12-cd34ef56", "r-ab12")
    assert account.row()[4:6] == ("/Prod", "ou-ab12-cd34ef56")


def test_assumed_credentials_are_renewed_once_per_session_lifetime() -> None:
    """With one-hour sessions, three hours of calls take four AssumeRole calls (at 0, 56, 112 and 168
    minutes: the first minute with less than five left), never one per call."""
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    fetched: list[datetime] = []

    def fetch() -> dict[str, str]:
        fetched.append(now[0])
        return {
            "access_key": f"ASIA{len(fetched)}",
            "secret_key": "s",
            "token": "t",
            "expiry_time": (now[0] + timedelta(hours=1)).isoformat(),
        }

    credentials = assumed_credentials(fetch(), fetch, clock=lambda: now[0])
    keys = set()
    for _ in range(180):
        keys.add(credentials.get_frozen_credentials().access_key)
        now[0] += timedelta(minutes=1)
    assert [(at - fetched[0]).seconds // 60 for at in fetched] == [0, 56, 112, 168]
    assert keys == {"ASIA1", "ASIA2", "ASIA3", "ASIA4"}
    assert (RENEW_WITHIN, MUST_RENEW_WITHIN) == (300, 60)


# --- docs/accounts.md: the SQL of its vtab_accounts section runs as written --------------------------------

ACCOUNTS_DOC = Path(__file__).resolve().parent.parent / "docs" / "accounts.md"
VTAB_ACCOUNTS_SECTION = "vtab_accounts"


def test_the_accounts_docs_vtab_accounts_example_runs(emulator: Emulator) -> None:
    text = (
        ACCOUNTS_DOC.read_text(encoding="utf-8")
        .split(f"## {VTAB_ACCOUNTS_SECTION}\n", 1)[1]
        .split("\n## ")[0]
    )
    statements = [line for line in text.split("```sql\n", 1)[1].split("```", 1)[0].splitlines() if line]
    emulator.seed_org(5)
    connection, _ = register(emulator, accounts="org")
    by_name, by_ou = (rows(connection, statement) for statement in statements)
    assert by_name == [
        ("dev-2", "ACTIVE", "/Dev"),
        ("dev-4", "ACTIVE", "/Dev"),
        ("master", "ACTIVE", "/"),
        ("prod-1", "ACTIVE", "/Prod"),
        ("prod-3", "ACTIVE", "/Prod"),
    ]
    assert by_ou == [("/", 1), ("/Dev", 2), ("/Prod", 2)]
