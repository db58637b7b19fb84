"""The apsw module, table and cursor: thin glue between SQLite's callbacks and the planner, reader and writes.

The table is a rowid table and declares no key: one identifier can name a resource in several regions, so
nothing may tell SQLite it is unique. Each row's rowid is a hash of its (region, identifier)
(vtab.read.rowids), and UPDATE and DELETE get it back: they act on exactly the rows the WHERE matched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import apsw
from botocore.exceptions import BotoCoreError

from vtab import hints
from vtab.catalog.columns import (
    IDENTIFIER,
    PATCH_DOCUMENT,
    REGION,
    SQL_TYPES,
    STACKQL_OWN,
    json_text,
    quote,
    stackql_column,
    with_affinity,
)
from vtab.catalog.schema import ListInput, ResourceSchema
from vtab.catalog.store import load_catalog
from vtab.options import OptionError, Options, TrustError, check_endpoint_environment
from vtab.read.affinity import Affinity, Wanted, affinity_of, compared_values, wanted
from vtab.read.cache import ResultStore
from vtab.read.plan import (
    LIMIT,
    OFFSET,
    Offer,
    Plan,
    PlanKind,
    choose_plan,
    id_columns,
    missing_where,
    pushable_columns,
)
from vtab.read.progress import ReadProgress
from vtab.read.rowids import ReadRows, rowid_of
from vtab.read.scan import ReadContext, Row, Scan
from vtab.sql.guards import is_placeholder, placeholder_error
from vtab.sql.inlists import may_give_empty_in, prepared_text
from vtab.sql.interrupt import watch
from vtab.sql.literals import constants_are_literals
from vtab.sql.returning import ReturningColumns
from vtab.sqlite import callbacks, trust
from vtab.sqlite.registry import Registry
from vtab.sqlite.returning import returning_columns
from vtab.write.queue import WriteQueue

_LIMIT_OPS = {apsw.SQLITE_INDEX_CONSTRAINT_LIMIT: LIMIT, apsw.SQLITE_INDEX_CONSTRAINT_OFFSET: OFFSET}

JSON_KINDS = ("object", "array")
"""Schema types a column shows as JSON text."""

MEMO_MAX_ITEMS = 10_000
"""Resources one statement remembers to answer repeated Filter calls (nested-loop joins) without calls."""


def needs_where_error(table: str, schema: ResourceSchema, given: set[str]) -> str:
    """Why a SELECT cannot list the type, and the columns to give in WHERE (said before any call)."""
    if not schema.listable:
        shape = "|".join(f"<{p}>" for p in schema.primary_identifier)
        return (
            f"{table}: {schema.type_name} cannot be listed ({schema.list_reason or 'no list handler'}); "
            f"read it by identifier: WHERE data__Identifier = '{shape}' [{table}]"
        )
    missing = missing_where(schema, given)
    reasons = "; ".join(
        f"{schema.column_of(item.property_name)}: {item.reason or 'no walk finds its value'}"
        + _alias_note(schema, item)
        for item in schema.where_inputs
        if schema.column_of(item.property_name) in missing
    )
    example = " AND ".join(f"{column} = '...'" for column in missing)
    return (
        f"{table}: {schema.type_name} can only be listed with {', '.join(missing)} given in WHERE "
        f"({reasons}); add WHERE {example} (or IN (...)), or give data__Identifier [{table}]"
    )


def _alias_note(schema: ResourceSchema, item: ListInput) -> str:
    """``, or give source_api_id (the same value)`` when another column holds the input's value."""
    others = schema.input_columns_of(item)[1:]
    return f", or give {' or '.join(others)} (the same value)" if others else ""


