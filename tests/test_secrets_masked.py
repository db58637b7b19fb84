"""Write-only values (a secret's SecretString, a hypervisor's Password) never reach text meant for people:
errors of FAILED, LOST and refused writes, the command's stderr, vtab_dry_run, vtab_calls, warnings. The
property's name stays, so the user knows which column; the value reads ``(sensitive value)``."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import apsw
import pytest

from tests.faultproxy import Fault, FaultProxy
from tests.readhelpers import connect, rows
from tests.test_cli import run_vtab
from tests.test_writes_helpers import error_of
from vtab.catalog.sensitive import MASK
from vtab.emulator import Emulator

SECRET = "hunter2-correct-horse-battery-staple"
"""The secret every test writes; none may find it in any text vtab shows."""
INSERT_SECRET = (
    "INSERT INTO secretsmanager_secrets (name, description, secret_string, region) "
    "VALUES ('db-password', 'the database', ?, 'us-east-1')"
)


def seen(db: apsw.Connection) -> str:
    """Everything the logs tables show, as one text to search."""
    calls = rows(db, "SELECT * FROM vtab_calls")
    dry_runs = rows(db, "SELECT * FROM vtab_dry_run")
    return repr(calls) + repr(dry_runs)


@pytest.fixture
def caught() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always")
        yield found


def assert_masked(text: str, caught: list[warnings.WarningMessage], secret: str = SECRET) -> None:
    assert secret not in text
    assert secret[:12] not in text  # nor a cut-short prefix of it
    assert all(secret[:12] not in str(w.message) for w in caught)


def test_a_failed_create_names_the_column_not_the_secret_even_when_aws_quotes_it(
    emulator: Emulator, caught: list[warnings.WarningMessage]
) -> None:
    db = connect(emulator)
    emulator.fail_next_write("InvalidRequest", f"handler refused the model: SecretString={SECRET}")

    error = error_of(db, INSERT_SECRET, (SECRET,))

    text = str(error)
    assert f"secret_string={MASK}" in text  # the row names the column
    assert f"SecretString={MASK}" in text  # AWS's own words, scrubbed
    assert_masked(text + seen(db), caught)


@pytest.fixture
def dropping_proxy(emulator: Emulator) -> Iterator[FaultProxy]:
    with FaultProxy(emulator.endpoint_url) as proxy:
        yield proxy.inject(Fault.RESET_AFTER, "CreateResource", times=100)


def test_a_lost_create_names_the_column_not_the_secret(
    emulator: Emulator, dropping_proxy: FaultProxy, caught: list[warnings.WarningMessage]
) -> None:
    db = connect(emulator, endpoint_url=dropping_proxy.url, max_attempts=2)

    error = error_of(db, INSERT_SECRET, (SECRET,))

    assert type(error) is apsw.BusyError
    assert "LOST CREATE row 1" in str(error) and f"secret_string={MASK}" in str(error)
    assert_masked(str(error) + seen(db), caught)


def test_a_dry_run_records_the_property_with_its_value_masked(
    emulator: Emulator, caught: list[warnings.WarningMessage]
) -> None:
    db = connect(emulator, dry_run=True)
    db.execute(INSERT_SECRET, (SECRET,))

    ((desired, note),) = rows(db, "SELECT desired_state, note FROM vtab_dry_run")

    assert json.loads(desired) == {"Name": "db-password", "Description": "the database", "SecretString": MASK}
    assert f"secret_string={MASK}" in note
    assert_masked(seen(db), caught)


def test_an_update_of_the_secret_in_a_dry_run_shows_the_patch_masked(
    emulator: Emulator, caught: list[warnings.WarningMessage]
) -> None:
    connect(emulator).execute(INSERT_SECRET, ("old",))
    db = connect(emulator, dry_run=True)

    db.execute("UPDATE secretsmanager_secrets SET secret_string = ? WHERE region = 'us-east-1'", (SECRET,))

    ((patch,),) = rows(db, "SELECT patch_document FROM vtab_dry_run")
    assert json.loads(patch) == [{"op": "add", "path": "/SecretString", "value": MASK}]
    assert_masked(seen(db), caught)


def test_a_failed_update_of_the_secret_is_scrubbed_of_what_aws_quotes(
    emulator: Emulator, caught: list[warnings.WarningMessage]
) -> None:
    db = connect(emulator)
    db.execute(INSERT_SECRET, ("old",))
    emulator.fail_next_write("InvalidRequest", f'patch [{{"value":"{SECRET}"}}] refused')

    error = error_of(
        db, "UPDATE secretsmanager_secrets SET secret_string = ? WHERE region = 'us-east-1'", (SECRET,)
    )

    assert f'patch [{{"value":"{MASK}"}}] refused' in str(error)
    assert_masked(str(error) + seen(db), caught)


def test_a_patch_document_that_does_not_apply_is_quoted_with_the_secret_masked(
    emulator: Emulator, caught: list[warnings.WarningMessage]
) -> None:
    db = connect(emulator)
    db.execute(INSERT_SECRET, ("old",))
    patch = [
        {"op": "add", "path": "/SecretString", "value": SECRET},
        {"op": "remove", "path": "/KmsKeyId"},  # not set: the patch does not apply
    ]

    error = error_of(
        db,
        "UPDATE secretsmanager_secrets SET data__PatchDocument = ? WHERE region = 'us-east-1'",
        (json.dumps(patch),),
    )

    assert "does not apply to the current resource" in str(error)
    assert f'"path":"/SecretString","value":"{MASK}"' in str(error)
    assert_masked(str(error) + seen(db), caught)


def test_a_patch_document_that_is_not_json_and_names_a_secret_is_masked_whole(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute(INSERT_SECRET, ("old",))

    error = error_of(
        db,
        "UPDATE secretsmanager_secrets SET data__PatchDocument = ? WHERE region = 'us-east-1'",
        (f'[{{"op": "add", "path": "/SecretString", "value": "{SECRET}"}}',),  # the ] is missing
    )

    assert str(error).startswith(f"data__PatchDocument = {MASK}: not a JSON Patch (RFC 6902): not valid JSON")
    assert SECRET not in str(error)


@pytest.mark.parametrize(
    "patch",
    [
        {"op": "add", "path": "/SecretString", "value": SECRET},  # an object, not an array of operations
        [{"op": "add", "path": "", "value": {"SecretString": SECRET}}],  # the whole document
        [{"op": "add", "path": "SecretString", "value": SECRET}],  # no leading /
        [{"op": "add", "path": ["SecretString"], "value": SECRET}],  # a path that is not text
        [{"op": "add", "value": {"SecretString": SECRET}}],  # no path
    ],
    ids=["object", "root-path", "no-slash", "list-path", "no-path"],
)
def test_a_malformed_patch_document_naming_a_secret_is_refused_without_quoting_it(
    emulator: Emulator, patch: object
) -> None:
    """A patch that is valid JSON but not a well-formed RFC 6902 array: where its operations cannot be
    told apart, the secret cannot be either, so the document is masked whole (as for text that is not
    JSON); an operation on the whole document ("path": "") has its write-only properties masked."""
    db = connect(emulator)
    db.execute(INSERT_SECRET, ("old",))

    error = error_of(
        db,
        "UPDATE secretsmanager_secrets SET data__PatchDocument = ? WHERE region = 'us-east-1'",
        (json.dumps(patch),),
    )

    assert str(error).startswith("data__PatchDocument")
    assert "not a JSON Patch" in str(error) or "has no property" in str(error)
    assert SECRET not in str(error) and SECRET[:12] not in str(error)


def test_an_over_long_secret_is_refused_by_its_length_without_quoting_it(
    emulator: Emulator, caught: list[warnings.WarningMessage]
) -> None:
    db = connect(emulator)
    secret = SECRET * 2000  # 72,000 characters, over SecretString's 65,536

    error = error_of(db, INSERT_SECRET, (secret,))

    assert str(error).startswith(
        f"secret_string = {MASK}: SecretString is 72,000 characters, more than 65,536; use 1 to 65,536 "
        "characters"
    )
    assert emulator.calls == [] or all(call.operation != "CreateResource" for call in emulator.calls)
    assert_masked(str(error) + seen(db), caught)


HYPERVISOR = (
    "INSERT INTO backupgateway_hypervisors (name, host, username, password, region) "
    "VALUES ('hv', '10.0.0.1', 'admin', ?, 'us-east-1')"
)
BAD_PASSWORD = "tab\there-" + SECRET
"""Password's pattern is printable ASCII: a tab breaks it."""


