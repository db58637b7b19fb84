"""A sync's task is one listing in one account and region, on a connection nothing interrupts: it is read
on the SQLite thread, its account reached there too, so the task starts no thread (each hand-over to a
pool thread cost about a call's CPU again); a refused role is still the task's vtab_errors row."""

from __future__ import annotations

import threading

import apsw

from tests.orgs import Org
from vtab.emulator import Emulator
from vtab.sqlite.install import connect_with_registry
from vtab.sqlite.registry import Registry
from vtab.sync.worker import TASK_WHERE

LOCKED = "dev-locked"
"""The member whose organization role cannot be assumed (tests/orgs.py)."""
READ = f"SELECT *, data__Identifier FROM logs_log_groups {TASK_WHERE}"


def _task_connection(emulator: Emulator, account_id: str) -> tuple[apsw.Connection, Registry]:
    """A connection as a sync's shard makes it (vtab.sync.worker.ShardRun): one account, one region."""
    connection, registry = connect_with_registry(
        ":memory:",
        tables={"logs_log_groups": "AWS::Logs::LogGroup"},
        endpoint_url=emulator.endpoint_url,
        accounts=(account_id,),
        regions=("us-east-1",),
        on_account_error="skip",
        read_only=True,
        progress=False,
    )
    registry.unwatched()
    return connection, registry


def test_a_task_reads_its_listing_without_starting_a_thread(emulator: Emulator, org: Org) -> None:
    member = next(account for account in org.members if account.status == "ACTIVE" and account.assumable)
    connection, registry = _task_connection(emulator, member.account_id)
    try:
        before = set(threading.enumerate())
        rows = connection.execute(READ, (member.account_id, "us-east-1")).fetchall()
        started = sorted(thread.name for thread in set(threading.enumerate()) - before)
        assert started == []
        assert sorted(str(row[-1]) for row in rows) == sorted(member.log_groups["us-east-1"])
        assert registry.account_errors.since(0) == []
    finally:
        connection.close()
        registry.read_pools.close()


def test_a_task_whose_role_is_refused_is_its_account_error_without_a_thread(
    emulator: Emulator, org: Org
) -> None:
    locked = org.named(LOCKED)
    connection, registry = _task_connection(emulator, locked.account_id)
    try:
        before = set(threading.enumerate())
        rows = connection.execute(READ, (locked.account_id, "us-east-1")).fetchall()
        assert set(threading.enumerate()) - before == set()
        assert rows == []
        errors = registry.account_errors.since(0)
        assert [(error[0], error[1], error[3]) for error in errors] == [
            (locked.account_id, "us-east-1", "AccessDenied")
        ]
    finally:
        connection.close()
        registry.read_pools.close()