class Columns:
    """The declared columns of a resource table: properties in schema order, region, then the hidden ones.

    Every property is a column twice: under its snake_case field name (``api_id``, shown by ``SELECT *``)
    and, hidden, under its schema name (``ApiId``, the name StackQL's INSERTs use); a third time, hidden,
    where StackQL's pages spell the column otherwise (``e_ip`` for ``eip``). All read the same value, push
    down the same way and are writable; ``canonical`` maps each to the field name. vtab's own identifier
    and patch answer to today's StackQL names too (``Identifier``, ``PatchDocument``: STACKQL_OWN).
    """

    def __init__(self, schema: ResourceSchema) -> None:
        self.schema = schema
        self.properties = list(schema.properties)
        fields = [schema.column_of(p) for p in self.properties]
        first_of: dict[str, str] = {}
        for prop, field in zip(self.properties, fields, strict=True):
            if field in first_of or field in (REGION, IDENTIFIER, PATCH_DOCUMENT):
                # One column per property, or one of them would silently never be read or written.
                other = first_of.get(field, field)
                raise ValueError(f"{schema.type_name}: {other} and {prop} would both be column {field}")
            first_of[field] = prop
        self.visible = [*fields, REGION]
        self.names = [*self.visible, IDENTIFIER, PATCH_DOCUMENT, *STACKQL_OWN]
        self.twins: dict[str, str] = {}
        """Hidden property column -> its field-name column (``ApiId`` -> ``api_id``, ``e_ip`` -> ``eip``).
        A property named like one of STACKQL_OWN is written through that column (see own_aliases)."""
        taken = {name.lower() for name in self.names}  # SQLite column names are case-insensitive
        for prop, field in zip(self.properties, fields, strict=True):
            for twin in dict.fromkeys((prop, stackql_column(prop))):
                if twin.lower() not in taken:
                    self.twins[twin] = field
                    self.names.append(twin)
                    taken.add(twin.lower())
                elif twin in STACKQL_OWN:
                    self.twins[twin] = field
        self.own_aliases = {name: own for name, own in STACKQL_OWN.items() if name not in self.twins}
        """StackQL's name of vtab's own column -> that column, where writes take it so (``PatchDocument``)."""
        self.index = {name: i for i, name in enumerate(self.names)}
        self.canonical = {name: STACKQL_OWN.get(name) or self.twins.get(name, name) for name in self.names}
        """Any column name -> the name the planner and the reads use for it (the field name; vtab's own
        columns by their ``data__`` names)."""
        self.property_of = {schema.column_of(p): p for p in self.properties}
        self.property_of.update({twin: self.property_of[field] for twin, field in self.twins.items()})
        for name in STACKQL_OWN:
            self.property_of.pop(name, None)  # read as vtab's own column; written as the property
        """Column name (either spelling) -> property name, for the property columns."""
        self.json_names = frozenset(
            name
            for name, prop in self.property_of.items()
            if schema.properties[prop].get("type") in JSON_KINDS
        )
        """Columns whose text is JSON by the schema (object and array properties)."""
        self.affinities = {name: affinity_of(self.sql_type(name)) for name in self.names}
        """Column name -> its affinity, which values pushed down for it take (vtab.read.affinity)."""
        self.readers: list[Callable[[Row], apsw.SQLiteValue]] = [self._reader(name) for name in self.names]
        """Column number -> how to read it from a Row (looked up once, used for every cell)."""

    def sql_type(self, name: str) -> str:
        """The declared type of column ``name``: from the property's JSON type (string TEXT, integer
        INTEGER, number REAL, boolean INTEGER 0/1, object and array JSON TEXT), TEXT for vtab's own, and
        none for a property whose schema allows several types (SQLite keeps each value as it comes)."""
        prop = self.property_of.get(name)
        if prop is None:
            return "TEXT"
        return SQL_TYPES.get(self.schema.properties[prop].get("type", ""), "")

    def ddl(self) -> str:
        declared = [f"{quote(name)} {self.sql_type(name)}".rstrip() for name in self.visible]
        declared += [f"{IDENTIFIER} TEXT HIDDEN", f"{PATCH_DOCUMENT} TEXT HIDDEN"]
        declared += [f"{name} TEXT HIDDEN" for name in STACKQL_OWN]
        declared += [
            f"{quote(twin)} {self.sql_type(twin)} HIDDEN".replace("  ", " ")
            for twin in self.twins
            if twin not in STACKQL_OWN
        ]
        return f"CREATE TABLE x({', '.join(declared)})"

    def _reader(self, name: str) -> Callable[[Row], apsw.SQLiteValue]:
        name = self.canonical[name]
        if name == REGION:
            return lambda row: row.region
        if name == IDENTIFIER:
            return lambda row: row.identifier
        if name == PATCH_DOCUMENT:
            return lambda row: None  # write-only
        prop = self.property_of[name]
        sql_type = self.sql_type(name)

        def read(row: Row) -> apsw.SQLiteValue:
            """Objects become JSON text; absent properties are NULL; numbers take the column's affinity."""
            value = row.properties.get(prop)
            if value is None or isinstance(value, str):
                return value
            if isinstance(value, int | float):
                return with_affinity(value, sql_type)
            return json_text(value)

        return read

    def value(self, name: str, row: Row) -> apsw.SQLiteValue:
        """Column ``name`` of ``row``, as a SELECT shows it."""
        return self.readers[self.index[name]](row)


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
            return Columns(self.schema).ddl(), trust.RefusedTable(f"{databasename}.{tablename}: {error}")
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
        self.columns = Columns(schema)
        if options.endpoint_url is None:
            check_endpoint_environment()  # a malformed AWS_ENDPOINT_URL_CLOUDCONTROL fails now, named
        self.cloud = registry.cloud_for(options)  # reads the AWS configuration: a bad profile fails here
        self.cache = registry.cache_for(options)
        self._pool: ThreadPoolExecutor | None = None
        self.writing = False
        self.read_rows = ReadRows(schema.is_global)
        """Rows read while a write transaction runs, by rowid: UPDATE diffs against them, DELETE takes
        their region and identifier."""
        self.writes = WriteQueue(self)
        registry.tables.add(self)

    @property
    def json_names(self) -> frozenset[str]:
        return self.columns.json_names

    def returning_columns(self) -> ReturningColumns:
        return returning_columns(self.columns)

    @property
    def pool(self) -> ThreadPoolExecutor:
        """Threads for this table's writes (each read cursor has its own, see Cursor)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.options.max_workers, thread_name_prefix=f"vtab-{self.name}")
        return self._pool

    def preferred_region(self) -> str | None:
        """The region a global type is listed through when a query asks it among others: the first of the
        ``regions`` option, else boto3's default region."""
        return self.options.regions[0] if self.options.regions else self.cloud.default_region

    def default_regions(self) -> list[str]:
        regions = list(self.options.regions) or (
            [self.cloud.default_region] if self.cloud.default_region else []
        )
        if not regions:
            raise apsw.SQLError(
                f"{self.name}: no region. Add WHERE region = 'us-east-1' (or IN (...)), "
                f"{hints.set_option('regions', 'us-east-1')} (or regions= in CREATE VIRTUAL TABLE), "
                "or set AWS_REGION"
            )
        return [self.cloud.check_region(region) for region in regions]

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
            if self.columns.affinities[name] is Affinity.TEXT and not is_in and name != REGION:
                rhs = info.get_aConstraint_rhs(i)
                if not literals or rhs is None:
                    # A join column, a parameter: SQLite compares with its affinity, which vtab cannot
                    # see, so SQLite checks each row again (vtab.read.affinity). A region is never a
                    # number, so vtab's exact match is always SQLite's.
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
        plan, cost, rows = choose_plan(self.schema, offers, needed)
        plan = dataclasses.replace(plan, rechecked=frozenset(rechecked), literal=frozenset(literal))
        if written != list(plan.args):
            plan = dataclasses.replace(plan, written=tuple(written))
        info.idxStr = plan.encode(self.schema)
        info.estimatedCost = cost
        info.estimatedRows = rows
        singles = {o.column for o in offers if not o.is_in} - rechecked  # a rechecked number lists them
        ids = id_columns(self.schema).keys()
        if plan.kind is PlanKind.GET and REGION in singles and (IDENTIFIER in singles or ids <= singles):
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
        self.read_rows.clear()
        self.writes.end()

    # -- lifecycle ------------------------------------------------------------------------------------

    @callbacks.guarded
    def Disconnect(self) -> None:
        self.registry.tables.discard(self)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    Destroy = Disconnect


