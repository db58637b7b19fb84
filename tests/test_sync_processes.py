"""``vtab sync --executor processes`` against the local endpoint with the test Organization
(tests/orgs.py): the shards run in worker processes (not in the test's), the file is row for row the
thread executor's, a failing account under skip and fail is recorded alike, a run resumes, and the
command shows the workers' progress."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import ctrl_c
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
from vtab.cli.main import main
from vtab.emulator import Emulator
from vtab.sync import ProcessExecutor, sync
from vtab.sync import worker as worker_module
from vtab.sync.plan import Shard, Task
from vtab.sync.processes import groups_of
from vtab.sync.summary import SyncSummary

LOCKED = "dev-locked"
TABLES = "logs_log_groups,apigatewayv2_apis,integration_responses"
"""A table in every account, and a walk (APIs, their integrations, their responses) in the management one."""


def _sync(emulator: Emulator, out: Path, **options: Any) -> Any:
    return sync_org(emulator, str(out), **({"tables": TABLES} | options))


def test_processes_write_the_thread_executors_file_row_for_row(
    emulator: Emulator, org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for region in REGIONS:
        emulator.seed(region, websocket_apis=2, integrations=2, responses=2, http_apis=1)
    threads, processes = tmp_path / "threads.db", tmp_path / "processes.db"
    # one connection per shard: its tasks run in the plan's order on both executors, so which task's
    # listing serves another's from the cache is the same, and so are the calls and pages recorded
    by_threads = _sync(emulator, threads, connections_per_shard=1)

    def not_here(self: worker_module.ShardRun) -> None:
        raise AssertionError(f"shard {self.shard.account_id} {self.shard.region} ran in the test's process")

    monkeypatch.setattr(worker_module.ShardRun, "run", not_here)  # the workers are processes of their own
    by_processes = _sync(emulator, processes, connections_per_shard=1, executor="processes")

    # but which of the locked account's tasks asked STS first (and so which region its message names),
    # a race between its shards under either executor
    locked = org.named(LOCKED).account_id
    assert file_content(processes, without_account=locked) == file_content(threads, without_account=locked)
    # its regions run in one worker, which asks STS once in the run, as the threads executor does
    refused = (
        "SELECT sum(calls), count(*), min(error_code) FROM _vtab_sync WHERE account_id = ? "
        "AND status = 'failed'"
    )
    assert file_rows(processes, refused, locked) == [(1, len(REGIONS) * 3, "AccessDenied")]
    assert file_rows(processes, "SELECT count(*) FROM apigatewayv2_integration_responses") == [
        (2 * 2 * 2 * len(REGIONS),)
    ]
    summed = ("tasks", "tasks_done", "tasks_failed", "tasks_pending", "resources", "pages", "calls")
    assert [getattr(by_processes, name) for name in summed] == [getattr(by_threads, name) for name in summed]
    assert by_processes.resources > 0 and not by_processes.complete


def test_on_error_fail_starts_no_task_after_a_failure_and_a_resume_finishes_the_run(
    emulator: Emulator, org: Org, tmp_path: Path
) -> None:
    out = tmp_path / "estate.db"
    # one worker running one shard at a time, in the estate's order: the locked account's shard fails, and
    # the worker starts no later one
    options: dict[str, Any] = {"tables": "logs_log_groups", "executor": ProcessExecutor(1, shards_at_once=1)}
    first = _sync(emulator, out, on_error="fail", **options)
    statuses = file_rows(out, "SELECT account_id, status FROM _vtab_sync ORDER BY rowid")  # the shards' order
    failed = next(i for i, (_, status) in enumerate(statuses) if status == "failed")
    locked = org.named(LOCKED).account_id
    assert statuses[failed][0] == locked
    assert {status for _, status in statuses[:failed]} == {"done"}
    assert {status for _, status in statuses[failed + 1 :]} == {"pending"}
    assert first.tasks_pending == len(statuses) - failed - 1 > 0 and not first.complete

    resumed = _sync(emulator, out, resume=True, on_error="skip", **options)
    statuses = file_rows(out, "SELECT account_id, status FROM _vtab_sync")
    assert {account for account, status in statuses if status != "done"} == {locked}
    assert resumed.tasks_pending == 0 and resumed.tasks_failed == len(REGIONS)


def test_a_processes_run_resumes_with_only_the_tasks_not_done(
    emulator: Emulator, org: Org, tmp_path: Path
) -> None:
    out, clean = tmp_path / "resumed.db", tmp_path / "clean.db"
    emulator.refuse_type(LOG_GROUP, "eu-west-1")
    options: dict[str, Any] = {
        "tables": "logs_log_groups",
        "skip_accounts": org.named(LOCKED).account_id,
        "executor": "processes",
    }
    first = _sync(emulator, out, **options)
    assert first.tasks_failed == first.tasks // 2  # every eu-west-1 task
    done_before = file_rows(
        out, "SELECT account_id, region, started_at FROM _vtab_sync WHERE status = 'done'"
    )

    emulator.switches.reset_one_shots()  # eu-west-1 answers again
    resumed = _sync(emulator, out, resume=True, **options)
    assert resumed.complete and resumed.sync_id == first.sync_id
    again = file_rows(out, "SELECT account_id, region, started_at FROM _vtab_sync WHERE region = 'us-east-1'")
    assert sorted(again) == sorted(done_before)  # the tasks done in the first run were not run again
    _sync(emulator, clean, **(options | {"executor": "threads"}))
    assert file_content(out)["logs_log_groups"] == file_content(clean)["logs_log_groups"]


def test_the_command_runs_on_worker_processes_with_their_progress(
    emulator: Emulator, org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "estate.db"
    run_sync_command(emulator, org, str(out), "processes")
    err = capsys.readouterr().err
    # a worker's failure names the command's flags, as the sync's process speaks to the command's user
    failed = command_failure_line(err)
    assert "to the vtab command" in failed, failed
    assert re.search(r"^sync: 12/12 tasks \(2 failed\), \d+ rows, [\d.]+ calls/s", err, re.MULTILINE)


def _command(emulator: Emulator, out: Path) -> list[str]:
    argv = [sys.executable, "-m", "vtab.cli", "sync", str(out), "--tables", "logs_*", "--accounts", "org"]
    argv += ["--regions", ",".join(REGIONS), "--endpoint-url", emulator.endpoint_url]
    return [*argv, "--executor", "processes"]


def _until_progress(process: subprocess.Popen[str]) -> None:
    """Read the command's stderr up to a progress line that counts a task done (a line comes each tenth
    of the tasks over; the locked account's failed ones may be the first)."""
    assert process.stderr is not None
    for line in process.stderr:
        found = re.match(r"sync: (\d+)/\d+ tasks(?: \((\d+) failed\))?", line)
        if found and int(found[1]) > int(found[2] or 0):
            return
    raise AssertionError("the sync ended without a progress line counting a task done")


