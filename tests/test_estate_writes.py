"""Writes in an estate (issue 18 item 2): an INSERT's account_id picks the account (NULL: the caller's
own; outside the estate, SUSPENDED or unassumable: refused before anything is sent), UPDATE and DELETE act
in the row's account, an UPDATE that moves a row to another account is refused; RETURNING and the write
report name the account. Each account's state is read back with plain boto3 through its own credentials."""

from __future__ import annotations

import io
import json
from typing import Any

import apsw
import pytest

from tests.orgs import LOG_GROUP, Org, assume, client, create_log_group
from tests.readhelpers import rows
from tests.test_estate_reads import register
from vtab.cli.output import WriteReporter
from vtab.emulator import Emulator
from vtab.emulator.state import ACCOUNT_ID


def groups_of(emulator: Emulator, org: Org, name: str, region: str = "us-east-1") -> dict[str, Any]:
    """LogGroupName -> properties of every log group account ``name`` holds in ``region``."""
    account = org.named(name)
    credentials = {} if account.account_id == ACCOUNT_ID else assume(emulator, account.account_id)
    cloudcontrol = client(emulator, "cloudcontrol", region, **credentials)
    listed = cloudcontrol.list_resources(TypeName=LOG_GROUP)["ResourceDescriptions"]
    return {item["Identifier"]: json.loads(item["Properties"]) for item in listed}


def writes(connection: apsw.Connection) -> list[tuple[Any, ...]]:
    return rows(
        connection,
        "SELECT operation, account_id, identifier FROM vtab_calls "
        "WHERE operation IN ('CreateResource', 'UpdateResource', 'DeleteResource')",
    )


def test_insert_creates_in_the_account_it_names(emulator: Emulator, org: Org) -> None:
    prod_a = org.named("prod-a")
    connection, registry = register(emulator, accounts="org", regions="us-east-1")
    err = io.StringIO()
    report = WriteReporter(registry, err)
    returned = rows(
        connection,
        "INSERT INTO logs_log_groups (log_group_name, account_id) "
        f"VALUES ('/made/in/prod-a', '{prod_a.account_id}') RETURNING account_id, region, data__Identifier",
    )
    report.finish()
    assert returned == [(prod_a.account_id, "us-east-1", "/made/in/prod-a")]
    assert "/made/in/prod-a" in groups_of(emulator, org, "prod-a")
    assert "/made/in/prod-a" not in groups_of(emulator, org, "master")
    assert writes(connection) == [("CreateResource", prod_a.account_id, "/made/in/prod-a")]
    assert err.getvalue() == f"1 inserted (us-east-1 of account {prod_a.account_id}: /made/in/prod-a)\n"
    # NULL: the caller's own account
    rows(connection, "INSERT INTO logs_log_groups (log_group_name) VALUES ('/made/in/master')")
    assert "/made/in/master" in groups_of(emulator, org, "master")
    assert "/made/in/master" not in groups_of(emulator, org, "prod-a")


def test_returning_account_name_names_each_rows_account(emulator: Emulator, org: Org) -> None:
    """RETURNING account_name is the name of the account the write acted in, as a SELECT reads it (it
    was NULL), from the estate the connection read once."""
    prod_a, prod_b = org.named("prod-a"), org.named("prod-b")
    connection, _ = register(emulator, accounts="org", regions="us-east-1")
    returned = rows(
        connection,
        "INSERT INTO logs_log_groups (log_group_name, account_id) "
        f"VALUES ('/named', '{prod_a.account_id}'), ('/named', '{prod_b.account_id}') "
        "RETURNING account_id, account_name",
    )
    assert sorted(returned) == sorted([(prod_a.account_id, "prod-a"), (prod_b.account_id, "prod-b")])
    returned = rows(
        connection,
        "DELETE FROM logs_log_groups WHERE log_group_name = '/named' "
        f"AND account_id IN ('{prod_a.account_id}', '{prod_b.account_id}') RETURNING account_name, Operation",
    )
    assert sorted(returned) == [("prod-a", "DELETE"), ("prod-b", "DELETE")]
    asked = [call.operation for call in emulator.calls if call.operation.startswith("List")]
    assert asked.count("ListAccounts") == 1  # the estate's discovery, once per connection


