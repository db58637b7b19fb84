"""``vtab sync --executor dask`` on a LocalCluster of 2 worker processes against the local endpoint, with the
test Organization (tests/orgs.py): the file is row for row the thread executor's, a failing account under
skip is recorded alike, a dask run resumes, no secret travels in a job, and the errors say what to do."""

from __future__ import annotations

import pickle
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import distributed
import pytest

from tests.orgs import (
    LOG_GROUP,
    REGIONS,
    Org,
    assumable_log_groups,
    command_failure_line,
    run_sync_command,
    sync_org,
)
from tests.syncfiles import file_content, file_rows
from vtab.emulator import Emulator
from vtab.sync import merge as merge_module
from vtab.sync import sync
from vtab.sync.apart import ShardFile, ShardJob, local_path, run_shard_file
from vtab.sync.dask_executor import DaskExecutor
from vtab.sync.plan import Shard

LOCKED = "dev-locked"
TABLES = "logs_log_groups,apigatewayv2_apis,integration_responses"
"""A table in every account, and a walk (APIs, their integrations, their responses) in the management one."""


@pytest.fixture(scope="module")
def dask_client() -> Iterator[distributed.Client]:
    """Two worker PROCESSES, as the issue asks (each builds its own vtab connections)."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=4, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _sync(emulator: Emulator, out: Path, **options: Any) -> Any:
    return sync_org(emulator, str(out), **({"tables": TABLES} | options))


def test_dask_on_two_worker_processes_writes_the_thread_executors_file_row_for_row(
    emulator: Emulator,
    org: Org,
    tmp_path: Path,
    dask_client: distributed.Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for region in REGIONS:
        emulator.seed(region, websocket_apis=2, integrations=2, responses=2, http_apis=1)
    threads, dask = tmp_path / "threads.db", tmp_path / "dask.db"
    # one connection per shard: its tasks run in the plan's order on both executors, so which task's
    # listing serves another's from the cache is the same, and so are the calls and pages recorded
    by_threads = _sync(emulator, threads, connections_per_shard=1)
    monkeypatch.setattr(merge_module, "MERGE_BATCH", 3)  # 12 shards: ATTACHed in several passes
    # a Client of its own is a cluster vtab did not start: the workers send their files back as bytes
    by_dask = _sync(emulator, dask, connections_per_shard=1, executor=DaskExecutor(dask_client))

    # but the locked account's failures: the threads executor asks STS once in the run, a Dask worker once
    # per shard (its shards run apart, each learning the refusal on its own): one call more per region
    locked = org.named(LOCKED).account_id
    assert file_content(dask, without_account=locked) == file_content(threads, without_account=locked)
    refused = "SELECT sum(calls), count(*) FROM _vtab_sync WHERE account_id = ? AND status = 'failed'"
    assert file_rows(threads, refused, locked) == [(1, len(REGIONS) * 3)]
    assert file_rows(dask, refused, locked) == [(len(REGIONS), len(REGIONS) * 3)]
    statuses = dict(file_rows(dask, "SELECT status, count(*) FROM _vtab_sync GROUP BY status"))
    readable = [account for account in org.accounts if account.status == "ACTIVE"]
    assert sum(statuses.values()) == len(readable) * len(REGIONS) * 3  # three tables
    # the account whose role is refused fails in each region (skip): recorded, the others synced
    failed = file_rows(dask, "SELECT DISTINCT account_id, error_code FROM _vtab_sync WHERE status = 'failed'")
    assert failed == [(org.named(LOCKED).account_id, "AccessDenied")]
    assert statuses["failed"] == len(REGIONS) * 3
    assert file_rows(dask, "SELECT count(*) FROM apigatewayv2_integration_responses") == [
        (2 * 2 * 2 * len(REGIONS),)
    ]
    summed = ("tasks", "tasks_done", "tasks_failed", "tasks_pending", "resources", "pages")
    assert [getattr(by_dask, name) for name in summed] == [getattr(by_threads, name) for name in summed]
    assert by_dask.calls == by_threads.calls + len(REGIONS) - 1
    assert by_dask.resources > 0 and not by_dask.complete


def test_a_dask_run_resumes_with_only_the_tasks_not_done(
    emulator: Emulator, org: Org, tmp_path: Path, dask_client: distributed.Client
) -> None:
    out, clean, shared = tmp_path / "resumed.db", tmp_path / "clean.db", tmp_path / "shards"
    emulator.refuse_type(LOG_GROUP, "eu-west-1")
    options: dict[str, Any] = {"tables": "logs_log_groups", "skip_accounts": org.named(LOCKED).account_id}
    # a directory the workers share with the client: the shard files are left there, merged, then removed
    first = _sync(emulator, out, executor=DaskExecutor(dask_client, shard_dir=str(shared)), **options)
    assert first.tasks_failed == first.tasks // 2  # every eu-west-1 task
    assert shared.is_dir() and not list(shared.iterdir())
    done_before = file_rows(
        out, "SELECT account_id, region, started_at FROM _vtab_sync WHERE status = 'done'"
    )

    emulator.switches.reset_one_shots()  # eu-west-1 answers again
    resumed = _sync(emulator, out, resume=True, executor=DaskExecutor(dask_client), **options)
    assert resumed.complete and resumed.sync_id == first.sync_id
    # the tasks done in the first run were not run again
    again = file_rows(out, "SELECT account_id, region, started_at FROM _vtab_sync WHERE region = 'us-east-1'")
    assert sorted(again) == sorted(done_before)
    _sync(emulator, clean, **options)
    assert file_content(out)["logs_log_groups"] == file_content(clean)["logs_log_groups"]


def test_on_error_fail_on_dask_leaves_the_shards_not_merged_pending_for_resume(
    emulator: Emulator, org: Org, tmp_path: Path, dask_client: distributed.Client
) -> None:
    out = tmp_path / "estate.db"
    options: dict[str, Any] = {"tables": "logs_log_groups", "executor": DaskExecutor(dask_client)}
    first = _sync(emulator, out, on_error="fail", **options)
    locked = org.named(LOCKED).account_id
    assert {failure["account_id"] for failure in first.failures} == {locked}
    assert first.tasks_done + first.tasks_failed + first.tasks_pending == first.tasks
    assert not first.complete

    resumed = _sync(emulator, out, resume=True, on_error="skip", **options)  # every task but the locked ones
    statuses = file_rows(out, "SELECT account_id, status FROM _vtab_sync")
    assert {account for account, status in statuses if status != "done"} == {locked}
    assert resumed.tasks_pending == 0 and resumed.tasks_failed == len(REGIONS)
    expected = sum(
        len(names) for account in org.accounts if account.assumable for names in account.log_groups.values()
    )
    assert file_rows(out, "SELECT count(*) FROM logs_log_groups") == [(expected,)]


class PicklingExecutor:
    """Runs each shard as a worker would, after a pickle round trip of what Dask would send it; keeps the
    bytes for the test to read."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sent: list[bytes] = []

    def run_apart(self, shards: Sequence[Shard], job: ShardJob, merge: Any) -> None:
        files: list[ShardFile] = []
        for shard in shards:
            self.sent.append(pickle.dumps((run_shard_file, shard, job)))
            function, received_shard, received_job = pickle.loads(self.sent[-1])
            found = function(received_shard, received_job)  # shard_dir None: the file comes back as bytes
            files.append(
                ShardFile(found.account_id, found.region, path=local_path(found, str(self.directory)))
            )
        merge(files)


