"""Hunt: vtab sync given a file that is not a sync file; what a resume takes of the run it continues."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.orgs import REGIONS, Org
from tests.syncfiles import file_rows
from vtab.cli.main import main
from vtab.emulator import Emulator
from vtab.sync import NothingToResume, OnError, ThreadExecutor, sync


def test_resume_of_a_database_without_a_sync_leaves_it_as_it_was(emulator: Emulator, tmp_path: Path) -> None:
    app = tmp_path / "app.db"
    db = sqlite3.connect(app)
    db.execute("CREATE TABLE notes(text)")
    db.commit()
    db.close()
    before = app.read_bytes()

    with pytest.raises(ValueError, match="holds no sync to resume"):
        sync(str(app), resume=True, endpoint_url=emulator.endpoint_url, regions="us-east-1")
    assert app.read_bytes() == before  # no _vtab_sync tables added, still in its own journal mode
    missing = tmp_path / "missing.db"
    with pytest.raises(ValueError, match="holds no sync to resume"):
        sync(str(missing), resume=True, endpoint_url=emulator.endpoint_url, regions="us-east-1")
    assert not missing.exists()


def test_a_file_that_is_not_a_database_is_named_in_the_error(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 20)
    argv = ["sync", str(notes), "--tables", "logs_log_groups", "--regions", "us-east-1"]
    assert main([*argv, "--endpoint-url", emulator.endpoint_url]) == 1
    error = capsys.readouterr().err
    assert f"{notes} cannot be a sync file" in error and "give vtab sync a new file" in error
    assert notes.read_text() == "not a database\n" * 20


def test_resume_refuses_tables_and_a_mode_other_than_the_runs(emulator: Emulator, tmp_path: Path) -> None:
    out = tmp_path / "estate.db"
    common = {"endpoint_url": emulator.endpoint_url, "regions": "us-east-1"}
    assert sync(str(out), tables="logs_log_groups", mode="append", **common).complete
    with pytest.raises(ValueError, match=r"tables='apigatewayv2_\*' \(the run's: 'logs_log_groups'\) differ"):
        sync(str(out), resume=True, tables="apigatewayv2_*", **common)  # it ran nothing, saying all done
    with pytest.raises(ValueError, match=r"in its own mode \('append'\), and mode='overwrite' differs"):
        sync(str(out), resume=True, mode="overwrite", **common)
    # the run's own settings, or none, are accepted: the run is complete, so there is nothing to resume
    with pytest.raises(NothingToResume, match=r"nothing to resume: the last sync of .* completed"):
        sync(str(out), resume=True, tables="logs_log_groups", mode="append", **common)
    with pytest.raises(NothingToResume):
        sync(str(out), resume=True, **common)


def test_a_resume_keeps_the_runs_on_error_unless_given_another_which_it_keeps(
    emulator: Emulator, org: Org, tmp_path: Path
) -> None:
    out = tmp_path / "estate.db"
    common: dict[str, Any] = {
        "tables": "logs_log_groups",
        "endpoint_url": emulator.endpoint_url,
        "regions": ",".join(REGIONS),
        "accounts": "org",
        "executor": ThreadExecutor(max_shards=1),  # one shard at a time: a failure leaves shards to run
    }
    first = sync(str(out), on_error="fail", **common)
    assert first.on_error is OnError.FAIL and first.tasks_pending > 0
    del common["tables"], common["regions"]  # a resume takes the run's

    again = sync(str(out), resume=True, **common)  # no on_error: the run's, so it stops at the failure again
    assert again.on_error is OnError.FAIL and again.tasks_pending > 0

    skipping = sync(str(out), resume=True, on_error="skip", **common)  # given: taken, and kept for later
    assert skipping.on_error is OnError.SKIP and skipping.tasks_pending == 0
    locked = org.named("dev-locked").account_id
    assert {failure["account_id"] for failure in skipping.failures} == {locked}
    (settings,) = file_rows(out, "SELECT settings FROM _vtab_sync_runs")
    assert json.loads(settings[0])["on_error"] == "skip"

    later = sync(str(out), resume=True, **common)  # the locked account's tasks again, under the kept skip
    assert later.on_error is OnError.SKIP and later.tasks_pending == 0 and later.tasks_failed == len(REGIONS)


def test_a_resume_with_other_account_options_names_each_with_the_runs_value(
    emulator: Emulator, org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Which accounts a run reads, and as whom, must be the resume's too; the refusal names each option that
    differs with the run's value and the given one (the external id is no value the file keeps)."""
    out = tmp_path / "estate.db"
    secret = "ext-id-kept-nowhere"
    common = {"endpoint_url": emulator.endpoint_url, "regions": "us-east-1"}
    sync(str(out), tables="logs_log_groups", accounts="org", external_id=secret, on_error="skip", **common)
    (settings,) = file_rows(out, "SELECT settings FROM _vtab_sync_runs")
    assert secret not in settings[0]
    member = org.named("prod-a").account_id

    with pytest.raises(ValueError) as refused:
        sync(str(out), resume=True, accounts=member, profile="dev", external_id=secret, **common)
    assert (
        f"accounts='{member}' (the run's: 'org'); profile='dev' (the run's: not given): give the run's"
        in (str(refused.value))
    )
    with pytest.raises(ValueError) as refused:
        sync(str(out), resume=True, accounts="org", **common)  # the external id left out
    assert (
        "but this account option differs: external_id (the file keeps no value of it, only a digest, which "
        "differs): give the run's" in str(refused.value)
    )
    argv = [
        "sync",
        str(out),
        "--resume",
        "--accounts",
        "org",
        "--skip-accounts",
        member,
        "--external-id",
        secret,
    ]
    assert main([*argv, "--endpoint-url", emulator.endpoint_url]) == 1
    error = capsys.readouterr().err
    assert (
        f"but this account option differs: --skip-accounts '{member}' (the run's: not given): give" in error
    )
    assert secret not in error

    # A file of an older vtab keeps only the digest: the refusal says what it can.
    with sqlite3.connect(out) as db:
        kept = json.loads(settings[0])
        del kept["account_options"]
        db.execute("UPDATE _vtab_sync_runs SET settings = ?", (json.dumps(kept),))
    db.close()
    with pytest.raises(ValueError, match="read other accounts or as another caller"):
        sync(str(out), resume=True, accounts=member, external_id=secret, **common)


