"""What ``vtab.register(conn)`` installs on a connection: a module per resource table, ``vtab_calls``,
``vtab_dry_run``, ``vtab_types`` and the helper functions, all sharing one Registry."""

from __future__ import annotations

import fnmatch
import functools
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import apsw
import apsw.ext

from vtab import hints
from vtab.aws.accounts import ACCOUNT_COLUMNS
from vtab.catalog.describe import COLUMN_FACT_NAMES
from vtab.catalog.discovery import TYPE_COLUMNS, type_rows
from vtab.catalog.list_plan import ListMode
from vtab.catalog.schema import load_schema
from vtab.catalog.store import load_catalog
from vtab.options import Options, check_endpoint_environment
from vtab.read.accounts import ERROR_COLUMNS
from vtab.read.resources import COLUMNS as RESOURCE_COLUMNS
from vtab.read.resources import TABLE as RESOURCES_TABLE
from vtab.sql.returning import LOG_TABLE as RETURNING_TABLE
from vtab.sql.stackql import PROVIDER as STACKQL_PROVIDER
from vtab.sql.stackql import PROVIDERS as STACKQL_PROVIDERS
from vtab.sql.stackql import install as install_stackql_names
from vtab.sql.stackql import string as stackql_string
from vtab.sql.suggestions import KnownNames
from vtab.sqlite import trust
from vtab.sqlite.accounts_table import ACCOUNTS_TABLE, install_accounts_table
from vtab.sqlite.columns import Columns
from vtab.sqlite.columns_table import COLUMNS_TABLE, install_columns_table
from vtab.sqlite.diff import CHANGE_COLUMNS
from vtab.sqlite.diff_table import ARGUMENTS as DIFF_ARGUMENTS
from vtab.sqlite.diff_table import TABLE as DIFF_TABLE
from vtab.sqlite.diff_table import DiffModule
from vtab.sqlite.read_only import explain_read_only
from vtab.sqlite.registry import CALL_COLUMNS, Registry
from vtab.sqlite.resources import ResourcesModule
from vtab.sqlite.returning import install_log_table, resolver
from vtab.sqlite.row_list import RowsModule
from vtab.sqlite.table import Module
from vtab.sqlite.tables import resource_tables
from vtab.write.dryrun import DRY_RUN_COLUMNS

TABLE_TYPES = ("AWS::ApiGatewayV2::IntegrationResponse",)
"""The seed's table (the shell's .tables shows it). Like every catalog table it connects at its first use,
which is when the AWS configuration (profile, credentials) is read."""

LOG_TABLES = ("vtab_calls", "vtab_dry_run", RETURNING_TABLE)
"""The eponymous log tables register() installs beside the resource tables."""

TYPES_TABLE = "vtab_types"
"""The eponymous table listing every resource table (the shell's .tables shows only those in use)."""

ERRORS_TABLE = "vtab_errors"
"""The eponymous table of the (account, region) pairs on_account_error='skip' left out
(vtab.read.accounts)."""


@functools.cache
def stackql_names() -> dict[str, str]:
    """StackQL name (lower-case) -> table name of every catalog type; a type with a seed name (an alias)
    keeps it. One mapping per process, which every connection's cursors read (vtab.sql.stackql.install).

    Besides StackQL's spelling (``aws.ec2.vpcdhcp_options_associations``), ``aws.<service>.<the rest of the
    table name>`` (``aws.ec2.vpc_dhcp_options_associations``) names the table too, where it differs."""
    catalog = load_catalog()
    own = {type_name: alias for alias, type_name in catalog.aliases.items()}
    names: dict[str, str] = {}
    for table, (type_name, stackql) in catalog.tables().items():
        if not stackql:
            continue
        names[stackql.lower()] = own.get(type_name, table)
        service = stackql.split(".")[1]
        if table.startswith(f"{service}_"):
            names.setdefault(f"aws.{service}.{table[len(service) + 1 :]}".lower(), own.get(type_name, table))
    return names


def stackql_tables(pattern: str) -> list[str] | None:
    """The tables a StackQL name or glob names (``awscc.apigatewayv2.apis``, ``aws.ec2.*``), sorted; None
    when ``pattern`` is no StackQL name (its first part no StackQL provider)."""
    provider, dot, rest = pattern.partition(".")
    if not dot or provider.lower() not in STACKQL_PROVIDERS:
        return None
    spelled = f"{STACKQL_PROVIDER}.{rest}".lower()
    return sorted({table for name, table in stackql_names().items() if fnmatch.fnmatchcase(name, spelled)})