def test_vtab_errors_keeps_a_returning_writes_text_as_written(emulator: Emulator, org: Org) -> None:
    """A write with RETURNING that skipped an account is named in vtab_errors by its text as written,
    not as vtab rewrote it for SQLite (the clause blanked behind a marker, a ``;`` added)."""
    connection, _ = register(emulator, accounts="org", regions="us-east-1", on_account_error="skip")
    script = (
        "SELECT 1;\nUPDATE logs_log_groups SET retention_in_days = 7\n"
        "WHERE log_group_name LIKE '/prod-a/%' RETURNING account_name, retention_in_days"
    )
    assert rows(connection, script) == [(1,), ("prod-a", 7), ("prod-a", 7)]
    (shown,) = set(rows(connection, "SELECT statement FROM vtab_errors"))
    assert shown == (
        "UPDATE logs_log_groups SET retention_in_days = 7\n"
        "WHERE log_group_name LIKE '/prod-a/%' RETURNING account_name, retention_in_days",
    )
    first = (
        "UPDATE logs_log_groups SET retention_in_days = 1 WHERE log_group_name LIKE '/prod-b/%' RETURNING * ;"
    )
    second = "DELETE FROM logs_log_groups WHERE log_group_name LIKE '/prod-b/%' RETURNING Operation;"
    rows(connection, f"{first}\n{second}\nSELECT 2")
    shown_now = [text for (text,) in rows(connection, "SELECT DISTINCT statement FROM vtab_errors")]
    assert shown_now[1:] == [first, second]


@pytest.mark.parametrize(
    ("who", "error", "expected"),
    [
        ("999999999999", apsw.SQLError, "is not one of the accounts this connection reads"),
        ("dev-closed", apsw.SQLError, "is not one of the accounts this connection reads"),
        ("dev-locked", apsw.PermissionsError, "AccessDenied"),
        ("12345", apsw.SQLError, "is not an AWS account id"),
    ],
)
def test_insert_into_an_account_it_cannot_write_is_refused_before_anything_is_sent(
    emulator: Emulator, org: Org, who: str, error: type[apsw.Error], expected: str
) -> None:
    account = who if who[0].isdigit() else org.named(who).account_id
    connection, _ = register(emulator, accounts="org", regions="us-east-1")
    with pytest.raises(error) as raised:
        rows(
            connection,
            f"INSERT INTO logs_log_groups (log_group_name, account_id) VALUES ('/nope', '{account}')",
        )
    message = str(raised.value)
    assert f"account_id = '{account}'" in message and expected in message
    assert "[logs_log_groups row 1]" in message
    assert writes(connection) == []
    assert not [call for call in emulator.calls if call.operation == "CreateResource"]


def test_update_and_delete_act_in_the_rows_account(emulator: Emulator, org: Org) -> None:
    web_a, prod_b = org.named("web-a"), org.named("prod-b")
    # The same name in two accounts: each write reaches only the row's own.
    create_log_group(client(emulator, "cloudcontrol", **assume(emulator, prod_b.account_id)), "/twin")
    create_log_group(client(emulator, "cloudcontrol", **assume(emulator, web_a.account_id)), "/twin")
    connection, _ = register(
        emulator, accounts="org", regions="us-east-1", skip_accounts=org.named("dev-locked").account_id
    )
    rows(
        connection,
        "UPDATE logs_log_groups SET retention_in_days = 7 WHERE region = 'us-east-1' "
        f"AND account_id = '{web_a.account_id}' AND log_group_name = '/twin'",
    )
    assert groups_of(emulator, org, "web-a")["/twin"].get("RetentionInDays") == 7
    assert "RetentionInDays" not in groups_of(emulator, org, "prod-b")["/twin"]
    rows(
        connection,
        f"DELETE FROM logs_log_groups WHERE region = 'us-east-1' AND account_id = '{prod_b.account_id}' "
        "AND log_group_name = '/twin'",
    )
    assert "/twin" not in groups_of(emulator, org, "prod-b")
    assert "/twin" in groups_of(emulator, org, "web-a")
    assert writes(connection) == [
        ("UpdateResource", web_a.account_id, "/twin"),
        ("DeleteResource", prod_b.account_id, "/twin"),
    ]


