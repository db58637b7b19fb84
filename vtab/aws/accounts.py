"""The estate: the accounts a connection reads, and the credentials that reach each.

Which accounts (the options ``accounts``, ``organizational_units``, ``skip_accounts``, ``profiles``):
none given, the caller's own; ids, those; ``org``, the Organization's, discovered once per connection
(``Organization``); profiles, one account each (its credentials say which). Only ACTIVE accounts are
read; SUSPENDED ones are listed (``vtab_accounts``) with their status.

How: the caller's own account with its own credentials; any other by STS AssumeRole of
``arn:aws:iam::<id>:role/<assume_role_name>`` (with ``external_id`` when given), assumed on first use,
in parallel for many (``Estate.assume``), and refreshed by botocore before they expire (one AssumeRole per
account per hour at most, as STS issues them for an hour). Every STS and Organizations call shows in
``vtab_calls``; they go to the ``endpoint_url`` option unless AWS_ENDPOINT_URL_STS /
AWS_ENDPOINT_URL_ORGANIZATIONS say otherwise (vtab.aws.identity).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import apsw
import botocore.session
from botocore.credentials import RefreshableCredentials

from vtab import hints
from vtab.aws import errors, identity
from vtab.aws.cloudcontrol import CloudControl
from vtab.aws.identity import SideCall, side_call
from vtab.aws.organization import Account, AccountStatus, Organization, OrganizationsOperation, iso_time
from vtab.options import Options

__all__ = ["ACCOUNT_COLUMNS", "Account", "AccountStatus", "AssumedRoles", "Estate", "assumed_credentials"]

ORGANIZATIONS_REGION = "us-east-1"
"""Organizations is a global service, signed for us-east-1."""
SESSION_NAME = "vtab"
"""The RoleSessionName of vtab's AssumeRole calls (CloudTrail shows it)."""

RENEW_WITHIN = 5 * 60
"""Seconds before expiry that assumed credentials are renewed (botocore's default is 15 minutes: with STS's
one-hour sessions that is an AssumeRole every 45 minutes per account; this makes it one per 56 minutes)."""
MUST_RENEW_WITHIN = 60
"""Seconds before expiry after which no call is signed with the old credentials (every caller waits)."""

ACCOUNT_COLUMNS = (
    "account_id",
    "name",
    "email",
    "status",
    "ou_path",
    "ou_id",
    "joined_at",
    "assumable",
    "error",
)
"""The columns of ``vtab_accounts`` (Account.row's order)."""
PLACE_COLUMNS = frozenset({"ou_path", "ou_id"})
"""The columns of ``vtab_accounts`` that need where each account sits in the Organization."""


