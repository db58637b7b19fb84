"""Which accounts a read runs in, and what a failing one does to the statement (``on_account_error``).

A connection without account options reads its own account, as ever: one ``Target`` whose id is looked up
only when the ``account_id`` column (or an account-wide listing) needs it. With account options a read
runs over the estate's readable accounts (vtab.aws.accounts.Estate), those WHERE gives for ``account_id``
only, each reached on first use (AssumeRole once per statement). A call that fails in an (account, region)
(its error carries the call, with AWS's code: vtab.aws.calllog.tag) ends that type in that pair only (a
refused AssumeRole, the whole pair); the rest finish, then under ``fail`` the statement's error names every
failure, and under ``skip`` each is a row of ``vtab_errors``. A typed table and ``vtab_resources`` (a read
of many types, each failing alone) settle their failures alike, here.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import apsw

from vtab import hints
from vtab.aws import errors
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
    """What failed in an (account, region): a type's calls there (``type_name``), or the account itself
    (None: its role could not be assumed, before any type was listed), with AWS's code as the failed call
    recorded it, the message and the request id."""

    account_id: str
    account_name: str | None
    region: str
    type_name: str | None
    code: str
    message: str
    request_id: str | None
    error: BaseException
    parent: str | None = None
    """The parent type whose failed listing this type's walk would have made (no call was made for it)."""

    def row(self, statement: str) -> tuple[Any, ...]:
        return (self.account_id, self.region, self.type_name, self.code, self.message, statement)

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.account_id, self.region, self.type_name)

    @property
    def account_text(self) -> str:
        return account_text(self.account_id, self.account_name)

    def under(self, type_name: str) -> AccountFailure:
        """The failure of ``type_name``'s walk, which lists this failed type: no call made for it."""
        message = f"{self.code}: not listed, its walk lists {self.type_name}, whose listing failed there"
        return dataclasses.replace(
            self, type_name=type_name, message=message, request_id=None, parent=self.type_name
        )


def account_failure(
    target: Target, region: str, type_name: str | None, error: BaseException
) -> AccountFailure | None:
    """``error`` as the failure of ``target`` in ``region``, or None when it is not an account's (the
    connection's only account, or no call failed: the statement's own error, like a missing WHERE
    column)."""
    if target.account is None:
        return None
    return failure_of(target.account.account_id, target.account.name, region, type_name, error)


def failure_of(
    account_id: str, account_name: str | None, region: str, type_name: str | None, error: BaseException
) -> AccountFailure | None:
    """``error`` as a failure in (account, region), its code the one its failed call recorded
    (vtab.aws.calllog.tag); None when no call failed (the statement's own error)."""
    record = failed_call(error)
    if record is None:
        return None
    return AccountFailure(
        account_id=account_id,
        account_name=account_name,
        region=region,
        type_name=type_name,
        code=record.error_code or type(error).__name__,
        message=str(error),
        request_id=record.request_id,
        error=error,
    )


def _order(failure: AccountFailure) -> tuple[str, str, bool, str]:
    """By account and region, the failed calls before the walks they stopped (the same order every run)."""
    return (failure.account_id, failure.region, failure.parent is not None, failure.type_name or "")


class StatementAccounts:
    """One statement's accounts (a cursor's: every Filter of a join shares them): each account's target,
    reached once, and what failed in each (account, region): a type's calls, which later Filters and
    listings of that type there do not ask again, or the account itself, which nothing there asks again."""

    def __init__(self) -> None:
        self._targets: dict[str, Target] = {}
        self._failed: dict[tuple[str, str, str | None], AccountFailure] = {}
        self._reported: set[tuple[str, str, str | None]] = set()
        self._lock = threading.Lock()

    def target(self, account: Account, reach: Callable[[], CloudControl]) -> Target:
        with self._lock:
            found = self._targets.get(account.account_id)
            if found is None:
                found = self._targets[account.account_id] = Target(account, reach)
            return found

    def fail(self, failure: AccountFailure) -> None:
        """Record the failure (the first of its account, region and type: a pair stops at its first failed
        call)."""
        with self._lock:
            self._failed.setdefault(failure.key, failure)

    def failed(self, account_id: str | None, region: str, type_name: str) -> bool:
        """Whether ``type_name`` (or the account itself) failed in the (account, region) already."""
        if account_id is None:
            return False
        with self._lock:
            return (account_id, region, type_name) in self._failed or (
                account_id,
                region,
                None,
            ) in self._failed

    def parent_failure(self, account_id: str, region: str, parents: tuple[str, ...]) -> AccountFailure | None:
        """The failure of one of ``parents``, listed on its own in the (account, region), if any: a walk
        that lists it would fail alike (vtab_resources lists parents first)."""
        with self._lock:
            return next(
                (
                    failure
                    for parent in parents
                    if (failure := self._failed.get((account_id, region, parent))) is not None
                    and failure.parent is None
                ),
                None,
            )

    def reached(self) -> set[str]:
        """The accounts the statement set out to read (each failed one among them)."""
        with self._lock:
            return set(self._targets)

    def unreported(self) -> list[AccountFailure]:
        """The failures not yet settled (each is raised or recorded once per statement)."""
        with self._lock:
            new = sorted((f for key, f in self._failed.items() if key not in self._reported), key=_order)
            self._reported.update(f.key for f in new)
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
    failures: list[AccountFailure],
    mode: AccountErrorMode,
    errors: AccountErrors,
    statement: str,
    table: str,
    listings: int | None = None,
    reached: set[str] | None = None,
) -> None:
    """What the statement does with its failures: ``skip`` records them in vtab_errors; ``fail`` raises
    one error naming each (see ``failure_error``). ``reached``: the accounts the statement set out to
    read, when known."""
    if not failures:
        return
    if mode is AccountErrorMode.SKIP:
        errors.add(failures, statement)
        return
    raise failure_error(failures, table, listings, reached)