def test_ctrl_c_stops_the_workers_and_the_run_resumes(emulator: Emulator, org: Org, tmp_path: Path) -> None:
    emulator.configure(latency=0.05)  # tasks remain when the signal lands
    out = tmp_path / "estate.db"
    process = subprocess.Popen(
        _command(emulator, out), stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c.as_default
    )
    _until_progress(process)
    process.send_signal(signal.SIGINT)  # the sync's process only: it stops the workers itself
    _, rest = process.communicate(timeout=120)
    assert process.returncode == 130, rest
    assert f"interrupted: the tasks not done stay pending in {out}" in rest and "error" not in rest
    assert "leaked" not in rest, rest  # multiprocessing's resource tracker: no semaphore left behind
    resumed = _resumed_after_stop(emulator, out)
    assert {failure["account_id"] for failure in resumed.failures} == {org.named(LOCKED).account_id}


def test_the_workers_of_a_killed_sync_exit_and_its_done_tasks_stay_done(
    emulator: Emulator, org: Org, tmp_path: Path
) -> None:
    """SIGKILL of the sync's process: its workers exit (they hold its stderr: the pipe reaches its end only
    then), and a resume runs only the tasks not done."""
    emulator.configure(latency=0.05)
    out = tmp_path / "estate.db"
    process = subprocess.Popen(
        _command(emulator, out), stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c.as_default
    )
    _until_progress(process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=120)  # TimeoutExpired: a worker outlived the sync
    _resumed_after_stop(emulator, out)


def _resumed_after_stop(emulator: Emulator, out: Path) -> SyncSummary:
    """A sync stopped part-way (some tasks done, some pending) resumed on processes: it ends with none
    pending, and the tasks done before the stop were not run again."""
    done_query = "SELECT account_id, region, table_name, started_at FROM _vtab_sync WHERE status = 'done'"
    statuses = dict(file_rows(out, "SELECT status, count(*) FROM _vtab_sync GROUP BY status"))
    assert statuses.get("pending", 0) > 0 and statuses.get("done", 0) > 0
    done = file_rows(out, done_query)
    emulator.configure(latency=0.0)
    resumed = sync(
        str(out), resume=True, executor="processes", endpoint_url=emulator.endpoint_url, accounts="org"
    )
    assert resumed.tasks_pending == 0
    assert set(done) < set(file_rows(out, done_query))
    return resumed


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux: /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # the field after the command's name, in parentheses that may hold spaces
                if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _workers(pid: int) -> list[int]:
    """The worker processes of the sync ``pid``: its children when it forked them, else its forkserver's
    (multiprocessing's resource tracker, a child too, is none)."""
    found = []
    for child in _children(pid):
        grandchildren = _children(child)
        if grandchildren:
            found += grandchildren  # the forkserver's
        elif b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
            found.append(child)
    return found


