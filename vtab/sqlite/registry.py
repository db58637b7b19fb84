"""What ``vtab.register(conn)`` installs on a connection: the resource modules, ``vtab_calls`` and helpers.

A Registry is the per-connection state the tables share: the base options, the call log, and the live
tables (so a write, or ``vtab_clear_cache()``, can drop every cached read of a type).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import apsw
import apsw.ext

from vtab.aws.calllog import CallLog, iso_utc
from vtab.aws.cloudcontrol import CloudControl, RateLimiters
from vtab.aws.identity import AccountIds
from vtab.catalog.discovery import TYPE_COLUMNS, type_rows
from vtab.catalog.schema import load_schema
from vtab.catalog.store import load_catalog
from vtab.options import OptionError, Options
from vtab.sql.stackql import install as install_stackql_names
from vtab.sql.statements import StatementText
from vtab.write.dryrun import DRY_RUN_COLUMNS, DryRunLog

if TYPE_CHECKING:
    from vtab.sqlite.table import Table

TABLE_TYPES = ("AWS::ApiGatewayV2::IntegrationResponse",)
"""The seed's table, connected at register() so that configuration errors (profile, region, endpoint)
show there; every other catalog table connects at its first use."""

LOG_TABLES = ("vtab_calls", "vtab_dry_run")
"""The eponymous log tables register() installs beside the resource tables."""

TYPES_TABLE = "vtab_types"
"""The eponymous table listing every resource table (the shell's .tables shows only those in use)."""

LIST_SETTLE_SECONDS = 10.0
"""After a write, listings of its type are read fresh (not cached) for this long."""

CALL_COLUMNS = (
    "seq",
    "started",
    "operation",
    "region",
    "type_name",
    "identifier",
    "resource_model",
    "pages",
    "items",
    "ms",
    "cache",
    "error_code",
    "request_token",
    "status",
)


class Registry:
    def __init__(self, connection: apsw.Connection, options: Options) -> None:
        self.connection: apsw.Connection = weakref.proxy(connection)
        """Weak: the connection holds the registry (through its modules and tables), so a strong reference
        back would make a cycle that outlives the user's last reference, with its threads and clients."""
        self.options = options
        self.log = CallLog()
        self.rate_limiters = RateLimiters()
        self.accounts = AccountIds()
        """The caller's account ids this connection looked up (once each, when a statement needed one)."""
        self.dry_runs = DryRunLog()
        """The writes dry_run tables did not send (the vtab_dry_run table)."""
        self.tables: set[Table] = set()
        self._clouds: dict[tuple[Any, ...], CloudControl] = {}
        self.statement = StatementText(connection)
        """The text of the statement started last (the unfiltered-write guard reads it)."""

    def cloud_for(self, options: Options) -> CloudControl:
        """The Cloud Control client of these options, shared by every table of the connection that has
        them (one boto3 Session per profile and endpoint, one client per region: building a Session takes
        about 160 ms, so 1,700 tables must not each build their own)."""
        key = (
            options.profile,
            options.endpoint_url,
            options.role_arn,
            options.rate_limit,
            options.max_attempts,
            options.max_workers,
            options.connect_timeout,
            options.read_timeout,
        )
        cloud = self._clouds.get(key)
        if cloud is None:
            cloud = self._clouds[key] = CloudControl(options, self.log, self.rate_limiters, self.accounts)
        return cloud

    def clear_cache(self, type_name: str | None = None) -> int:
        """Forget cached reads: of one type after a write to it (whose listings are then not cached for
        LIST_SETTLE_SECONDS, as AWS lists lag behind writes), or all of them."""
        hold = LIST_SETTLE_SECONDS if type_name is not None else 0.0
        return sum(table.cache.invalidate(type_name, hold_lists=hold) for table in list(self.tables))

    def json_columns(self, table: str | None) -> frozenset[str]:
        """The columns of vtab table ``table`` whose text is JSON by the schema (objects and arrays), so
        output formats can nest them; empty for a table that is not vtab's."""
        for live in list(self.tables):
            if table is not None and live.name.lower() == table.lower():
                return live.columns.json_names
        return frozenset()

    def calls(self) -> Iterator[tuple[Any, ...]]:
        for record in self.log.snapshot():
            values = vars(record) | {
                "started": iso_utc(record.started),
                "ms": round(record.ms, 3),
            }
            yield tuple(values[column] for column in CALL_COLUMNS)


@functools.cache
def resource_tables() -> dict[str, str]:
    """Table name -> type name of every resource table register() installs: one per catalog type with
    handlers (``apigatewayv2_integration_responses``), and the seed's names (``integration_responses``)."""
    catalog = load_catalog()
    tables = {table: type_name for table, (type_name, _) in catalog.tables().items()}
    tables.update(catalog.aliases)
    return tables


@functools.cache
def stackql_names() -> dict[str, str]:
    """StackQL name -> table name of every catalog type; a type with a seed name (an alias) keeps it."""
    catalog = load_catalog()
    own = {type_name: alias for alias, type_name in catalog.aliases.items()}
    return {
        stackql: own.get(type_name, table)
        for table, (type_name, stackql) in catalog.tables().items()
        if stackql
    }


def eponymous_tables() -> list[str]:
    """The tables the shell's .tables shows: the seed's table and the log tables (every catalog table is
    eponymous too, but 1,700 names would flood it: vtab_types lists them)."""
    seed = [load_schema(type_name).table_name for type_name in TABLE_TYPES]
    return seed + list(LOG_TABLES) + [TYPES_TABLE]


def register(connection: apsw.Connection, **options: Any) -> Registry:
    """Install vtab's tables on ``connection``; ``options`` are the defaults of every table (see Options).

    Configuration is read now (profile, region, endpoint), not at import. The connection's cursors (and so
    ``connection.execute``) also take StackQL's table names, ``aws.apigatewayv2.integration_responses``:
    its ``cursor_factory`` is extended, keeping a cursor class of your own (see vtab.sql.stackql).
    """
    from vtab.sqlite.table import Module  # the table imports the registry's type only

    base_options = Options().replace(**options)
    install_stackql_names(connection, stackql_names())
    registry = Registry(connection, base_options)
    for table_name, type_name in resource_tables().items():
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
    for table_name in (load_schema(type_name).table_name for type_name in TABLE_TYPES):
        # Connect the seed's table now: configuration (profile, region, endpoint) is read at register()
        # and a bad profile fails here. WHERE 0 prepares the statement without reading anything.
        cursor = connection.cursor()
        try:
            cursor.execute(f"SELECT 1 FROM {table_name} WHERE 0").fetchall()
        except apsw.SQLError as error:
            if isinstance(error.__cause__, OptionError):
                raise error.__cause__ from None  # e.g. an unknown region: Python callers get OptionError
            raise
        finally:
            # Closed before the error leaves: a hook that raises makes apsw close the half-made
            # connection, and a cursor of it still alive then fails that close.
            cursor.close()

    def vtab_calls(*args: Any, **kwargs: Any) -> Iterator[tuple[Any, ...]]:
        return registry.calls()

    vtab_calls.columns = CALL_COLUMNS  # type: ignore[attr-defined]
    vtab_calls.column_access = apsw.ext.VTColumnAccess.By_Index  # type: ignore[attr-defined]
    calls_table, dry_run_table = LOG_TABLES
    apsw.ext.make_virtual_module(connection, calls_table, cast("apsw.ext.VirtualModuleCallable", vtab_calls))

    def vtab_types(*args: Any, **kwargs: Any) -> Iterator[tuple[Any, ...]]:
        return type_rows()

    vtab_types.columns = TYPE_COLUMNS  # type: ignore[attr-defined]
    vtab_types.column_access = apsw.ext.VTColumnAccess.By_Index  # type: ignore[attr-defined]
    apsw.ext.make_virtual_module(connection, TYPES_TABLE, cast("apsw.ext.VirtualModuleCallable", vtab_types))

    def vtab_dry_run(*args: Any, **kwargs: Any) -> Iterator[tuple[object, ...]]:
        return registry.dry_runs.rows()

    vtab_dry_run.columns = DRY_RUN_COLUMNS  # type: ignore[attr-defined]
    vtab_dry_run.column_access = apsw.ext.VTColumnAccess.By_Index  # type: ignore[attr-defined]
    apsw.ext.make_virtual_module(
        connection, dry_run_table, cast("apsw.ext.VirtualModuleCallable", vtab_dry_run)
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

    connection.create_scalar_function("vtab_clear_cache", vtab_clear_cache, 0)
    connection.create_scalar_function("vtab_clear_calls", vtab_clear_calls, 0)
    connection.create_scalar_function("vtab_clear_dry_run", vtab_clear_dry_run, 0)
    return registry


def connect(filename: str = ":memory:", **options: Any) -> apsw.Connection:
    """An apsw connection to ``filename`` (e.g. your own .db, to join its tables) with vtab registered."""
    connection = apsw.Connection(filename)
    register(connection, **options)
    return connection