def failure_error(
    failures: list[AccountFailure],
    table: str,
    listings: int | None = None,
    reached: set[str] | None = None,
) -> apsw.Error:
    """One error for every failure, once the rest was read: of the failures' class when they share one
    (all AccessDenied: PermissionsError), else SQLError. Failures of one cause (the same AWS message but
    for the account: a role every account refuses) are said once, after every account and region they
    hit, each with its request id (see ``_parts``). ``listings``: a read of many types (vtab_resources),
    how many listings it made; each failure then names its type. When ``reached`` holds no account but
    the failed ones, the message does not speak of other accounts' rows: there were none."""
    parts = _parts(failures, by_type=listings is not None)
    accounts = {failure.account_id for failure in failures}
    plural = "s" if len(accounts) != 1 else ""
    skip = hints.set_option("on_account_error", repr(AccountErrorMode.SKIP.value))
    if listings is None and reached is not None and not reached - accounts:
        every = "the only account asked" if len(accounts) == 1 else f"all {len(accounts)} accounts asked"
        text = (
            f"{table}: {len(accounts)} account{plural} failed ({every}; no rows were read): "
            + "; ".join(parts)
            + f". To get these failures as rows of vtab_errors instead of an error, {skip}"
        )
    elif listings is None:
        text = (
            f"{table}: {len(accounts)} account{plural} failed (the other accounts were read): "
            + "; ".join(parts)
            + f". To get the other accounts' rows and these failures as rows of vtab_errors, {skip}"
        )
        if not _SKIP_ACCOUNTS.search(text):
            first = min(accounts)
            text += f"; to leave an account out, {hints.set_option('skip_accounts', repr(first))}"
    else:
        text = (
            f"{table}: {len(failures)} of {listings:,} listings failed in {len(accounts)} account{plural} "
            f"(the others' rows were read): "
            + "; ".join(parts)
            + ". Leave those types, regions or accounts out (WHERE type_name ... / region ... / "
            f"account_id ...), or grant the permissions named; to get the other rows and these failures "
            f"as rows of vtab_errors, {skip}"
        )
    kinds = {type(failure.error) for failure in failures}
    kind = kinds.pop() if len(kinds) == 1 else apsw.SQLError
    return kind(text) if issubclass(kind, apsw.Error) else apsw.SQLError(text)


ACCOUNT_MARK = "<account-id>"
"""What stands for each account's id in a message that several accounts' failures share."""

REGION_MARK = "<region>"
"""What stands for the region of the failed calls a message names, when several failures' differ."""

_CALL_REGION = re.compile(r"(\[[^\[\]]* in )([a-z]{2}(?:-[a-z]+)+-[0-9]+)\]")
"""The region at the end of the call a message names (``[AssumeRole (STS, ...) in us-east-1]``)."""

_SKIP_ACCOUNTS_VALUE = r"skip[_-]accounts[= ]'"
"""Where a skip_accounts value begins in a fix, as the Python and the command spell it
(vtab.hints.set_option)."""

_SKIP_ACCOUNTS = re.compile(_SKIP_ACCOUNTS_VALUE)

_SKIPPED_MARK = re.compile(f"({_SKIP_ACCOUNTS_VALUE}(?:[^']*,)?){re.escape(ACCOUNT_MARK)}'")
"""The skip_accounts value a refusal's fix names: the option's whole value, the account last."""


def account_text(account_id: str, name: str | None) -> str:
    """``123456789012 (dev-2)``: an account as failures name it (its id alone when it has no name)."""
    return f"{account_id} ({name})" if name else account_id