@functools.cache
class AbsentStackQLNames(Mapping[str, str]):
    """Lower-case StackQL name -> why vtab has no table for it: the catalog's types left out (RoboMaker's
    fleets, with the overlay's reason) or without handlers, and StackQL's own resources (its views, its
    cloud_control and tagging services: vtab.catalog.naming.stackql_own).

    Built at the first unknown name, not at register(): it names every catalog type (inflection's
    plurals, which the runtime otherwise never imports) and is needed only for that error."""

    @functools.cached_property
    def _names(self) -> dict[str, str]:
        from vtab.catalog.naming import stackql_name  # imports inflection: only here

        catalog = load_catalog()
        absent: dict[str, str] = {}
        for type_name in catalog.type_names():
            entry = catalog.entry(type_name)
            if entry.table is None and entry.plan.mode is ListMode.EXCLUDED:
                absent[stackql_name(type_name)] = f"the catalog excludes {type_name}: {entry.plan.reason}"
            elif entry.table is None:
                absent[stackql_name(type_name)] = (
                    f"{type_name} has {entry.plan.reason}: Cloud Control cannot use it"
                )
        return {name.lower(): why for name, why in absent.items()}

    def __getitem__(self, name: str) -> str:
        if name in self._names:
            return self._names[name]
        from vtab.catalog.naming import stackql_own  # imports inflection: only here

        why = stackql_own(name)
        if why is None:
            raise KeyError(name)
        return why

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


ABSENT_STACKQL_NAMES = AbsentStackQLNames()
"""One per process: the catalog does not change while it runs."""


OWN_TABLES = (
    *LOG_TABLES,
    TYPES_TABLE,
    COLUMNS_TABLE,
    ACCOUNTS_TABLE,
    RESOURCES_TABLE,
    ERRORS_TABLE,
    DIFF_TABLE,
)
"""vtab's own eponymous tables, beside the resource tables."""


def vtab_table_names() -> frozenset[str]:
    """Every table register() installs: the resource tables and vtab's own."""
    return frozenset({*resource_tables(), *OWN_TABLES})


def columns_of(table: str) -> tuple[str, ...]:
    """The column names of vtab table ``table`` (any case; hidden spellings too), none if not vtab's."""
    own = {
        TYPES_TABLE: TYPE_COLUMNS,
        COLUMNS_TABLE: COLUMN_FACT_NAMES,
        LOG_TABLES[0]: CALL_COLUMNS,
        ACCOUNTS_TABLE: ACCOUNT_COLUMNS,
        RESOURCES_TABLE: RESOURCE_COLUMNS,
        ERRORS_TABLE: ERROR_COLUMNS,
        DIFF_TABLE: (*CHANGE_COLUMNS, *DIFF_ARGUMENTS),
    }
    by_lower = {name.lower(): name for name in resource_tables()}
    if table.lower() in by_lower:
        return tuple(Columns.of(load_catalog().schema(resource_tables()[by_lower[table.lower()]])).names)
    return next((tuple(names) for name, names in own.items() if name == table.lower()), ())


KNOWN_NAMES = KnownNames(vtab_table_names, columns_of)
"""What a "did you mean" on SQLite's no such table/column chooses from (vtab.sql.suggestions)."""


def eponymous_tables() -> list[str]:
    """The tables the shell's .tables shows: the seed's table and the log tables (every catalog table is
    eponymous too, but 1,700 names would flood it: vtab_types lists them)."""
    seed = [load_schema(type_name).table_name for type_name in TABLE_TYPES]
    return seed + list(OWN_TABLES)


def install_rows_table(
    connection: apsw.Connection,
    name: str,
    columns: Sequence[str],
    rows: Callable[[], Iterable[tuple[Any, ...]]],
) -> None:
    """An eponymous read-only table ``name`` whose rows ``rows()`` gives afresh on every scan (vtab's logs
    and catalogs; its account_id TEXT, vtab.sqlite.row_list.declaration)."""
    connection.create_module(
        name,
        cast("apsw.VTModule", RowsModule(columns, rows)),
        use_bestindex_object=True,
        eponymous=True,
        read_only=True,
    )


