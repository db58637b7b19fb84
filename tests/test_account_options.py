"""The account options (accounts, assume_role_name, external_id, organizational_units, skip_accounts,
profiles): converted and checked in vtab/options/ like every other, from Python, SQL and the command."""

from __future__ import annotations

from typing import Any

import apsw
import pytest

import vtab
from vtab.options import CREDENTIAL_OPTIONS, DEFAULT_ROLE_NAME, OptionError, Options


def test_defaults_read_the_callers_account_only() -> None:
    options = Options()
    assert (options.accounts, options.profiles, options.skip_accounts, options.organizational_units) == (
        (),
        (),
        (),
        (),
    )
    assert options.assume_role_name == DEFAULT_ROLE_NAME == "OrganizationAccountAccessRole"
    assert options.external_id is None
    assert not options.reads_several_accounts and not options.whole_organization


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("111111111111, 222222222222,111111111111", ("111111111111", "222222222222")),
        (["011111111111"], ("011111111111",)),
        ("org", ("org",)),
        ("ORG", ("org",)),  # spelled as choices are: 'SKIP' is skip
        (" Org ", ("org",)),
    ],
)
def test_accounts_take_ids_as_text_or_list_or_org(given: Any, expected: tuple[str, ...]) -> None:
    options = Options().replace(accounts=given)
    assert options.accounts == expected
    assert options.reads_several_accounts
    assert options.whole_organization == (expected == ("org",))


def test_org_with_ous_and_skips() -> None:
    options = Options().replace(
        accounts="org",
        organizational_units="ou-ab12-cd34ef56,r-ab12",
        skip_accounts="ou-ab12-zz34ef56,111111111111",
    )
    assert options.organizational_units == ("ou-ab12-cd34ef56", "r-ab12")
    assert options.skip_accounts == ("ou-ab12-zz34ef56", "111111111111")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"accounts": "12345"},
            "option accounts='12345': account id '12345' is not 12 digits; give each account's 12-digit id, "
            "like accounts='111111111111,222222222222' (or 'org')",
        ),
        (
            {"accounts": ["111111111111", "2222-2222-2222"]},
            "option accounts=['111111111111', '2222-2222-2222']: account id '2222-2222-2222' is not 12 "
            "digits; give each account's 12-digit id, like accounts='111111111111,222222222222' (or 'org')",
        ),
        (
            {"skip_accounts": "111111111111,dev"},
            "option skip_accounts='111111111111,dev': 'dev' is not an account id (12 digits) or OU id "
            "(ou-ab12-cd34ef56); write skip_accounts='111111111111,ou-ab12-cd34ef56'",
        ),
        (
            {"accounts": [111111111111]},
            "option accounts=[111111111111] is list, not a list of texts; write "
            "accounts='111111111111,222222222222' (or 'org')",
        ),
        (
            {"accounts": "org,111111111111"},
            "option accounts='org,111111111111' mixes org with '111111111111'; write accounts='org' "
            "alone, and leave accounts out with skip_accounts",
        ),
        (
            {"organizational_units": "ou-ab12-cd34ef56"},
            "option organizational_units='ou-ab12-cd34ef56' needs the Organization's accounts; add "
            "accounts='org'",
        ),
        (
            {"accounts": "org", "organizational_units": "Prod"},
            "option organizational_units='Prod': 'Prod' is not an organizational unit id (ou-ab12-cd34ef56, "
            "a root r-ab12) or path (/Prod/Web); write organizational_units='ou-ab12-cd34ef56,/Prod/Web' "
            "(or a root, 'r-ab12' or '/')",
        ),
        (
            {"skip_accounts": "ou-ab12-cd34ef56"},
            "option skip_accounts='ou-ab12-cd34ef56' names OU ou-ab12-cd34ef56, which only the "
            "Organization's accounts have; add accounts='org', or skip account ids",
        ),
        (
            {"accounts": "111111111111", "profiles": "prod"},
            "options accounts and profiles are both given: profiles name accounts by their credentials, "
            "accounts by id (assumed into with assume_role_name); give one of them",
        ),
        (
            {"assume_role_name": "arn:aws:iam::111111111111:role/Audit"},
            "option assume_role_name='arn:aws:iam::111111111111:role/Audit' is not an IAM role name (1 to 64 "
            "letters, digits and +=,.@_-); write the role's name, not its ARN, like "
            "assume_role_name='OrganizationAccountAccessRole'",
        ),
        (
            {"external_id": "x"},
            "option external_id='x' is not an STS external id (2 to 1224 letters, digits and +=,.@:/_-); "
            "write the ExternalId the roles' trust policies name",
        ),
    ],
)
def test_bad_account_options_name_the_option_value_and_fix(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(OptionError) as caught:
        Options().replace(**changes)
    assert str(caught.value) == message


def test_register_checks_them_before_any_call() -> None:
    with pytest.raises(OptionError, match="option accounts='oops'"):
        vtab.connect(":memory:", accounts="oops")


def test_sql_spells_them_as_text() -> None:
    db = vtab.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE temp.t USING "
        "logs_log_groups(accounts='org', organizational_units='ou-ab12-cd34ef56')"
    )
    with pytest.raises(
        apsw.SQLError, match="option accounts='org,ou-ab12-cd34ef56' mixes org with 'ou-ab12-cd34ef56'"
    ):
        db.execute("CREATE VIRTUAL TABLE temp.u USING logs_log_groups(accounts='org,ou-ab12-cd34ef56')")


def test_every_account_option_is_a_credential_option() -> None:
    account_options = {
        "accounts",
        "assume_role_name",
        "external_id",
        "organizational_units",
        "skip_accounts",
        "profiles",
    }
    assert account_options <= CREDENTIAL_OPTIONS