class Cursor:
    """One statement's cursor. SQLite reuses it for every Filter of the statement, so it owns the memo."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.memo = ResultStore(ttl=None, max_items=MEMO_MAX_ITEMS)
        self._readers = table.columns.readers
        self._pool: ThreadPoolExecutor | None = None
        """This cursor's own threads: a scan blocked on SQLite (the outer side of a join) must never
        hold the threads another cursor's scan (the inner side) needs."""
        self._scan: Scan | None = None
        self._progress = ReadProgress(table.name) if table.options.progress else None
        self._rows: Iterator[Row] = iter(())
        self._row: Row | None = None
        self._checks: list[tuple[int, Wanted]] = []
        """(column number, values) that Next checks on each row: numbers given for a TEXT column."""

    @callbacks.guarded
    def Filter(self, indexnum: int, indexname: str, constraintargs: tuple[Any, ...]) -> None:
        self._close_scan()
        table = self.table
        plan = Plan.decode(indexname, table.schema)
        # Each value as SQLite would compare it with the column (`name = 42` matches '42'); NULL, or a
        # BLOB against text, matches no row.
        affinities = table.columns.affinities
        given = {
            # A region is read as text whatever the other side: `region = 5` is the unknown region '5',
            # refused like 'us-east-7', not a silent no row.
            column: wanted(affinities[column], value, column in plan.literal or column == REGION)
            for column, value in zip(plan.args, constraintargs, strict=True)
            if column not in (LIMIT, OFFSET)
        }
        values = {column: wants.keys for column, wants in given.items()}
        numbered = {column: wants for column, wants in given.items() if wants.numbers and column != REGION}
        self._checks = [(table.columns.index[column], wants) for column, wants in numbered.items()]
        if numbered:
            plan = self._list_numbered(plan, values, numbered)
        if table.writing:
            table.writes.refuse_unfiltered()
        for column, written in zip(plan.args, plan.written or plan.args, strict=True):
            for value in values.get(column, ()):
                if is_placeholder(value):
                    raise placeholder_error(written, value, f"[{table.name}]")
        bounds = dict(zip(plan.args, constraintargs, strict=True))
        limit = None
        if isinstance(bounds.get(LIMIT), int) and bounds[LIMIT] >= 0 and not numbered:
            limit = bounds[LIMIT] + max(0, int(bounds.get(OFFSET) or 0))
        if plan.kind is PlanKind.NEEDS:
            raise apsw.SQLError(needs_where_error(table.name, table.schema, set(plan.args)))
        if REGION in values:
            regions = [table.cloud.check_region(region) for region in sorted(values[REGION], key=str)]
        else:
            regions = table.default_regions()
        if not all(values.values()):
            self._row = None
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                table.options.max_workers, thread_name_prefix=f"vtab-read-{table.name}"
            )
        context = ReadContext(
            table.cloud,
            self._pool,
            table.options.max_workers,
            table.cache,
            self._progress,
            watch(table.registry.connection),
            table.preferred_region(),
            table.options.account_id,
        )
        self._scan = Scan(context, self.memo, table.schema, plan, values, regions, limit)
        self._rows = iter(self._scan)
        self.Next()

    def _list_numbered(self, plan: Plan, values: dict[str, set[Any]], numbered: dict[str, Wanted]) -> Plan:
        """The plan once the columns given numbers (by a join column, subquery or parameter) are listed
        rather than looked up: '007' may equal 7, so no text is their key; Next keeps the rows whose value
        reads as one of the numbers (vtab.read.affinity.Wanted). Where the type cannot be listed without
        the column (an identifier of a type with no list), the number is looked up as its text instead:
        exactly SQLite's answer for a parameter, and for a numeric column all but ids spelled otherwise."""
        schema = self.table.schema
        looked_up = set(values)
        for column, wants in numbered.items():
            listed = plan.looked_up_by(schema, looked_up - {column})
            if listed.kind is PlanKind.NEEDS:
                values[column] = wants.keys | compared_values(Affinity.TEXT, set(wants.numbers))
                continue
            looked_up.discard(column)
            del values[column]
            plan = listed
        return plan

    def Eof(self) -> bool:
        return self._row is None

    @callbacks.guarded
    def Next(self) -> None:
        self._row = next(self._rows, None)
        while self._row is not None and not all(
            wants.matches(self._readers[index](self._row)) for index, wants in self._checks
        ):
            self._row = next(self._rows, None)
        if self._row is not None and self.table.writing:
            self.table.read_rows.add(self._row)

    def Column(self, number: int) -> apsw.SQLiteValue:
        """Guarded as every callback is, inline (see ``callbacks.bug``)."""
        try:
            assert self._row is not None
            if number == -1:
                return rowid_of(self._row)
            return self._readers[number](self._row)
        except apsw.Error:
            raise
        except Exception as error:
            raise callbacks.bug(error, "Cursor.Column") from error

    def ColumnNoChange(self, number: int) -> Any:
        """UPDATE asks this for columns outside SET: "unchanged" makes the patch hold only SET columns
        (the rowid tells the write which row, region included)."""
        return apsw.no_change

    def Rowid(self) -> int:
        assert self._row is not None
        return rowid_of(self._row)

    @callbacks.guarded
    def Close(self) -> None:
        self._close_scan()
        if self._progress is not None:
            self._progress.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _close_scan(self) -> None:
        if self._scan is not None:
            self._scan.close()
            self._scan = None