class ShadowedTableWarning(UserWarning):
    """The database has tables (or views) of its own named like vtab tables: SQLite resolves those names to
    them, so the live tables are out of reach under those names."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        shown = ", ".join(names[:SHADOWED_SHOWN]) + (", ..." if len(names) > SHADOWED_SHOWN else "")
        super().__init__(
            f"{len(names)} table(s) of this database hide vtab tables of the same name ({shown}): SELECT and "
            f"their aws.<service>.<table> names read the stored rows, not AWS nor vtab's own logs "
            f"(vtab_calls, vtab_dry_run); rename them (ALTER TABLE x RENAME TO x_snapshot) to reach the live "
            f"tables, or use another name of the type (vtab_types); a copy such as a vtab sync file is best "
            f"ATTACHed, not opened (ATTACH 'copy.db' AS snap: snap.x reads the copy, main.x the live table)"
        )


SHADOWED_SHOWN = 5
"""At most this many hidden names are spelled out in the warning."""


def shadowed_tables(connection: apsw.Connection) -> list[str]:
    """The tables and views of the main database whose names are vtab tables (sorted): plain ones named
    like a resource table, and any named like vtab's logs or vtab_types (a file's own ``vtab_dry_run``
    view would answer a dry run's review with rows of its choosing)."""
    resources = _resource_tables_lower()
    own = {name.lower() for name in OWN_TABLES}
    rows = connection.execute(
        "SELECT name, sql LIKE 'CREATE VIRTUAL TABLE%' FROM main.sqlite_schema "
        "WHERE type IN ('table', 'view')"
    ).fetchall()
    return sorted(
        str(name)
        for name, virtual in rows
        if str(name).lower() in own or (str(name).lower() in resources and not virtual)
    )


@functools.cache
def _resource_tables_lower() -> frozenset[str]:
    """The resource tables' names in lower case (SQLite's names are case-insensitive), once per process."""
    return frozenset(name.lower() for name in resource_tables())


def not_apsw_text(connection: object) -> str:
    """Why ``connection`` cannot take vtab's tables, and how to get one that can."""
    kind = type(connection)
    return (
        f"vtab.register() needs an apsw.Connection, not {kind.__module__}.{kind.__qualname__}: vtab's tables "
        "are apsw virtual tables, which Python's sqlite3 module cannot host; open the database with "
        "vtab.connect(path) (vtab already registered) or apsw.Connection(path) and pass that to "
        "vtab.register()"
    )


PACKAGE_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
"""vtab's own files: a warning about the caller's database names the first line outside them."""


def caller_stacklevel() -> int:
    """The ``stacklevel`` that makes the calling function's warning name its caller's line outside vtab,
    whichever entry point was called (register(), register_tables(), connect(), vtab.dbapi's...): a user
    sees their own line, and a warnings filter by module matches theirs (Python 3.11 has no
    ``skip_file_prefixes``)."""
    frame = sys._getframe(1)  # the function that warns: stacklevel 1
    level = 1
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        PACKAGE_DIRECTORY
    ):
        frame, level = frame.f_back, level + 1
    return level


def register(connection: apsw.Connection, **options: Any) -> Registry:
    """Install vtab's tables on ``connection``; ``options`` are the defaults of every table (see Options).

    Options are checked now (a region typo, a malformed endpoint URL); the AWS configuration they name
    (profile, credentials, default region) is read by the first statement that uses a vtab table, so a bad
    profile fails that statement, not a connection used for its local tables. The connection's cursors (and so
    ``connection.execute``) also take StackQL's table names, ``aws.apigatewayv2.integration_responses``:
    its ``cursor_factory`` is extended, keeping a cursor class of your own (see vtab.sql.stackql).
    """
    return register_tables(connection, resource_tables(), **options)