def test_a_killed_worker_ends_the_sync_with_an_error_that_names_the_fix_and_the_run_resumes(
    emulator: Emulator, org: Org, tmp_path: Path
) -> None:
    """SIGKILL of one worker (the OOM killer, an operator): the sync stops with an error that says what
    happened and how to finish (not concurrent.futures' words alone); the tasks done stay done, and a resume
    runs the others."""
    emulator.configure(latency=0.05)
    out = tmp_path / "estate.db"
    process = subprocess.Popen(
        _command(emulator, out), stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c.as_default
    )
    _until_progress(process)
    workers = _workers(process.pid)
    assert workers, "no worker process found under the sync's process"
    os.kill(workers[0], signal.SIGKILL)
    _, rest = process.communicate(timeout=120)
    assert process.returncode == 1, rest
    assert "a worker process of --executor processes ended abruptly" in rest and "--resume" in rest, rest
    statuses = dict(file_rows(out, "SELECT status, count(*) FROM _vtab_sync GROUP BY status"))
    assert statuses.get("pending", 0) > 0 and statuses.get("done", 0) > 0

    emulator.configure(latency=0.0)
    resumed = sync(
        str(out), resume=True, executor="processes", endpoint_url=emulator.endpoint_url, accounts="org"
    )
    assert resumed.tasks_pending == 0


SYNC_PAGE = Path(__file__).resolve().parent.parent / "docs" / "sync.md"


