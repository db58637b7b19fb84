"""The apsw module and table: thin glue between SQLite's callbacks and the planner, cursor and writes.

The table is a rowid table and declares no key: one identifier can name a resource in several regions and
accounts, so nothing may tell SQLite it is unique. Each row's rowid is a hash of its (account, region,
identifier) (vtab.read.rowids), and UPDATE and DELETE get it back: they act on exactly the rows the WHERE
matched.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import apsw
from botocore.exceptions import BotoCoreError

from vtab.catalog.columns import ACCOUNT_ID, ACCOUNT_NAME, IDENTIFIER, REGION
from vtab.catalog.schema import ResourceSchema
from vtab.catalog.store import load_catalog
from vtab.options import OptionError, Options, TrustError, check_endpoint_environment
from vtab.read.affinity import Affinity
from vtab.read.context import TableContext
from vtab.read.plan import LIMIT, OFFSET, Offer, PlanKind, choose_plan, id_columns, pushable_columns
from vtab.sql.inlists import may_give_empty_in, prepared_text
from vtab.sql.literals import constants_are_literals
from vtab.sql.returning import ReturningColumns
from vtab.sqlite import callbacks, trust
from vtab.sqlite.columns import Columns
from vtab.sqlite.cursor import Cursor
from vtab.sqlite.registry import Registry
from vtab.sqlite.returning import returning_columns
from vtab.write.queue import WriteQueue

_LIMIT_OPS = {apsw.SQLITE_INDEX_CONSTRAINT_LIMIT: LIMIT, apsw.SQLITE_INDEX_CONSTRAINT_OFFSET: OFFSET}


class Module:
    """The apsw module for one resource type; ``Connect`` also serves CREATE VIRTUAL TABLE (eponymous)."""

    def __init__(self, registry: Registry, type_name: str) -> None:
        self.registry = registry
        self.type_name = type_name

    @property
    def schema(self) -> ResourceSchema:
        """The type's schema, built at the table's first use (the catalog keeps it afterwards)."""
        return load_catalog().schema(self.type_name)

    @callbacks.guarded
    def Connect(
        self, connection: apsw.Connection, modulename: str, databasename: str, tablename: str, *args: str
    ) -> tuple[str, Table | trust.RefusedTable]:
        connection_options = self.registry.options
        trust.direct_only(connection, connection_options)
        own_temp = databasename == "temp" and self.registry.own_temp_tables.claim(
            self.registry.statement.sql, tablename, args
        )
        stored_in = trust.stored_in(connection, databasename, own_temp)
        try:
            options = connection_options.table_options(args, stored_in)
            table = Table(self.registry, self.schema, options, name=tablename)
        except TrustError as error:
            if stored_in is None:  # the session's own CREATE: refused now, and not created
                raise apsw.SQLError(f"{tablename}: {error}") from error
            trust.warn_if_creating(connection, self.registry.statement.sql, databasename, tablename, error)
            return Columns.of(self.schema).ddl(), trust.RefusedTable(f"{databasename}.{tablename}: {error}")
        except OptionError as error:
            # register() re-raises the cause, so Python callers get OptionError (a ValueError) itself.
            raise apsw.SQLError(f"{tablename}: {error}") from error
        except BotoCoreError as error:  # e.g. ProfileNotFound: configuration, not a remote failure
            raise apsw.SQLError(f"{tablename}: {type(error).__name__}: {error}") from None
        if stored_in is not None:
            trust.warn_if_creating(connection, self.registry.statement.sql, databasename, tablename, None)
        return table.columns.ddl(), table

    Create = Connect


class Table:
    """One table (the eponymous one, or a named instance with its own options)."""

    def __init__(self, registry: Registry, schema: ResourceSchema, options: Options, name: str) -> None:
        self.registry = registry
        self.schema = schema
        self.options = options
        self.name = name
        self.columns = Columns.of(schema)
        if options.endpoint_url is None:
            check_endpoint_environment()  # a malformed AWS_ENDPOINT_URL_CLOUDCONTROL fails now, named
        self.context = TableContext(
            name,
            schema,
            self.columns,
            options,
            registry.cloud_for(options),  # reads the AWS configuration: a bad profile fails here
            registry.cache_for(options),
            registry.interrupted,
            registry.estate_for(options),
            registry.account_errors,
            lambda: registry.statement.written,
        )
        """What the table is, for its reads and its writes (vtab.read.context)."""
        self.columns_used: dict[str, frozenset[int]] = {}
        """Plan (idxStr) -> the columns SQLite said its statements use (colUsed), for the cursor to make
        only those cells; a union where statements with the same plan use different columns."""
        self.writing = False
        registry.tables.add(self)

    @functools.cached_property
    def writes(self) -> WriteQueue:
        """The table's write queue, made at its first write: a read-only table (a sync's task) never
        builds its row rules."""
        return WriteQueue(self.context, self.registry)

    @property
    def json_names(self) -> frozenset[str]:
        return self.columns.json_names

    def returning_columns(self) -> ReturningColumns:
        return returning_columns(self.columns)

    # -- planning -------------------------------------------------------------------------------------

    @callbacks.guarded
    def BestIndexObject(self, info: apsw.IndexInfo) -> bool:
        pushable = pushable_columns(self.schema)
        offers: list[Offer] = []
        written: list[str] = []  # each offer's column as the statement named it (ApiId or api_id)
        rechecked: set[str] = set()
        literal: set[str] = set()
        sql = prepared_text()
        literals = constants_are_literals(sql)
        for i in range(info.nConstraint):
            op = info.get_aConstraint_op(i)
            if op in _LIMIT_OPS:
                # SQLite offers LIMIT even with an ORDER BY we do not consume: only honour it without one.
                # (With a rechecked column, Filter honours it only when it matches exactly: no number.)
                if info.nOrderBy == 0 and info.get_aConstraint_usable(i):
                    info.set_aConstraintUsage_argvIndex(i, len(offers) + 1)
                    offers.append(Offer(_LIMIT_OPS[op], False))
                    written.append(_LIMIT_OPS[op])
                continue
            column = info.get_aConstraint_iColumn(i)
            if column < 0 or op != apsw.SQLITE_INDEX_CONSTRAINT_EQ:
                continue
            name = self.columns.canonical[self.columns.names[column]]
            if name not in pushable or not info.get_aConstraint_usable(i):
                continue
            if info.get_aConstraint_collation(i) != "BINARY" or name in {o.column for o in offers}:
                continue
            is_in = info.get_aConstraintUsage_in(i)
            info.set_aConstraintUsage_argvIndex(i, len(offers) + 1)
            if (
                self.columns.affinities[name] is Affinity.TEXT
                and not is_in
                and name not in (REGION, ACCOUNT_ID, ACCOUNT_NAME)
            ):
                rhs = info.get_aConstraint_rhs(i)
                if not literals or rhs is None:
                    # A join column, a parameter: SQLite compares with its affinity, which vtab cannot
                    # see, so SQLite checks each row again (vtab.read.affinity). A region, an account
                    # id or name is text, compared as text, so vtab's exact match is always SQLite's.
                    rechecked.add(name)
                elif isinstance(rhs, int | float):
                    literal.add(name)
            # An IN list's values arrive with the column's affinity, a subquery's with the comparison's:
            # vtab matches them itself, as SQLite would check one value at a time as text ('007' = 7 fails).
            info.set_aConstraintUsage_omit(i, name not in rechecked)
            if is_in and not may_give_empty_in(sql):
                info.set_aConstraintUsage_in(i, True)  # the whole list in one Filter (else one value each)
            offers.append(Offer(name, is_in))
            written.append(self.columns.names[column])
        names, canonical = self.columns.names, self.columns.canonical
        needed = {canonical[names[c]] if c < len(names) else "*" for c in info.colUsed}
        several = self.context.several_accounts
        plan, cost, rows = choose_plan(self.schema, offers, needed, several_accounts=several)
        shows = needed & {ACCOUNT_ID, ACCOUNT_NAME}
        if "*" in needed:  # SQLite says only "some column past the 63rd"
            shows |= {ACCOUNT_ID} if self.columns.index[ACCOUNT_ID] >= 63 else set()
        plan = dataclasses.replace(
            plan, rechecked=frozenset(rechecked), literal=frozenset(literal), shows=frozenset(shows)
        )
        if written != list(plan.args):
            plan = dataclasses.replace(plan, written=tuple(written))
        info.idxStr = plan.encode(self.schema)
        self.columns_used[info.idxStr] = self.columns_used.get(info.idxStr, frozenset()) | info.colUsed
        info.estimatedCost = cost
        info.estimatedRows = rows
        singles = {o.column for o in offers if not o.is_in} - rechecked  # a rechecked number lists them
        ids = id_columns(self.schema).keys()
        one_account = not several or ACCOUNT_ID in singles  # an identifier is unique only in one account
        if (
            plan.kind is PlanKind.GET
            and REGION in singles
            and one_account
            and (IDENTIFIER in singles or ids <= singles)
        ):
            info.idxFlags = apsw.SQLITE_INDEX_SCAN_UNIQUE
        return True

    @callbacks.guarded
    def Open(self) -> Cursor:
        return Cursor(self)

    # -- writes (validated and queued in the Update* callbacks, sent in Sync) -------------------------

    @callbacks.guarded
    def Begin(self) -> None:
        self.writing = True
        self.writes.begin()

    @callbacks.guarded
    def UpdateInsertRow(self, rowid: int | None, fields: tuple[apsw.SQLiteValue, ...]) -> int:
        """Queue the create; the rowid is 0 (last_insert_rowid), as AWS assigns the identifier at Sync."""
        self.writes.insert(dict(zip(self.columns.names, fields, strict=True)), rowid)
        return 0

    @callbacks.guarded
    def UpdateChangeRow(self, rowid: int, newrowid: int, fields: tuple[Any, ...]) -> None:
        self.writes.update(rowid, newrowid, dict(zip(self.columns.names, fields, strict=True)))

    @callbacks.guarded
    def UpdateDeleteRow(self, rowid: int) -> None:
        self.writes.delete(rowid)

    @callbacks.guarded
    def Sync(self) -> None:
        self.writes.apply()

    @callbacks.guarded
    def Commit(self) -> None:
        self._end_write()

    @callbacks.guarded
    def Rollback(self) -> None:
        self.writes.drop()
        self._end_write()

    @callbacks.guarded
    def Savepoint(self, level: int) -> None:
        self.writes.savepoint(level)

    @callbacks.guarded
    def Release(self, level: int) -> None:
        self.writes.release(level)

    @callbacks.guarded
    def RollbackTo(self, level: int) -> None:
        """ROLLBACK TO a savepoint takes back the writes queued after it (nothing was sent yet)."""
        self.writes.rollback_to(level)

    def _end_write(self) -> None:
        self.writing = False
        self.context.read_rows.clear()
        self.writes.end()

    # -- lifecycle ------------------------------------------------------------------------------------

    @callbacks.guarded
    def Disconnect(self) -> None:
        self.registry.tables.discard(self)
        self.context.close()

    Destroy = Disconnect