def register_tables(connection: apsw.Connection, tables: Mapping[str, str], **options: Any) -> Registry:
    """``register()`` with ``tables`` (table name -> type name) as its resource tables: a vtab sync
    connection installs only its shard's types: the 1,760 modules of every type were most of the CPU of
    its setup (register() takes about 5 ms, with one table 1.3 ms; a sync opens hundreds)."""
    if not isinstance(connection, apsw.Connection):
        raise TypeError(not_apsw_text(connection))
    base_options = Options().replace(**options)  # a bad value (a region typo too) fails here, named
    if base_options.endpoint_url is None:
        check_endpoint_environment()  # a malformed AWS_ENDPOINT_URL_CLOUDCONTROL too
    trust.configure(connection, base_options)
    registry = Registry(connection, base_options)
    install_stackql_names(
        connection,
        stackql_names(),
        resolver(registry),
        absent=ABSENT_STACKQL_NAMES,
        known_names=KNOWN_NAMES,
        read_only_refused=lambda error: explain_read_only(error, registry),
    )
    for table_name, type_name in tables.items():
        # A module per table, cheap to make (about 3 us): the schema is built when SQLite first connects
        # the table (its first use), so register() does no per-table work.
        connection.create_module(
            table_name,
            cast("apsw.VTModule", Module(registry, type_name)),
            use_bestindex_object=True,
            use_no_change=True,
            eponymous=True,
            iVersion=2,  # SAVEPOINT / ROLLBACK TO reach the write queue only from version 2 on
        )
    shadowed = shadowed_tables(connection)
    if shadowed:
        warnings.warn(ShadowedTableWarning(shadowed), stacklevel=caller_stacklevel())

    calls_table, dry_run_table, _ = LOG_TABLES
    install_rows_table(connection, calls_table, CALL_COLUMNS, registry.calls)
    install_rows_table(connection, TYPES_TABLE, TYPE_COLUMNS, type_rows)
    install_accounts_table(connection, lambda places: registry.estate().rows(places))
    install_rows_table(connection, ERRORS_TABLE, ERROR_COLUMNS, registry.account_errors.rows)
    install_rows_table(connection, dry_run_table, DRY_RUN_COLUMNS, registry.dry_runs.rows)

    connection.create_module(
        RESOURCES_TABLE,
        cast("apsw.VTModule", ResourcesModule(registry)),
        use_bestindex_object=True,
        eponymous_only=True,  # every type as one table: no CREATE VIRTUAL TABLE of it takes options
        read_only=True,
    )
    install_log_table(connection, registry)
    install_columns_table(connection, resource_tables)
    connection.create_module(
        DIFF_TABLE,
        cast("apsw.VTModule", DiffModule(registry)),
        use_bestindex_object=True,
        eponymous_only=True,
        read_only=True,
    )

    def vtab_clear_cache(*args: Any) -> int:
        """SELECT vtab_clear_cache(): forget every cached read; returns how many entries were dropped."""
        return registry.clear_cache()

    def vtab_clear_calls(*args: Any) -> int:
        """SELECT vtab_clear_calls(): empty vtab_calls; returns how many calls were dropped."""
        return registry.log.clear()

    def vtab_clear_dry_run(*args: Any) -> int:
        """SELECT vtab_clear_dry_run(): empty vtab_dry_run; returns how many records were dropped."""
        return registry.dry_runs.clear()

    flags = trust.function_flags(base_options)
    connection.create_scalar_function("vtab_clear_cache", vtab_clear_cache, 0, flags=flags)
    connection.create_scalar_function("vtab_clear_calls", vtab_clear_calls, 0, flags=flags)
    connection.create_scalar_function("vtab_clear_dry_run", vtab_clear_dry_run, 0, flags=flags)
    # No side effects: usable in views, triggers and CHECK constraints too (innocuous).
    connection.create_scalar_function(
        "string", stackql_string, 1, deterministic=True, flags=apsw.SQLITE_INNOCUOUS
    )
    return registry


def connect(filename: str = ":memory:", **options: Any) -> apsw.Connection:
    """An apsw connection to ``filename`` (e.g. your own .db, to join its tables) with vtab registered.

    ``read_only=True`` also opens the file read-only, as ``sqlite3 -readonly`` does (see open_database):
    one meaning of read-only, for AWS and for the files. ``vtab.register(conn, read_only=True)`` on a
    connection of your own cannot change how you opened it: open it with ``apsw.SQLITE_OPEN_READONLY``."""
    return connect_with_registry(filename, **options)[0]


def connect_with_registry(
    filename: str = ":memory:", *, tables: Mapping[str, str] | None = None, **options: Any
) -> tuple[apsw.Connection, Registry]:
    """``connect()``, and the Registry its tables share (for a wrapper that explains errors, vtab.dbapi);
    ``tables``: only these resource tables (``register_tables``), else every one."""
    read_only = Options().replace(read_only=options.get("read_only", False)).read_only
    connection = open_database(filename, read_only=read_only)
    try:
        registry = register_tables(connection, resource_tables() if tables is None else tables, **options)
    except BaseException:
        connection.close()
        raise
    return connection, registry


def open_database(filename: str, read_only: bool, uri: bool = False) -> apsw.Connection:
    """A connection to ``filename``; under ``read_only`` opened with SQLITE_OPEN_READONLY, as ``sqlite3
    -readonly`` opens it, so that SQL run on a read-only connection writes no database file: not main, and
    not a file it ATTACHes (SQLite opens those with main's flags, and refuses a URI's ``mode=rw``). Temp
    tables and views still work (SQLite keeps temp writable), and so does ``:memory:``. A file that cannot
    be opened read-only (it does not exist: read-only does not create it) is an error naming it."""
    if not read_only:
        flags = apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    else:
        flags = apsw.SQLITE_OPEN_READONLY
    if uri:
        flags |= apsw.SQLITE_OPEN_URI
    try:
        return apsw.Connection(filename, flags=flags)
    except apsw.CantOpenError as error:
        if not read_only:
            raise
        raise apsw.CantOpenError(
            f"{filename}: {error}; {hints.assignment('read_only', True)} opens the database read-only and "
            "does not create it: give a file that exists (or :memory:), or "
            f"{hints.without_option('read_only', True)} to create it"
        ) from None
