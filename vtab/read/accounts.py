"""Which accounts a read runs in, and what a failing one does to the statement (``on_account_error``).

A connection without account options reads its own account, as ever: one ``Target`` whose id is looked up
only when the ``account_id`` column (or an account-wide listing) needs it. With account options a read
runs over the estate's readable accounts (vtab.aws.accounts.Estate), those WHERE gives for ``account_id``
only, each reached on first use (AssumeRole once per statement). A call that fails in an (account, region)
(its error carries the call: vtab.aws.calllog.tag) ends that pair only; the others finish, then under
``fail`` the statement's error names every failure, and under ``skip`` each is a row of ``vtab_errors``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import apsw

from vtab import hints
from vtab.aws.accounts import Account
from vtab.aws.calllog import failed_call
from vtab.aws.cloudcontrol import CloudControl
from vtab.options import AccountErrorMode

ERROR_COLUMNS = ("account_id", "region", "type_name", "code", "message", "statement")
"""The columns of ``vtab_errors``."""


class Target:
    """One account a statement reads in: its id (None: the connection's own, not looked up yet) and its
    Cloud Control, reached once per statement (a refused AssumeRole is not asked again by its other
    regions)."""

    def __init__(self, account: Account | None, reach: Callable[[], CloudControl]) -> None:
        self.account = account
        self._reach = reach
        self._cloud: CloudControl | BaseException | None = None
        self._lock = threading.Lock()

    @property
    def account_id(self) -> str | None:
        return self.account.account_id if self.account is not None else None

    def cloud(self) -> CloudControl:
        """Its Cloud Control (AssumeRole at the first call, on the worker that needs it)."""
        with self._lock:
            if self._cloud is None:
                try:
                    self._cloud = self._reach()
                except apsw.Error as error:
                    self._cloud = error
            if isinstance(self._cloud, BaseException):
                raise self._cloud
            return self._cloud


@dataclass(frozen=True)
class AccountFailure:
    """An (account, region) whose reading failed, with AWS's code, message and request id."""

    account_id: str
    account_name: str | None
    region: str
    type_name: str
    code: str
    message: str
    request_id: str | None
    error: BaseException

    def row(self, statement: str) -> tuple[Any, ...]:
        return (self.account_id, self.region, self.type_name, self.code, self.message, statement)

    @property
    def account_text(self) -> str:
        return f"{self.account_id} ({self.account_name})" if self.account_name else self.account_id


def account_failure(
    target: Target, region: str, type_name: str, error: BaseException
) -> AccountFailure | None:
    """``error`` as the failure of ``target`` in ``region``, or None when it is not an account's (no call
    of the account failed: the statement's own error, like a missing WHERE column)."""
    record = failed_call(error)
    if record is None or target.account is None:
        return None
    return AccountFailure(
        account_id=target.account.account_id,
        account_name=target.account.name,
        region=region,
        type_name=type_name,
        code=record.error_code or type(error).__name__,
        message=str(error),
        request_id=record.request_id,
        error=error,
    )


class StatementAccounts:
    """One statement's accounts (a cursor's: every Filter of a join shares them): each account's target,
    reached once, and the (account, region) pairs that failed, which later Filters do not ask again."""

    def __init__(self) -> None:
        self._targets: dict[str, Target] = {}
        self._failed: dict[tuple[str, str], AccountFailure] = {}
        self._reported: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def target(self, account: Account, reach: Callable[[], CloudControl]) -> Target:
        with self._lock:
            found = self._targets.get(account.account_id)
            if found is None:
                found = self._targets[account.account_id] = Target(account, reach)
            return found

    def fail(self, failure: AccountFailure) -> None:
        """Record the pair's failure (its first: a pair stops at its first failed call)."""
        with self._lock:
            self._failed.setdefault((failure.account_id, failure.region), failure)

    def failed(self, account_id: str | None, region: str) -> bool:
        return account_id is not None and (account_id, region) in self._failed

    def unreported(self) -> list[AccountFailure]:
        """The failures not yet settled (each is raised or recorded once per statement)."""
        with self._lock:
            new = [f for key, f in sorted(self._failed.items()) if key not in self._reported]
            self._reported.update((f.account_id, f.region) for f in new)
            return new


class AccountErrors:
    """The connection's ``vtab_errors``: every (account, region) a ``skip`` statement left out, with the
    statement; ``mark``/``since`` let the command warn once per statement."""

    def __init__(self) -> None:
        self._rows: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()

    def add(self, failures: list[AccountFailure], statement: str) -> None:
        with self._lock:
            self._rows.extend(failure.row(statement) for failure in failures)

    def mark(self) -> int:
        with self._lock:
            return len(self._rows)

    def since(self, mark: int) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._rows[mark:])

    def rows(self) -> Iterator[tuple[Any, ...]]:
        with self._lock:
            yield from list(self._rows)

    def clear(self) -> int:
        with self._lock:
            count = len(self._rows)
            self._rows.clear()
            return count


def settle(
    failures: list[AccountFailure], mode: AccountErrorMode, errors: AccountErrors, statement: str, table: str
) -> None:
    """What the statement does with its failed pairs: ``skip`` records them in vtab_errors; ``fail``
    raises one error naming each (account, region) with AWS's code, message and request id."""
    if not failures:
        return
    if mode is AccountErrorMode.SKIP:
        errors.add(failures, statement)
        return
    raise failure_error(failures, table)


def failure_error(failures: list[AccountFailure], table: str) -> apsw.Error:
    """One error for every failed (account, region): the same failure in several regions of an account
    (a refused AssumeRole) is named once with its regions."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for failure in failures:
        grouped.setdefault((failure.account_text, failure.message), []).append(failure.region)
    accounts = {failure.account_id for failure in failures}
    parts = [
        f"account {account} in {', '.join(regions)}: {message}"
        for (account, message), regions in grouped.items()
    ]
    plural = "s" if len(accounts) != 1 else ""
    text = (
        f"{table}: {len(accounts)} account{plural} failed (the other accounts were read): "
        + "; ".join(parts)
        + f". To get the other accounts' rows and these failures as rows of vtab_errors, "
        f"{hints.set_option('on_account_error', repr(AccountErrorMode.SKIP.value))}"
    )
    if "skip_accounts" not in text:
        text += "; or leave the account out with skip_accounts"
    return type(failures[0].error)(text) if isinstance(failures[0].error, apsw.Error) else apsw.SQLError(text)


def warning_text(rows: list[tuple[Any, ...]]) -> str:
    """The command's one line on stderr after a statement that skipped failing accounts."""
    pairs = {(row[0], row[1]) for row in rows}
    accounts = {row[0] for row in rows}
    plural = "s" if len(accounts) != 1 else ""
    return (
        f"warning: {len(accounts)} account{plural} failed and {'were' if plural else 'was'} skipped "
        f"({len(pairs)} account-region pair{'s' if len(pairs) != 1 else ''}); "
        "SELECT * FROM vtab_errors shows why"
    )