def test_no_secret_travels_in_a_shard_job(
    emulator: Emulator, org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "AWS_ACCESS_KEY_ID": "AKIAVTABSENTINELKEY1",
        "AWS_SECRET_ACCESS_KEY": "vtab-sentinel-secret-access-key",
        "AWS_SESSION_TOKEN": "vtab-sentinel-session-token",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    executor = PicklingExecutor(tmp_path)
    result = _sync(emulator, tmp_path / "estate.db", executor=executor, tables="logs_log_groups")

    assert result.tasks_done > 0 and len(executor.sent) == result.tasks  # one shard per task here
    for payload in executor.sent:
        for value in secrets.values():
            assert value.encode() not in payload
        assert b"SecretAccessKey" not in payload and b"aws_secret_access_key" not in payload


def test_the_command_runs_on_a_local_cluster(
    emulator: Emulator, org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "estate.db"
    run_sync_command(emulator, org, str(out), "dask")
    err = capsys.readouterr().err
    assert re.search(r"^sync: 12/12 tasks \(2 failed\)", err, re.MULTILINE)  # progress from the shards
    command_failure_line(err)  # a worker's failure names the command's flags: the job says whom to speak to


def test_dask_errors_say_what_to_do(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    out = tmp_path / "estate.db"
    nobody = DaskExecutor(f"tcp://127.0.0.1:{closed_port}", connect_timeout=1)
    with pytest.raises(ValueError, match=r"scheduler='tcp://127.0.0.1:\d+': no Dask scheduler answered"):
        sync(str(out), tables="logs_log_groups", executor=nobody, endpoint_url=emulator.endpoint_url)
    assert file_rows(out, "SELECT DISTINCT status FROM _vtab_sync") == [("pending",)]  # for a resume
    out.unlink()
    with pytest.raises(ValueError, match=r"scheduler is for executor='dask'.*add executor='dask'"):
        sync(str(out), scheduler="tcp://127.0.0.1:8786", endpoint_url=emulator.endpoint_url)
    with pytest.raises(
        ValueError,
        match=r"option executor='ray' is not one of 'threads' or 'processes' or 'dask'; "
        r"write executor='threads'",
    ):
        sync(str(out), executor="ray", endpoint_url=emulator.endpoint_url)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if vtab[dask] were not installed
    with pytest.raises(ValueError, match=r"pip install 'vtab\[dask\]'"):
        sync(str(out), executor="dask", endpoint_url=emulator.endpoint_url, regions="us-east-1")
    assert not out.exists()  # refused before the file was made


def test_the_workers_call_the_endpoint_the_clients_environment_names(
    emulator: Emulator,
    org: Org,
    tmp_path: Path,
    dask_client: distributed.Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client's AWS_ENDPOINT_URL_CLOUDCONTROL, with no endpoint_url option, reaches the workers, whose
    own environment lacks it (the cluster started before it was set, as a remote cluster's workers never
    had it): their AssumeRole and Cloud Control calls go where the client's would."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", emulator.endpoint_url)
    out = tmp_path / "estate.db"
    options: dict[str, Any] = {"regions": ",".join(REGIONS), "accounts": "org", "max_attempts": 1}
    result = sync(str(out), tables="logs_log_groups", executor=DaskExecutor(dask_client), **options)
    assert {failure["account_id"] for failure in result.failures} == {org.named(LOCKED).account_id}
    assert file_rows(out, "SELECT count(*) FROM logs_log_groups") == [(assumable_log_groups(org),)]
