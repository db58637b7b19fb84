"""Organization discovery (vtab/aws/organization.py) on the local endpoint: the Organizations calls each
question takes (counted in the endpoint's call log), and that no account is lost on the way: rows per OU
as the Organization holds them. With AWS's ``Paths`` on accounts, and without (an endpoint that gives none:
the OU tree is walked)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import apsw
import pytest

import vtab
from tests.orgs import REGIONS, Org, client
from tests.readhelpers import rows
from tests.syncfiles import file_rows
from vtab.aws.organization import OrganizationsOperation
from vtab.emulator import Emulator
from vtab.emulator.state import ACCOUNT_ID
from vtab.sync import sync

PLACES_SQL = "SELECT name, ou_path, ou_id FROM vtab_accounts"


def register(emulator: Emulator, **options: Any) -> apsw.Connection:
    connection = apsw.Connection(":memory:")
    vtab.register(
        connection,
        endpoint_url=emulator.endpoint_url,
        regions="us-east-1",
        rate_limit=None,
        accounts="org",
        **options,
    )
    return connection


def organizations_calls(emulator: Emulator) -> Counter[str]:
    """The endpoint's Organizations calls of discovery, by operation (the Organization's setup is not)."""
    counted = set(OrganizationsOperation)
    return Counter(call.operation for call in emulator.calls if call.operation in counted)


def places(org: Org) -> dict[str, tuple[str, str]]:
    """Account name -> (its OU path, its OU's id) as the test Organization was built."""
    return {
        account.name: ("/" + account.ou_path, org.ous[account.ou_path])
        if account.ou_path
        else ("/", org.root_id)
        for account in org.accounts
    }


def test_vtab_accounts_reads_where_accounts_sit_only_when_a_statement_uses_it(
    emulator: Emulator, org: Org
) -> None:
    connection = register(emulator)
    assert len(rows(connection, "SELECT account_id, name, status, joined_at FROM vtab_accounts")) == 7
    assert rows(connection, "SELECT count(*) FROM vtab_accounts") == [(7,)]
    assert organizations_calls(emulator) == {"ListAccounts": 1}
    # ou_path and ou_id: the names of the OUs on the listed accounts' Paths (the root's OUs, Prod's), and
    # the accounts are not listed again
    shown = rows(connection, PLACES_SQL)
    assert {name: (path, ou) for name, path, ou in shown} == places(org)
    assert organizations_calls(emulator) == {"ListAccounts": 1, "ListOrganizationalUnitsForParent": 2}


def test_without_paths_the_ou_tree_is_walked_and_no_account_is_lost(emulator: Emulator, org: Org) -> None:
    emulator.configure(organization_paths=False)
    connection = register(emulator)
    shown = rows(connection, PLACES_SQL)
    assert {name: (path, ou) for name, path, ou in shown} == places(org)
    # ListAccounts' first page says the accounts carry no Paths; then the tree: ListRoots, and each of
    # root, Prod, Prod/Web and Dev listed once for its OUs and once for its accounts
    assert organizations_calls(emulator) == {
        "ListAccounts": 1,
        "ListRoots": 1,
        "ListOrganizationalUnitsForParent": 4,
        "ListAccountsForParent": 4,
    }

    # accounts listed first (a SELECT's discovery), their places asked after: the root's own accounts are
    # the listed ones no OU holds, so the root's ListAccountsForParent is not needed (and master stays)
    emulator.clear_calls()
    connection = register(emulator)
    assert rows(connection, "SELECT count(*) FROM vtab_accounts") == [(7,)]
    shown = rows(connection, PLACES_SQL)
    assert {name: (path, ou) for name, path, ou in shown} == places(org)
    assert organizations_calls(emulator) == {
        "ListAccounts": 1,
        "ListRoots": 1,
        "ListOrganizationalUnitsForParent": 4,
        "ListAccountsForParent": 3,
    }

    # an OU id's path without Path in the answer: ListParents up to the root
    emulator.clear_calls()
    connection = register(emulator, organizational_units=org.ous["Prod/Web"])
    assert rows(connection, PLACES_SQL) == [("web-a", "/Prod/Web", org.ous["Prod/Web"])]
    assert organizations_calls(emulator) == {
        "DescribeOrganizationalUnit": 2,  # Web, Prod
        "ListParents": 2,
        "ListOrganizationalUnitsForParent": 1,
        "ListAccountsForParent": 1,
    }


def test_the_counted_operations_are_every_organizations_call_discovery_makes(
    emulator: Emulator, org: Org
) -> None:
    """What ``organizations_calls`` counts (vtab.aws.organization.OrganizationsOperation, which the
    benchmark counts too) leaves out no call of any shape of discovery: with Paths and without, an OU by
    path and by id."""
    emulator.clear_calls()
    for paths in (True, False):
        emulator.configure(organization_paths=paths)
        for scope in ({}, {"organizational_units": "/Prod"}, {"organizational_units": org.ous["Prod/Web"]}):
            rows(register(emulator, **scope), PLACES_SQL)
    side = Counter(call.operation for call in emulator.calls if call.type_name is None)
    assert set(side) - {"GetCallerIdentity", "AssumeRole"} == set(organizations_calls(emulator))
    assert set(organizations_calls(emulator)) == set(OrganizationsOperation)  # each one made by some shape


@pytest.mark.parametrize(
    ("given", "fragments"),
    [
        (
            "/Prod/Nope",
            (
                "option organizational_units='/Prod/Nope': /Prod has no OU named 'Nope' (its OUs: Web); "
                "give an OU path from the root, as vtab_accounts' ou_path shows it (with accounts='org' "
                "alone), or an OU id",
            ),
        ),
        ("r-zzzz", ("option organizational_units='r-zzzz' names no root of the Organization (its root: ",)),
        (
            "ou-zzzz-zzzzzzzz",
            (
                "OrganizationalUnitNotFoundException: You specified an organizational unit that doesn't "
                "exist. [DescribeOrganizationalUnit (Organizations, for the accounts=org estate) in "
                "us-east-1]",
                "the option organizational_units names OU ou-zzzz-zzzzzzzz: check the id, or give the OU's "
                "path (with accounts='org' alone, vtab_accounts shows each account's ou_id and ou_path)",
            ),
        ),
    ],
)
def test_an_ou_that_is_not_the_organizations_is_refused_with_the_fix(
    emulator: Emulator, org: Org, given: str, fragments: tuple[str, ...]
) -> None:
    connection = register(emulator, organizational_units=given)
    with pytest.raises(apsw.Error) as caught:
        rows(connection, "SELECT count(*) FROM vtab_accounts")
    for fragment in fragments:
        assert fragment in str(caught.value)
    assert "ListAccounts" not in organizations_calls(emulator)


def test_an_ou_of_skip_accounts_the_organization_lacks_is_refused_before_any_read(
    emulator: Emulator, org: Org
) -> None:
    """A mistyped OU id in skip_accounts would skip nothing, and its accounts would be read: refused,
    naming the option and the fix, before any Cloud Control call. An OU the Organization has, even one
    without accounts, skips (described once when no account found sits under it)."""
    connection = register(emulator, skip_accounts="ou-zzzz-zzzzzzzz")
    with pytest.raises(apsw.Error) as caught:
        rows(connection, "SELECT count(*) FROM logs_log_groups")
    assert "the option skip_accounts names OU ou-zzzz-zzzzzzzz: check the id" in str(caught.value)
    assert "OrganizationalUnitNotFoundException" in str(caught.value)
    assert not [call for call in emulator.calls if call.operation == "ListResources"]
    organizations = client(emulator, "organizations")
    root = organizations.list_roots()["Roots"][0]["Id"]
    empty = organizations.create_organizational_unit(ParentId=root, Name="Empty")["OrganizationalUnit"]["Id"]
    connection = register(emulator, skip_accounts=empty)
    assert rows(connection, "SELECT count(*) FROM vtab_accounts") == [(len(org.accounts),)]


def test_a_sync_discovers_the_organization_once(emulator: Emulator, org: Org, tmp_path: Path) -> None:
    """The run's accounts and the file's ``_vtab_accounts`` (with OU paths and ids) come from one
    discovery: no listing is made twice."""
    expected_calls = [
        {"ListAccounts": 1, "ListOrganizationalUnitsForParent": 2},
        {"ListRoots": 1, "ListOrganizationalUnitsForParent": 3, "ListAccountsForParent": 2},
    ]
    for scope in ({}, {"organizational_units": "/Prod"}):
        emulator.clear_calls()
        out = tmp_path / f"estate{len(scope)}.db"
        sync(
            str(out),
            tables="logs_log_groups",
            endpoint_url=emulator.endpoint_url,
            regions=",".join(REGIONS),
            accounts="org",
            skip_accounts=org.named("dev-locked").account_id,
            **scope,
        )
        assert organizations_calls(emulator) == expected_calls[len(scope)]
        kept = file_rows(out, "SELECT name, ou_path, ou_id FROM _vtab_accounts")
        expected = {name: place for name, place in places(org).items() if name != "dev-locked"}
        if scope:
            expected = {name: place for name, place in expected.items() if place[0].startswith("/Prod")}
        assert {name: (path, ou) for name, path, ou in kept} == expected
        # account_id is TEXT there as in the resource tables: an unquoted id finds the account
        for table in ("_vtab_accounts", "logs_log_groups"):
            found = file_rows(out, f"SELECT count(*) FROM {table} WHERE account_id = {ACCOUNT_ID}")
            assert found == file_rows(out, f"SELECT count(*) FROM {table} WHERE account_id = '{ACCOUNT_ID}'")
            assert found != [(0,)] or scope, table


def test_a_thousand_accounts_in_ten_ous_take_at_most_60_organizations_calls(emulator: Emulator) -> None:
    """Issue 18's figure, every shape of discovery on the Organization the benchmark uses."""
    ous = tuple(f"OU{i}" for i in range(10))
    made = emulator.seed_org(1000, ous=ous)
    per_ou = Counter("/" + ou for _, ou in made.members) + Counter({"/": 1})  # the management account

    def read(sql: str, **options: Any) -> tuple[list[tuple[Any, ...]], Counter[str]]:
        emulator.clear_calls()
        found = rows(register(emulator, **options), sql)
        return found, organizations_calls(emulator)

    found, calls = read("SELECT count(*) FROM vtab_accounts")
    assert (found, calls) == ([(1000,)], {"ListAccounts": 50})
    by_ou = "SELECT ou_path, count(*) FROM vtab_accounts GROUP BY ou_path"
    found, calls = read(by_ou)
    assert (dict(found), calls) == (per_ou, {"ListAccounts": 50, "ListOrganizationalUnitsForParent": 1})
    found, calls = read(by_ou, organizational_units=made.ous["OU3"])
    assert found == [("/OU3", 100)]
    assert calls == {
        "DescribeOrganizationalUnit": 1,
        "ListOrganizationalUnitsForParent": 1,
        "ListAccountsForParent": 5,
    }
    found, calls = read(by_ou, organizational_units="/OU9")
    assert found == [("/OU9", 99)]
    assert calls == {"ListRoots": 1, "ListOrganizationalUnitsForParent": 2, "ListAccountsForParent": 5}
    assert sum(calls.values()) <= 60


# --- docs/accounts.md: the SQL of its section on choosing OUs runs as written ------------------------------

ACCOUNTS_DOC = Path(__file__).resolve().parent.parent / "docs" / "accounts.md"
OUS_SECTION = "Choosing OUs, and the calls discovery takes"


def test_the_accounts_docs_ou_example_runs(emulator: Emulator) -> None:
    text = ACCOUNTS_DOC.read_text(encoding="utf-8").split(f"## {OUS_SECTION}\n", 1)[1].split("\n## ")[0]
    statements = [line for line in text.split("```sql\n", 1)[1].split("```", 1)[0].splitlines() if line]
    emulator.seed_org(5)
    connection = register(emulator, organizational_units="/Prod")
    accounts, calls = (rows(connection, statement) for statement in statements)
    assert accounts == [("prod-1", "/Prod"), ("prod-3", "/Prod")]
    assert calls == [("ListAccountsForParent", 1), ("ListOrganizationalUnitsForParent", 2), ("ListRoots", 1)]
