"""A scan's steps that reach each account of the estate: the accounts a statement reads (discovered on
first use, those WHERE gives), their names when the rows show them, each account's role assumed (all in
parallel, on workers) and then its regions started.

One job apart from the scan's stream (vtab.read.scan): this decides which accounts, in which order and on
which thread; what a read does in an account is the account's scan (``AccountStart``), made by the
factory the scan gives, so this module imports nothing of the scan's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import apsw

from vtab.read.accounts import StatementAccounts, Target
from vtab.read.context import TypeContext
from vtab.read.rows import Row
from vtab.read.stream import TaskStream


class AccountStart(Protocol):
    """What reaching an account needs of its scan: starting it in a region (on a worker)."""

    def start_in(self, region: str) -> None: ...


Account = TypeVar("Account", bound=AccountStart)


ACCOUNT_DEPTH = -1
"""The depth an account's task is queued at under a LIMIT, above every level of a walk: the stream runs
deeper tasks first, so one account's walk goes before the next account is reached (``LIMIT 1`` assumes
no role it does not read). Without a LIMIT depth orders nothing: every account is reached at once."""


class EstateReach(Generic[Account]):
    """One scan's reach over the estate: made only when the scan reads the estate (account options, or
    ``account_id`` given), so a scan of the connection's own account pays nothing for it."""

    def __init__(
        self,
        table: TypeContext,
        stream: TaskStream[Row],
        accounts: StatementAccounts,
        wanted: set[Any] | None,
        wanted_names: set[Any] | None,
        regions: Sequence[str],
        type_name: str,
        shows_names: bool,
        open_account: Callable[[Target], Account],
    ) -> None:
        self.table = table
        self.stream = stream
        self.accounts = accounts
        self.wanted = wanted
        """The account ids WHERE gives (None: every account of the estate)."""
        self.wanted_names = wanted_names
        """The account names WHERE gives (None: any)."""
        self.regions = regions
        self.type_name = type_name
        self.shows_names = shows_names
        """Whether the rows show account_name (each account's name is then looked up)."""
        self.open_account = open_account

    def start(self) -> None:
        """Reach the estate from a worker: the discovery's calls are interruptible there."""
        self.stream.submit(self._estate_task, depth=0)

    def here(self) -> tuple[Account, str] | None:
        """The estate reached on this (the SQLite) thread: when the statement reads one account in one
        region, that account's scan, its role assumed, and the region (None when that pair failed
        already); otherwise each account is reached on a worker of its own, and None."""
        targets = self._targets(names_here=True)
        if len(targets) != 1 or len(self.regions) != 1:
            self._submit_accounts(targets)
            return None
        target = targets[0]
        scan = self._reached(target)
        if not self._open_regions(target):
            return None
        return scan, self.regions[0]

    def _estate_task(self) -> None:
        """The accounts to read (the estate discovered on first use; those WHERE gives), each reached on
        a worker of its own (``_account_task``)."""
        self._submit_accounts(self._targets(names_here=False))

    def _targets(self, names_here: bool) -> list[Target]:
        """The accounts the statement reads; their names looked up too when the rows show them, here or
        on a worker."""
        targets = self.table.targets(self.wanted, self.accounts, self.wanted_names)
        if targets and self.shows_names:
            if names_here:
                self._names_task(targets)
            else:
                self.stream.submit(self._names_task, targets, depth=0)
        return targets

    def _submit_accounts(self, targets: list[Target]) -> None:
        for target in targets:
            self.stream.submit(self._account_task, target, depth=ACCOUNT_DEPTH)

    def _account_task(self, target: Target) -> None:
        """Reach the account (its AssumeRole, all accounts' in parallel), then start each of its regions on
        a worker. Reaching it first keeps a region's task from waiting for another region's AssumeRole;
        a refused one is kept by the target, and each region's first call fails with it (vtab_errors
        names every pair)."""
        scan = self._reached(target)
        for region in self._open_regions(target):
            self.stream.submit(scan.start_in, region, depth=0)

    def _reached(self, target: Target) -> Account:
        """The account's scan, once its role is assumed (a refusal is kept by the target: each region's
        first call raises it)."""
        with contextlib.suppress(apsw.Error):
            target.cloud()
        return self.open_account(target)

    def _open_regions(self, target: Target) -> list[str]:
        """The statement's regions where the account has not failed already (an earlier Filter's)."""
        return [
            region
            for region in self.regions
            if not self.accounts.failed(target.account_id, region, self.type_name)
        ]

    def _names_task(self, targets: list[Target]) -> None:
        for target in targets:
            self.table.estate.name_of(target.account_id or self.table.own_account())
