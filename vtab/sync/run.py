"""``vtab.sync(path, ...)``: the whole estate into a plain SQLite file (docs/sync.md).

The steps: check the settings; plan the tasks (the estate's readable accounts x the regions x the selected
types, grouped into one shard per account and region) and record them in the file as pending, or, with
``resume``, take the last run's tasks not done; run the shards on an executor; sum up the run from the
file. A run killed half-way leaves its done tasks done: a resume runs only the others.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TextIO

import apsw
import orjson

from vtab import hints
from vtab.aws import mfa
from vtab.aws.accounts import Account
from vtab.aws.enabled_regions import enabled_regions
from vtab.catalog import load_catalog
from vtab.options import OptionError, Options, choice
from vtab.sqlite.install import connect_with_registry, stackql_tables
from vtab.sqlite.registry import Registry
from vtab.sync.apart import ExecutorKind, ShardFileExecutor, ShardJob, endpoint_environment
from vtab.sync.dask_executor import DaskExecutor
from vtab.sync.merge import merge
from vtab.sync.plan import (
    OnError,
    Place,
    Selection,
    Shard,
    SyncMode,
    SyncType,
    Task,
    TypeRow,
    build_shards,
    interleaved,
    patterns,
)
from vtab.sync.processes import ProcessExecutor
from vtab.sync.progress import Progress
from vtab.sync.resume import (
    ACCOUNT_OPTIONS,
    NothingToResume,
    check_account_options,
    check_selection,
    credentials_digest,
    given_selection,
    kept_account_options,
    resumed_on_error,
    selection,
)
from vtab.sync.seeds import with_parents
from vtab.sync.store import ACCOUNT_COLUMNS, Run, Store, no_sync_to_resume
from vtab.sync.summary import SyncSummary
from vtab.sync.threads import MAX_SHARDS_AT_ONCE, Executor, RunningShards, ThreadExecutor
from vtab.sync.worker import RetryBudget, ShardRun, SyncContext, iso_now

SHARD_CONNECTIONS = {
    hints.Audience.PYTHON: "connections_per_shard",
    hints.Audience.COMMAND: "shard_connections",
}
"""The setting of a shard's connections as each reader names it (the command's flag is shorter)."""


def sync(
    path: str,
    *,
    tables: str | Sequence[str] | None = None,
    skip_tables: str | Sequence[str] = (),
    mode: str | None = None,
    on_error: str | None = None,
    resume: bool = False,
    summary: str | None = None,
    progress: TextIO | bool | None = None,
    live_progress: bool = False,
    connections_per_shard: int = 4,
    retry_budget: int | None = None,
    executor: Executor | ShardFileExecutor | ProcessExecutor | str | None = None,
    scheduler: str | None = None,
    shard_dir: str | None = None,
    **options: Any,
) -> SyncSummary:
    """Copy every selected table of every (account, region) into ``path``; returns what it did.

    ``options`` are vtab's (``accounts='org'``, ``regions='us-east-1,eu-west-1'``, ``rate_limit``, ...).
    ``progress`` is where progress lines go (None or False: nowhere; True: stderr, as vtab's own
    ``progress`` option means), redrawn in place under ``live_progress``.
    ``tables`` defaults to every listable table (a resume: the run's, which it must not change); ``mode``
    to overwrite-delete-stale (a resume: the run's, which a given one must be).
    ``executor`` is ``'threads'`` (the default), ``'processes'`` (worker processes of this machine, one
    per core), ``'dask'`` (with ``scheduler``, an existing cluster's address, else a local cluster;
    ``shard_dir``: docs/sync-dask.md) or an executor object. A ``resume``
    of a run whose every task is done raises NothingToResume."""
    given_mode = None if mode is None else choice("mode", mode, SyncMode)
    chosen_mode = given_mode or SyncMode.OVERWRITE_DELETE_STALE
    given_on_error = None if on_error is None else choice("on_error", on_error, OnError)
    chosen_on_error = given_on_error or OnError.SKIP
    chosen_executor = _executor(executor, scheduler, shard_dir)
    if connections_per_shard < 1:
        too_few = hints.assignment(SHARD_CONNECTIONS[hints.current()], repr(connections_per_shard))
        raise OptionError(f"{too_few} must be at least 1 (each connection reads one task at a time)")
    if summary:
        _writable_summary(summary)
    every_region = _every_region(options.get("regions"))
    asked = given_selection(tables, skip_tables, [EVERY_REGION] if every_region else options.get("regions"))
    if every_region:
        options = {name: value for name, value in options.items() if name != "regions"}
    checked = Options().replace(**options)
    given = {name: getattr(checked, name) for name in options} | {"read_only": True, "progress": False}
    digest = credentials_digest(checked)
    types = [] if resume else _selected_types(patterns(tables), patterns(skip_tables))  # no file made yet
    handed = _mfa_credentials(checked, chosen_executor)  # after every check: a code is asked only now
    with mfa.provided(handed):
        if isinstance(chosen_executor, ProcessExecutor):
            chosen_executor.start()  # the workers start while the sync plans
        root_connection, root = connect_with_registry(":memory:", **given)
        # the sync makes the file: one it leaves with no run begun (its planning failed) it removes again
        made = not resume and not os.path.exists(path)
        try:
            store = Store(path, resume=resume)
        except BaseException:
            root_connection.close()
            _close(chosen_executor)
            raise
        running = RunningShards()
        abandoned = False
        try:
            if resume:
                run, tasks = _resumed(store, path, checked, asked, given_mode)
                chosen_mode = run.mode  # the file's tables are keyed for the mode the run began with
                chosen_on_error, settings_now = resumed_on_error(run.settings, given_on_error)
                if settings_now is not None:
                    store.settle(run.sync_id, settings_now)
                shards = with_parents(
                    store, run, _regroup(tasks, _profiles(root) if checked.profiles else {})
                )
            else:
                shards = build_shards(_places(root, checked, every_region), types)
                tasks = interleaved(shards)
                settings = {
                    "mode": chosen_mode.value,
                    "on_error": chosen_on_error.value,
                    **selection(asked),
                    ACCOUNT_OPTIONS: kept_account_options(checked),
                }
                run = Run(
                    uuid.uuid4().hex,
                    iso_now(),
                    None,
                    chosen_mode,
                    _json(settings),
                    digest,
                )
                accounts = [row[: len(ACCOUNT_COLUMNS)] for row in root.estate().rows()]
                store.begin(run, tasks, accounts)
            made = False  # a run is in the file now: it is the sync's record, kept whatever happens
            counter = Progress(len(tasks), _progress_stream(progress), live_progress)
            context = SyncContext(
                sync_id=run.sync_id,
                options=given,
                write=lambda task, columns, rows, result: store.write(
                    run.sync_id, task, columns, rows, chosen_mode, result, run.started_at
                ),
                record=lambda task, result: store.record(run.sync_id, task, result),
                progress=counter,
                budget=RetryBudget(retry_budget if retry_budget is not None else max(10, len(tasks) // 10)),
                root=root,
                connections_per_shard=connections_per_shard,
                shards_at_once=min(MAX_SHARDS_AT_ONCE, len(shards)) or 1,
                fail_fast=chosen_on_error is OnError.FAIL,
            )
            counter.start()
            try:
                if isinstance(chosen_executor, ShardFileExecutor | ProcessExecutor):
                    job = ShardJob(
                        run.sync_id,
                        chosen_mode,
                        given,
                        connections_per_shard,
                        context.budget.left,
                        len(tasks),
                        context.fail_fast,
                        run.started_at,
                        root.accounts.learned(),
                        endpoints=endpoint_environment(),
                        credentials=tuple(handed),
                        audience=hints.current(),
                    )
                    if isinstance(chosen_executor, ProcessExecutor):  # each task's outcome written here
                        chosen_executor.run_processes(shards, job, context)
                    else:  # shards apart, each into a file merged here
                        chosen_executor.run_apart(
                            shards, job, lambda files: merge(store, run, files, counter)
                        )
                else:
                    chosen_executor.run(shards, running.of(lambda shard: ShardRun(shard, context).run()))
            except BaseException:
                context.stop.set()  # no task starts; a running one ends, recorded, or stays pending
                if not running.ended():  # a second Ctrl-C while they end: the file is left to them
                    abandoned = True
                raise
            finally:
                counter.stop()
            finished = iso_now()
            store.finish(run.sync_id, finished)
            result = SyncSummary.of(
                run.sync_id,
                path,
                chosen_mode,
                run.started_at,
                finished,
                store.task_rows(run.sync_id),
                counter.retries,
                chosen_on_error,
                store.account_names(),
            )
        finally:
            _close(chosen_executor)
            if not abandoned:  # the shards' threads write through the store: closed only once they are done
                store.close()
                root_connection.close()
                if made:
                    _remove(path)
        if summary:
            result.append_to(summary)
        return result


def _mfa_credentials(options: Options, executor: object) -> list[mfa.Handed]:
    """The credentials of the sync's profiles whose role needs an MFA code, asked for once, here
    (vtab.aws.mfa): this process's connections and its worker processes take them. Workers apart from
    this machine are sent none: such a profile is refused there, before any code is asked."""
    profiles = [options.profile, *options.profiles]
    if isinstance(executor, ShardFileExecutor):
        for profile in profiles:
            serial = mfa.mfa_serial(profile)
            if serial is not None:
                threads = hints.assignment("executor", repr(ExecutorKind.THREADS.value))
                processes = hints.assignment("executor", repr(ExecutorKind.PROCESSES.value))
                raise OptionError(
                    f"profile {profile or mfa.DEFAULT_PROFILE!r} needs an MFA code ({serial}), which a "
                    "worker apart from this machine cannot ask for, and vtab sends it no credentials: run "
                    f"the sync with {threads} or {processes} (the code is asked once, here), or give the "
                    "workers credentials of their own (a profile without mfa_serial)"
                )
        return []
    return mfa.resolve(profiles)


def _remove(path: str) -> None:
    """A file the sync made and began no run in (its planning failed: no regions, discovery refused),
    removed with its WAL files, so a refused sync leaves nothing behind to mistake for a sync."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)


def _writable_summary(path: str) -> None:
    """Refuse a ``summary`` file that cannot be appended to before the sync runs, not after its every task
    (hours, for an estate), as an error that leaves the run's totals unsaid."""
    problem = None
    if os.path.isdir(path):
        problem = "it is a directory"
    elif not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        problem = "No such file or directory: its directory does not exist"
    elif not os.access(path if os.path.exists(path) else os.path.dirname(os.path.abspath(path)), os.W_OK):
        problem = "Permission denied"
    if problem:
        given = hints.assignment("summary", repr(path))
        raise OptionError(f"{given} cannot be written ({problem}): give a file in a directory you can write")


def _close(executor: object) -> None:
    """The worker processes of ``executor='processes'`` ended, whether or not their shards ran."""
    if isinstance(executor, ProcessExecutor):
        executor.close()


def _progress_stream(progress: TextIO | bool | None) -> TextIO | None:
    """sync's ``progress`` is a stream, but vtab's option of that name is a boolean, which a caller of
    ``vtab.sync(path, **options)`` passes as such: True is stderr, False nowhere."""
    if isinstance(progress, bool):
        return sys.stderr if progress else None
    return progress


def _json(value: object) -> str:
    return orjson.dumps(value, default=list).decode()


def _executor(
    executor: Executor | ShardFileExecutor | ProcessExecutor | str | None,
    scheduler: str | None,
    shard_dir: str | None,
) -> Executor | ShardFileExecutor | ProcessExecutor:
    if executor is not None and not isinstance(executor, str):
        return executor
    kind = choice("executor", executor or ExecutorKind.THREADS.value, ExecutorKind)
    if kind is ExecutorKind.DASK:
        return DaskExecutor(scheduler, shard_dir)
    if scheduler or shard_dir:
        given = "scheduler" if scheduler else "shard_dir"
        dask = hints.assignment("executor", repr(ExecutorKind.DASK.value))
        raise OptionError(
            f"{hints.option(given)} is for {dask} (the {kind.value} executor runs on this machine): "
            f"add {dask}"
        )
    return ProcessExecutor() if kind is ExecutorKind.PROCESSES else ThreadExecutor()


def _selected_types(tables: Sequence[str], skip_tables: Sequence[str]) -> list[SyncType]:
    selection = Selection(_table_names(tables) or ("*",), _table_names(skip_tables))
    rows = _type_rows()
    types = selection.types(rows)
    if selection.unmatched:
        unmatched = hints.assignment("tables", repr(",".join(selection.unmatched)))
        known = [row.table_name for row in rows]
        meant = [close for name in selection.unmatched if (close := hints.did_you_mean(name, known))]
        example = hints.assignment("tables", repr("ec2_*"))
        raise OptionError(
            f"{unmatched} matches no table"
            + "".join(f" ({close})" for close in meant)
            + f"; vtab types lists them (globs take * and ?, e.g. {example})"
        )
    if selection.unmatched_skips:
        unmatched = hints.assignment("skip_tables", repr(",".join(selection.unmatched_skips)))
        raise OptionError(
            f"{unmatched} matches no table, so it would skip nothing; vtab types lists them (globs take * "
            "and ?)"
        )
    if not types and skip_tables:
        skips = hints.assignment("skip_tables", repr(",".join(skip_tables)))
        chosen = hints.assignment("tables", repr(",".join(tables) or "*"))
        raise OptionError(f"{skips} leaves no table of {chosen} to sync; skip fewer tables")
    return types


def _table_names(given: Sequence[str]) -> tuple[str, ...]:
    """StackQL names (``aws.apigatewayv2.apis``, ``awscc.apigatewayv2.*``) as the tables they name; the
    others as given. One that names no table stays, to be reported as matching nothing."""
    names: tuple[str, ...] = ()
    for pattern in given:
        names += tuple(stackql_tables(pattern) or (pattern,))
    return names


def _type_rows() -> list[TypeRow]:
    """vtab_types' type_name, table_name, scope and list_mode, read from the catalog's index alone: the
    table reads every type's schema (1.7 s), which a sync needs only for the types it copies."""
    catalog = load_catalog()
    names = [(name, catalog.entry(name).table) for name in catalog.type_names()]
    names += [(type_name, alias) for alias, type_name in catalog.aliases.items()]
    rows = []
    for type_name, table in names:
        if table is not None:
            entry = catalog.entry(type_name)
            canonical = table == entry.table
            plan = entry.plan
            rows.append(
                TypeRow(type_name, table, entry.scope.value, plan.mode.value, canonical, len(plan.chain))
            )
    return sorted(rows, key=lambda row: row.table_name)


EVERY_REGION = "all"
"""``regions='all'``: every region each account has enabled (EC2 DescribeRegions in the account)."""


def _every_region(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == EVERY_REGION
    return isinstance(value, list | tuple) and [str(item).strip().lower() for item in value] == [EVERY_REGION]


def _places(root: Registry, options: Options, every_region: bool) -> list[Place]:
    """The estate's readable accounts, each with its regions: the option's (else the default region), or
    with ``every_region`` the ones it has enabled, asked in parallel; an account that cannot be asked
    (its role refused) gets the caller's regions, so its tasks fail visibly in ``_vtab_sync``."""
    estate = root.estate()
    accounts = estate.readable()
    region = options.regions[0] if options.regions else root.cloud_for(options).default_region
    if not region:
        some, every = (hints.assignment("regions", repr(v)) for v in ("us-east-1,eu-west-1", EVERY_REGION))
        raise OptionError(f"sync needs regions: give {some}, {every}, or set AWS_DEFAULT_REGION")
    if not every_region:
        regions = options.regions or (region,)
        return [Place(account.account_id, account.profile, regions) for account in accounts]

    failures: list[apsw.Error] = []

    def ask(account: Account) -> tuple[str, ...] | None:
        try:
            return enabled_regions(estate.cloud(account), region)
        except apsw.Error as error:
            failures.append(error)
            return None

    with ThreadPoolExecutor(min(len(accounts), options.max_workers) or 1) as pool:
        answers = list(pool.map(ask, accounts))
    if failures and not any(answers):
        # no account said which regions it has: syncing the default region alone would look complete
        every, some = (hints.assignment("regions", repr(v)) for v in (EVERY_REGION, f"{region},eu-west-1"))
        raise type(failures[0])(
            f"{every}: no account could be asked which regions it has enabled ({len(failures)} failed; the "
            f"first: {failures[0]}); give the regions instead, e.g. {some}"
        )
    own = next(
        (found for account, found in zip(accounts, answers, strict=True) if account.own and found), None
    )
    fallback = own or next((found for found in answers if found), (region,))
    return [
        Place(account.account_id, account.profile, found or fallback)
        for account, found in zip(accounts, answers, strict=True)
    ]


def _resumed(
    store: Store, path: str, options: Options, given: dict[str, list[str]], mode: SyncMode | None
) -> tuple[Run, list[Task]]:
    run = store.last_run()
    if run is None:
        raise OptionError(no_sync_to_resume(path))
    check_account_options(run.settings, run.credentials, options, path)
    check_selection(run.settings, given, path)
    if mode is not None and mode is not run.mode:
        raise OptionError(
            f"--resume continues the last sync of {path} in its own mode ({run.mode.value!r}), and "
            f"{hints.assignment('mode', repr(mode.value))} differs from it: leave it out of the resume, or "
            "run a new sync without --resume"
        )
    tasks = store.unfinished(run.sync_id)
    if not tasks:
        raise NothingToResume(f"nothing to resume: the last sync of {path} completed")
    return run, tasks


def _profiles(root: Registry) -> dict[str, str | None]:
    """Account id -> the profile that reaches it (the ``profiles`` option)."""
    return {account.account_id: account.profile for account in root.estate().readable()}


def _regroup(tasks: Sequence[Task], profiles: dict[str, str | None]) -> list[Shard]:
    """Tasks back into their shards, in the order recorded."""
    grouped: dict[tuple[str, str], list[Task]] = {}
    for task in tasks:
        grouped.setdefault(task.shard, []).append(task)
    return [
        Shard(account, region, tuple(found), profiles.get(account))
        for (account, region), found in grouped.items()
    ]


def default_progress() -> tuple[TextIO, bool]:
    """stderr, and whether it is a terminal (progress redrawn in place) or not (plain lines)."""
    return sys.stderr, sys.stderr.isatty()
