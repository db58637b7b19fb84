"""vtab sync with a profile whose role needs an MFA code (``mfa_serial`` in the AWS config): the code is asked
once, in the sync's own process, whatever the executor; a worker process, which has no terminal to ask on,
takes the credentials it resolved, in memory; Dask workers are refused the profile up front (docs/sync.md).

The command runs in a child process of its own session (no controlling terminal), so botocore's prompt
reads the code from stdin, as a piped run would, and never waits on a developer's terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.orgs import Org
from tests.syncfiles import file_rows
from vtab.emulator import Emulator
from vtab.emulator.accounts import WRONG_MFA_CODE
from vtab.sync import sync

SERIAL = "arn:aws:iam::123456789012:mfa/me"
PROMPT = f"Enter MFA code for {SERIAL}: "


@pytest.fixture
def mfa_config(emulator: Emulator, org: Org, tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose profile ``mfa`` assumes prod-a's organization role with an MFA
    device, from the keys of profile ``base`` (no credentials in the environment)."""
    config = tmp_path / "config"
    config.write_text(
        "[profile base]\naws_access_key_id = testing\naws_secret_access_key = testing\n\n"
        f"[profile mfa]\nrole_arn = arn:aws:iam::{org.named('prod-a').account_id}:role/"
        f"OrganizationAccountAccessRole\nsource_profile = base\nmfa_serial = {SERIAL}\n"
    )
    env = {**os.environ, "AWS_CONFIG_FILE": str(config), "AWS_ENDPOINT_URL_STS": emulator.endpoint_url}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    return env


def run_sync(
    emulator: Emulator, env: dict[str, str], out: Path, executor: str, stdin: str | None
) -> subprocess.CompletedProcess[str]:
    argv = ["sync", str(out), "--profile", "mfa", "--tables", "logs_log_groups", "--executor", executor]
    argv += ["--regions", "us-east-1,eu-west-1", "--endpoint-url", emulator.endpoint_url, "--no-progress"]
    return subprocess.run(
        [sys.executable, "-m", "vtab.cli", *argv],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        start_new_session=True,  # no controlling terminal: getpass reads stdin
    )


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_the_code_is_asked_once_in_the_syncs_process_and_every_task_reads_with_it(
    emulator: Emulator, org: Org, mfa_config: dict[str, str], tmp_path: Path, executor: str
) -> None:
    out = tmp_path / "estate.db"
    done = run_sync(emulator, mfa_config, out, executor, stdin="123456\n654321\n")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(PROMPT) == 1  # not once per connection's Session, nor per worker
    prod_a = org.named("prod-a")
    held = sorted((region, name) for region, names in prod_a.log_groups.items() for name in names)
    assert sorted(file_rows(out, "SELECT region, log_group_name FROM logs_log_groups")) == held
    assert file_rows(out, "SELECT DISTINCT account_id FROM logs_log_groups") == [(prod_a.account_id,)]
    mfa_sessions = [s for s in emulator.accounts.sessions() if s.serial_number == SERIAL]
    assert len(mfa_sessions) == 1  # one AssumeRole with the code, for the whole sync
    secrets = (mfa_sessions[0].secret_access_key, mfa_sessions[0].session_token)
    written = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert not any(secret in done.stderr + done.stdout for secret in secrets)
    assert not any(secret.encode() in written for secret in secrets)


def test_a_wrong_code_or_no_terminal_is_one_clear_error_before_any_task(
    emulator: Emulator, mfa_config: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "estate.db"
    wrong = run_sync(emulator, mfa_config, out, "processes", stdin=f"{WRONG_MFA_CODE}\n")
    assert wrong.returncode == 1
    assert wrong.stderr.count(PROMPT) == 1
    assert (
        "AccessDenied: MultiFactorAuthentication failed with invalid MFA one time pass code. "
        f"[AssumeRole (STS) of profile 'mfa' with the MFA code of {SERIAL}] (request id "
    ) in wrong.stderr
    assert "check the code (a new one every 30 seconds)" in wrong.stderr
    assert not out.exists()
    unattended = run_sync(emulator, mfa_config, out, "threads", stdin=None)  # a cron job: stdin empty
    assert unattended.returncode == 1
    assert (
        f"profile 'mfa' needs an MFA code ({SERIAL}) and there is no terminal to ask for it on: run the "
        "sync from a terminal"
    ) in unattended.stderr
    assert "Traceback" not in unattended.stderr and not out.exists()


def test_dask_workers_are_refused_the_profile_before_a_code_is_asked(
    emulator: Emulator, mfa_config: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in mfa_config.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "estate.db"
    with pytest.raises(ValueError) as refused:
        sync(
            str(out),
            tables="logs_log_groups",
            profile="mfa",
            executor="dask",
            endpoint_url=emulator.endpoint_url,
        )
    assert str(refused.value) == (
        f"profile 'mfa' needs an MFA code ({SERIAL}), which a worker apart from this machine cannot ask for, "
        "and vtab sends it no credentials: run the sync with executor='threads' or executor='processes' (the "
        "code is asked once, here), or give the workers credentials of their own (a profile without "
        "mfa_serial)"
    )
    assert not [s for s in emulator.accounts.sessions() if s.serial_number]  # no AssumeRole, no prompt
    assert not out.exists()
