"""The pure parts of reading an estate, without HTTP: which errors are an account's, how a statement's
failures are settled (fail: one error naming each; skip: vtab_errors rows), the option's words, the
planner's account pushdown and rowids per account (vtab.read.accounts, vtab.read.plan, vtab.read.rowids)."""

from __future__ import annotations

import apsw
import pytest

from vtab import hints
from vtab.aws.accounts import Account
from vtab.aws.calllog import CallLog, tag
from vtab.catalog import load_catalog
from vtab.catalog.columns import ACCOUNT_ID, REGION
from vtab.options import AccountErrorMode, OptionError, Options
from vtab.read.accounts import (
    AccountErrors,
    AccountFailure,
    StatementAccounts,
    Target,
    account_failure,
    by_cause,
    failure_error,
    settle,
    warning_text,
)
from vtab.read.plan import UNCONSTRAINED_ACCOUNT_FACTOR, Offer, Plan, choose_plan
from vtab.read.rowids import rowid_of
from vtab.read.rows import Row

LOG_GROUP = "AWS::Logs::LogGroup"


def failed(log: CallLog, account: str, code: str = "AccessDenied") -> apsw.Error:
    record = log.start("ListResources", "us-east-1", LOG_GROUP, account_id=account)
    record.error_code, record.request_id = code, f"req-{account}"
    return tag(apsw.PermissionsError(f"{code}: no [{account}]"), record)


def unreachable() -> None:
    raise AssertionError("not reached")


def target(account: str, name: str | None = None) -> Target:
    return Target(Account(account, name=name), unreachable)  # type: ignore[arg-type]


def test_only_a_failed_call_of_an_estate_account_is_the_accounts() -> None:
    log = CallLog()
    error = failed(log, "111111111111")
    failure = account_failure(target("111111111111", "prod"), "eu-west-1", LOG_GROUP, error)
    assert failure is not None
    assert (failure.account_id, failure.region, failure.code, failure.request_id) == (
        "111111111111",
        "eu-west-1",
        "AccessDenied",
        "req-111111111111",
    )
    # no call behind it (a statement's own error), or the connection's single account: not an account's
    assert account_failure(target("111111111111"), "us-east-1", LOG_GROUP, apsw.SQLError("x")) is None
    assert account_failure(Target(None, unreachable), "us-east-1", LOG_GROUP, error) is None  # type: ignore[arg-type]


def test_fail_raises_one_error_naming_each_account_and_its_regions() -> None:
    log, accounts = CallLog(), StatementAccounts()
    for account, region in (
        ("222222222222", "us-east-1"),
        ("111111111111", "us-east-1"),
        ("111111111111", "eu-west-1"),
    ):
        error = failed(log, account)
        found = account_failure(
            target(account, "dev" if account[0] == "1" else None), region, LOG_GROUP, error
        )
        assert found is not None
        accounts.fail(found)
        accounts.fail(found)  # a pair keeps its first failure
    failures = accounts.unreported()
    assert accounts.unreported() == []  # each settled once
    with pytest.raises(apsw.PermissionsError) as raised:
        settle(failures, AccountErrorMode.FAIL, AccountErrors(), "SELECT 1", "t")
    assert str(raised.value) == (
        "t: 2 accounts failed (the other accounts were read): "
        "account 111111111111 (dev) in eu-west-1, us-east-1 (request id req-111111111111), "
        "account 222222222222 in us-east-1 (request id req-222222222222): AccessDenied: no [<account-id>]. "
        "To get the other accounts' rows and these failures as rows of vtab_errors, pass "
        "on_account_error='skip' to vtab.register(); "
        "to leave an account out, pass skip_accounts='111111111111' to vtab.register()"
    )
    errors = AccountErrors()
    mark = errors.mark()
    settle(failures, AccountErrorMode.SKIP, errors, "SELECT 1", "t")
    assert [row[:4] for row in errors.rows()] == [
        ("111111111111", "eu-west-1", LOG_GROUP, "AccessDenied"),
        ("111111111111", "us-east-1", LOG_GROUP, "AccessDenied"),
        ("222222222222", "us-east-1", LOG_GROUP, "AccessDenied"),
    ]
    assert warning_text(errors.since(mark)) == (
        "warning: 3 failures skipped (2 accounts, 3 account-region pairs); "
        "SELECT * FROM vtab_errors shows why"
    )
    settle([], AccountErrorMode.FAIL, errors, "SELECT 2", "t")  # nothing failed: nothing happens


def refused(
    log: CallLog, account: str, region: str, skipped: str = "", called_in: str = "us-east-1"
) -> AccountFailure:
    """An AssumeRole refusal as vtab.aws.accounts words it: AWS's message naming the role's ARN, the call,
    its request id, then the fix, whose skip_accounts value ends with the account."""
    record = log.start("AssumeRole", "us-east-1", None, account_id=account)
    record.error_code, record.request_id = "AccessDenied", f"req-{account}"
    skip = hints.set_option("skip_accounts", repr(f"{skipped}{account}"))
    error = tag(
        apsw.PermissionsError(
            "AccessDenied: User: arn:aws:iam::123456789012:user/me is not authorized to perform: "
            f"sts:AssumeRole on resource: arn:aws:iam::{account}:role/R [AssumeRole (STS, into account "
            f"{account}) in {called_in}] (request id req-{account}); vtab assumes role R to read account "
            f"{account}: to leave the account out, {skip}"
        ),
        record,
    )
    found = account_failure(target(account), region, LOG_GROUP, error)
    assert found is not None
    return found


