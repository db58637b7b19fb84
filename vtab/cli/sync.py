"""``vtab sync OUT.db``: every selected table of every account and region into a plain SQLite file."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from vtab.aws.errors import request_id_in
from vtab.cli.conventions import INTERRUPTED_STATUS, PROG, say
from vtab.cli.flags import options_from
from vtab.read.accounts import account_text, by_cause
from vtab.sync import NothingToResume, OnError, SyncSummary, sync

FAILED_TASKS_STATUS = 3
"""The run finished under ``--on-error skip`` but some tasks failed (``_vtab_sync`` says which)."""


def command_sync(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    """Runs the sync; progress and the closing line on stderr. Status 0 when every task is done; 3 when
    the run finished under ``--on-error skip`` with failed tasks; 130 on Ctrl-C; 1 otherwise (``--resume``
    runs what is left)."""
    every_region = (args.regions or "").strip().lower() == "all"
    if every_region:
        args.regions = None  # not a region name: the sync asks each account (EC2 DescribeRegions)
    options = options_from(parser, args) | ({"regions": "all"} if every_region else {})
    options.pop("progress", None)  # the sync's own display, not a read's: on unless --no-progress
    try:
        result = _run(args, options)
    except NothingToResume as done:
        say(str(done))
        return 0
    except KeyboardInterrupt:
        say(
            f"{PROG} sync: interrupted: the tasks not done stay pending in {args.out}; run the same "
            "command with --resume to finish them"
        )
        return INTERRUPTED_STATUS
    for line in failure_lines(result.failures):
        say(line)
    say(result.text())
    if result.complete:
        return 0
    finished_skipping = result.on_error is OnError.SKIP and not result.tasks_pending
    return FAILED_TASKS_STATUS if finished_skipping else 1


FAILURE_LINES = 10
"""The most causes of failed tasks the command shows (``_vtab_sync`` keeps each task's)."""


@dataclass(frozen=True)
class TaskFailure:
    """A failed task as the summary has it, for saying its cause once for every task it failed."""

    account_id: str
    region: str
    type_name: str
    """The task's table."""
    message: str
    account_name: str | None = None

    @property
    def account_text(self) -> str:
        """As a statement's failures name an account (``read.accounts.account_text``)."""
        return account_text(self.account_id, self.account_name)

    @property
    def request_id(self) -> str | None:
        return request_id_in(self.message)

    @classmethod
    def of(cls, failure: dict[str, Any]) -> TaskFailure:
        message, code = str(failure["error_message"]), failure["error_code"]
        if not message.startswith(f"{code}:"):  # AWS's messages start with their code already
            message = f"{code}: {message}"
        account = failure["account_id"]
        return cls(account, failure["region"], failure["table_name"], message, failure.get("account_name"))


def failure_lines(failures: list[dict[str, Any]]) -> list[str]:
    """One line per cause of the failed tasks: how many tasks, of which tables, in which accounts and
    regions (each with its request ids), then the cause and its fix once (a role every account refuses
    is one line, not one per task)."""
    causes = by_cause([TaskFailure.of(failure) for failure in failures])
    lines = []
    for cause in causes[:FAILURE_LINES]:
        tasks = len(cause.failures)
        tables = ", ".join(dict.fromkeys(failure.type_name or "" for failure in cause.failures))
        lines.append(
            f"failed: {tasks} task{'s' if tasks != 1 else ''} of {tables} in {cause.where}: {cause.text}"
        )
    if len(causes) > FAILURE_LINES:
        shown = sum(len(cause.failures) for cause in causes[:FAILURE_LINES])
        more = len(failures) - shown
        lines.append(f"... and {more} more failed tasks: SELECT * FROM _vtab_sync WHERE status = 'failed'")
    return lines


def _run(args: argparse.Namespace, options: dict[str, Any]) -> SyncSummary:
    return sync(
        args.out,
        tables=args.tables,
        skip_tables=args.skip_tables or (),
        mode=args.mode,
        on_error=args.on_error,
        resume=args.resume,
        summary=args.summary,
        progress=sys.stderr if args.progress is not False else None,
        live_progress=sys.stderr.isatty(),
        connections_per_shard=args.shard_connections,
        executor=args.executor,
        scheduler=args.scheduler,
        shard_dir=args.shard_dir,
        **options,
    )
