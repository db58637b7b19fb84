"""vtab_resources over an estate (issue 18 item 5 with items 2 and 4): every account of the Organization
on the local endpoint (the ``org`` fixture, tests/orgs.py: seven accounts, one whose role cannot be
assumed, one SUSPENDED) listed as a typed table lists them, account_id pushed down (asserted on
vtab_calls), and each failure, an account's or one type's in one account, settled by on_account_error:
``fail`` names them all, ``skip`` makes them vtab_errors rows, for SELECT and count(*) alike."""

from __future__ import annotations

import io
from collections import Counter

import apsw
import pytest

from tests.orgs import LOG_GROUP, REGIONS, Org, OrgAccount
from tests.readhelpers import docs_sql_blocks, names_failure, rows
from tests.test_estate_reads import calls, readable, register
from vtab.cli.output import WriteReporter
from vtab.emulator import Emulator
from vtab.emulator.state import ACCOUNT_ID

QUEUE = "AWS::SQS::Queue"
EAST = "us-east-1"
TYPES = f"type_name IN ('{LOG_GROUP}', '{QUEUE}')"
RESOURCES = f"SELECT account_id, region, type_name, identifier FROM vtab_resources WHERE {TYPES}"
COUNT = f"SELECT count(*) FROM vtab_resources WHERE {TYPES}"

Held = list[tuple[str, str, str, str]]


def seed_queues(emulator: Emulator, org: Org) -> dict[str, list[str]]:
    """SQS queues in two member accounts (us-east-1): account id -> their identifiers."""
    return {
        org.named(name).account_id: emulator.seed_type(
            QUEUE, EAST, count=count, account=org.named(name).account_id
        ).identifiers
        for name, count in (("prod-a", 2), ("dev-a", 1))
    }


def held(accounts: list[OrgAccount], queues: dict[str, list[str]]) -> Held:
    """(account, region, type, identifier) of every log group and queue ``accounts`` hold, sorted."""
    found = [
        (account.account_id, region, LOG_GROUP, name)
        for account in accounts
        for region, names in account.log_groups.items()
        for name in names
    ]
    found += [
        (account.account_id, EAST, QUEUE, identifier)
        for account in accounts
        for identifier in queues.get(account.account_id, [])
    ]
    return sorted(found)


def listed(connection: apsw.Connection) -> Counter[tuple[str, str, str]]:
    """(account, region, type) -> ListResources calls made."""
    return Counter(
        rows(
            connection,
            "SELECT account_id, region, type_name FROM vtab_calls WHERE operation = 'ListResources'",
        )
    )


def test_every_account_of_the_estate_is_listed_with_the_rows_each_holds(emulator: Emulator, org: Org) -> None:
    queues = seed_queues(emulator, org)
    locked, closed = org.named("dev-locked"), org.named("dev-closed")
    connection, _ = register(emulator, accounts="org", skip_accounts=locked.account_id)
    assert sorted(rows(connection, RESOURCES)) == held(readable(org), queues)
    # One listing per (account, region, type); the SUSPENDED account is neither read nor assumed.
    assert listed(connection) == Counter(
        {(a.account_id, r, t): 1 for a in readable(org) for r in REGIONS for t in (LOG_GROUP, QUEUE)}
    )
    assert all(account != closed.account_id for _, account, _, _ in calls(connection))
    named = rows(connection, f"SELECT DISTINCT account_id, account_name FROM vtab_resources WHERE {TYPES}")
    assert sorted(named) == sorted((a.account_id, a.name) for a in readable(org))
    ((_, _, _, plan),) = rows(connection, f"EXPLAIN QUERY PLAN {RESOURCES}")
    assert " accounts=estate " in plan


def test_account_id_lists_in_that_account_only(emulator: Emulator, org: Org) -> None:
    queues = seed_queues(emulator, org)
    prod_a = org.named("prod-a")
    connection, _ = register(emulator, accounts="org")
    sql = f"{RESOURCES} AND account_id = '{prod_a.account_id}'"
    ((_, _, _, plan),) = rows(connection, "EXPLAIN QUERY PLAN " + sql)
    assert f" accounts={prod_a.account_id} " in plan
    assert sorted(rows(connection, sql)) == held([prod_a], queues)
    made = calls(connection)
    # No call in any other account, no AssumeRole for any other; setup: the caller's id and the accounts.
    assert {account for op, account, _, _ in made if op in ("ListResources", "AssumeRole")} == {
        prod_a.account_id
    }
    assert [op for op, _, _, _ in made if op != "ListResources"] == [
        "GetCallerIdentity",
        "ListAccounts",
        "AssumeRole",
    ]


def test_account_id_in_a_list_and_outside_the_estate(emulator: Emulator, org: Org) -> None:
    queues = seed_queues(emulator, org)
    prod_b, dev_a = org.named("prod-b"), org.named("dev-a")
    connection, _ = register(emulator, accounts="org")
    wanted = f"('{prod_b.account_id}', '{dev_a.account_id}', '999999999999')"
    assert sorted(rows(connection, f"{RESOURCES} AND account_id IN {wanted}")) == held(
        [prod_b, dev_a], queues
    )
    assert {a for a, _, _ in listed(connection)} == {prod_b.account_id, dev_a.account_id}
    rows(connection, "SELECT vtab_clear_calls()")
    for outside in ("999999999999", org.named("dev-closed").account_id):
        assert rows(connection, f"{COUNT} AND account_id = '{outside}'") == [(0,)]
    assert calls(connection) == []  # outside the estate (or SUSPENDED): no rows, and no call at all


