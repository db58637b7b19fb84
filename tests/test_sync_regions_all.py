"""Hunt: vtab sync --regions all when no account can say which regions it has."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from vtab.cli.main import main
from vtab.emulator import Emulator
from vtab.sync import sync


def test_regions_all_without_an_answer_is_an_error_not_one_region_reported_complete(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.deny_next(1)  # the DescribeRegions: an SCP or a role without ec2:DescribeRegions
    options = {
        "tables": "logs_log_groups",
        "endpoint_url": emulator.endpoint_url,
        "account_id": "123456789012",
    }
    # it synced us-east-1 alone (the default region) and said "1/1 tasks done", complete
    with pytest.raises(apsw.PermissionsError) as failed:
        sync(str(tmp_path / "estate.db"), regions="all", **options)
    message = str(failed.value)
    assert "regions='all': no account could be asked which regions it has enabled" in message
    assert "AccessDenied" in message and "request id" in message
    assert "e.g. regions='us-east-1,eu-west-1'" in message
    assert message.count("instead") == 1  # the fix said once
    assert [call.operation for call in emulator.calls] == ["DescribeRegions"]  # nothing listed


def test_the_command_names_its_regions_flag_when_no_account_says_its_regions(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.deny_next(1)
    argv = ["sync", str(tmp_path / "estate.db"), "--tables", "logs_log_groups", "--regions", "all"]
    assert main([*argv, "--account-id", "123456789012", "--endpoint-url", emulator.endpoint_url]) == 1
    err = capsys.readouterr().err
    assert "--regions 'all': no account could be asked" in err
    assert "e.g. --regions 'us-east-1,eu-west-1'" in err and "regions=" not in err
