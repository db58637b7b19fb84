"""The caller's Organization: its accounts and where each sits, read with as few Organizations calls as
the question needs (Organizations pages hold at most 20 accounts or OUs).

- Every account: ListAccounts. AWS's accounts carry ``Paths`` (``o-.../r-.../ou-a/ou-b/<id>/``), so each
  account's OU ids come with it, for no more calls.
- Every account with its OU path (``/Prod/Web``, vtab_accounts' ``ou_path``): ListAccounts, then the names
  of the OUs on the paths, one ListOrganizationalUnitsForParent per OU that has OUs on them (1,000 accounts
  in 10 OUs: 50 + 1 calls). An endpoint whose accounts carry no ``Paths`` (the first ListAccounts page
  tells) is walked instead: ListRoots, then ListOrganizationalUnitsForParent and ListAccountsForParent per
  OU, a level at a time in parallel (the root's own accounts are not listed when ListAccounts was: they are
  the accounts no OU holds).
- The accounts under some OUs (``organizational_units``: ids, or paths of names): only those OUs' subtrees
  are walked. An OU id's own path takes DescribeOrganizationalUnit per level above it (and ListParents,
  when the answer has no ``Path``); an OU path takes one listing per level from the root.

Every answer is kept: a later question reuses what an earlier one listed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

import apsw

from vtab import hints

ORGANIZATIONS_PAGE = 20
"""The most accounts or OUs one Organizations page holds (AWS's MaxResults limit)."""
ROOT_PATH = "/"
"""The OU path of a root, and the option value that names it."""


class OrganizationsOperation(StrEnum):
    """Every Organizations operation discovery makes: each call names one, so these are what a count of
    its calls counts (tests/test_org_discovery.py, scripts/bench_accounts.py)."""

    LIST_ACCOUNTS = "ListAccounts"
    LIST_ROOTS = "ListRoots"
    LIST_ORGANIZATIONAL_UNITS_FOR_PARENT = "ListOrganizationalUnitsForParent"
    LIST_ACCOUNTS_FOR_PARENT = "ListAccountsForParent"
    LIST_PARENTS = "ListParents"
    DESCRIBE_ORGANIZATIONAL_UNIT = "DescribeOrganizationalUnit"


class OrganizationsCall(Protocol):
    """One Organizations call, ``why`` being the fix its error gives."""

    def __call__(
        self, operation: OrganizationsOperation, why: str | None = None, **params: Any
    ) -> dict[str, Any]: ...


class AccountStatus(StrEnum):
    """An account's State in Organizations (its Status before AWS retired that field, 9 September 2026,
    had the first three)."""

    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    PENDING_CLOSURE = "PENDING_CLOSURE"
    PENDING_ACTIVATION = "PENDING_ACTIVATION"
    CLOSED = "CLOSED"


@dataclass
class Account:
    """One account of the estate: what Organizations says of it (None when it was not asked), and
    whether its role could be assumed (None until tried)."""

    account_id: str
    name: str | None = None
    email: str | None = None
    status: str | None = None
    ou_path: str | None = None
    """``/`` for the root, ``/Prod/Web`` for an account in OU Web under OU Prod; None until the OU names
    were read."""
    joined_at: str | None = None
    own: bool = False
    """The caller's own account: read with the caller's credentials, never assumed."""
    profile: str | None = None
    """The profile that reaches it (the ``profiles`` option)."""
    parents: tuple[str, ...] = ()
    """The OU and root ids above it, nearest first (known from its Paths or the OU tree)."""
    assumable: bool | None = None
    error: str | None = None

    @property
    def ou_id(self) -> str | None:
        """The id of the OU (or root) the account is in."""
        return self.parents[0] if self.parents else None

    @property
    def readable(self) -> bool:
        """Whether its resources are read: ACTIVE, or not known to be otherwise."""
        return self.status in (None, AccountStatus.ACTIVE)

    def row(self) -> tuple[Any, ...]:
        assumable = None if self.assumable is None else int(self.assumable)
        values = (self.name, self.email, self.status, self.ou_path, self.ou_id, self.joined_at, assumable)
        return (self.account_id, *values, self.error)


def _ous(value: str) -> str:
    """The organizational_units option with ``value``, as the reader writes it (SQL, Python or a flag)."""
    return hints.assignment("organizational_units", repr(value))


def _org() -> str:
    """``accounts='org'``, or ``--accounts 'org'`` to the command's user."""
    return hints.assignment("accounts", repr("org"))


def iso_time(value: object) -> str | None:
    """A botocore datetime as ISO-8601 UTC text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return None


def _path_ids(path: object) -> list[str]:
    """The ids of an organization path after the organization's, root first (``o-x/r-y/ou-a/111111111111/``
    -> ``[r-y, ou-a, 111111111111]``); none when it is not one."""
    if not isinstance(path, str) or not path.startswith("o-"):
        return []
    return [part for part in path.split("/") if part][1:]


def _described(item: dict[str, Any]) -> Account:
    """An account as Organizations lists it, its parents taken from its Paths when it has them."""
    paths = item.get("Paths")
    ids = _path_ids(paths[0])[:-1] if isinstance(paths, list) and paths else []
    return Account(
        account_id=str(item["Id"]),
        name=item.get("Name"),
        email=item.get("Email"),
        status=item.get("State") or item.get("Status"),  # State: AWS retired Status (2026-09-09)
        joined_at=iso_time(item.get("JoinedTimestamp")),
        parents=tuple(reversed(ids)) if ids else (),
    )


@dataclass(frozen=True)
class Unit:
    """An OU (or a root): its id, its path of names (``/`` for a root) and the ids above it, nearest
    first."""

    id: str
    path: str
    parents: tuple[str, ...] = ()

    def child(self, unit_id: str, name: str) -> Unit:
        return Unit(unit_id, f"{self.path.rstrip('/')}/{name}", (self.id, *self.parents))

    def holds(self, account: Account) -> None:
        """Place ``account`` directly in this unit."""
        account.ou_path, account.parents = self.path, (self.id, *self.parents)


class Organization:
    """The caller's Organization, read with the caller's credentials through ``call``: see the module's
    text for which calls each question takes. One question at a time; every answer is kept."""

    def __init__(self, call: OrganizationsCall, max_workers: int) -> None:
        self._call = call
        self._max_workers = max_workers
        self._lock = threading.RLock()
        self._listed: list[Account] | None = None
        """Every account, from ListAccounts."""
        self._placed: list[Account] | None = None
        """Every account with its OU path."""
        self._roots: list[Unit] | None = None
        self._units: dict[str, Unit] = {}
        """OU or root id -> the unit, its path known."""
        self._ous_below: dict[str, list[dict[str, Any]]] = {}
        """Parent id -> its OUs, from ListOrganizationalUnitsForParent."""

    # -- the questions --------------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        """Every account (ListAccounts; with their OU ids when the answers carry Paths)."""
        with self._lock:
            if self._placed is not None:
                return self._placed
            if self._listed is None:
                self._listed = [_described(item) for page in self._account_pages() for item in page]
            return self._listed

    def placed(self) -> list[Account]:
        """Every account with its OU path: from ListAccounts' Paths and the OUs' names, else the OU tree."""
        with self._lock:
            if self._placed is None:
                self._placed = self._named() if self._listed_with_paths() else self._walk_everything()
            return self._placed

    def under(self, wanted: tuple[str, ...]) -> list[Account]:
        """The accounts under the OUs ``wanted`` (ids or paths; a root means every account), child OUs
        included, each with its OU path: only those OUs' subtrees are listed."""
        with self._lock:
            starts = [self._unit(item) for item in wanted]  # in turn: they share the levels above them
            if any(not start.parents for start in starts):  # a root
                return self.placed()
            ids = {start.id for start in starts}
            outermost = [start for start in starts if not ids & set(start.parents)]
            return self._walk(list({start.id: start for start in outermost}.values()))

    # -- ListAccounts and the names of the OUs on its Paths ----------------------------------------

    def _account_pages(self) -> Iterator[list[dict[str, Any]]]:
        return self._pages(OrganizationsOperation.LIST_ACCOUNTS, "Accounts")

    def _listed_with_paths(self) -> bool:
        """Whether every account is listed with its Paths: ListAccounts is made if it was not, unless its
        first page's accounts have no Paths (this endpoint gives none: the OU tree is walked instead)."""
        if self._listed is None:
            pages = self._account_pages()
            first: list[dict[str, Any]] = []
            for page in pages:
                first = page
                if first:
                    break
            if any("Paths" not in item for item in first):
                return False
            self._listed = [_described(item) for item in first]
            self._listed += [_described(item) for page in pages for item in page]
        return all(account.parents for account in self._listed)

    def _named(self) -> list[Account]:
        """The listed accounts with their OU paths: the names of the OUs their Paths hold, level by level
        from the roots, one listing of each parent that has OUs on the paths."""
        assert self._listed is not None
        chains = [tuple(reversed(account.parents)) for account in self._listed]  # root first
        for chain in chains:
            self._units.setdefault(chain[0], Unit(chain[0], ROOT_PATH))
        depth = 1
        while True:
            missing = {chain[depth]: chain[depth - 1] for chain in chains if len(chain) > depth}
            missing = {ou: parent for ou, parent in missing.items() if ou not in self._units}
            if not missing and not any(len(chain) > depth for chain in chains):
                break
            self._pool_map(self._name_children, sorted(set(missing.values())))
            for ou, parent in missing.items():  # an OU its parent does not list (moved meanwhile): its id
                self._units.setdefault(ou, self._units[parent].child(ou, ou))
            depth += 1
        for account in self._listed:
            self._units[account.parents[0]].holds(account)
        return self._listed

    def _name_children(self, parent_id: str) -> None:
        parent = self._units[parent_id]
        for ou in self._ous_of(parent_id):
            self._units.setdefault(
                str(ou["Id"]), parent.child(str(ou["Id"]), str(ou.get("Name") or ou["Id"]))
            )

    # -- the OU tree ------------------------------------------------------------------------------

    def _walk_everything(self) -> list[Account]:
        """Every account by the OU tree from the roots; the root's own accounts are the listed ones no OU
        holds when ListAccounts was made (one root, as AWS has), else listed."""
        roots = self._root_units()
        if self._listed is None or len(roots) != 1:
            return self._walk(roots)
        found = self._walk(roots, accounts_of_roots=False)
        placed = {account.account_id for account in found}
        rest = [account for account in self._listed if account.account_id not in placed]
        for account in rest:
            roots[0].holds(account)
        return rest + found

    def _walk(self, starts: list[Unit], accounts_of_roots: bool = True) -> list[Account]:
        """The accounts in ``starts`` and every OU below them, a level at a time in parallel."""
        found: list[Account] = []
        level = starts
        while level:
            below: list[Unit] = []
            for units, accounts in self._pool_map(
                lambda unit: self._children(unit, accounts_of_roots), level
            ):
                found.extend(accounts)
                below.extend(units)
            level = below
        return found

    def _children(self, unit: Unit, accounts_of_roots: bool) -> tuple[list[Unit], list[Account]]:
        units = []
        for ou in self._ous_of(unit.id):
            child = unit.child(str(ou["Id"]), str(ou.get("Name") or ou["Id"]))
            units.append(self._units.setdefault(child.id, child))
        accounts = []
        if unit.parents or accounts_of_roots:
            for page in self._pages(
                OrganizationsOperation.LIST_ACCOUNTS_FOR_PARENT, "Accounts", ParentId=unit.id
            ):
                for item in page:
                    account = _described(item)
                    unit.holds(account)
                    accounts.append(account)
        return units, accounts

    def _ous_of(self, parent_id: str) -> list[dict[str, Any]]:
        """The OUs directly under ``parent_id`` (ListOrganizationalUnitsForParent, once per parent)."""
        found = self._ous_below.get(parent_id)
        if found is None:
            pages = self._pages(
                OrganizationsOperation.LIST_ORGANIZATIONAL_UNITS_FOR_PARENT,
                "OrganizationalUnits",
                ParentId=parent_id,
            )
            found = self._ous_below[parent_id] = [ou for page in pages for ou in page]
        return found

    def _root_units(self) -> list[Unit]:
        if self._roots is None:
            self._roots = [
                Unit(str(root["Id"]), ROOT_PATH)
                for page in self._pages(OrganizationsOperation.LIST_ROOTS, "Roots")
                for root in page
            ]
            self._units.update((root.id, root) for root in self._roots)
        return self._roots

    # -- organizational_units: ids and paths --------------------------------------------------------

    def _unit(self, given: str) -> Unit:
        """The OU (or root) that ``given`` names: an id, or a path of names from the root."""
        if given.startswith("/"):
            return self._unit_at(given)
        if given.startswith("r-"):
            for root in self._root_units():
                if root.id == given:
                    return root
            shown = ", ".join(root.id for root in self._root_units())
            raise apsw.SQLError(
                f"option {_ous(given)} names no root of the Organization (its root: "
                f"{shown}); give that root, '/', or OU ids or paths"
            )
        return self._unit_of(given)

    def _unit_at(self, path: str) -> Unit:
        """The OU at ``path`` (``/Prod/Web``): one listing per level, from the root down."""
        roots = self._root_units()
        if len(roots) != 1:
            raise apsw.SQLError(
                f"option {_ous(path)} is a path, but the Organization has {len(roots)} roots; give OU ids"
            )
        unit = roots[0]
        for name in [part for part in path.split("/") if part]:
            ous = self._ous_of(unit.id)
            match = next((ou for ou in ous if ou.get("Name") == name), None)
            if match is None:
                names = ", ".join(sorted(str(ou.get("Name")) for ou in ous)) or "none"
                raise apsw.SQLError(
                    f"option {_ous(path)}: {unit.path} has no OU named {name!r} (its OUs: {names}); give "
                    "an OU path from the root, as vtab_accounts' ou_path shows it (with "
                    f"{_org()} alone), or an OU id"
                )
            child = unit.child(str(match["Id"]), name)
            unit = self._units.setdefault(child.id, child)
        return unit

    def check_skipped(self, ou_ids: Sequence[str], seen: set[str]) -> None:
        """Refuse an OU id of ``skip_accounts`` the Organization does not have: mistyped, it would skip
        nothing and its accounts would be read. ``seen``: OU ids known already (above the accounts found);
        each other one is described (an OU without accounts is the Organization's too)."""
        with self._lock:
            for ou_id in ou_ids:
                if ou_id not in seen:
                    self._unit_of(ou_id, option="skip_accounts")

    def _unit_of(self, ou_id: str, option: str = "organizational_units") -> Unit:
        """The OU ``ou_id`` with its path: DescribeOrganizationalUnit, and its parent's unit (from its
        Path, else ListParents), each level above once. ``option`` names the option that gave the id, for
        the message when the Organization has no such OU."""
        found = self._units.get(ou_id)
        if found is not None:
            return found
        if option == "organizational_units":
            fix = f"check the id, or give the OU's path (with {_org()} alone, vtab_accounts shows each "
            fix += "account's ou_id and ou_path)"
        else:
            fix = f"check the id (with {_org()} alone, vtab_accounts shows each account's ou_id)"
        why = f"the option {hints.option(option)} names OU {ou_id}: {fix}"
        described = self._call(
            OrganizationsOperation.DESCRIBE_ORGANIZATIONAL_UNIT, why=why, OrganizationalUnitId=ou_id
        )
        ou = described.get("OrganizationalUnit") or {}
        ids = _path_ids(ou.get("Path"))
        if len(ids) >= 2 and ids[-1] == ou_id:
            parent_id = ids[-2]
        else:
            parents = self._call(OrganizationsOperation.LIST_PARENTS, why=why, ChildId=ou_id).get(
                "Parents"
            ) or [{}]
            parent_id = str(parents[0].get("Id"))
        if parent_id.startswith("r-"):
            parent = self._units.setdefault(parent_id, Unit(parent_id, ROOT_PATH))
        else:
            parent = self._unit_of(parent_id)
        unit = parent.child(ou_id, str(ou.get("Name") or ou_id))
        return self._units.setdefault(ou_id, unit)

    # -- calls -------------------------------------------------------------------------------------

    def _pages(
        self, operation: OrganizationsOperation, member: str, **params: Any
    ) -> Iterator[list[dict[str, Any]]]:
        token = None
        while True:
            extra: dict[str, str] = {"NextToken": token} if token else {}
            answer = self._call(operation, MaxResults=ORGANIZATIONS_PAGE, **params, **extra)
            yield list(answer.get(member) or ())
            token = answer.get("NextToken")
            if not token:
                return

    def _pool_map(self, function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        if len(items) <= 1:
            return [function(item) for item in items]
        workers = min(len(items), self._max_workers)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vtab-org") as pool:
            return list(pool.map(function, items))
