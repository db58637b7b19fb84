"""What one table is, for its reads and its writes alike.

A ``TableContext`` is the one place that says which type a table reads, with which options, through which
client and cache, in which accounts: the read scan, the fetch layer, the conflict resolver and the write
queue all take it. What a read of a type needs of it (no name, columns or writes) is its base,
``TypeContext``: ``vtab_resources`` reads every type through one each, without building 1,700 tables'
columns.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import apsw

from vtab import hints
from vtab.aws.accounts import Account, Estate
from vtab.aws.cloudcontrol import POLLS_PER_WORKER, CloudControl
from vtab.catalog.schema import ResourceSchema
from vtab.options import Options
from vtab.read.accounts import AccountErrors, StatementAccounts, Target
from vtab.read.cache import ResultStore
from vtab.read.rowids import ReadRows
from vtab.read.rows import Row
from vtab.sql.interrupt import Interrupted, never


class ColumnNames(Protocol):
    """The table's column names and how to read a column of a row (vtab.sqlite.columns.Columns)."""

    @property
    def property_of(self) -> dict[str, str]: ...
    @property
    def twins(self) -> dict[str, str]: ...
    @property
    def own_aliases(self) -> dict[str, str]: ...
    def value(self, name: str, row: Row) -> Any: ...


class TypeContext:
    """What reading one type needs: its schema, the options, the Cloud Control client, the read cache, the
    interrupt flag and the accounts it reads (vtab.read.scan reads through one)."""

    def __init__(
        self,
        schema: ResourceSchema,
        options: Options,
        cloud: CloudControl,
        cache: ResultStore,
        interrupted: Interrupted = never,
        estate: Estate | None = None,
        account_errors: AccountErrors | None = None,
        statement: Callable[[], str] = str,
    ) -> None:
        self.schema = schema
        self.name = schema.table_name
        """The table's name (a named instance's own, see TableContext), for messages."""
        self.options = options
        self.cloud = cloud
        self.cache = cache
        """The connection's TTL cache for these options (shared by the tables that read alike)."""
        self.interrupted = interrupted
        """The connection's interrupt flag: every wait of the SQLite thread stops when it is set."""
        self.estate = estate or Estate(options, lambda _: cloud)
        """The accounts the table reads (vtab.aws.accounts): its options' estate."""
        self.several_accounts = options.reads_several_accounts
        """Whether the table reads an estate (account options given); else its own account only, whose
        rows carry no account (the account_id column looks it up once, when read)."""
        self.account_errors = account_errors or AccountErrors()
        """The connection's vtab_errors (where ``on_account_error='skip'`` puts each failure)."""
        self.statement = statement
        """The text of the statement running (for vtab_errors)."""
        self._own: str | None = None
        """The caller's account id once known (asked of every row of a SELECT *: kept here)."""

    @property
    def workers(self) -> int:
        return self.options.max_workers

    @property
    def account_id(self) -> str | None:
        """The account_id option (None: looked up when a listing or INSERT needs it)."""
        return self.options.account_id

    def own_account(self, fix: str = "leave the account_id column out of the statement") -> str:
        """The caller's account id: the account_id option, else GetCallerIdentity (once per connection);
        ``fix`` says how the statement could do without it, should the call fail."""
        if self._own is None:
            region = self.preferred_region() or "us-east-1"
            self._own = self.cloud.account_id(region, self.account_id, fix)
        return self._own

    @property
    def knows_own_account(self) -> bool:
        """Whether ``own_account`` answers without a call (the option given, or looked up already)."""
        return self._own is not None or bool(self.account_id)

    def account_of(self, row: Row) -> str:
        """A row's account_id: its own, or (a connection without account options) the caller's."""
        account = row.account
        if account is not None:
            return account
        return self._own or self.own_account()

    def account_name(self, row: Row) -> str | None:
        """A row's account_name (Organizations' name; None when it cannot be read)."""
        return self.estate.name_of(self.account_of(row))

    def targets(
        self, wanted: set[Any] | None, accounts: StatementAccounts, names: set[Any] | None = None
    ) -> list[Target]:
        """The accounts a read runs in: the estate's readable ones (discovered on first use), only those
        WHERE gives for account_id (``wanted``) and account_name (``names``: an account whose name cannot
        be read has rows whose account_name is NULL, which no name matches); a connection without
        account options, its own."""
        if not self.several_accounts:
            if wanted is not None and self.own_account() not in wanted:
                return []
            if names is not None and self.estate.name_of(self.own_account()) not in names:
                return []
            return [Target(None, lambda: self.cloud)]
        found = self.estate.readable()
        if wanted is not None:
            found = [account for account in found if account.account_id in wanted]
        if names is not None:
            found = [account for account in found if self.estate.name_of(account.account_id) in names]
        return [accounts.target(account, self._reach(account)) for account in found]

    def _reach(self, account: Account) -> Callable[[], CloudControl]:
        if account.own and account.profile is None:
            return lambda: self.cloud  # the table's own client (its role_arn, rate limit)
        return lambda: self.estate.cloud(account)

    def estate_account(self, account_id: str) -> Account | None:
        """The readable account of the estate with this id (None: outside it, or SUSPENDED)."""
        return next((a for a in self.estate.readable() if a.account_id == account_id), None)

    def cloud_of(self, account_id: str | None) -> CloudControl:
        """The Cloud Control a write in ``account_id`` goes through (None, or the caller's own account:
        the table's; another: its assumed role's, assumed now if not yet)."""
        if account_id is None or not self.several_accounts:
            return self.cloud
        account = self.estate_account(account_id)
        if account is None:
            raise apsw.SQLError(f"account {account_id} is not one of the accounts this table reads")
        return self._reach(account)()

    def preferred_region(self) -> str | None:
        """The region a global type is listed through when a query asks it among others: the first of the
        ``regions`` option, else boto3's default region (see vtab.read.regions)."""
        return preferred_region(self.options, self.cloud)