def test_a_secret_that_breaks_its_pattern_is_refused_without_quoting_it(
    emulator: Emulator, caught: list[warnings.WarningMessage]
) -> None:
    db = connect(emulator)

    error = error_of(db, HYPERVISOR, (BAD_PASSWORD,))

    assert str(error).startswith(f"password = {MASK}: Password does not match the pattern ^[ -~]+$")
    assert_masked(str(error) + seen(db), caught)


def test_aws_refusing_a_secret_by_its_pattern_is_scrubbed_of_it(
    emulator: Emulator, caught: list[warnings.WarningMessage]
) -> None:
    """With schema_checks off, the endpoint refuses the model, quoting the value as CloudFormation's
    validator does (``string [...] does not match pattern``): vtab masks it in AWS's words too."""
    db = connect(emulator, schema_checks=False)

    error = error_of(db, HYPERVISOR, (BAD_PASSWORD,))

    text = str(error)
    assert f"#/Password: string [{MASK}] does not match pattern" in text
    assert f"password={MASK}" in text
    assert_masked(text + seen(db), caught)


def test_vtab_query_prints_no_secret_on_stderr(emulator: Emulator) -> None:
    emulator.fail_next_write("InvalidRequest", f"echo {SECRET}")
    flags = ["--endpoint-url", emulator.endpoint_url, "--regions", "us-east-1"]
    sql = INSERT_SECRET.replace("?", f"'{SECRET}'")

    failed = run_vtab("query", *flags, sql)
    dry = run_vtab("query", "--dry-run", *flags, f"{sql}; SELECT note, desired_state FROM vtab_dry_run")

    assert failed.returncode != 0 and f"secret_string={MASK}" in failed.stderr
    assert f"secret_string={MASK}" in dry.stdout
    for output in (failed.stdout, failed.stderr, dry.stdout, dry.stderr):
        assert SECRET not in output