class Failed(Protocol):
    """What saying a failure needs of it: an AccountFailure, or a sync's failed task (vtab.cli.sync)."""

    @property
    def account_id(self) -> str: ...
    @property
    def account_text(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def type_name(self) -> str | None: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def message(self) -> str: ...


@dataclass
class _Hit:
    """Where one cause failed in one account: its regions and the request ids of its calls."""

    account: str
    regions: list[str] = dataclasses.field(default_factory=list)
    request_ids: list[str] = dataclasses.field(default_factory=list)

    def text(self) -> str:
        ids = ", ".join(self.request_ids)
        tail = f" (request id{'s' if len(self.request_ids) > 1 else ''} {ids})" if ids else ""
        return f"account {self.account} in {', '.join(self.regions)}{tail}"


@dataclass
class Cause:
    """Failures of one cause (the same message but for each account's id and request id), in every
    account and region it hit."""

    message: str
    """The message without what is the account's own (``_cause``)."""
    type_name: str | None
    """The type, when causes are told apart by type (``by_cause``'s ``by_type``)."""
    failures: list[Failed] = dataclasses.field(default_factory=list)
    hits: dict[str, _Hit] = dataclasses.field(default_factory=dict)
    called_in: set[str] = dataclasses.field(default_factory=set)
    """The regions its failed calls were made in (``_CALL_REGION``)."""

    @property
    def where(self) -> str:
        """``account A (name) in r1, r2 (request id X), account B in r1 (request id Y)``."""
        return ", ".join(hit.text() for hit in self.hits.values())

    @property
    def text(self) -> str:
        """The cause said once (``_named``), with the region its calls were made in when they share one."""
        text = _named(self.message, list(self.hits))
        return text.replace(REGION_MARK, next(iter(self.called_in))) if len(self.called_in) == 1 else text


def by_cause(failures: Sequence[Failed], by_type: bool = False) -> list[Cause]:
    """The failures grouped by cause, in the order they come; by type too (``by_type``)."""
    causes: dict[tuple[str | None, str], Cause] = {}
    for failure in failures:
        shown = failure.type_name if by_type else None
        message, called_in = _cause(failure)
        cause = causes.setdefault((shown, message), Cause(message, shown))
        cause.failures.append(failure)
        cause.called_in.update(called_in)
        hit = cause.hits.setdefault(failure.account_id, _Hit(failure.account_text))
        if failure.region not in hit.regions:
            hit.regions.append(failure.region)
        if failure.request_id and failure.request_id not in hit.request_ids:
            hit.request_ids.append(failure.request_id)
    return list(causes.values())


def _parts(failures: list[AccountFailure], by_type: bool) -> list[str]:
    """The failures grouped by cause: each part names every account and region the cause hit, with
    their request ids, then says the cause once; by type too when a read lists many (``by_type``)."""
    return [
        f"{f'{cause.type_name} in ' if cause.type_name else ''}{cause.where}: {cause.text}"
        for cause in by_cause(failures, by_type)
    ]


def _cause(failure: Failed) -> tuple[str, list[str]]:
    """The failure's message without what is the account's own: its request id (named beside the account),
    its account id (``ACCOUNT_MARK``, in an ARN, the call and the fix alike) and the region its call was
    made in (``REGION_MARK``: a sync's AssumeRole is made in the region of the account's first task);
    and the regions taken out."""
    text = failure.message
    if failure.request_id:
        text = text.replace(errors.request_id_text(failure.request_id), "")
    text = re.sub(rf"(?<!\d){re.escape(failure.account_id)}(?!\d)", ACCOUNT_MARK, text)
    called_in = [found.group(2) for found in _CALL_REGION.finditer(text)]
    return _CALL_REGION.sub(rf"\g<1>{REGION_MARK}]", text), called_in


def _named(cause: str, account_ids: list[str]) -> str:
    """The cause as said of ``account_ids``: one account's id back in place; for several, the fix's
    skip_accounts value names them all, and the mark stays where each account's id differs."""
    if len(account_ids) == 1:
        return cause.replace(ACCOUNT_MARK, account_ids[0])
    return _SKIPPED_MARK.sub(lambda found: f"{found.group(1)}{','.join(account_ids)}'", cause)


def warning_text(rows: list[tuple[Any, ...]]) -> str:
    """The command's one line on stderr after a statement that skipped failures (vtab_errors rows): how
    many, in how many accounts and (account, region) pairs."""
    pairs = {(row[0], row[1]) for row in rows}
    accounts = {row[0] for row in rows}
    return (
        f"warning: {_count(len(rows), 'failure')} skipped ({_count(len(accounts), 'account')}, "
        f"{_count(len(pairs), 'account-region pair')}); SELECT * FROM vtab_errors shows why"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"