def test_a_resume_given_the_runs_selection_in_another_order_or_spelling_continues_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The same regions and tables, listed in another order, repeated or spaced otherwise, select the same
    tasks: the resume is the run's, not refused as another selection."""
    out = tmp_path / "estate.db"
    emulator.refuse_type("AWS::Logs::LogGroup", "eu-west-1")  # a failed task, for the resume to run
    common = {"endpoint_url": emulator.endpoint_url}
    first = sync(str(out), tables="logs_log_groups,logs_log_streams", regions="us-east-1,eu-west-1", **common)
    assert first.tasks_failed > 0
    again = sync(
        str(out),
        resume=True,
        tables="logs_log_streams, logs_log_groups",
        regions="eu-west-1,us-east-1,eu-west-1",
        **common,
    )
    assert again.sync_id == first.sync_id


def test_a_resume_given_the_default_mode_of_a_run_in_another_is_refused(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--mode overwrite-delete-stale given to a resume of an append run is another mode, refused as any
    other, not taken for the mode left out (the resume would otherwise append, not what was asked)."""
    out = tmp_path / "history.db"
    emulator.refuse_type("AWS::Logs::LogGroup", "eu-west-1")  # a failed task, for the resume to run
    command = ["sync", str(out), "--endpoint-url", emulator.endpoint_url, "--no-progress"]
    assert (
        main(
            [*command, "--tables", "logs_log_groups", "--regions", "us-east-1,eu-west-1", "--mode", "append"]
        )
        == 3
    )
    capsys.readouterr()
    assert main([*command, "--resume", "--mode", "overwrite-delete-stale"]) == 1
    err = capsys.readouterr().err
    assert "in its own mode ('append'), and --mode 'overwrite-delete-stale' differs from it" in err, err
    assert main([*command, "--resume", "--mode", "append"]) == 3  # the run's own mode, given, is a resume
