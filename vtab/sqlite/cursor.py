"""The apsw cursor: one statement's Filter/Next/Column, turning a decoded plan into a read scan.

It checks the values SQLite hands Filter (placeholders, numbers for TEXT columns, regions), refuses a
SELECT that cannot list its type with a message naming the columns to give, and keeps the statement's
memo so nested-loop joins repeat no call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import apsw

from vtab.catalog.columns import ACCOUNT_ID, ACCOUNT_NAME, REGION
from vtab.catalog.schema import ListInput, ResourceSchema
from vtab.read.accounts import StatementAccounts
from vtab.read.affinity import Affinity, Wanted, compared_values, wanted
from vtab.read.cache import ResultStore
from vtab.read.plan import LIMIT, OFFSET, Plan, PlanKind, missing_where
from vtab.read.progress import ReadProgress
from vtab.read.rowids import rowid_of
from vtab.read.rows import Row
from vtab.read.scan import Scan
from vtab.sql.guards import is_placeholder, placeholder_error
from vtab.sqlite import callbacks
from vtab.sqlite.cells import BEYOND, RowCells
from vtab.write.refusals import refuse_unfiltered

if TYPE_CHECKING:
    from vtab.sqlite.table import Table

_TEXT_ALWAYS = (REGION, ACCOUNT_ID, ACCOUNT_NAME)
"""Columns whose pushed-down values are compared as text whatever SQLite's affinity: never numbers."""

_AT_END = True.__bool__
_NOT_AT_END = False.__bool__
"""``Eof``'s two answers as builtins (``Cursor._shadow``)."""

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


