"""The errors of a first hour: the wrong kind of connection, a profile that does not exist, an endpoint that
is not running, a region typo on the command line. Each says what is wrong and how to fix it, in the words
the reader types (``profile=`` from Python, ``--profile`` in the command), and none stops what does not
need AWS.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import apsw
import pytest

import vtab
from tests.test_cli import run_vtab
from vtab.emulator import Emulator

SELECT = "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1'"


def test_register_on_a_sqlite3_connection_says_vtab_needs_apsw_and_how_to_get_it() -> None:
    with pytest.raises(TypeError) as caught:
        vtab.register(sqlite3.connect(":memory:"))  # type: ignore[arg-type]
    text = str(caught.value)
    assert "needs an apsw.Connection, not sqlite3.Connection" in text
    assert "vtab.connect(path)" in text and "apsw.Connection(path)" in text


@pytest.fixture
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An AWS config file with one profile, prod."""
    config = tmp_path / "config"
    config.write_text("[profile prod]\nregion = us-east-1\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))


@pytest.mark.usefixtures("profiles")
def test_an_unknown_profile_leaves_local_tables_usable_and_fails_the_first_aws_statement(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = str(tmp_path / "inventory.db")
    mine = apsw.Connection(path)
    mine.execute("CREATE TABLE owners(team TEXT); INSERT INTO owners VALUES ('payments')")
    mine.close()
    db = vtab.connect(path, profile="prdo", endpoint_url=emulator.endpoint_url)
    assert db.execute("SELECT team FROM owners").fetchall() == [("payments",)]
    with pytest.raises(apsw.SQLError) as caught:
        db.execute(SELECT).fetchall()
    text = str(caught.value)
    assert text.startswith("ProfileNotFound: the AWS profile 'prdo' (given as profile='prdo')")
    assert "profiles there: prod" in text and "did you mean 'prod'?" in text
    assert emulator.calls == []
    assert db.execute("SELECT count(*) FROM owners").fetchall() == [(1,)]  # still usable


@pytest.mark.usefixtures("profiles")
def test_the_command_names_the_profile_flag_and_runs_local_sql(emulator: Emulator) -> None:
    flags = ["--profile", "prdo", "--endpoint-url", emulator.endpoint_url]
    local = run_vtab("query", *flags, "SELECT 40 + 2 AS answer")
    assert (local.returncode, local.stdout.split()) == (0, ["answer", "------", "42", "(1", "row)"])
    remote = run_vtab("query", *flags, SELECT)
    assert remote.returncode == 1
    assert "the AWS profile 'prdo' (given as --profile 'prdo')" in remote.stderr
    assert "--profile NAME" in remote.stderr
    assert emulator.calls == []


def test_an_unknown_profile_from_the_environment_names_aws_profile(
    profiles: None, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "staging")
    db = vtab.connect(endpoint_url=emulator.endpoint_url)
    with pytest.raises(apsw.SQLError, match=r"the AWS profile 'staging' \(from AWS_PROFILE\)"):
        db.execute(SELECT).fetchall()


def test_an_endpoint_that_refuses_connections_says_so_and_asks_whether_it_runs(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    db = vtab.connect(endpoint_url=url, max_attempts=2)
    with pytest.raises(apsw.IOError) as caught:
        db.execute(SELECT).fetchall()
    text = str(caught.value)
    assert f"could not connect to Cloud Control at {url}: connection refused (2 attempts)" in text
    assert "is the endpoint running? (`vtab emulator` starts a local one)" in text
    assert "max_attempts" not in text
    assert db.execute("SELECT error_code FROM vtab_calls").fetchall() == [("NetworkFailure",)]


def test_the_command_says_the_endpoint_refused_and_names_its_flag(closed_port: int) -> None:
    done = run_vtab(
        "query", "--endpoint-url", f"http://127.0.0.1:{closed_port}", "--max-attempts", "1", SELECT
    )
    assert done.returncode == 1
    assert "connection refused (1 attempt); is the endpoint running?" in done.stderr
    assert "check --endpoint-url" in done.stderr


def test_a_profiles_role_whose_sts_cannot_be_reached_names_sts_and_its_variable_not_cloud_control(
    emulator: Emulator, closed_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile's role_arn is assumed by botocore through STS, which endpoint_url does not move: the
    failure is the credentials', at STS's URL, and the fix is AWS_ENDPOINT_URL_STS, not Cloud Control."""
    config = tmp_path / "config"
    config.write_text(
        "[profile base]\nregion = us-east-1\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        "[profile role]\nregion = us-east-1\nsource_profile = base\n"
        "role_arn = arn:aws:iam::123456789012:role/Auditor\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    sts = f"http://127.0.0.1:{closed_port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts)
    db = vtab.connect(profile="role", endpoint_url=emulator.endpoint_url, max_attempts=1)
    with pytest.raises(apsw.IOError) as caught:
        db.execute(SELECT).fetchall()
    text = str(caught.value)
    assert f"could not get its credentials: no connection to {sts} (connection refused; 1 attempt)" in text
    assert f"which is not Cloud Control's endpoint ({emulator.endpoint_url})" in text
    assert "endpoint_url does not move STS: set AWS_ENDPOINT_URL_STS" in text
    assert "could not connect to Cloud Control" not in text
    assert emulator.calls == []  # nothing reached Cloud Control