def test_a_write_only_member_is_masked_inside_its_json_column(emulator: Emulator) -> None:
    """Lambda's Code/ZipFile is write-only inside the Code column: Code shows, ZipFile's text does not."""
    db = connect(emulator, dry_run=True)
    code = json.dumps({"ZipFile": f"print('{SECRET}')"})

    db.execute(
        "INSERT INTO lambda_functions (function_name, role, code, region) "
        "VALUES ('f', 'arn:aws:iam::123456789012:role/r', ?, 'us-east-1')",
        (code,),
    )

    ((desired, note),) = rows(db, "SELECT desired_state, note FROM vtab_dry_run")
    assert json.loads(desired)["Code"] == {"ZipFile": MASK}
    assert SECRET not in desired + note


@pytest.mark.parametrize(
    "code",
    [
        json.dumps({"ZipFile": f"print('{SECRET}')"})[:-1],  # the closing brace is missing
        json.dumps([f"print('{SECRET}')"]),  # an array where Code is an object
        json.dumps(f"print('{SECRET}')"),  # a JSON string
        f"print('{SECRET}')",  # not JSON at all
    ],
    ids=["unclosed", "array", "string", "not-json"],
)
def test_a_json_column_holding_a_write_only_member_is_masked_whole_when_it_is_not_that_json(
    emulator: Emulator, code: str
) -> None:
    """Lambda's Code holds the write-only ZipFile: text for Code that does not parse, or is not an object,
    cannot show where ZipFile's value is, so the refusal names the column and masks the whole text."""
    db = connect(emulator)

    error = error_of(
        db,
        "INSERT INTO lambda_functions (function_name, role, code, region) "
        "VALUES ('f', 'arn:aws:iam::123456789012:role/r', ?, 'us-east-1')",
        (code,),
    )

    assert str(error).startswith(f"code = {MASK}: ")
    assert SECRET[:12] not in str(error) + seen(db)


def masked_ops(ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from vtab.catalog.store import load_catalog

    return load_catalog().schema("AWS::Lambda::Function").sensitive.patch(ops)


def test_patch_operations_on_or_above_a_write_only_member_mask_its_value() -> None:
    ops = [
        {"op": "add", "path": "/Code/ZipFile", "value": "x = 1"},
        {"op": "replace", "path": "/Code", "value": {"ZipFile": "x = 2", "Other": "kept"}},
        {"op": "replace", "path": "/Description", "value": "shown"},
        {"op": "remove", "path": "/Code/ZipFile"},
    ]

    assert masked_ops(ops) == [
        {"op": "add", "path": "/Code/ZipFile", "value": MASK},
        {"op": "replace", "path": "/Code", "value": {"ZipFile": MASK, "Other": "kept"}},
        {"op": "replace", "path": "/Description", "value": "shown"},
        {"op": "remove", "path": "/Code/ZipFile"},
    ]
