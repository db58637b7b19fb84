"""Writes: validate and queue INSERT/UPDATE/DELETE in the Update* callbacks, apply the queue at Sync.

Nothing is sent before Sync, so a statement that fails on any row (a bad value, the write limit) sends
nothing, and ``ROLLBACK`` of an explicit transaction sends nothing. At Sync every queued operation is sent
in parallel and polled to its end; remote changes that succeeded cannot be rolled back, and the error
says which rows those were.

SQLite hands UPDATE and DELETE the rowid of each row its WHERE matched (vtab.read.rowids); the row the
cursor read under that rowid says which resource, in which region. UPDATE diffs the SET columns against
it, so ``SET x = x`` or an unchanged value sends nothing.

This module keeps the queue: the transaction's and statement's bookkeeping (savepoints, max_writes, a
failed statement's writes taken back, a key queued twice) and the sending at Sync. Rows into checked
operations is vtab.write.rows; what is refused before anything is queued, vtab.write.refusals; the UPDATE
diff, vtab.write.patch; the statement's error, vtab.write.verdict.
"""

from __future__ import annotations

from typing import Any

import apsw

from vtab import hints
from vtab.catalog.facts import Verb
from vtab.read.context import TableContext
from vtab.read.rows import Row
from vtab.sql.statements import Statement, StatementTracker
from vtab.write.conflict import ConflictResolver, Key, Skipped, create_key, key_text
from vtab.write.operation import IGNORE, REPLACE, Operation, WriteStatus, unique_key
from vtab.write.order import send_first
from vtab.write.patch import as_queued
from vtab.write.refusals import refuse_if_read_only, refuse_too_big, refuse_unfiltered
from vtab.write.returning import dry_run_row, event_rows
from vtab.write.rows import RowWriter
from vtab.write.send import Sender
from vtab.write.shared import SharedState
from vtab.write.verdict import applied_lines, statement_error

CONFLICT_WORDS = {IGNORE: "INSERT OR IGNORE", REPLACE: "INSERT OR REPLACE"}