@pytest.mark.parametrize("audience", list(hints.Audience))
def test_one_cause_in_many_accounts_is_said_once_naming_each_account(audience: hints.Audience) -> None:
    """A role every account refuses: each account and region named with its request id, the refusal and
    its fix said once, the fix's skip_accounts value naming every account (issue 18 item 4)."""
    log = CallLog()
    with hints.speaking_to(audience):
        failures = [
            refused(log, account, region, skipped="999999999999,")
            for account in ("111111111111", "222222222222", "333333333333")
            for region in ("eu-west-1", "us-east-1")
        ]
        text = str(failure_error(failures, "t"))
    skip = "--skip-accounts " if audience is hints.Audience.COMMAND else "skip_accounts="
    assert text.startswith(
        "t: 3 accounts failed (the other accounts were read): "
        "account 111111111111 in eu-west-1, us-east-1 (request id req-111111111111), "
        "account 222222222222 in eu-west-1, us-east-1 (request id req-222222222222), "
        "account 333333333333 in eu-west-1, us-east-1 (request id req-333333333333): "
        "AccessDenied: User: arn:aws:iam::123456789012:user/me is not authorized to perform: "
        "sts:AssumeRole on resource: arn:aws:iam::<account-id>:role/R [AssumeRole (STS, into account "
        "<account-id>) in us-east-1]; vtab assumes role R to read account <account-id>: to leave the "
        f"account out, {'add' if skip.startswith('--') else 'pass'} "
        f"{skip}'999999999999,111111111111,222222222222,333333333333'"
    )
    assert text.count("vtab assumes role") == 1
    assert text.count("skip_accounts" if skip.endswith("=") else "--skip-accounts") == 1
    # One account's cause reads as its own message, the request id beside the account.
    with hints.speaking_to(audience):
        alone = str(failure_error([refused(log, "444444444444", "us-east-1")], "t"))
    assert "account 444444444444 in us-east-1 (request id req-444444444444): AccessDenied: " in alone
    assert "arn:aws:iam::444444444444:role/R [AssumeRole (STS, into account 444444444444) in" in alone
    assert f"{skip}'444444444444'" in alone
    assert "<account-id>" not in alone and alone.count("444444444444'") == 1


def test_the_region_a_refusal_was_asked_in_is_no_cause_of_its_own() -> None:
    """A sync assumes an account's role in the region of its first task: the refusals of two accounts
    asked in two regions are one cause, the region marked; asked in one, it is named."""
    log = CallLog()
    apart = [
        refused(log, "111111111111", "us-east-1"),
        refused(log, "222222222222", "eu-west-1", called_in="eu-west-1"),
    ]
    (cause,) = by_cause(apart)
    assert cause.where == (
        "account 111111111111 in us-east-1 (request id req-111111111111), "
        "account 222222222222 in eu-west-1 (request id req-222222222222)"
    )
    assert "[AssumeRole (STS, into account <account-id>) in <region>]" in cause.text
    (together,) = by_cause(
        [refused(log, "333333333333", "eu-west-1"), refused(log, "444444444444", "eu-west-1")]
    )
    assert "[AssumeRole (STS, into account <account-id>) in us-east-1]" in together.text


def test_a_target_is_reached_once_failure_included() -> None:
    reached = []

    def reach() -> None:
        reached.append(1)
        raise apsw.PermissionsError("AccessDenied")

    once = Target(Account("111111111111"), reach)  # type: ignore[arg-type]
    for _ in range(3):
        with pytest.raises(apsw.PermissionsError):
            once.cloud()
    assert reached == [1]


def test_on_account_error_takes_fail_or_skip() -> None:
    assert Options().on_account_error is AccountErrorMode.FAIL
    assert Options().replace(on_account_error=" Skip ").on_account_error is AccountErrorMode.SKIP
    with pytest.raises(OptionError, match="on_account_error='ignore' is not one of 'fail' or 'skip'"):
        Options().replace(on_account_error="ignore")


def test_account_id_is_pushed_down_and_costs_only_on_an_estate() -> None:
    schema = load_catalog().schema(LOG_GROUP)
    region = Offer(REGION, False)
    plan, alone, _ = choose_plan(schema, [region], set(), several_accounts=True)
    _, given, _ = choose_plan(schema, [region, Offer(ACCOUNT_ID, False)], set(), several_accounts=True)
    _, listed, _ = choose_plan(schema, [region, Offer(ACCOUNT_ID, True)], set(), several_accounts=True)
    _, single, _ = choose_plan(schema, [region], set())
    assert alone == single * UNCONSTRAINED_ACCOUNT_FACTOR
    assert given == single < listed < alone
    shown = Plan(plan.kind, (REGION, ACCOUNT_ID), False, shows=frozenset({ACCOUNT_ID}))
    assert shown.encode(schema) == "list args=region,account_id fetch=ids shows=account_id"
    assert Plan.decode(shown.encode(schema), schema) == shown


def test_a_rowid_is_per_account_and_unchanged_without_one() -> None:
    mine = Row("us-east-1", "/shared", {})
    theirs = Row("us-east-1", "/shared", {}, "111111111111")
    other = Row("us-east-1", "/shared", {}, "222222222222")
    assert len({rowid_of(mine), rowid_of(theirs), rowid_of(other)}) == 3
    assert rowid_of(mine) == 3801488334773814316  # as before accounts: a hash of (region, identifier)