def assumed_credentials(
    metadata: dict[str, str],
    fetch: Callable[[], dict[str, str]],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> RefreshableCredentials:
    """Credentials from one AssumeRole answer (``metadata``) that botocore renews with ``fetch`` within
    RENEW_WITHIN of their expiry (``clock`` is the time it checks against)."""
    return RefreshableCredentials(
        access_key=metadata["access_key"],
        secret_key=metadata["secret_key"],
        token=metadata["token"],
        expiry_time=datetime.fromisoformat(metadata["expiry_time"]),
        refresh_using=fetch,
        method="sts-assume-role",
        time_fetcher=clock,
        advisory_timeout=RENEW_WITHIN,
        mandatory_timeout=MUST_RENEW_WITHIN,
    )


RoleKey = tuple[str, str | None, str | None, str | None]
"""What assumed credentials are kept by: (role ARN, external id, the caller's profile, the STS endpoint)."""


class AssumedRoles:
    """Assumed credentials, one AssumeRole per role however many estates need it: a connection's estates
    share one, and so do ``vtab sync``'s task connections (vtab.sqlite.registry). One AssumeRole at a time
    per role; a failure is not kept, so a later statement tries again."""

    def __init__(self) -> None:
        self._found: dict[RoleKey, RefreshableCredentials] = {}
        self._locks: dict[RoleKey, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: RoleKey, assume: Callable[[], RefreshableCredentials]) -> RefreshableCredentials:
        """The credentials of ``key``, assumed with ``assume`` if not yet."""
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            found = self._found.get(key)
            if found is None:
                found = self._found[key] = assume()
            return found


class Estate:
    """The accounts one connection reads (its base options say which), discovered on first use and kept,
    and each one's Cloud Control, through assumed credentials for any but the caller's own."""

    def __init__(
        self,
        options: Options,
        cloud_for: Callable[[Options], CloudControl],
        roles: AssumedRoles | None = None,
    ) -> None:
        self.options = options
        self._cloud_for = cloud_for
        self._cloud = cloud_for(options)
        self._lock = threading.Lock()
        self._accounts: list[Account] | None = None
        self._roles = roles or AssumedRoles()
        self._organization: Organization | None = None
        self._org_lock = threading.Lock()
        self._names: dict[str, str] | None = None
        """Account id -> name, as the Organization's ListAccounts gave them (empty when it could not)."""
        self._discovered_names: dict[str, str] | None = None
        """Account id -> name, as discovery gave them (made once: a row's account_name looks it up)."""
        self._names_lock = threading.Lock()

    @property
    def region(self) -> str:
        """Where STS is called: the first region of the options, else the profile's, else us-east-1."""
        return next(iter(self.options.regions), None) or self._cloud.default_region or ORGANIZATIONS_REGION

    # -- which accounts ---------------------------------------------------------------------------

    def accounts(self, placed: bool = False) -> list[Account]:
        """Every account of the estate, SUSPENDED ones included (see ``readable``), in discovery order;
        with ``placed``, an Organization's with their OU paths."""
        with self._lock:
            if self._accounts is None:
                self._accounts = self._discover(placed)
            return self._accounts

    def readable(self) -> list[Account]:
        """The accounts whose resources are read: ACTIVE ones."""
        return [account for account in self.accounts() if account.readable]

    def described(self) -> list[Account]:
        """The accounts as ``vtab_accounts`` shows them: with their OU paths and ids when they come from
        the Organization (read then if discovery did not need them: the same Organization, so what it
        listed is not listed again)."""
        accounts = self.accounts(placed=True)
        if self.options.whole_organization and any(account.ou_path is None for account in accounts):
            places = {found.account_id: found for found in self._org().placed()}
            for account in accounts:
                found = places.get(account.account_id)
                if found is not None:
                    account.ou_path, account.parents = found.ou_path, found.parents
        return accounts

    def _discover(self, placed: bool) -> list[Account]:
        options = self.options
        if options.profiles:
            return self._profile_accounts()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vtab-identity") as beside:
            own_lookup = beside.submit(self._own_account_id)  # while the Organization is listed
            try:
                found = self._chosen(placed, own_lookup)
            except apsw.Error:
                own_lookup.result()  # the caller's identity failing is the first thing to say
                raise
            own = own_lookup.result()
        for account in found:
            account.own = account.account_id == own
        return found

    def _chosen(self, placed: bool, own_lookup: Future[str]) -> list[Account]:
        """The accounts the options name: the Organization's in scope, the ids given, or the caller's."""
        options = self.options
        if options.whole_organization:
            found = [self._copy(account) for account in self._organization_accounts(placed)]
            if options.skipped_ous:
                seen = {unit for account in found for unit in account.parents}
                self._org().check_skipped(options.skipped_ous, seen)
            return [account for account in found if self._kept(account)]
        if options.accounts:
            return [
                Account(account_id)
                for account_id in options.accounts
                if account_id not in options.skip_accounts
            ]
        return [Account(own_lookup.result())]

    def _organization_accounts(self, placed: bool) -> list[Account]:
        """The Organization's accounts under organizational_units (only those OUs are listed), or all of
        them: with their OU paths when ``placed``, else with the OU ids a skipped OU needs."""
        organization = self._org()
        if self.options.organizational_units:
            return organization.under(self.options.organizational_units)
        if placed:
            return organization.placed()
        found = organization.accounts()
        if self.options.skipped_ous and not all(account.parents for account in found):
            return organization.placed()
        return found

    @staticmethod
    def _copy(account: Account) -> Account:
        return Account(**{name: getattr(account, name) for name in Account.__dataclass_fields__})

    def _kept(self, account: Account) -> bool:
        """Neither skipped nor under a skipped OU."""
        skipped = set(self.options.skip_accounts)
        return account.account_id not in skipped and not skipped & set(account.parents)

    def _own_account_id(self) -> str:
        fix = "give the caller's account id"
        return self._cloud.account_id(self.region, self.options.account_id, fix)

    def _profile_accounts(self) -> list[Account]:
        """One account per profile: its credentials' account (GetCallerIdentity per profile, in parallel)."""
        profiles = self.options.profiles
        available = botocore.session.Session().available_profiles  # the files only: no call
        missing = [profile for profile in profiles if profile not in available]
        if missing:  # named here, with the option: each profile's own Cloud Control would say profile=
            raise errors.unknown_profiles(missing, profiles, available)

        def look_up(profile: str) -> Account:
            cloud = self._profile_cloud(profile)
            fix = f"check that profile {profile!r} has credentials"
            return Account(cloud.account_id(self.region, None, fix), name=profile, profile=profile, own=True)

        with ThreadPoolExecutor(max_workers=min(len(profiles), self.options.max_workers)) as pool:
            return list(pool.map(look_up, profiles))

    def _profile_cloud(self, profile: str) -> CloudControl:
        return self._cloud_for(Options().replace(**{**_plain(self.options), "profile": profile}))

    def _org(self) -> Organization:
        with self._org_lock:
            if self._organization is None:
                self._organization = Organization(self._organizations_call, self.options.max_workers)
            return self._organization

    def _organizations_call(
        self, operation: OrganizationsOperation, why: str | None = None, **params: Any
    ) -> dict[str, Any]:
        """One Organizations call, logged; its error says ``why`` it was made, else why any is."""
        endpoint = identity.side_endpoint(self.options, identity.ORGANIZATIONS_ENDPOINT_VARIABLE)
        client = self._side_client("organizations", ORGANIZATIONS_REGION, endpoint)
        call = SideCall("Organizations", operation.value, "for the accounts=org estate")
        why = why or (
            "vtab reads the Organization's accounts for accounts='org' with the caller's credentials, which "
            "must be the management account's (or a delegated administrator's); or "
            f"{hints.set_option('accounts', repr('111111111111,222222222222'))}"
        )
        answer, record = side_call(
            client,
            self._cloud.log_start,
            ORGANIZATIONS_REGION,
            self.options,
            call,
            why,
            **params,
        )
        record.items = sum(len(value) for value in answer.values() if isinstance(value, list))
        return answer

    def _side_client(self, service: str, region: str, endpoint: str | None) -> Any:
        """The caller's client of STS or Organizations (made once per connection: making one takes longer
        than the AssumeRole it sends)."""
        try:
            return self._cloud.side_client(service, region, endpoint)
        except ValueError as error:  # e.g. a malformed AWS_ENDPOINT_URL_ORGANIZATIONS
            raise apsw.SQLError(
                f"the {service} endpoint of the AWS configuration is not usable ({error})"
            ) from None

    def own_account_id(self) -> str:
        """The caller's account id (the account_id option, else GetCallerIdentity, once per connection)."""
        return self._own_account_id()

    def name_of(self, account_id: str) -> str | None:
        """The account's name: the one discovery gave, else the Organization's (one ListAccounts per
        connection, with the caller's credentials); None when it cannot be read (no Organization, not its
        management account, no permission): the name is a label, never a reason to fail a read."""
        if self._accounts is not None:
            if self._discovered_names is None:
                self._discovered_names = {a.account_id: a.name for a in self._accounts if a.name is not None}
            found = self._discovered_names.get(account_id)
            if found is not None:
                return found
        with self._names_lock:
            if self._names is None:
                try:
                    listed = self._org().accounts()
                except apsw.Error:
                    listed = []
                self._names = {account.account_id: account.name for account in listed if account.name}
            return self._names.get(account_id)

    # -- reaching them ----------------------------------------------------------------------------

    def cloud(self, account: Account) -> CloudControl:
        """The Cloud Control of ``account``: the caller's own, a profile's, or through its assumed role."""
        if account.profile is not None:
            return self._profile_cloud(account.profile)
        if account.own:
            return self._cloud
        return self._cloud.for_account(account.account_id, self._credentials_of(account))

    def assume(self, accounts: list[Account] | None = None) -> None:
        """Assume the role of every account that needs one (``accounts``, else the readable ones) in
        parallel now, recording for each whether it could (``assumable``, ``error``)."""
        wanted = [a for a in (accounts or self.readable()) if not a.own and a.profile is None]
        if not wanted:
            return

        def one(account: Account) -> None:
            with contextlib.suppress(apsw.Error):  # recorded on the account by _fetch
                self._credentials_of(account).get_frozen_credentials()

        with ThreadPoolExecutor(max_workers=min(len(wanted), self.options.max_workers)) as pool:
            list(pool.map(one, wanted))

    def role_arn(self, account: Account) -> str:
        partition = self._cloud.partition_of(self.region)
        return f"arn:{partition}:iam::{account.account_id}:role/{self.options.assume_role_name}"

    def _credentials_of(self, account: Account) -> RefreshableCredentials:
        """The account's assumed credentials: assumed now if not yet (here or by an estate sharing the
        roles), then refreshed by botocore before they expire."""
        key = (
            self.role_arn(account),
            self.options.external_id,
            self.options.profile,
            identity.sts_endpoint(self.options),
        )
        found = self._roles.get(
            key, lambda: assumed_credentials(self._fetch(account), lambda: self._fetch(account))
        )
        account.assumable, account.error = True, None
        return found

    def _fetch(self, account: Account) -> dict[str, str]:
        """STS AssumeRole into ``account``: botocore calls it at first use and again before the
        credentials expire. The outcome is recorded on the account (vtab_accounts shows it)."""
        role_arn = self.role_arn(account)
        params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
        if self.options.external_id:
            params["ExternalId"] = self.options.external_id
        endpoint = identity.sts_endpoint(self.options)
        call = SideCall("STS", "AssumeRole", f"into account {account.account_id}", about=role_arn)
        skipped = ",".join([*self.options.skip_accounts, account.account_id])  # the option's whole value
        why = (
            f"vtab assumes role {self.options.assume_role_name} to read account {account.account_id}: to "
            f"name the role the accounts trust, {hints.set_option('assume_role_name', repr('RoleName'))} "
            f"(and {hints.option('external_id')} if their trust policies demand one); to leave the account "
            "out, "
            f"{hints.set_option('skip_accounts', repr(skipped))}"
        )
        in_account = functools.partial(self._cloud.log.start, account_id=account.account_id)
        try:
            client = self._side_client("sts", self.region, endpoint)
            answer, _ = side_call(client, in_account, self.region, self.options, call, why, **params)
        except apsw.Error as error:
            account.assumable, account.error = False, str(error)
            raise
        credentials = answer.get("Credentials")
        if not isinstance(credentials, dict) or not all(
            isinstance(credentials.get(key), str)
            for key in ("AccessKeyId", "SecretAccessKey", "SessionToken")
        ):
            account.assumable, account.error = False, "AssumeRole answered without credentials"
            raise errors.malformed_answer(
                f"AssumeRole (STS) into account {account.account_id}", "holds no Credentials"
            )
        account.assumable, account.error = True, None
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": iso_time(credentials["Expiration"]) or "",
        }

    def rows(self, places: bool = True) -> Iterator[tuple[Any, ...]]:
        """``vtab_accounts``: one row per account of the estate; with ``places`` (a statement reads
        ou_path or ou_id), where each sits in the Organization, read if it was not."""
        for account in self.described() if places else self.accounts():
            yield account.row()


def _plain(options: Options) -> dict[str, Any]:
    """The options as keyword arguments, without the account options (a profile's own Cloud Control
    reads that one account)."""
    dropped = {"accounts", "profiles", "organizational_units", "skip_accounts", "extra"}
    return {name: getattr(options, name) for name in Options.names() if name not in dropped}
