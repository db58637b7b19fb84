"""``vtab sync``'s refusals of bad settings name the command's flags (``--tables``, ``--shard-connections``),
not the Python keywords of ``vtab.sync()``, which a user of the command cannot type."""

from __future__ import annotations

from pathlib import Path

import pytest

from vtab.cli.main import main
from vtab.emulator import Emulator
from vtab.sync import sync


def _refusal(emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> str:
    out = tmp_path / "estate.db"
    argv = [
        "sync",
        str(out),
        "--regions",
        "us-east-1",
        "--endpoint-url",
        emulator.endpoint_url,
        "--no-progress",
    ]
    assert main([*argv, *flags]) == 1
    assert not out.exists()  # refused before the file is made
    return capsys.readouterr().err


def test_a_glob_matching_no_table_is_named_as_the_flag_with_an_example_of_it(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refusal(emulator, tmp_path, capsys, "--tables", "logs_log_groups,nosuch_*")
    assert "--tables 'nosuch_*' matches no table; vtab types lists them" in err
    assert "e.g. --tables 'ec2_*'" in err and "tables=" not in err


def test_skip_tables_that_name_no_table_or_leave_none_are_refused_as_such(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refusal(emulator, tmp_path, capsys, "--tables", "logs_*", "--skip-tables", "logs_log_stream")
    assert "--skip-tables 'logs_log_stream' matches no table, so it would skip nothing" in err, err
    err = _refusal(emulator, tmp_path, capsys, "--tables", "logs_log_groups", "--skip-tables", "logs_*")
    assert "--skip-tables 'logs_*' leaves no table of --tables 'logs_log_groups' to sync" in err, err
    assert "matches no table" not in err  # it does match: the skip left it out


def test_too_few_shard_connections_name_the_commands_flag(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refusal(emulator, tmp_path, capsys, "--tables", "logs_log_groups", "--shard-connections", "0")
    assert "--shard-connections 0 must be at least 1" in err and "connections_per_shard" not in err
    # from Python, the keyword vtab.sync() takes
    with pytest.raises(ValueError, match=r"connections_per_shard=0 must be at least 1"):
        sync(str(tmp_path / "py.db"), connections_per_shard=0, endpoint_url=emulator.endpoint_url)


def test_a_dask_setting_without_dask_names_the_flags(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _refusal(emulator, tmp_path, capsys, "--tables", "logs_log_groups", "--scheduler", "tcp://h:8786")
    assert "--scheduler is for --executor 'dask'" in err and "add --executor 'dask'" in err


def test_no_region_anywhere_names_the_regions_flag(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    argv = ["sync", str(tmp_path / "estate.db"), "--tables", "logs_log_groups", "--no-progress"]
    assert main([*argv, "--endpoint-url", emulator.endpoint_url]) == 1
    err = capsys.readouterr().err
    assert "sync needs regions: give --regions 'us-east-1,eu-west-1', --regions 'all', or set" in err
    assert list(tmp_path.iterdir()) == [config]  # the refused sync left no file behind (nor its WAL)


def test_a_summary_file_that_cannot_be_written_is_refused_before_the_sync_runs(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not after every task ran (hours, for an estate), as a bare FileNotFoundError with the file's totals
    unsaid."""
    missing = tmp_path / "no such dir" / "sync.jsonl"
    err = _refusal(emulator, tmp_path, capsys, "--tables", "logs_log_groups", "--summary", str(missing))
    assert f"--summary {str(missing)!r} cannot be written" in err and "No such file or directory" in err, err
    err = _refusal(emulator, tmp_path, capsys, "--tables", "logs_log_groups", "--summary", str(tmp_path))
    assert f"--summary {str(tmp_path)!r} cannot be written" in err and "a directory" in err, err