def test_the_command_of_sync_md_on_every_core_runs(
    emulator: Emulator, org: Org, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/sync.md's section "Using every core": its command, in a fresh folder."""
    monkeypatch.chdir(tmp_path)
    section = SYNC_PAGE.read_text(encoding="utf-8").split("## Using every core", 1)[1]
    (line,) = section.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    words = shlex.split(line)
    assert words[:2] == ["vtab", "sync"] and "processes" in words
    # the tests' Organization has a locked account: its tasks fail, the run finishes (status 3)
    assert main([*words[1:], "--endpoint-url", emulator.endpoint_url]) == 3
    synced = file_rows(tmp_path / "inventory.db", "SELECT count(*) FROM logs_log_groups")
    assert synced == [(assumable_log_groups(org),)]


def _shard(account: str, region: str, tasks: int) -> Shard:
    return Shard(account, region, tuple(Task(account, region, f"t{i}", "T") for i in range(tasks)))


def _unguarded(emulator: Emulator, tmp_path: Path, before: str = "") -> subprocess.CompletedProcess[str]:
    """A script that calls vtab.sync(executor='processes') outside ``if __name__ == "__main__":``, run."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        f"import vtab\n{before}"
        f"vtab.sync({str(tmp_path / 'out.db')!r}, tables='logs_log_groups', accounts='org', "
        f"regions='us-east-1', endpoint_url={emulator.endpoint_url!r}, executor='processes')\n"
    )
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)


def test_a_script_with_a_thread_that_syncs_outside_the_main_guard_is_told_the_fix(
    emulator: Emulator, org: Org, tmp_path: Path
) -> None:
    # a process with a thread of its own cannot fork its workers: each is started afresh and imports the
    # script's main module, which multiprocessing refuses while it starts the worker: the workers end
    # before their first job, and the sync's error says why and what to do
    thread = "import threading\nthreading.Thread(target=threading.Event().wait, daemon=True).start()\n"
    ended = _unguarded(emulator, tmp_path, before=thread)

    assert ended.returncode == 1
    (last,) = [line for line in ended.stderr.splitlines() if line.startswith("vtab.sync.processes.")]
    assert last.startswith("vtab.sync.processes.WorkerLostError: the worker processes of --executor ")
    assert 'if __name__ == "__main__":' in last and "executor='threads'" in last
    assert [call for call in emulator.calls if call.type_name] == []  # no task ran


def test_a_script_of_one_thread_forks_its_workers_so_even_without_the_main_guard_it_syncs(
    emulator: Emulator, org: Org, tmp_path: Path
) -> None:
    # one thread: the workers are forked from it (no import of the script), so the guard is not needed
    ended = _unguarded(emulator, tmp_path)

    assert ended.returncode == 0, ended.stderr
    synced = file_rows(tmp_path / "out.db", "SELECT count(*) FROM logs_log_groups WHERE region = 'us-east-1'")
    assert synced[0][0] > 0
    assert "WorkerLostError" not in ended.stderr


def test_groups_keep_an_account_in_one_worker_and_balance_the_tasks() -> None:
    shards = [
        _shard(account, region, tasks)
        for account, tasks in (("a", 5), ("b", 3), ("c", 2))
        for region in ("r1", "r2")
    ]
    groups = groups_of(shards, 2)
    assert [sorted({shard.account_id for shard in group}) for group in groups] == [["a"], ["b", "c"]]
    assert [sum(len(shard.tasks) for shard in group) for group in groups] == [10, 10]


def test_fewer_accounts_than_workers_split_by_region() -> None:
    shards = [_shard("a", region, 4) for region in ("r1", "r2", "r3")]
    groups = groups_of(shards, 2)
    assert sorted(len(group) for group in groups) == [1, 2]
    assert groups_of([], 2) == [] and len(groups_of(shards, 8)) == 3


def _sync_argv(emulator: Emulator, out: Path) -> list[str]:
    """``vtab sync`` of one region's log groups on worker processes (the command runs one thread: forked)."""
    argv = [sys.executable, "-m", "vtab.cli", "sync", str(out), "--tables", "logs_log_groups"]
    argv += ["--accounts", "org", "--regions", "us-east-1", "--endpoint-url", emulator.endpoint_url]
    return [*argv, "--executor", "processes"]


def _us_east_1_log_groups(org: Org) -> int:
    return sum(len(account.log_groups.get("us-east-1", ())) for account in org.accounts if account.assumable)


def test_the_command_with_its_stdout_closed_forks_its_workers_and_syncs(
    emulator: Emulator, org: Org, tmp_path: Path
) -> None:
    # `vtab sync ... >&-` (a cron line, a service): Python's sys.stdout is None, which the flush before the
    # workers are forked must not trip on
    out = tmp_path / "estate.db"
    ended = subprocess.run(
        _sync_argv(emulator, out),
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.close(1),
    )
    assert ended.returncode == 3, ended.stderr  # the locked account's task failed; the others are done
    assert "Error" not in ended.stderr, ended.stderr
    synced = file_rows(out, "SELECT count(*) FROM logs_log_groups")
    assert synced == [(_us_east_1_log_groups(org),)]


@pytest.mark.parametrize("start", ["fork", "forkserver"])
def test_the_command_whose_reader_went_away_ends_quietly_and_the_run_resumes(
    emulator: Emulator, org: Org, tmp_path: Path, start: str
) -> None:
    # `... | vtab sync ... | head -1` once head has gone: multiprocessing flushes stdout before it starts a
    # worker and lets the broken pipe through (it tolerates only a missing or closed stream). The command
    # is entered as its console script enters it, after a line its stdout holds (block-buffered, as a
    # pipe's is), so the flush has something to write; a thread of the process's own makes the workers
    # start from a forkserver instead of being forked.
    thread = (
        "threading.Thread(target=threading.Event().wait, daemon=True).start()\n" if start != "fork" else ""
    )
    entry = (
        f"import sys, threading\n{thread}sys.stdout.write('a line for head\\n')\n"
        "from vtab.cli.main import main\nsys.exit(main())\n"
    )
    out = tmp_path / "estate.db"
    argv = _sync_argv(emulator, out)
    reader, writer = os.pipe()
    os.close(reader)  # the reader went away
    try:
        ended = subprocess.run(
            [sys.executable, "-c", entry, *argv[3:]],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
            env={name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"},
        )
    finally:
        os.close(writer)
    assert (ended.returncode, ended.stderr) == (141, "")  # as a tool SIGPIPE ends: no traceback
    assert file_rows(out, "SELECT status, count(*) FROM _vtab_sync GROUP BY status") == [("pending", 6)]

    resumed = subprocess.run([*argv, "--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 3, resumed.stderr  # the locked account's task failed; the others are done
    assert file_rows(out, "SELECT count(*) FROM logs_log_groups") == [(_us_east_1_log_groups(org),)]
    assert file_rows(out, "SELECT count(*) FROM _vtab_sync WHERE status = 'pending'") == [(0,)]