class Cursor:
    """One statement's cursor. SQLite reuses it for every Filter of the statement, so it owns the memo."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.memo = ResultStore(ttl=None, max_items=MEMO_MAX_ITEMS)
        self._readers = table.columns.readers
        columns = table.columns
        self._cell_properties = [*columns.cell_properties, None]  # the last: the rowid's (-1)
        self._converters = columns.converters
        self._own_readers: dict[int, Callable[[Row], apsw.SQLiteValue]] = {
            -1: rowid_of,
            **columns.own_readers,
            columns.index[ACCOUNT_ID]: table.context.account_of,
            columns.index[ACCOUNT_NAME]: table.context.account_name,
        }
        self.accounts = StatementAccounts()
        """The statement's accounts: each reached once, a failed (account, region) not asked again."""
        self._cells: list[Any] = []
        """The current row's property values by column number, as parsed (``Column`` converts them)."""
        self._row_cells: dict[str, RowCells | None] = {}
        """Plan -> how Next makes a row's cells (None: ``Column`` converts each cell as SQLite asks)."""
        self._made: RowCells | None = None
        """How Next makes this Filter's rows' cells, if it does (then ``Column`` is the cells' own)."""
        self._pool: ThreadPoolExecutor | None = None
        """This cursor's own threads while it is open, borrowed from the connection (vtab.read.pools): a
        scan blocked on SQLite (the outer side of a join) must never hold the threads another cursor's
        scan (the inner side) needs."""
        self._pool_winding_down = False
        """A scan on the pool was closed part way: its tasks may still run, so the pool is not lent on."""
        self._scan: Scan | None = None
        self._progress = ReadProgress(table.name) if table.options.progress else None
        self._pages: Iterator[list[Row]] = iter(())
        """The scan's rows a page at a time, as its tasks handed them over."""
        self._page: Iterator[Row] = iter(())
        """The rest of the current page: Next takes a row from a list, and goes to the scan once a page."""
        self._row: Row | None = None
        self._checks: list[tuple[int, Wanted]] = []
        """(column number, values) that Next checks on each row: numbers given for a TEXT column."""
        self._shadow("Eof", _AT_END)

    def _shadow(self, callback: str, builtin: Callable[..., Any]) -> None:
        """Answer apsw's ``callback`` with ``builtin`` (no Python frame): apsw looks each callback up on
        the cursor object at every call, so an instance attribute shadows the method."""
        vars(self)[callback] = builtin

    @callbacks.guarded
    def Filter(self, indexnum: int, indexname: str, constraintargs: tuple[Any, ...]) -> None:
        self._close_scan()
        table = self.table
        plan = Plan.decode(indexname, table.schema)
        # Each value as SQLite would compare it with the column (`name = 42` matches '42'); NULL, or a
        # BLOB against text, matches no row.
        affinities = table.columns.affinities
        given = {
            # A region (or account id) is read as text whatever the other side: `region = 5` is the
            # unknown region '5', refused like 'us-east-7', not a silent no row.
            column: wanted(affinities[column], value, column in plan.literal or column in _TEXT_ALWAYS)
            for column, value in zip(plan.args, constraintargs, strict=True)
            if column not in (LIMIT, OFFSET)
        }
        values = {column: wants.keys for column, wants in given.items()}
        numbered = {
            column: wants for column, wants in given.items() if wants.numbers and column not in _TEXT_ALWAYS
        }
        self._checks = [(table.columns.index[column], wants) for column, wants in numbered.items()]
        if numbered:
            plan = self._list_numbered(plan, values, numbered)
        if table.writing:
            refuse_unfiltered(table.context, table.registry)
            # An UPDATE's or DELETE's scan: SQLite marks every column used, yet reads none it does not
            # SET, so the account columns are looked up only if a cell asks.
            plan = dataclasses.replace(plan, shows=frozenset())
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
            regions = [table.context.cloud.check_region(region) for region in sorted(values[REGION], key=str)]
        else:
            regions = table.context.default_regions()
        self._made = self._cells_of(indexname)
        if self._made is None:
            vars(self).pop("Column", None)  # the method: each cell converted as SQLite asks
        if not all(values.values()):
            self._row = None
            self._shadow("Eof", _AT_END)
            return
        if self._pool is None:
            self._pool = table.registry.read_pools.borrow(table.options.max_workers)
        self._scan = Scan(
            table.context, self._pool, self.memo, plan, values, regions, limit, self._progress, self.accounts
        )
        self._pages, self._page = self._scan.pages(), iter(())
        self._shadow("Eof", _NOT_AT_END)  # until Next finds no row
        self.Next()

    def _cells_of(self, plan: str) -> RowCells | None:
        """How Next makes the cells of the rows of ``plan`` (None: left to ``Column``, cell by cell): only
        when the columns used are known, and not for an UPDATE or DELETE, which reads only what it SETs
        (SQLite marks every column used) and whose account columns are looked up only if a cell asks."""
        if plan not in self._row_cells:
            table = self.table
            used = table.columns_used.get(plan)
            account_name = table.columns.index[ACCOUNT_NAME]
            made = None
            # colUsed's last bit says only "a column from 63 on": the account name, looked up, is made
            # only when named (then its bit is its own).
            if used is not None and not (account_name >= BEYOND and BEYOND in used):
                made = RowCells(table.columns, used, self._own_readers)
            self._row_cells[plan] = made
        return None if self.table.writing else self._row_cells[plan]

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

    @callbacks.guarded
    def Next(self) -> None:
        row = next(self._page, None) or self._next_page()
        while (
            self._checks
            and row is not None
            and not all(wants.matches(self._readers[index](row)) for index, wants in self._checks)
        ):
            row = next(self._page, None) or self._next_page()
        self._row = row
        if row is None:
            self._shadow("Eof", _AT_END)
            return
        if self._made is not None:
            self.__dict__["Column"] = self._made.of(row).__getitem__  # as _shadow does, without a call
            return
        # One C-level pass per row: SQLite then asks a cell at a time (SELECT * asks them all). A
        # column that is no property looks up None, which no JSON key is.
        self._cells = list(map(row.properties.get, self._cell_properties))  # type: ignore[arg-type]
        if self.table.writing:
            self.table.context.read_rows.add(row)

    def _next_page(self) -> Row | None:
        """The first row of the scan's next page that has one (None: the scan is over)."""
        for page in self._pages:
            self._page = iter(page)
            row = next(self._page, None)
            if row is not None:
                return row
        return None

    def Column(self, number: int) -> apsw.SQLiteValue:
        """A cell converted as SQLite asks it, where Next does not make the row's cells (``_cells_of``).
        Guarded as every callback is, inline (see ``callbacks.bug``)."""
        try:
            value = self._cells[number]
            if value is None:
                own = self._own_readers.get(number)
                return None if own is None else own(self._row)  # type: ignore[arg-type]  # a row is current
            if type(value) is str:
                return value
            return self._converters[number](value)
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
            if self._pool_winding_down:
                self._pool.shutdown(wait=False, cancel_futures=True)
            else:
                self.table.registry.read_pools.give_back(self._pool, self.table.options.max_workers)
            self._pool = None

    def _close_scan(self) -> None:
        if self._scan is not None:
            self._pool_winding_down |= not self._scan.over
            self._scan.close()
            self._scan = None
