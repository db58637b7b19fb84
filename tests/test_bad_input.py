"""The bad-input catalogue: every case is refused with a clear error naming the option or column and its
value, and the endpoint records no write (nor a poll) for it.

Cases cover table options from Python (``vtab.connect``), SQL (CREATE VIRTUAL TABLE) and the command line,
and bad values in SELECT, INSERT, UPDATE and DELETE. One endpoint and one connection serve the whole
module (the cases only read, and each one checks that nothing was written).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import pytest

import vtab
from tests.test_writes_helpers import WRITE_OPERATIONS
from vtab.cli import main as cli
from vtab.cli.flags import option_flags
from vtab.emulator import Emulator
from vtab.options import RULES, OptionError, convert

BIG = json.dumps({"application/json": "x" * 270_000})
"""A response_templates value whose DesiredState is over Cloud Control's 256 KiB."""


class Env:
    """The module's endpoint, its seeded ids, and a connection with a few named tables."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=3)
        self.api, self.integration = seeded.integrations[0]
        self.responses = list(seeded.responses)
        self.db = apsw.Connection(":memory:")
        base = f"endpoint_url='{emulator.endpoint_url}', rate_limit=none, cache_ttl=0"
        vtab.register(self.db, endpoint_url=emulator.endpoint_url, regions="us-east-1", rate_limit=None)
        for name, extra in (
            ("two", "regions='us-east-1,eu-west-1'"),
            ("ro", "regions='us-east-1', read_only=true"),
            ("one", "regions='us-east-1', max_writes=1"),
        ):
            self.db.execute(f"CREATE VIRTUAL TABLE temp.{name} USING integration_responses({base}, {extra})")

    def fill(self, text: str) -> str:
        """The seeded ids in place of {api}, {integration} and {r0}."""
        for name, value in (
            ("{api}", self.api),
            ("{integration}", self.integration),
            ("{r0}", self.responses[0]),
        ):
            text = text.replace(name, value)
        return text

    def writes(self) -> list[str]:
        return [call.operation for call in self.emulator.calls if call.operation in WRITE_OPERATIONS]


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    with Emulator() as emulator:
        yield Env(emulator)


@pytest.fixture(autouse=True)
def _no_writes(env: Env) -> Iterator[None]:
    """Every case: the endpoint saw no write before it, and sees none after it."""
    env.emulator.clear_calls()
    yield
    assert env.writes() == []


def _assert_names(error: BaseException, needles: tuple[str, ...]) -> None:
    text = str(error)
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


# --- options: Python ----------------------------------------------------------------------------------

PYTHON_OPTIONS: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"max_workers": 2.5}, ("max_workers=2.5", "whole number", "1 to 256")),
    ({"max_workers": 10_000_000}, ("max_workers=10000000", "1 to 256")),
    ({"max_workers": 0}, ("max_workers=0", "1 to 256")),
    ({"max_workers": -3}, ("max_workers=-3", "1 to 256")),
    ({"max_workers": True}, ("max_workers=True", "not a number")),
    ({"max_workers": "many"}, ("max_workers='many'", "not a number")),
    ({"max_workers": math.nan}, ("max_workers=nan", "finite")),
    ({"max_workers": [4]}, ("max_workers=[4]", "not a number")),
    ({"rate_limit": 0}, ("rate_limit=0", "rate_limit=none")),
    ({"rate_limit": 1e-9}, ("rate_limit=1e-09", "0.1 to 10000")),
    ({"rate_limit": -5}, ("rate_limit=-5", "0.1 to 10000")),
    ({"rate_limit": math.inf}, ("rate_limit=inf", "finite")),
    ({"rate_limit": 1e9}, ("rate_limit=1000000000.0", "0.1 to 10000")),
    ({"write_timeout": math.nan}, ("write_timeout=nan", "finite")),
    ({"write_timeout": 1e-300}, ("write_timeout=1e-300", "0.1 to")),
    ({"max_workers": 10**400}, ("max_workers=", "out of range")),
    ({"cache_ttl": 10**400}, ("cache_ttl=", "out of range")),
    ({"max_workers": "1_6"}, ("max_workers='1_6'", "no '_'")),
    ({"endpoint_url": "http://[::1"}, ("endpoint_url='http://[::1'", "not a URL")),
    ({"write_timeout": 0}, ("write_timeout=0", "0.1 to")),
    ({"write_timeout": -1.0}, ("write_timeout=-1.0", "0.1 to")),
    ({"write_timeout": 1e12}, ("write_timeout=1000000000000.0", "86400")),
    ({"connect_timeout": 0}, ("connect_timeout=0", "0.1 to")),
    ({"connect_timeout": math.inf}, ("connect_timeout=inf", "finite")),
    ({"read_timeout": -1}, ("read_timeout=-1", "0.1 to")),
    ({"read_timeout": 1e6}, ("read_timeout=1000000.0", "3600")),
    ({"cache_ttl": -1}, ("cache_ttl=-1", "0 to 86400")),
    ({"cache_ttl": math.nan}, ("cache_ttl=nan", "finite")),
    ({"max_attempts": 0}, ("max_attempts=0", "1 to 20")),
    ({"max_attempts": 1.5}, ("max_attempts=1.5", "whole number")),
    ({"max_writes": 0}, ("max_writes=0", "1 to 10000")),
    ({"max_writes": 10**9}, ("max_writes=1000000000", "1 to 10000")),
    ({"regions": 5}, ("regions=5", "not region names")),
    ({"regions": b"us-east-1"}, ("regions=b'us-east-1'", "not region names")),
    ({"regions": ["us-east-1", 3]}, ("regions=['us-east-1', 3]", "position 1")),
    ({"regions": ["us-east-1", ""]}, ("regions=['us-east-1', '']", "position 1")),
    ({"regions": "us-east-1,mars-1"}, ("regions='us-east-1,mars-1'", "'mars-1' is not an AWS region")),
    ({"endpoint_url": "127.0.0.1:4566"}, ("endpoint_url='127.0.0.1:4566'", "http://127.0.0.1:4566")),
    ({"endpoint_url": "garbage"}, ("endpoint_url='garbage'", "no scheme")),
    ({"endpoint_url": "ftp://127.0.0.1"}, ("endpoint_url='ftp://127.0.0.1'", "http:// or https://")),
    ({"endpoint_url": "http://"}, ("endpoint_url='http://'", "host name")),
    ({"endpoint_url": "http://a b:1"}, ("endpoint_url='http://a b:1'", "host name")),
    ({"endpoint_url": "http://x:99999"}, ("endpoint_url='http://x:99999'", "not a URL")),
    ({"endpoint_url": 4566}, ("endpoint_url=4566", "not text")),
    ({"role_arn": "admin"}, ("role_arn='admin'", "arn:aws:iam::123456789012:role/NAME")),
    ({"role_arn": "arn:aws:iam::12:role/x"}, ("role_arn='arn:aws:iam::12:role/x'", "IAM role ARN")),
    ({"account_id": "12345"}, ("account_id='12345'", "not an AWS account id (12 digits)")),
    ({"account_id": "1234567890123"}, ("account_id='1234567890123'", "12 digits")),
    ({"account_id": "12345678901x"}, ("account_id='12345678901x'", "account_id='123456789012'")),
    ({"account_id": 123456789012}, ("account_id=123456789012", "write it as text", "can start with 0")),
    ({"profile": 5}, ("profile=5", "not text")),
    ({"profile": " dev "}, ("profile=' dev '", "blanks")),
    ({"read_only": "maybe"}, ("read_only='maybe'", "true or false")),
    ({"dry_run": 2}, ("dry_run=2", "true or false")),
    ({"max_worker": 3}, ("unknown option max_worker", "known options")),
]


@pytest.mark.parametrize(("options", "needles"), PYTHON_OPTIONS, ids=lambda v: repr(v)[:40])
def test_connect_refuses_bad_options(env: Env, options: dict[str, Any], needles: tuple[str, ...]) -> None:
    with pytest.raises(OptionError) as caught:
        vtab.connect(**{"endpoint_url": env.emulator.endpoint_url, **options})
    assert isinstance(caught.value, apsw.SQLError) and isinstance(caught.value, ValueError)
    _assert_names(caught.value, needles)


def test_a_malformed_endpoint_in_the_environment_is_named(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", "127.0.0.1:4566")
    with pytest.raises(OptionError) as caught:
        vtab.connect(regions="us-east-1")
    _assert_names(
        caught.value, ("AWS_ENDPOINT_URL_CLOUDCONTROL='127.0.0.1:4566'", "write it as http://127.0.0.1:4566")
    )


@pytest.mark.parametrize("where", ["option", "environment", "command"])
def test_an_endpoint_with_a_user_or_password_is_refused_without_printing_them(
    env: Env, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Endpoints are printed (messages, the call log, jupysql's banner): one carrying a secret is refused
    wherever it is given, and the refusal itself does not print the secret."""
    url = "http://me:s3cret-token@127.0.0.1:4566"
    if where == "command":
        done = subprocess.run(
            [sys.executable, "-m", "vtab.cli", "query", "--endpoint-url", url, "SELECT 1"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2 and "give it as http://127.0.0.1:4566" in done.stderr
        assert "s3cret" not in done.stderr + done.stdout
        return
    with pytest.raises(OptionError) as caught:
        if where == "environment":
            monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", url)
            vtab.connect(regions="us-east-1").execute("SELECT * FROM integration_responses").fetchall()
        else:
            vtab.connect(endpoint_url=url)
    _assert_names(caught.value, ("carries a user or password", "give it as http://127.0.0.1:4566"))
    assert "s3cret" not in str(caught.value) and "http://***@127.0.0.1:4566" in str(caught.value)


# --- options: SQL -------------------------------------------------------------------------------------

SQL_OPTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("max_workers=2.5", ("max_workers='2.5'", "whole number")),
    ("max_workers=1e7", ("max_workers='1e7'", "1 to 256")),
    ("max_workers=zero", ("max_workers='zero'", "not a number")),
    ("max_workers=''", ("max_workers=''", "not a number")),
    ("rate_limit=0", ("rate_limit='0'", "rate_limit=none")),
    ("rate_limit=1e-9", ("rate_limit='1e-9'", "0.1 to 10000")),
    ("rate_limit=nan", ("rate_limit='nan'", "finite")),
    ("write_timeout=nan", ("write_timeout='nan'", "finite")),
    ("write_timeout=inf", ("write_timeout='inf'", "finite")),
    ("write_timeout=0", ("write_timeout='0'", "0.1 to")),
    ("connect_timeout=-1", ("connect_timeout='-1'", "0.1 to")),
    ("read_timeout=0", ("read_timeout='0'", "0.1 to")),
    ("cache_ttl=-0.5", ("cache_ttl='-0.5'", "0 to 86400")),
    ("max_attempts=100", ("max_attempts='100'", "1 to 20")),
    ("max_writes=-1", ("max_writes='-1'", "1 to 10000")),
    ("regions='us-east-1,mars-1'", ("regions='us-east-1,mars-1'", "'mars-1' is not an AWS region")),
    ("endpoint_url='127.0.0.1:4566'", ("endpoint_url='127.0.0.1:4566'", "http://127.0.0.1:4566")),
    ("endpoint_url='localhost:4566'", ("endpoint_url='localhost:4566'", "http://localhost:4566")),
    ("endpoint_url=garbage", ("endpoint_url='garbage'", "no scheme")),
    ("role_arn=admin", ("role_arn='admin'", "IAM role ARN")),
    ("account_id='1234'", ("account_id='1234'", "not an AWS account id (12 digits)")),
    ("account_id=arn:aws", ("account_id='arn:aws'", "12 digits")),
    ("read_only=perhaps", ("read_only='perhaps'", "true or false")),
    ("dry_run=2", ("dry_run='2'", "true or false")),
    ("regoins='us-east-1'", ("unknown option regoins", "known options")),
    ("max_workers", ("option 'max_workers' has no value", "name=value")),
]


@pytest.mark.parametrize(("args", "needles"), SQL_OPTIONS, ids=[case[0] for case in SQL_OPTIONS])
def test_create_virtual_table_refuses_bad_options(env: Env, args: str, needles: tuple[str, ...]) -> None:
    with pytest.raises(apsw.SQLError) as caught:
        env.db.execute(f"CREATE VIRTUAL TABLE temp.bad USING integration_responses({args})")
    _assert_names(caught.value, ("bad: ", *needles))


# --- options: command line ----------------------------------------------------------------------------

CLI_FLAGS: list[tuple[list[str], tuple[str, ...]]] = [
    (["--max-workers", "2.5"], ("--max-workers '2.5'", "whole number")),
    (["--max-workers", "10000000"], ("--max-workers '10000000'", "1 to 256")),
    (["--rate-limit", "0"], ("--rate-limit '0'", "--rate-limit none")),
    (["--rate-limit", "1e-9"], ("--rate-limit '1e-9'", "0.1 to 10000")),
    (["--write-timeout", "nan"], ("--write-timeout 'nan'", "finite")),
    (["--connect-timeout", "0"], ("--connect-timeout '0'", "0.1 to")),
    (["--read-timeout", "inf"], ("--read-timeout 'inf'", "finite")),
    (["--cache-ttl", "-1"], ("--cache-ttl '-1'", "0 to 86400")),
    (["--endpoint-url", "127.0.0.1:4566"], ("--endpoint-url '127.0.0.1:4566'", "http://127.0.0.1:4566")),
    (["--role-arn", "admin"], ("--role-arn 'admin'", "IAM role ARN")),
    (["--account-id", "12345678901"], ("--account-id '12345678901'", "not an AWS account id (12 digits)")),
    (["--max-attempts", "many"], ("--max-attempts 'many'", "not a number")),
    (
        ["--regions", "us-east-7"],
        ("--regions 'us-east-7'", "not an AWS region", "did you mean", "'us-east-1'"),
    ),
    (["--regions", "us-east-1,mars-1"], ("--regions 'us-east-1,mars-1'", "'mars-1' is not an AWS region")),
]


@pytest.mark.parametrize(("flags", "needles"), CLI_FLAGS, ids=[" ".join(case[0]) for case in CLI_FLAGS])
def test_cli_flags_are_checked_like_options(
    env: Env, capsys: pytest.CaptureFixture[str], flags: list[str], needles: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["query", *flags, "SELECT 1"])
    assert caught.value.code == 2
    _assert_names(RuntimeError(capsys.readouterr().err), ("vtab query: error: option", *needles))


BAD_VALUES = [
    (
        ["query", "--accounts", "12x", "SELECT 1"],
        "option --accounts '12x': account id '12x' is not 12 digits; give each account's 12-digit id, like "
        "--accounts '111111111111,222222222222'",
    ),
    (["snapshot", "out.db", "SELECT 1", "--table", "t", "--cache-ttl", "soon"], "option --cache-ttl 'soon'"),
    (["sync", "out.db", "--regions", "us-east-1,,x"], "option --regions 'us-east-1,,x': region 'x' is not"),
    (["shell", "SELECT 1"], "the first argument is the database (DB), and 'SELECT 1' is not one"),
]


@pytest.mark.parametrize(("argv", "needle"), BAD_VALUES, ids=[case[0][0] for case in BAD_VALUES])
def test_a_value_our_checks_refuse_is_the_error_and_a_hint_not_the_usage_block(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    needle: str,
) -> None:
    """argparse's usage block (every flag of the command) would bury the one line that matters: the error
    naming the option, its value and the fix, then where the help is; status 2 as argparse's."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"vtab {argv[0]}: error: ") and needle in lines[0]
    assert lines[1] == f"see vtab {argv[0]} --help"
    assert not list(tmp_path.iterdir())  # refused before anything ran: no output file


# --- statements ---------------------------------------------------------------------------------------

INSERT = (
    "INSERT INTO {table} (api_id, integration_id, integration_response_key, region, response_templates, "
    "response_parameters, content_handling_strategy) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
WHERE_ID = "WHERE region = 'us-east-1' AND data__Identifier = '{r0}'"


def _row(**columns: Any) -> tuple[Any, ...]:
    values = {
        "api_id": "{api}",
        "integration_id": "{integration}",
        "integration_response_key": "$default",
        "region": "us-east-1",
        "response_templates": None,
        "response_parameters": None,
        "content_handling_strategy": None,
        **columns,
    }
    return tuple(values.values())


STATEMENTS: list[tuple[str, str, tuple[Any, ...], type[apsw.Error], tuple[str, ...]]] = [
    # SELECT
    (
        "select id blank parts",
        "SELECT * FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = '||'",
        (),
        apsw.SQLError,
        ("data__Identifier = '||'", "empty ApiId"),  # ' | | ' is three names (AWS allows ' ')
    ),
    # INSERT
    (
        "insert api_id longer than any identifier",
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES (?, 'i', 'k', 'us-east-1')",
        ("a" * 5000,),
        apsw.ConstraintError,
        ("api_id = 'aaaa", "5,000 characters", "1,024 at most"),
    ),
    (
        "select region unknown",
        "SELECT * FROM integration_responses WHERE region = 'mars-1'",
        (),
        apsw.SQLError,
        ("region 'mars-1'", "'us-east-1'"),
    ),
    (
        "select region number",
        "SELECT * FROM integration_responses WHERE region = 5",
        (),
        apsw.SQLError,
        ("region '5'",),  # 5 compared with the TEXT column is '5', as SQLite compares
    ),
    (
        "select region in",
        "SELECT * FROM integration_responses WHERE region IN ('us-east-1', 'us-east-9')",
        (),
        apsw.SQLError,
        ("region 'us-east-9'", "did you mean"),
    ),
    (
        "select id two parts",
        "SELECT * FROM integration_responses WHERE data__Identifier = 'a|b'",
        (),
        apsw.SQLError,
        ("data__Identifier = 'a|b'", "2 part(s)"),
    ),
    (
        "select id four parts",
        "SELECT * FROM integration_responses WHERE data__Identifier = 'a|b|c|d'",
        (),
        apsw.SQLError,
        ("data__Identifier = 'a|b|c|d'", "4 part(s)"),
    ),
    (
        "select id empty part",
        "SELECT * FROM integration_responses WHERE data__Identifier = 'a||c'",
        (),
        apsw.SQLError,
        ("data__Identifier = 'a||c'", "empty IntegrationId"),
    ),
    (
        "select id all empty",
        "SELECT * FROM integration_responses WHERE data__Identifier = '||'",
        (),
        apsw.SQLError,
        ("data__Identifier = '||'", "empty ApiId"),
    ),
    (
        "select id empty",
        "SELECT * FROM integration_responses WHERE data__Identifier = ''",
        (),
        apsw.SQLError,
        ("data__Identifier = ''", "1 part(s)"),
    ),
    (
        "select id number",
        "SELECT * FROM integration_responses WHERE data__Identifier = 7",
        (),
        apsw.SQLError,
        ("data__Identifier = '7'", "has 1 part(s)"),
    ),
    (
        "select id in",
        "SELECT * FROM integration_responses WHERE data__Identifier IN ('{r0}', 'x')",
        (),
        apsw.SQLError,
        ("data__Identifier = 'x'",),
    ),
    (
        "select no region",
        "SELECT * FROM temp.two WHERE region = 'nowhere'",
        (),
        apsw.SQLError,
        ("region 'nowhere'",),
    ),
    (
        "select id too long",
        "SELECT * FROM integration_responses WHERE data__Identifier = 'a|b|' || hex(zeroblob(600))",
        (),
        apsw.SQLError,
        ("data__Identifier = 'a|b|000", "1,204 characters", "at most 1,024"),
    ),
    # INSERT
    (
        "insert key null",
        INSERT,
        _row(integration_response_key=None),
        apsw.ConstraintError,
        ("integration_response_key = NULL", "row 1"),
    ),
    ("insert api null", INSERT, _row(api_id=None), apsw.ConstraintError, ("api_id = NULL",)),
    (
        "insert integration null",
        INSERT,
        _row(integration_id=None),
        apsw.ConstraintError,
        ("integration_id = NULL",),
    ),
    (
        "insert api pipe",
        INSERT,
        _row(api_id="{api}|x"),
        apsw.ConstraintError,
        ("api_id = '", "|x'", "holds '|'"),
    ),
    (
        "insert integration pipe",
        INSERT,
        _row(integration_id="a|b"),
        apsw.ConstraintError,
        ("integration_id = 'a|b'", "holds '|'"),
    ),
    ("insert api empty", INSERT, _row(api_id=""), apsw.ConstraintError, ("api_id = ''", "is empty")),
    (
        "insert integration blank",
        INSERT,
        _row(integration_id=""),  # '  ' is a name, as AWS allows
        apsw.ConstraintError,
        ("integration_id = ''", "is empty"),
    ),
    (
        "insert templates not json",
        INSERT,
        _row(response_templates="{nope"),
        apsw.ConstraintError,
        ("response_templates = '{nope'", "not valid JSON"),
    ),
    (
        "insert templates array",
        INSERT,
        _row(response_templates="[1]"),
        apsw.ConstraintError,
        ("response_templates = '[1]'", "JSON array"),
    ),
    (
        "insert templates string",
        INSERT,
        _row(response_templates='"s"'),
        apsw.ConstraintError,
        ("response_templates = '\"s\"'", "JSON string"),
    ),
    (
        "insert templates number",
        INSERT,
        _row(response_templates=42),
        apsw.ConstraintError,
        ("response_templates = 42", "not a number"),
    ),
    (
        "insert templates blob",
        INSERT,
        _row(response_templates=b"\xff\xfe"),
        apsw.ConstraintError,
        ("response_templates = X'FFFE'", "BLOB"),
    ),
    (
        "insert parameters not json",
        INSERT,
        _row(response_parameters="nope"),
        apsw.ConstraintError,
        ("response_parameters = 'nope'", "not valid JSON"),
    ),
    (
        "insert parameters deep",
        INSERT,
        _row(response_parameters="[" * 2000 + "]" * 2000),
        apsw.ConstraintError,
        ("response_parameters = '[[[", "not valid JSON"),
    ),
    (
        "insert strategy",
        INSERT,
        _row(content_handling_strategy="CONVERT"),
        apsw.ConstraintError,
        ("content_handling_strategy = 'CONVERT'", "CONVERT_TO_TEXT"),
    ),
    (
        "insert strategy lower",
        INSERT,
        _row(content_handling_strategy="convert_to_text"),
        apsw.ConstraintError,
        ("content_handling_strategy = 'convert_to_text'",),
    ),
    (
        "insert strategy blob",
        INSERT,
        _row(content_handling_strategy=b"\x00"),
        apsw.ConstraintError,
        ("content_handling_strategy = X'00'", "BLOB"),
    ),
    (
        "insert key blob",
        INSERT,
        _row(integration_response_key=b"\x80"),
        apsw.ConstraintError,
        ("integration_response_key = X'80'", "BLOB"),
    ),
    ("insert region unknown", INSERT, _row(region="us-east-9"), apsw.SQLError, ("region = 'us-east-9'",)),
    ("insert region number", INSERT, _row(region=5), apsw.SQLError, ("region = 5",)),
    ("insert region blob", INSERT, _row(region=b"us-east-1"), apsw.SQLError, ("region = X'",)),
    (
        "insert region ambiguous",
        INSERT.replace("{table}", "temp.two"),
        _row(region=None),
        apsw.SQLError,
        ("region = NULL", "2 regions"),
    ),
    (
        "insert identifier",
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, "
        "data__Identifier) VALUES ('{api}', '{integration}', 'k', 'a|b|c')",
        (),
        apsw.ReadOnlyError,
        ("data__Identifier = 'a|b|c'", "read-only"),
    ),
    (
        "insert patch",
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, "
        "data__PatchDocument) VALUES ('{api}', '{integration}', 'k', '[]')",
        (),
        apsw.SQLError,
        ("data__PatchDocument = '[]'", "only UPDATE"),
    ),
    (
        "insert response id",
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, "
        "integration_response_id) VALUES ('{api}', '{integration}', 'k', 'zzz')",
        (),
        apsw.ReadOnlyError,
        ("integration_response_id = 'zzz'", "read-only"),
    ),
    (
        "insert read only",
        INSERT.replace("{table}", "temp.ro"),
        _row(),
        apsw.ReadOnlyError,
        ("read_only=true", "INSERT refused"),
    ),
    (
        "insert second row too big",
        "INSERT INTO integration_responses (api_id, integration_id, "
        "integration_response_key, response_templates) VALUES ('{api}', '{integration}', 'a', NULL), "
        "('{api}', '{integration}', 'b', ?)",
        (BIG,),
        apsw.TooBigError,
        ("response_templates = '", "262,144 characters", "row 2", "nothing was sent"),
    ),
    (
        "insert duplicate key",
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key) "
        "VALUES ('{api}', '{integration}', 'k'), ('{api}', '{integration}', 'k')",
        (),
        apsw.ConstraintError,
        ("integration_response_key = 'k'", "row 2", "row 1"),
    ),
    (
        "insert over max_writes",
        "INSERT INTO temp.one (api_id, integration_id, integration_response_key) "
        "VALUES ('{api}', '{integration}', 'a'), ('{api}', '{integration}', 'b')",
        (),
        apsw.ConstraintError,
        ("max_writes=1",),
    ),
    (
        "insert second row bad",
        "INSERT INTO integration_responses (api_id, integration_id, "
        "integration_response_key, content_handling_strategy) VALUES ('{api}', '{integration}', 'a', NULL), "
        "('{api}', '{integration}', 'b', 'NOPE')",
        (),
        apsw.ConstraintError,
        ("content_handling_strategy = 'NOPE'", "row 2"),
    ),
    # UPDATE
    (
        "update api",
        "UPDATE integration_responses SET api_id = 'zzz' " + WHERE_ID,
        (),
        apsw.ReadOnlyError,
        ("api_id = 'zzz'", "create-only"),
    ),
    (
        "update integration",
        "UPDATE integration_responses SET integration_id = 'zzz' " + WHERE_ID,
        (),
        apsw.ReadOnlyError,
        ("integration_id = 'zzz'", "create-only"),
    ),
    (
        "update response id",
        "UPDATE integration_responses SET integration_response_id = 'z' " + WHERE_ID,
        (),
        apsw.ReadOnlyError,
        ("integration_response_id = 'z'", "read-only"),
    ),
    (
        "update region",
        "UPDATE integration_responses SET region = 'eu-west-1' " + WHERE_ID,
        (),
        apsw.ReadOnlyError,
        ("region = 'eu-west-1'", "another region"),
    ),
    (
        "update identifier",
        "UPDATE integration_responses SET data__Identifier = 'a|b|c' " + WHERE_ID,
        (),
        apsw.ReadOnlyError,
        ("data__Identifier = 'a|b|c'", "read-only"),
    ),
    (
        "update key null",
        "UPDATE integration_responses SET integration_response_key = NULL " + WHERE_ID,
        (),
        apsw.ConstraintError,
        ("integration_response_key = NULL", "cannot be removed"),
    ),
    (
        "update templates bad",
        "UPDATE integration_responses SET response_templates = '{{x' " + WHERE_ID,
        (),
        apsw.ConstraintError,
        ("response_templates = '{x'", "not valid JSON"),
    ),
    (
        "update templates blob",
        "UPDATE integration_responses SET response_templates = X'FF' " + WHERE_ID,
        (),
        apsw.ConstraintError,
        ("response_templates = X'FF'", "BLOB"),
    ),
    (
        "update strategy",
        "UPDATE integration_responses SET content_handling_strategy = 'X' " + WHERE_ID,
        (),
        apsw.ConstraintError,
        ("content_handling_strategy = 'X'",),
    ),
    (
        "update too big",
        "UPDATE integration_responses SET response_templates = ? " + WHERE_ID,
        (BIG,),
        apsw.TooBigError,
        ("response_templates = '", "PatchDocument", "262,144 characters"),
    ),
    (
        "update patch not json",
        "UPDATE integration_responses SET data__PatchDocument = 'nope' " + WHERE_ID,
        (),
        apsw.SQLError,
        ("data__PatchDocument = 'nope'", "not valid JSON"),
    ),
    (
        "update patch object",
        "UPDATE integration_responses SET data__PatchDocument = '{{}}' " + WHERE_ID,
        (),
        apsw.SQLError,
        ("data__PatchDocument = '{}'", "not an array"),
    ),
    (
        "update patch number",
        "UPDATE integration_responses SET data__PatchDocument = 5 " + WHERE_ID,
        (),
        apsw.SQLError,
        ("data__PatchDocument = 5", "not text"),
    ),
    (
        "update patch blob",
        "UPDATE integration_responses SET data__PatchDocument = X'5B5D' " + WHERE_ID,
        (),
        apsw.SQLError,
        ("data__PatchDocument = X'5B5D'", "not text"),
    ),
    (
        "update patch op",
        "UPDATE integration_responses SET data__PatchDocument = "
        '\'[{{"op": "frob", "path": "/X"}}]\' ' + WHERE_ID,
        (),
        apsw.SQLError,
        ('data__PatchDocument = \'[{"op": "frob"', "op 'frob'"),
    ),
    (
        "update patch no path",
        'UPDATE integration_responses SET data__PatchDocument = \'[{{"op": "remove"}}]\' ' + WHERE_ID,
        (),
        apsw.SQLError,
        ("data__PatchDocument = ", "needs a 'path'"),
    ),
    (
        "update patch no value",
        "UPDATE integration_responses SET data__PatchDocument = "
        '\'[{{"op": "add", "path": "/ResponseTemplates"}}]\' ' + WHERE_ID,
        (),
        apsw.SQLError,
        ("data__PatchDocument = ", "has no 'value'"),
    ),
    (
        "update patch api",
        "UPDATE integration_responses SET data__PatchDocument = "
        '\'[{{"op": "replace", "path": "/ApiId", "value": "z"}}]\' ' + WHERE_ID,
        (),
        apsw.ReadOnlyError,
        ("api_id (path /ApiId", "create-only"),
    ),
    (
        "update patch response id",
        "UPDATE integration_responses SET data__PatchDocument = "
        '\'[{{"op": "remove", "path": "/IntegrationResponseId"}}]\' ' + WHERE_ID,
        (),
        apsw.ReadOnlyError,
        ("integration_response_id (path /IntegrationResponseId", "read-only"),
    ),
    (
        "update patch unknown",
        "UPDATE integration_responses SET data__PatchDocument = "
        '\'[{{"op": "add", "path": "/Nope", "value": 1}}]\' ' + WHERE_ID,
        (),
        apsw.SQLError,
        ("data__PatchDocument (path /Nope", "no property 'Nope'"),
    ),
    (
        "update patch remove key",
        "UPDATE integration_responses SET data__PatchDocument = "
        '\'[{{"op": "remove", "path": "/IntegrationResponseKey"}}]\' ' + WHERE_ID,
        (),
        apsw.ConstraintError,
        ("integration_response_key = NULL",),
    ),
    (
        "update patch wrong type",
        "UPDATE integration_responses SET data__PatchDocument = "
        '\'[{{"op": "add", "path": "/ResponseTemplates", "value": 5}}]\' ' + WHERE_ID,
        (),
        apsw.ConstraintError,
        ("response_templates = 5", "must be a JSON object"),
    ),
    (
        "update patch missing path",
        "UPDATE integration_responses SET data__PatchDocument = "
        '\'[{{"op": "remove", "path": "/ResponseTemplates/none"}}]\' ' + WHERE_ID,
        (),
        apsw.SQLError,
        ("data__PatchDocument = ", "does not apply"),
    ),
    (
        "update patch test fails",
        "UPDATE integration_responses SET data__PatchDocument = "
        '\'[{{"op": "test", "path": "/IntegrationResponseKey", "value": "no"}}]\' ' + WHERE_ID,
        (),
        apsw.SQLError,
        ("data__PatchDocument = ", "does not apply"),
    ),
    (
        "update patch and column",
        "UPDATE integration_responses SET data__PatchDocument = '[]', "
        "content_handling_strategy = 'CONVERT_TO_TEXT' " + WHERE_ID,
        (),
        apsw.SQLError,
        ("data__PatchDocument cannot be combined", "content_handling_strategy"),
    ),
    (
        "update read only",
        "UPDATE temp.ro SET content_handling_strategy = 'CONVERT_TO_TEXT' " + WHERE_ID,
        (),
        apsw.ReadOnlyError,
        ("read_only=true", "UPDATE refused"),
    ),
    (
        "update over max_writes",
        "UPDATE temp.one SET content_handling_strategy = 'CONVERT_TO_TEXT' WHERE region = 'us-east-1'",
        (),
        apsw.ConstraintError,
        ("max_writes=1",),
    ),
    (
        "update bad id",
        "UPDATE integration_responses SET content_handling_strategy = 'CONVERT_TO_TEXT' "
        "WHERE region = 'us-east-1' AND data__Identifier = 'x|y'",
        (),
        apsw.SQLError,
        ("data__Identifier = 'x|y'", "2 part(s)"),
    ),
    # DELETE
    (
        "delete read only",
        "DELETE FROM temp.ro " + WHERE_ID,
        (),
        apsw.ReadOnlyError,
        ("read_only=true", "DELETE"),
    ),
    (
        "delete over max_writes",
        "DELETE FROM temp.one WHERE region = 'us-east-1'",
        (),
        apsw.ConstraintError,
        ("max_writes=1",),
    ),
    (
        "delete bad id",
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = '|||'",
        (),
        apsw.SQLError,
        ("data__Identifier = '|||'", "4 part(s)"),
    ),
    (
        "delete bad region",
        "DELETE FROM integration_responses WHERE region = 'moon-1'",
        (),
        apsw.SQLError,
        ("region 'moon-1'",),
    ),
    (
        "delete id number",
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = 3",
        (),
        apsw.SQLError,
        ("data__Identifier = '3'", "has 1 part(s)"),
    ),
]


@pytest.mark.parametrize(
    ("sql", "bindings", "kind", "needles"),
    [case[1:] for case in STATEMENTS],
    ids=[case[0] for case in STATEMENTS],
)
def test_statements_refuse_bad_values_before_sending(
    env: Env, sql: str, bindings: tuple[Any, ...], kind: type[apsw.Error], needles: tuple[str, ...]
) -> None:
    sql = env.fill(sql.replace("{table}", "integration_responses")).replace("{{", "{").replace("}}", "}")
    bindings = tuple(env.fill(value) if isinstance(value, str) else value for value in bindings)
    with pytest.raises(apsw.Error) as caught:
        env.db.execute(sql, bindings).fetchall()
    assert type(caught.value) is kind, f"{type(caught.value).__name__}: {caught.value}"
    _assert_names(caught.value, needles)


@pytest.mark.parametrize("name", [name for name, rule in RULES.items() if rule.high is not None])
def test_the_documented_limits_are_the_checked_ones(name: str) -> None:
    """docs/options.md's options table and the flag help state the range each option is checked against."""
    rule = RULES[name]
    limit = f"{rule.high:g}"
    page = (Path(__file__).parent.parent / "docs" / "options.md").read_text()
    row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
    assert limit in row
    help_text = next(flag.help for flag in option_flags() if flag.name == name)
    assert limit in help_text
    with pytest.raises(OptionError, match=rf"{name} takes .*{limit}"):
        convert(name, rule.high * 2)


def test_control_characters_in_a_value_do_not_reach_the_terminal(env: Env) -> None:
    with pytest.raises(apsw.SQLError) as caught:
        env.db.execute("SELECT * FROM integration_responses WHERE region = 'us-east-1' || char(0)").fetchall()
    assert "char(0)" in str(caught.value) and "\x00" not in str(caught.value)