def test_an_update_cannot_move_a_row_to_another_account(emulator: Emulator, org: Org) -> None:
    prod_a, dev_a = org.named("prod-a"), org.named("dev-a")
    name = prod_a.log_groups["us-east-1"][0]
    connection, _ = register(emulator, accounts="org", regions="us-east-1")
    with pytest.raises(apsw.ReadOnlyError) as raised:
        rows(
            connection,
            f"UPDATE logs_log_groups SET account_id = '{dev_a.account_id}' WHERE region = 'us-east-1' "
            f"AND account_id = '{prod_a.account_id}' AND log_group_name = '{name}'",
        )
    assert str(raised.value).startswith(
        f"account_id = '{dev_a.account_id}' (was '{prod_a.account_id}'): a resource cannot move to another "
        f"account; INSERT it there (with account_id = '{dev_a.account_id}') and DELETE it here instead"
    )
    assert writes(connection) == []


def test_an_account_id_written_as_a_number_is_that_account(emulator: Emulator, org: Org) -> None:
    """account_id = 123456789012 unquoted: SQLite compares it with the TEXT column as the account in WHERE,
    so an INSERT and an UPDATE take it too (12 digits as a number lose no leading zero); an UPDATE that SETs
    the row's own account, as a number or NULL for the caller's own, moves nothing."""
    prod_a = next(a for a in org.members if a.assumable and a.account_id[0] != "0")  # ids are random
    connection, _ = register(emulator, accounts="org", regions="us-east-1")
    returned = rows(
        connection,
        "INSERT INTO logs_log_groups (log_group_name, account_id) "
        f"VALUES ('/numbered', {int(prod_a.account_id)}) RETURNING account_id",
    )
    assert returned == [(prod_a.account_id,)]
    assert "/numbered" in groups_of(emulator, org, prod_a.name)
    rows(
        connection,
        f"UPDATE logs_log_groups SET account_id = {int(prod_a.account_id)}, retention_in_days = 7 "
        f"WHERE account_id = {int(prod_a.account_id)} AND log_group_name = '/numbered'",
    )
    assert groups_of(emulator, org, prod_a.name)["/numbered"]["RetentionInDays"] == 7
    own = org.named("master").log_groups["us-east-1"][0]
    rows(
        connection,
        "UPDATE logs_log_groups SET account_id = NULL, retention_in_days = 14 "
        f"WHERE account_id = '{ACCOUNT_ID}' AND log_group_name = '{own}'",
    )
    assert groups_of(emulator, org, "master")[own]["RetentionInDays"] == 14
    with pytest.raises(apsw.SQLError) as raised:
        rows(connection, "INSERT INTO logs_log_groups (log_group_name, account_id) VALUES ('/short', 12345)")
    assert "account_id = 12345 is not an AWS account id" in str(raised.value)


@pytest.mark.parametrize("leaves_out", ["skip_accounts", "accounts"])
def test_an_insert_with_account_id_null_is_refused_when_the_estate_leaves_the_callers_own_out(
    emulator: Emulator, org: Org, leaves_out: str
) -> None:
    """NULL is the caller's own account: a connection whose estate leaves it out (skip_accounts names it,
    or accounts lists others) refuses it as it refuses the id written out, rather than creating the
    resource where the connection does not read."""
    options = (
        {"accounts": "org", "skip_accounts": ACCOUNT_ID}
        if leaves_out == "skip_accounts"
        else {"accounts": org.named("prod-a").account_id}
    )
    connection, _ = register(emulator, regions="us-east-1", **options)
    with pytest.raises(apsw.SQLError) as raised:
        rows(connection, "INSERT INTO logs_log_groups (log_group_name) VALUES ('/nowhere')")
    assert str(raised.value).startswith(
        f"account_id = NULL is the caller's own account, {ACCOUNT_ID}, which is not one of the accounts "
        "this connection reads"
    ), raised.value
    assert str(raised.value).endswith("[logs_log_groups row 1]")
    assert writes(connection) == []
    assert "/nowhere" not in groups_of(emulator, org, "master")