@pytest.mark.parametrize("sql", [RESOURCES, COUNT])
def test_fail_names_the_account_that_cannot_be_assumed_after_the_others_finish(
    emulator: Emulator, org: Org, sql: str
) -> None:
    locked = org.named("dev-locked")
    connection, _ = register(emulator, accounts="org")
    with pytest.raises(apsw.PermissionsError) as raised:
        rows(connection, sql)
    message = str(raised.value)
    assert message.startswith(
        "vtab_resources: 2 of 24 listings failed in 1 account (the others' rows were read): "
    )
    where = f"account {locked.account_id} (dev-locked) in eu-west-1, us-east-1"
    assert names_failure(message, where, "AccessDenied")
    assert message.count("AccessDenied: ") == 1  # the account's failure, not one per type
    assert "on_account_error='skip'" in message
    # The other accounts were listed to their end; the locked one was tried once, and listed nothing.
    assert set(listed(connection)) == {
        (a.account_id, r, t) for a in readable(org) for r in REGIONS for t in (LOG_GROUP, QUEUE)
    }
    assert [a for op, a, _, _ in calls(connection) if op == "AssumeRole"].count(locked.account_id) == 1


def test_skip_returns_the_other_accounts_and_records_the_account_once_per_region(
    emulator: Emulator, org: Org
) -> None:
    queues = seed_queues(emulator, org)
    locked = org.named("dev-locked")
    connection, registry = register(emulator, accounts="org", on_account_error="skip")
    err = io.StringIO()
    report = WriteReporter(registry, err)
    assert sorted(rows(connection, RESOURCES)) == held(readable(org), queues)
    report.finish()
    assert rows(connection, COUNT) == [(len(held(readable(org), queues)),)]
    report.finish()
    errors = rows(connection, "SELECT account_id, region, type_name, code, statement FROM vtab_errors")
    assert errors == [
        (locked.account_id, region, None, "AccessDenied", statement)  # the account's: no type was listed
        for statement in (RESOURCES, COUNT)
        for region in sorted(REGIONS)
    ]
    assert (
        err.getvalue().splitlines()
        == [
            "warning: 2 failures skipped (1 account, 2 account-region pairs); "
            "SELECT * FROM vtab_errors shows why"
        ]
        * 2
    )


@pytest.mark.parametrize("sql", [RESOURCES, COUNT])
def test_a_type_that_fails_in_one_account_leaves_the_others_and_its_other_types(
    emulator: Emulator, org: Org, sql: str
) -> None:
    queues = seed_queues(emulator, org)
    locked, prod_a = org.named("dev-locked"), org.named("prod-a")
    emulator.refuse_type(QUEUE, EAST, "AccessDeniedException", account=prod_a.account_id)
    connection, _ = register(
        emulator, accounts="org", skip_accounts=locked.account_id, on_account_error="skip"
    )
    expected = [row for row in held(readable(org), queues) if row[::2] != (prod_a.account_id, QUEUE)]
    if sql == RESOURCES:
        assert sorted(rows(connection, sql)) == expected  # prod-a's log groups included
    else:
        assert rows(connection, sql) == [(len(expected),)]
    assert rows(connection, "SELECT account_id, region, type_name, code, statement FROM vtab_errors") == [
        (prod_a.account_id, EAST, QUEUE, "AccessDeniedException", sql)
    ]
    connection, _ = register(emulator, accounts="org", skip_accounts=locked.account_id)
    with pytest.raises(apsw.PermissionsError) as raised:
        rows(connection, sql)
    message = str(raised.value)
    assert message.startswith("vtab_resources: 1 of 20 listings failed in 1 account ")
    where = f"{QUEUE} in account {prod_a.account_id} (prod-a) in {EAST}"
    assert names_failure(message, where, "AccessDeniedException")
    assert listed(connection)[(prod_a.account_id, EAST, LOG_GROUP)] == 1  # its other types were listed


def test_without_account_options_a_failing_type_is_skipped_too(emulator: Emulator, org: Org) -> None:
    """The caller's own account: a type it may not list is a vtab_errors row under skip, not the end of
    the query, as in an estate."""
    emulator.refuse_type(LOG_GROUP, "eu-west-1", "TypeNotFoundException")
    connection, _ = register(emulator, on_account_error="skip")
    got = rows(connection, f"SELECT account_id, region FROM vtab_resources WHERE type_name = '{LOG_GROUP}'")
    assert got == [(ACCOUNT_ID, EAST)]
    assert rows(connection, "SELECT account_id, region, type_name, code FROM vtab_errors") == [
        (ACCOUNT_ID, "eu-west-1", LOG_GROUP, "TypeNotFoundException")
    ]


def test_the_accounts_section_of_resources_md_runs(emulator: Emulator, org: Org) -> None:
    queues = seed_queues(emulator, org)
    prod_a, locked = org.named("prod-a"), org.named("dev-locked")
    connection, _ = register(emulator, accounts="org", on_account_error="skip")
    ((per_account, owned, errors),) = [
        [statement.replace("<AccountId>", prod_a.account_id) for statement in block]
        for block in docs_sql_blocks("resources.md", "Accounts")
    ]
    assert rows(connection, per_account) == sorted(
        (a.name, t, n)
        for a in readable(org)
        for t, n in (
            (LOG_GROUP, sum(map(len, a.log_groups.values()))),
            (QUEUE, len(queues.get(a.account_id, []))),
        )
        if n
    )
    assert sorted(rows(connection, owned)) == sorted(
        [(EAST, LOG_GROUP, name) for name in prod_a.log_groups[EAST]]
        + [(EAST, QUEUE, identifier) for identifier in queues[prod_a.account_id]]
    )
    assert rows(connection, errors) == [(locked.account_id, r, None, "AccessDenied") for r in sorted(REGIONS)]