class WriteQueue:
    """The operations one transaction of one table will send."""

    def __init__(self, table: TableContext, shared: SharedState) -> None:
        self.table = table
        self.shared = shared
        self.schema = table.schema
        self.rows = RowWriter(table, shared)
        self.ops: list[Operation] = []
        self._next_seq = 0
        self._savepoints: dict[int, int] = {}
        """Savepoint level -> the ``seq`` of the first operation queued after it."""
        self._creates: dict[Key, Operation] = {}
        """Unique key -> the latest create queued with it (maybe taken back since: checked on a hit)."""
        self.statements = StatementTracker(shared.connection, self._statement_failed, self._read_fresh)
        self.ordering = False
        """Set while this queue sends the writes of other tables that its own wait for."""

    @property
    def name(self) -> str:
        return self.table.name

    # -- transaction ----------------------------------------------------------------------------------

    def begin(self) -> None:
        self.ops.clear()
        self._creates.clear()
        self._savepoints.clear()
        self._read_fresh()
        self.statements.begin()

    def _read_fresh(self) -> None:
        """A write statement reads live rows, not cached ones: an UPDATE diffs against what it read, and a
        stale value equal to the new one would silently send nothing."""
        self.table.cache.invalidate(self.schema.type_name)

    def end(self) -> None:
        """Commit or Rollback: the transaction is over."""
        self.ops.clear()
        self._creates.clear()
        self._savepoints.clear()
        self.shared.applied_writes.clear()
        self.statements.end()

    def savepoint(self, level: int) -> None:
        self._savepoints = {lv: seq for lv, seq in self._savepoints.items() if lv < level}
        self._savepoints[level] = self._next_seq

    def release(self, level: int) -> None:
        self._savepoints = {lv: seq for lv, seq in self._savepoints.items() if lv < level}

    def rollback_to(self, level: int) -> None:
        mark = self._savepoints.get(level)
        if mark is not None:
            self.ops = [op for op in self.ops if op.seq < mark]

    def drop(self) -> None:
        """Rollback before Sync: nothing was sent, nothing will be."""
        self.ops.clear()

    def _statement_failed(self, statement: Statement) -> None:
        self.ops = [op for op in self.ops if op.statement is not statement]

    # -- the Update* callbacks ------------------------------------------------------------------------

    def insert(self, values: dict[str, Any], rowid: int | None = None) -> None:
        refuse_if_read_only(self.table, self.shared, "INSERT")
        where = self._where_row()
        mode = self.shared.connection.vtab_on_conflict()
        op = self.rows.create(values, rowid, self._current().rows + 1, mode, where)
        if mode in CONFLICT_WORDS and not unique_key(self.schema):
            raise apsw.SQLError(
                f"{CONFLICT_WORDS[mode]}: {self.schema.type_name} has no unique key this module knows, so "
                f"an existing resource cannot be recognised; use a plain INSERT {where}"
            )
        if mode not in CONFLICT_WORDS:
            self._refuse_duplicate_key(op, where)
        refuse_too_big(self.schema, op, where)
        self._row()
        self._queue(op)

    def _refuse_duplicate_key(self, op: Operation, where: str) -> None:
        """A plain INSERT of a key another queued create has (this statement's or the transaction's) would
        fail AlreadyExists after the first was applied: refused now, before anything is sent."""
        key = create_key(self.schema, op)
        if key is None:
            return
        first = self._creates.get(key)
        if first is not None and not any(other is first for other in self.ops):
            # Taken back (a failed statement, ROLLBACK TO): an older create of the key may still be queued.
            first = next((other for other in self.ops if create_key(self.schema, other) == key), None)
        if first is None:
            return
        assert op.desired is not None
        own = unique_key(self.schema)[-1]
        column = self.schema.column_of(own)
        of = "" if first.statement is self._current() else " of an earlier statement of this transaction"
        raise apsw.ConstraintError(
            f"{column} = {self.schema.sensitive.literal(own, op.desired.get(own))}: row {op.row} has the "
            f"same key as row "
            f"{first.row}{of} ({key_text(self.schema, op.desired)}) in {op.region}; {self.schema.type_name} "
            f"allows one per key, so the second create would fail AlreadyExists; keep one of the rows, or "
            f"write INSERT OR IGNORE (the first wins) or INSERT OR REPLACE (the last wins) {where}"
        )

    def update(self, rowid: int, new_rowid: int | None, values: dict[str, Any]) -> None:
        refuse_if_read_only(self.table, self.shared, "UPDATE")
        refuse_unfiltered(self.table, self.shared)
        self._row()
        current = self._current()
        row, op = self.rows.update(
            rowid, new_rowid, values, current.rows, lambda row: as_queued(self.schema, row, self.ops, current)
        )
        self._replace_earlier_update(row)
        if op is not None:
            self._queue(op)

    def _replace_earlier_update(self, row: Row) -> None:
        """One statement updates a resource once: when UPDATE ... FROM joins it with several source rows,
        the last one wins (SQLite itself uses one of them), so the earlier ones are taken back."""
        statement = self._current()
        earlier = statement.updates.pop((row.account, row.region, row.identifier), None)
        if earlier is not None:
            self.ops = [op for op in self.ops if op is not earlier]
            statement.queued -= 1

    def delete(self, rowid: int) -> None:
        refuse_if_read_only(self.table, self.shared, "DELETE")
        refuse_unfiltered(self.table, self.shared)
        self._row()
        op = self.rows.delete(rowid, self._current().rows)
        assert op.identifier is not None
        deletes = self._current().deletes
        if (op.account, op.region, op.identifier) in deletes:
            return  # a global resource read in several regions is deleted once
        deletes.add((op.account, op.region, op.identifier))
        self._queue(op)

    # -- Sync -----------------------------------------------------------------------------------------

    def apply(self) -> None:
        """Send every queued operation (or record them, for dry_run); raise one error if any failed.

        Called again by a retried COMMIT after a BusyError: the queue then holds the failed writes."""
        if not self.ops:
            return
        send_first(self, self.shared.write_queues())
        ops, self.ops = self.ops, []
        if not ops:
            return
        table = self.table
        resolver = ConflictResolver(table)
        try:
            send, skipped = resolver.resolve(ops)
        except BaseException:
            # Nothing was sent. SQLite keeps the transaction open after a BUSY COMMIT (e.g. a throttled
            # OR IGNORE/REPLACE listing), so the retried COMMIT must find every write still queued; after
            # any other failure SQLite rolls back, which drops them.
            self.ops = ops + self.ops
            raise
        if table.options.dry_run:
            self._record_dry_run(send, skipped)
            return
        if not send:
            return
        sender = Sender(
            table.cloud,
            self.schema,
            table.pool,
            table.poll_pool,
            concurrency=table.options.max_workers,
            timeout=table.options.write_timeout,
            interrupted=table.interrupted,
            cloud_of=table.cloud_of,
        )
        try:
            outcomes = resolver.settle(sender.run(send), sender.run)
        finally:
            self.shared.clear_cache(self.schema.type_name)
        statement = self.shared.statement.number
        self.shared.returning.record(
            statement, event_rows(outcomes, self.schema, table.name, table.cloud.account_label())
        )
        error = statement_error(
            outcomes,
            self.schema,
            table.name,
            transaction=self.statements.in_transaction,
            applied_elsewhere=list(self.shared.applied_writes),
        )
        self.shared.applied_writes.extend(
            f"{table.name} {line}" for line in applied_lines(outcomes, self.schema)
        )
        if error is not None:
            if isinstance(error, apsw.BusyError):
                # SQLite keeps a transaction open after a BUSY COMMIT: a retried COMMIT sends the failed
                # writes again (and only those); ROLLBACK, or the rollback of an autocommit statement,
                # drops them.
                self.ops = [outcome.again() for outcome in outcomes if not outcome.ok] + self.ops
            raise error

    def _record_dry_run(self, send: list[Operation], skipped: list[Skipped]) -> None:
        table = self.table
        entries: list[tuple[Operation, str, str]] = [(op, op.action, op.note) for op in send]
        entries += [(s.op, "SKIP", s.reason) for s in skipped]
        returned = []
        for op, action, note in sorted(entries, key=lambda entry: entry[0].seq):
            if action != "SKIP":
                unsent = f"dry_run: {op.describe(self.schema)} not sent"
                returned.append(dry_run_row(op, self.schema, table.name, unsent, table.cloud.account_label()))
            record = table.cloud_of(op.account).log_start(
                op.call if action != "SKIP" else "(none)",
                op.region,
                self.schema.type_name,
                identifier=op.identifier,
                cache="dry-run",
            )
            record.status = WriteStatus.NOT_SENT
            self.shared.dry_runs.add(
                table.name,
                action,
                op.region,
                self.schema.type_name,
                identifier=op.identifier,
                desired_state=op.desired_json(masked=self.schema) if action == "CREATE" else None,
                patch_document=op.patch_json(masked=self.schema) if action == "UPDATE" else None,
                note=note or f"dry_run: {op.describe(self.schema)} not sent",
            )
        self.shared.returning.record(self.shared.statement.number, returned)

    # -- helpers --------------------------------------------------------------------------------------

    def _queue(self, op: Operation) -> None:
        """Append ``op``, unless the statement would then exceed max_writes."""
        statement = self._current()
        limit = self.table.options.max_writes
        if statement.queued >= limit:
            raise apsw.ConstraintError(
                f"max_writes={limit}: this statement would send more than {limit} write(s) to AWS, so it was "
                f"refused before anything was sent; narrow the WHERE clause, or raise the connection's "
                f"limit: {hints.set_option('max_writes', 'N')} (a table's own max_writes may only lower it) "
                f"[{self.table.name}]"
            )
        op.seq = self._next_seq
        self._next_seq += 1
        op.statement = statement
        statement.queued += 1
        self.ops.append(op)
        key = create_key(self.schema, op)
        if key is not None:
            self._creates[key] = op
        elif op.verb is Verb.UPDATE and op.identifier is not None:
            statement.updates[(op.account, op.region, op.identifier)] = op

    def _current(self) -> Statement:
        return self.statements.current

    def _row(self) -> int:
        statement = self._current()
        statement.rows += 1
        return statement.rows

    def _where_row(self) -> str:
        return f"[{self.table.name} row {self._current().rows + 1}]"