def test_an_insert_into_a_skipped_account_names_skip_accounts_as_the_fix(
    emulator: Emulator, org: Org
) -> None:
    prod_a = org.named("prod-a").account_id
    connection, _ = register(emulator, accounts="org", regions="us-east-1", skip_accounts=prod_a)
    with pytest.raises(apsw.SQLError) as raised:
        rows(
            connection, f"INSERT INTO logs_log_groups (log_group_name, account_id) VALUES ('/no', '{prod_a}')"
        )
    assert str(raised.value) == (
        f"account_id = '{prod_a}' is not one of the accounts this connection reads: skip_accounts leaves it "
        "out; take it out of skip_accounts to write in it [logs_log_groups row 1]"
    )
    assert writes(connection) == []


def test_without_account_options_an_insert_takes_only_the_callers_account(emulator: Emulator) -> None:
    connection, _ = register(emulator, regions="us-east-1")
    rows(
        connection,
        f"INSERT INTO logs_log_groups (log_group_name, account_id) VALUES ('/mine', '{ACCOUNT_ID}')",
    )
    with pytest.raises(apsw.SQLError) as raised:
        rows(
            connection,
            "INSERT INTO logs_log_groups (log_group_name, account_id) VALUES ('/theirs', '111111111111')",
        )
    assert str(raised.value) == (
        f"account_id = '111111111111': this connection reads account {ACCOUNT_ID} only; leave account_id "
        "NULL for it, or, to write in another account, pass accounts='111111111111' to vtab.register() "
        "(or 'org') [logs_log_groups row 1]"
    )
    assert [name for _, _, name in writes(connection)] == ["/mine"]


def listed_in(connection: apsw.Connection) -> set[str]:
    """The accounts vtab listed in: where the OR IGNORE / OR REPLACE conflict lookup looked."""
    return {
        account
        for (account,) in rows(
            connection, "SELECT account_id FROM vtab_calls WHERE operation = 'ListResources'"
        )
    }


@pytest.mark.parametrize("verb", ["IGNORE", "REPLACE"])
def test_insert_or_ignore_or_replace_looks_up_the_conflict_in_the_rows_account(
    emulator: Emulator, org: Org, verb: str
) -> None:
    """The key exists in prod-b, not in the caller's account: OR IGNORE leaves prod-b's alone, OR REPLACE
    makes it the row (an update in prod-b); neither creates it in the caller's account."""
    prod_b = org.named("prod-b")
    create_log_group(client(emulator, "cloudcontrol", **assume(emulator, prod_b.account_id)), "/in/prod-b")
    emulator.clear_calls()
    connection, _ = register(emulator, accounts="org", regions="us-east-1")
    rows(
        connection,
        f"INSERT OR {verb} INTO logs_log_groups (log_group_name, account_id, retention_in_days) "
        f"VALUES ('/in/prod-b', '{prod_b.account_id}', 14)",
    )
    retention = groups_of(emulator, org, "prod-b")["/in/prod-b"].get("RetentionInDays")
    assert retention == (None if verb == "IGNORE" else 14)
    assert "/in/prod-b" not in groups_of(emulator, org, "master")
    assert writes(connection) == (
        [] if verb == "IGNORE" else [("UpdateResource", prod_b.account_id, "/in/prod-b")]
    )
    assert listed_in(connection) == {prod_b.account_id}
    assert not [call for call in emulator.calls if call.operation == "CreateResource"]


@pytest.mark.parametrize("verb", ["IGNORE", "REPLACE"])
def test_insert_or_ignore_or_replace_creates_in_the_rows_account_what_only_the_caller_has(
    emulator: Emulator, org: Org, verb: str
) -> None:
    """The key exists in the caller's account, not in dev-a: the row is created in dev-a, and the caller's
    resource is left as it was."""
    dev_a = org.named("dev-a")
    create_log_group(client(emulator, "cloudcontrol"), "/in/master")
    connection, _ = register(emulator, accounts="org", regions="us-east-1")
    rows(
        connection,
        f"INSERT OR {verb} INTO logs_log_groups (log_group_name, account_id, retention_in_days) "
        f"VALUES ('/in/master', '{dev_a.account_id}', 14)",
    )
    assert groups_of(emulator, org, "dev-a")["/in/master"].get("RetentionInDays") == 14
    assert "RetentionInDays" not in groups_of(emulator, org, "master")["/in/master"]
    assert writes(connection) == [("CreateResource", dev_a.account_id, "/in/master")]
    assert listed_in(connection) == {dev_a.account_id}
