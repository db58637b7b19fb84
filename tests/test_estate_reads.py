"""Reading an estate (issue 18 items 2 and 4): every table's account_id and account_name, scans over the
(account, region) pairs of the Organization on the local endpoint (the ``org`` fixture, tests/orgs.py),
account_id pushed down like region (asserted on vtab_calls), and on_account_error: fail and skip, for
SELECT and count(*), with the account whose role cannot be assumed."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import apsw
import pytest

import vtab
from tests.orgs import LOG_GROUP, REGIONS, Org, OrgAccount, assume, client, create_log_group
from tests.readhelpers import docs_sql_blocks, names_failure, rows
from tests.test_cli import run_vtab
from vtab.cli.output import WriteReporter
from vtab.emulator import Emulator
from vtab.emulator.state import ACCOUNT_ID

GROUPS = "SELECT account_id, region, log_group_name FROM logs_log_groups"


def register(emulator: Emulator, **options: Any) -> tuple[apsw.Connection, vtab.Registry]:
    connection = apsw.Connection(":memory:")
    defaults = {"endpoint_url": emulator.endpoint_url, "regions": ",".join(REGIONS), "rate_limit": None}
    registry = vtab.register(connection, **{**defaults, **options})
    return connection, registry


def held(accounts: list[OrgAccount]) -> list[tuple[str, str, str]]:
    """(account, region, log group) of everything ``accounts`` hold, sorted."""
    return sorted(
        (account.account_id, region, name)
        for account in accounts
        for region, names in account.log_groups.items()
        for name in names
    )


def readable(org: Org) -> list[OrgAccount]:
    """The accounts a read reaches: ACTIVE, and with a role vtab can assume (or the caller's own)."""
    return [a for a in org.accounts if a.status == "ACTIVE" and a.assumable]


def calls(connection: apsw.Connection, where: str = "1") -> list[tuple[Any, ...]]:
    return rows(connection, f"SELECT operation, account_id, region, error_code FROM vtab_calls WHERE {where}")


def test_rows_per_account_are_what_each_account_holds(emulator: Emulator, org: Org) -> None:
    locked = org.named("dev-locked")
    connection, _ = register(emulator, accounts="org", skip_accounts=locked.account_id)
    assert sorted(rows(connection, GROUPS)) == held(readable(org))
    # The SUSPENDED account is neither read nor assumed, and is no error.
    closed = org.named("dev-closed").account_id
    assert all(account != closed for _, account, _, _ in calls(connection))
    # Each account's own listing, per region: one ListResources per (account, region).
    listed = Counter((a, r) for op, a, r, _ in calls(connection) if op == "ListResources")
    assert listed == Counter({(a.account_id, r): 1 for a in readable(org) for r in REGIONS})
    # account_name: the Organization's names, read once (ListAccounts was read by discovery already).
    named = rows(connection, "SELECT DISTINCT account_id, account_name FROM logs_log_groups")
    assert sorted(named) == sorted((a.account_id, a.name) for a in readable(org))


def test_the_same_identifier_in_two_accounts_is_two_rows(emulator: Emulator, org: Org) -> None:
    prod_a = org.named("prod-a")
    create_log_group(client(emulator, "cloudcontrol"), "/shared")
    create_log_group(client(emulator, "cloudcontrol", **assume(emulator, prod_a.account_id)), "/shared")
    connection, _ = register(emulator, accounts=f"{ACCOUNT_ID},{prod_a.account_id}")
    sql = (
        "SELECT account_id, rowid FROM logs_log_groups WHERE region = 'us-east-1' "
        "AND data__Identifier = '/shared' ORDER BY account_id"
    )
    shown = rows(connection, sql)
    assert [account for account, _ in shown] == sorted([ACCOUNT_ID, prod_a.account_id])
    assert shown[0][1] != shown[1][1]  # rowid = hash(account, region, identifier)
    assert rows(
        connection,
        "SELECT count(*), count(DISTINCT data__Identifier), count(DISTINCT rowid) FROM logs_log_groups "
        "WHERE region = 'us-east-1' AND data__Identifier = '/shared'",
    ) == [(2, 1, 2)]


def test_account_id_equals_reads_that_account_only(emulator: Emulator, org: Org) -> None:
    prod_a = org.named("prod-a")
    connection, _ = register(emulator, accounts="org")
    sql = f"SELECT region, log_group_name FROM logs_log_groups WHERE account_id = '{prod_a.account_id}'"
    ((_, _, _, plan),) = rows(connection, "EXPLAIN QUERY PLAN " + sql)
    assert "args=account_id" in plan
    assert sorted(rows(connection, sql)) == sorted(
        (r, n) for r, names in prod_a.log_groups.items() for n in names
    )
    made = calls(connection)
    # No call in any other account, no AssumeRole for any other; setup: the caller's id and the accounts.
    assert {account for op, account, _, _ in made if op in ("ListResources", "AssumeRole")} == {
        prod_a.account_id
    }
    setup = [op for op, _, _, _ in made if op != "ListResources"]
    # the caller's id is looked up while the Organization is listed: the two start in either order
    assert sorted(setup[:2]) == ["GetCallerIdentity", "ListAccounts"] and setup[2:] == ["AssumeRole"]


def test_limit_reaches_one_account_at_a_time(emulator: Emulator, org: Org) -> None:
    """Under a LIMIT the accounts are walked one after another: LIMIT 1 reads the first account's first
    listing and assumes no role (the management account comes first); without a LIMIT every account is
    reached at once."""
    connection, _ = register(emulator, accounts="org")
    assert len(rows(connection, f"{GROUPS} LIMIT 1")) == 1
    made = [op for op, _, _, _ in calls(connection)]
    assert made.count("ListResources") == 1 and "AssumeRole" not in made


def test_account_id_in_a_list_and_outside_the_estate(emulator: Emulator, org: Org) -> None:
    prod_b, dev_a = org.named("prod-b"), org.named("dev-a")
    connection, _ = register(emulator, accounts="org")
    got = rows(
        connection,
        f"{GROUPS} WHERE account_id IN ('{prod_b.account_id}', '{dev_a.account_id}', '999999999999')",
    )
    assert sorted(got) == held([prod_b, dev_a])
    listed = {account for op, account, _, _ in calls(connection) if op in ("ListResources", "AssumeRole")}
    assert listed == {prod_b.account_id, dev_a.account_id}
    rows(connection, "SELECT vtab_clear_calls()")
    assert rows(connection, f"{GROUPS} WHERE account_id = '999999999999'") == []
    assert rows(connection, f"{GROUPS} WHERE account_id = '{org.named('dev-closed').account_id}'") == []
    assert calls(connection) == []  # outside the estate (or SUSPENDED): no rows, and no call at all


def test_account_name_equals_and_in_read_those_accounts_only(emulator: Emulator, org: Org) -> None:
    """account_name is pushed down as account_id is: WHERE account_name = 'prod-a' lists and assumes in
    prod-a only (so an unrelated account whose role is refused fails nothing under 'fail'), an IN list
    reads each named account, and a name no account has reads nothing."""
    prod_a, dev_a = org.named("prod-a"), org.named("dev-a")
    connection, _ = register(emulator, accounts="org")  # dev-locked's role is refused; on_account_error fail
    sql = "SELECT account_id, region, log_group_name FROM logs_log_groups WHERE account_name = 'prod-a'"
    ((_, _, _, plan),) = rows(connection, "EXPLAIN QUERY PLAN " + sql)
    assert "args=account_name" in plan
    assert sorted(rows(connection, sql)) == held([prod_a])
    reached = {account for op, account, _, _ in calls(connection) if op in ("ListResources", "AssumeRole")}
    assert reached == {prod_a.account_id}
    rows(connection, "SELECT vtab_clear_calls()")
    got = rows(connection, f"{GROUPS} WHERE account_name IN ('prod-a', 'dev-a', 'no-such-name')")
    assert sorted(got) == held([prod_a, dev_a])
    reached = {account for op, account, _, _ in calls(connection) if op in ("ListResources", "AssumeRole")}
    assert reached == {prod_a.account_id, dev_a.account_id}
    rows(connection, "SELECT vtab_clear_calls()")
    assert rows(connection, f"{GROUPS} WHERE account_name = 'no-such-name'") == []
    assert [op for op, _, _, _ in calls(connection) if op in ("ListResources", "AssumeRole")] == []


def test_account_name_of_the_callers_own_account_alone(emulator: Emulator, org: Org) -> None:
    connection, _ = register(emulator, regions="us-east-1")
    own = rows(connection, "SELECT count(*) FROM logs_log_groups WHERE account_name = 'master'")
    assert own == [(len(org.named("master").log_groups["us-east-1"]),)]
    rows(connection, "SELECT vtab_clear_calls()")
    assert rows(connection, "SELECT count(*) FROM logs_log_groups WHERE account_name = 'prod-a'") == [(0,)]
    assert "ListResources" not in [op for op, _, _, _ in calls(connection)]


@pytest.mark.parametrize("column", ["account_id", "account_name"])
def test_a_join_on_the_account_lists_per_outer_row(emulator: Emulator, org: Org, column: str) -> None:
    web_a, dev_a = org.named("web-a"), org.named("dev-a")
    connection, _ = register(emulator, accounts="org")
    connection.execute("CREATE TEMP TABLE wanted(value TEXT)")
    values = [(a.account_id if column == "account_id" else a.name,) for a in (web_a, dev_a)]
    connection.executemany("INSERT INTO wanted VALUES (?)", values)
    sql = (
        "SELECT g.account_id, g.region, g.log_group_name "
        f"FROM wanted JOIN logs_log_groups g ON g.{column} = wanted.value"
    )
    plans = [detail for _, _, _, detail in rows(connection, "EXPLAIN QUERY PLAN " + sql)]
    assert plans[0].startswith("SCAN wanted")
    assert f"args={column}" in plans[1]
    assert sorted(rows(connection, sql)) == held([web_a, dev_a])
    listed = {account for op, account, _, _ in calls(connection) if op == "ListResources"}
    assert listed == {web_a.account_id, dev_a.account_id}


@pytest.mark.parametrize("sql", [GROUPS, "SELECT count(*) FROM logs_log_groups"])
def test_fail_names_every_failing_account_after_the_others_finish(
    emulator: Emulator, org: Org, sql: str
) -> None:
    locked = org.named("dev-locked")
    connection, _ = register(emulator, accounts="org")
    with pytest.raises(apsw.PermissionsError) as raised:
        rows(connection, sql)
    message = str(raised.value)
    assert message.startswith("logs_log_groups: 1 account failed (the other accounts were read): ")
    where = f"account {locked.account_id} (dev-locked) in eu-west-1, us-east-1"
    assert names_failure(message, where, "AccessDenied")
    assert "on_account_error='skip'" in message
    # The other accounts were read to their end; the locked one was tried once for both regions.
    listed = {(a, r) for op, a, r, _ in calls(connection) if op == "ListResources"}
    assert listed == {(a.account_id, r) for a in readable(org) for r in REGIONS}
    assert [a for op, a, _, _ in calls(connection) if op == "AssumeRole"].count(locked.account_id) == 1


def test_a_role_every_account_refuses_is_said_once_naming_each_account(emulator: Emulator, org: Org) -> None:
    """Every member refuses the role: the error names each account and region with AWS's code and its
    AssumeRole's request id, and says the refusal and its fix once (issue 18 item 4)."""
    connection, _ = register(emulator, accounts="org", assume_role_name="NoSuchRole")
    with pytest.raises(apsw.PermissionsError) as raised:
        rows(connection, GROUPS)
    message = str(raised.value)
    members = [a for a in org.accounts if a.status == "ACTIVE" and a.account_id != ACCOUNT_ID]
    assert message.startswith(
        f"logs_log_groups: {len(members)} accounts failed (the other accounts were read): "
    )
    request_ids = dict(
        rows(connection, "SELECT account_id, request_id FROM vtab_calls WHERE operation = 'AssumeRole'")
    )
    for account in members:
        where = f"account {account.account_id} ({account.name}) in eu-west-1, us-east-1"
        assert f"{where} (request id {request_ids[account.account_id]})" in message
    assert message.count("AccessDenied: ") == 1
    assert message.count("vtab assumes role NoSuchRole to read account <account-id>") == 1
    assert "arn:aws:iam::<account-id>:role/NoSuchRole" in message
    skipped = ",".join(sorted(a.account_id for a in members))
    assert message.count("skip_accounts=") == 1
    assert f"skip_accounts='{skipped}'" in message


def test_when_every_account_asked_fails_no_other_accounts_are_spoken_of(emulator: Emulator, org: Org) -> None:
    """Accounts named by id, none of them reachable (a typo'd id, the locked account): no row was read, so
    the error says so rather than "the other accounts were read" and "the other accounts' rows"."""
    locked = org.named("dev-locked")
    for accounts, every in (
        ([locked.account_id], "the only account asked"),
        (["111111111111", locked.account_id], "all 2 accounts asked"),
    ):
        connection, _ = register(emulator, accounts=",".join(accounts))
        with pytest.raises(apsw.PermissionsError) as raised:
            rows(connection, GROUPS)
        message = str(raised.value)
        failed = f"{len(accounts)} account{'s' * (len(accounts) > 1)} failed"
        assert message.startswith(f"logs_log_groups: {failed} ({every}; no rows were read): ")
        assert "other accounts" not in message
        assert "To get these failures as rows of vtab_errors instead of an error" in message


def test_skip_returns_the_other_accounts_and_records_each_failure(emulator: Emulator, org: Org) -> None:
    locked = org.named("dev-locked")
    connection, registry = register(emulator, accounts="org", on_account_error="skip")
    err = io.StringIO()
    report = WriteReporter(registry, err)
    assert sorted(rows(connection, GROUPS)) == held(readable(org))
    report.finish()
    count = "SELECT count(*) FROM logs_log_groups"
    assert rows(connection, count) == [(len(held(readable(org))),)]
    report.finish()
    errors = rows(connection, "SELECT account_id, region, type_name, code, statement FROM vtab_errors")
    assert errors == [
        (locked.account_id, region, LOG_GROUP, "AccessDenied", statement)
        for statement in (GROUPS, count)
        for region in sorted(REGIONS)
    ]
    for (message,) in rows(connection, "SELECT message FROM vtab_errors"):
        assert message.startswith("AccessDenied: User: arn:aws:iam::123456789012:user/testing is not author")
    # One warning line per statement, naming how many failed and where to look.
    lines = err.getvalue().splitlines()
    assert (
        lines
        == [
            "warning: 2 failures skipped (1 account, 2 account-region pairs); "
            "SELECT * FROM vtab_errors shows why"
        ]
        * 2
    )


def test_the_shell_warns_once_per_statement_that_skipped_accounts(emulator: Emulator, org: Org) -> None:
    """Two statements on one line of the shell are two statements: a warning line each, as the query
    command prints, not one line adding them up."""
    flags = ["--endpoint-url", emulator.endpoint_url, "--regions", "us-east-1", "--accounts", "org"]
    line = "SELECT count(*) FROM logs_log_groups; SELECT count(*) FROM logs_log_groups;\n"
    result = run_vtab("shell", *flags, "--on-account-error", "skip", stdin=line)
    assert result.returncode == 0, result.stderr
    warning = (
        "warning: 1 failure skipped (1 account, 1 account-region pair); SELECT * FROM vtab_errors shows why"
    )
    assert result.stderr.splitlines() == [warning] * 2


def test_a_statement_error_is_not_an_accounts(emulator: Emulator, org: Org) -> None:
    """A type that cannot be listed without a WHERE column, or a malformed identifier, fails the
    statement before any call, whatever the mode."""
    connection, _ = register(emulator, accounts="org", on_account_error="skip")
    with pytest.raises(apsw.SQLError, match="can only be listed with namespace given in WHERE"):
        rows(connection, "SELECT * FROM quicksight_customizations")
    with pytest.raises(apsw.SQLError, match="is malformed"):
        rows(connection, "SELECT * FROM apigatewayv2_routes WHERE data__Identifier = 'no-separator'")
    assert rows(connection, "SELECT count(*) FROM vtab_errors") == [(0,)]
    assert calls(connection, "operation NOT IN ('GetCallerIdentity', 'ListAccounts')") == []


def test_vtab_calls_names_the_account_of_every_call(emulator: Emulator, org: Org) -> None:
    prod_a = org.named("prod-a")
    connection, _ = register(emulator, accounts=f"{ACCOUNT_ID},{prod_a.account_id}")
    rows(connection, GROUPS)
    shown = Counter((op, account) for op, account, _, _ in calls(connection))
    assert shown == {
        ("GetCallerIdentity", ACCOUNT_ID): 1,
        ("AssumeRole", prod_a.account_id): 1,
        ("ListResources", ACCOUNT_ID): 2,
        ("ListResources", prod_a.account_id): 2,
    }


def test_without_account_options_the_column_is_the_callers_account(emulator: Emulator, org: Org) -> None:
    connection, _ = register(emulator, regions="us-east-1")
    rows(connection, "SELECT log_group_name FROM logs_log_groups")
    assert [op for op, _, _, _ in calls(connection)] == ["ListResources"]  # no lookup when not read
    got = rows(connection, "SELECT DISTINCT account_id, account_name FROM logs_log_groups")
    assert got == [(ACCOUNT_ID, "master")]
    ((_, _, _, plan),) = rows(connection, "EXPLAIN QUERY PLAN SELECT account_id FROM logs_log_groups")
    assert plan.endswith("shows=account_id")
    rows(connection, "SELECT account_id FROM logs_log_groups")
    assert Counter(op for op, _, _, _ in calls(connection)) == {
        "ListResources": 3,
        "GetCallerIdentity": 1,  # once per connection
        "ListAccounts": 1,  # the name, once
    }
    assert rows(connection, f"SELECT count(*) FROM logs_log_groups WHERE account_id = '{ACCOUNT_ID}'") == [
        (1,)
    ]
    assert rows(connection, "SELECT count(*) FROM logs_log_groups WHERE account_id = '999999999999'") == [
        (0,)
    ]


def test_account_name_is_null_when_organizations_cannot_say(emulator: Emulator) -> None:
    connection, _ = register(emulator, regions="us-east-1")
    create_log_group(client(emulator, "cloudcontrol"), "/alone")
    assert rows(connection, "SELECT account_id, account_name FROM logs_log_groups") == [(ACCOUNT_ID, None)]
    assert [op for op, _, _, _ in calls(connection)].count("ListAccounts") == 1


def _docs_blocks(section: str, org: Org) -> list[list[str]]:
    """docs/accounts.md's blocks under ``section``, with <AccountId> prod-a's and <OtherAccountId> dev-a's."""
    fill = {"<AccountId>": org.named("prod-a").account_id, "<OtherAccountId>": org.named("dev-a").account_id}
    blocks = docs_sql_blocks("accounts.md", section)
    for block in blocks:
        for i, statement in enumerate(block):
            for placeholder, value in fill.items():
                statement = statement.replace(placeholder, value)
            block[i] = statement
    return blocks


def test_the_accounts_docs_column_and_pushdown_examples_run(emulator: Emulator, org: Org) -> None:
    prod_a, dev_a = org.named("prod-a"), org.named("dev-a")
    connection, _ = register(emulator, accounts="org", skip_accounts=org.named("dev-locked").account_id)
    ((by_account,),) = _docs_blocks("The account_id column", org)
    expected = Counter({(a.name, r): len(names) for a in readable(org) for r, names in a.log_groups.items()})
    assert rows(connection, by_account) == sorted((*key, count) for key, count in expected.items())
    rows(connection, "SELECT vtab_clear_calls()")
    (one, explain, logged), (named,) = _docs_blocks("Pushdown", org)
    assert sorted(rows(connection, one)) == sorted(
        (r, n) for r, names in prod_a.log_groups.items() for n in names
    )
    ((_, _, _, plan),) = rows(connection, explain)
    assert "args=account_id" in plan
    # prod-a's role was assumed by the first statement already (credentials last the connection)
    assert rows(connection, logged) == [("ListResources", prod_a.account_id, 2)]
    assert dev_a.account_id not in str(rows(connection, "SELECT * FROM vtab_calls"))
    assert rows(connection, named) == sorted(
        (prod_a.account_id, r, len(names)) for r, names in prod_a.log_groups.items() if names
    )
    assert dev_a.account_id not in str(rows(connection, "SELECT * FROM vtab_calls"))


def test_the_accounts_docs_writes_and_failures_examples_run(emulator: Emulator, org: Org) -> None:
    prod_a = org.named("prod-a")
    connection, _ = register(emulator, accounts="org", regions="us-east-1")
    ((insert, update, delete),) = _docs_blocks("Writes in an account", org)
    assert rows(connection, insert) == [(prod_a.account_id, "/app/audit")]
    rows(connection, update)
    rows(connection, delete)
    assert writes_of(connection) == [
        ("CreateResource", prod_a.account_id),
        ("UpdateResource", prod_a.account_id),
        ("DeleteResource", prod_a.account_id),
    ]
    connection, _ = register(emulator, accounts="org", on_account_error="skip")
    ((count, errors),) = _docs_blocks("When an account fails", org)
    assert rows(connection, count) == [(14,)]
    locked = org.named("dev-locked").account_id
    assert rows(connection, errors) == [(locked, r, "AccessDenied") for r in sorted(REGIONS)]


def writes_of(connection: apsw.Connection) -> list[tuple[Any, ...]]:
    return rows(
        connection,
        "SELECT operation, account_id FROM vtab_calls "
        "WHERE operation IN ('CreateResource', 'UpdateResource', 'DeleteResource')",
    )


def test_a_global_type_is_listed_once_per_account(emulator: Emulator, org: Org) -> None:
    prod_a = org.named("prod-a")
    connection, _ = register(emulator, accounts=f"{ACCOUNT_ID},{prod_a.account_id}")
    policy = '{"Version": "2012-10-17", "Statement": []}'
    for account in (ACCOUNT_ID, prod_a.account_id):
        rows(
            connection,
            "INSERT INTO iam_roles (role_name, assume_role_policy_document, account_id) "
            f"VALUES ('shared-role', '{policy}', '{account}')",
        )
    rows(connection, "SELECT vtab_clear_calls()")
    got = rows(connection, "SELECT account_id, region, role_name FROM iam_roles ORDER BY account_id")
    # one row per account, listed through one region of the partition (not once per region asked)
    assert [(account, name) for account, _, name in got] == sorted(
        [(ACCOUNT_ID, "shared-role"), (prod_a.account_id, "shared-role")]
    )  # ORDER BY account_id: prod-a's id is random, before or after the management account's
    listed = Counter(account for op, account, _, _ in calls(connection) if op == "ListResources")
    assert listed == {ACCOUNT_ID: 1, prod_a.account_id: 1}


def test_the_cache_keeps_each_accounts_answers_apart(emulator: Emulator, org: Org) -> None:
    prod_a, dev_a = org.named("prod-a"), org.named("dev-a")
    connection, _ = register(emulator, accounts=f"{prod_a.account_id},{dev_a.account_id}", cache_ttl=60)
    assert sorted(rows(connection, GROUPS)) == held([prod_a, dev_a])
    rows(connection, "SELECT vtab_clear_calls()")
    assert sorted(rows(connection, f"{GROUPS} WHERE account_id = '{dev_a.account_id}'")) == held([dev_a])
    answered = rows(connection, "SELECT operation, account_id, cache FROM vtab_calls")
    assert sorted(answered) == [("ListResources", dev_a.account_id, "hit")] * len(REGIONS)


def test_a_types_own_account_id_property_is_resource_account_id(emulator: Emulator) -> None:
    """Logs' account policy has an AccountId property: its column is resource_account_id, the hidden
    AccountId (StackQL's INSERTs write it) is still the property, and account_id is the owning account."""
    emulator.seed_type("AWS::Logs::AccountPolicy", "us-east-1", count=1)
    connection, _ = register(emulator, regions="us-east-1")
    ((owner, prop, twin, identifier),) = rows(
        connection,
        "SELECT account_id, resource_account_id, AccountId, data__Identifier FROM logs_account_policies",
    )
    assert owner == ACCOUNT_ID
    assert prop == twin == identifier.split("|")[0]  # the property, as the identifier holds it
    assert prop != owner  # the seed's property names another account: the two columns differ
    hidden = {
        name: flag for _, name, *_, flag in connection.execute("PRAGMA table_xinfo(logs_account_policies)")
    }
    assert (hidden["resource_account_id"], hidden["account_id"], hidden["AccountId"]) == (0, 0, 1)