def preferred_region(options: Options, cloud: CloudControl) -> str | None:
    """The first of the ``regions`` option, else boto3's default region (see TypeContext)."""
    return options.regions[0] if options.regions else cloud.default_region


class TableContext(TypeContext):
    """One table: its type's context, and its name, columns, the rows a write transaction read, and the
    threads its writes use (started on first use)."""

    def __init__(
        self,
        name: str,
        schema: ResourceSchema,
        columns: ColumnNames,
        options: Options,
        cloud: CloudControl,
        cache: ResultStore,
        interrupted: Interrupted = never,
        estate: Estate | None = None,
        account_errors: AccountErrors | None = None,
        statement: Callable[[], str] = str,
    ) -> None:
        super().__init__(schema, options, cloud, cache, interrupted, estate, account_errors, statement)
        self.name = name
        self.columns = columns
        self.read_rows = ReadRows(schema.is_global)
        """Rows read while a write transaction runs, by rowid: UPDATE diffs against them, DELETE takes
        their region and identifier."""
        self._pool: ThreadPoolExecutor | None = None
        self._poll_pool: ThreadPoolExecutor | None = None

    @property
    def pool(self) -> ThreadPoolExecutor:
        """Threads for this table's writes (each read cursor has its own, see vtab.sqlite.cursor)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=f"vtab-{self.name}")
        return self._pool

    @property
    def poll_pool(self) -> ThreadPoolExecutor:
        """Threads for the status polls of this table's writes (vtab.write.send), kept across statements:
        starting a thread waits until it runs, and a 50-row INSERT that started its 32 anew paid for each
        on the way to its first polls."""
        if self._poll_pool is None:
            self._poll_pool = ThreadPoolExecutor(
                POLLS_PER_WORKER * self.workers, thread_name_prefix=f"vtab-{self.name}-poll"
            )
        return self._poll_pool

    def close(self) -> None:
        for pool in (self._pool, self._poll_pool):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def default_regions(self) -> list[str]:
        """The regions a read lists in when WHERE gives none (see ``default_regions``)."""
        return default_regions(self.options, self.cloud, self.name)


def default_regions(options: Options, cloud: CloudControl, table: str) -> list[str]:
    """The regions a read of ``table`` lists in when WHERE gives none: the ``regions`` option, else
    boto3's; an error naming the ways to give one when neither does."""
    regions = list(options.regions) or ([cloud.default_region] if cloud.default_region else [])
    if not regions:
        raise apsw.SQLError(
            f"{table}: no region. Add WHERE region = 'us-east-1' (or IN (...)), "
            f"{hints.set_option('regions', 'us-east-1')} (or regions= in CREATE VIRTUAL TABLE), "
            "or set AWS_REGION"
        )
    return [cloud.check_region(region) for region in regions]
