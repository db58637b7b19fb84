"""Writes: validate and queue INSERT/UPDATE/DELETE in the Update* callbacks, apply the queue at Sync.

Nothing is sent before Sync, so a statement that fails on any row (a bad value, the write limit) sends
nothing, and ``ROLLBACK`` of an explicit transaction sends nothing. At Sync every queued operation is sent
in parallel and polled to its end; remote changes that succeeded cannot be rolled back, and the error
says which rows those were.

SQLite hands UPDATE and DELETE the rowid of each row its WHERE matched (vtab.read.rowids); the row the
cursor read under that rowid says which resource, in which region. UPDATE diffs the SET columns against
it, so ``SET x = x`` or an unchanged value sends nothing.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import apsw
import jsonpatch
import jsonpointer
import orjson

from vtab import hints
from vtab.aws.cloudcontrol import CloudControl
from vtab.catalog.columns import IDENTIFIER, PATCH_DOCUMENT, REGION, STACKQL_OWN
from vtab.catalog.facts import Verb
from vtab.catalog.limits import request_limits, size_text
from vtab.catalog.schema import ResourceSchema
from vtab.catalog.sensitive import as_literal
from vtab.messages import sql_literal
from vtab.options import Options
from vtab.read.cache import ResultStore
from vtab.read.rowids import ReadRows
from vtab.read.scan import Row
from vtab.sql.guards import is_placeholder, is_template_value, placeholder_error, unfiltered_write
from vtab.sql.interrupt import result, watch
from vtab.sql.statements import Statement, StatementText, StatementTracker
from vtab.write.conflict import ConflictResolver, Key, Skipped, create_key, key_text
from vtab.write.dryrun import DryRunLog
from vtab.write.operation import IGNORE, REPLACE, Operation, WriteStatus, unique_key
from vtab.write.order import send_first
from vtab.write.patch import PatchDocumentRules, diff_patch, top_level
from vtab.write.returning import ReturningLog, dry_run_row, event_rows, transaction_error
from vtab.write.send import Sender, applied_lines, statement_error
from vtab.write.validate import RowRules


class ColumnNames(Protocol):
    """The table's column names and how to read a column of a row."""

    @property
    def property_of(self) -> dict[str, str]: ...
    @property
    def twins(self) -> dict[str, str]: ...
    @property
    def own_aliases(self) -> dict[str, str]: ...
    def value(self, name: str, row: Row) -> Any: ...


class SharedState(Protocol):
    """What writes need of the connection's shared state."""

    @property
    def connection(self) -> Any: ...
    @property
    def options(self) -> Options:
        """The connection's options: its read_only, dry_run and max_writes bound every table's."""
        ...

    @property
    def dry_runs(self) -> DryRunLog: ...
    @property
    def statement(self) -> StatementText: ...
    @property
    def applied_writes(self) -> list[str]: ...
    @property
    def returning(self) -> ReturningLog: ...
    def clear_cache(self, type_name: str | None = None) -> int: ...
    def write_queues(self) -> list[WriteQueue]:
        """The queues of every table of the connection (a COMMIT sends parents' writes first)."""
        ...


class Target(Protocol):
    """The table a WriteQueue writes to (the SQLite table satisfies it; writes never import the glue)."""

    name: str
    schema: ResourceSchema
    options: Options
    cloud: CloudControl
    cache: ResultStore
    read_rows: ReadRows

    @property
    def columns(self) -> ColumnNames: ...
    @property
    def registry(self) -> SharedState: ...
    @property
    def pool(self) -> ThreadPoolExecutor: ...


CONFLICT_WORDS = {IGNORE: "INSERT OR IGNORE", REPLACE: "INSERT OR REPLACE"}


class WriteQueue:
    """The operations one transaction of one table will send."""

    def __init__(self, table: Target) -> None:
        self.table = table
        self.schema = table.schema
        self.rules = RowRules(
            table.name, table.schema, table.columns.property_of, schema_checks=table.options.schema_checks
        )
        self.patches = PatchDocumentRules(self.rules)
        self.ops: list[Operation] = []
        self._next_seq = 0
        self._savepoints: dict[int, int] = {}
        """Savepoint level -> the ``seq`` of the first operation queued after it."""
        self._creates: dict[Key, Operation] = {}
        """Unique key -> the latest create queued with it (maybe taken back since: checked on a hit)."""
        self.statements = StatementTracker(
            table.registry.connection, self._statement_failed, self._read_fresh
        )
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
        self.table.registry.applied_writes.clear()
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
        self._refuse_if_read_only("INSERT")
        where = self._where_row()
        if rowid is not None:
            raise apsw.ReadOnlyError(
                f"rowid = {sql_literal(rowid)}: vtab derives each row's rowid from its region and "
                f"identifier, which AWS assigns; leave rowid out of the INSERT {where}"
            )
        self._refuse_returning_in_transaction(where)
        values = self._one_name_per_property(values, None, where)
        identifier = values.get(IDENTIFIER)
        if identifier is not None:
            raise apsw.ReadOnlyError(
                f"{IDENTIFIER} = {sql_literal(identifier)}: the identifier is read-only (AWS assigns it when "
                f"the resource is created); leave {IDENTIFIER} out of the INSERT {where}"
            )
        patch = values.get(PATCH_DOCUMENT)
        if patch is not None:
            raise apsw.SQLError(
                f"{PATCH_DOCUMENT} = {self.rules.literal(PATCH_DOCUMENT, patch)}: only UPDATE takes a patch "
                "document; an INSERT "
                f"sets the columns themselves {where}"
            )
        self._refuse_placeholders(values, where)
        region = self._region(values.get(REGION), where)
        values = self._fill_account_id(values, region, where)
        desired = self.rules.desired_state(values, where)
        self.rules.check_regions(desired, region, where)
        mode = self.table.registry.connection.vtab_on_conflict()
        if mode in CONFLICT_WORDS and not unique_key(self.schema):
            raise apsw.SQLError(
                f"{CONFLICT_WORDS[mode]}: {self.schema.type_name} has no unique key this module knows, so "
                f"an existing resource cannot be recognised; use a plain INSERT {where}"
            )
        op = Operation(Verb.CREATE, region, self._current().rows + 1, 0, desired=desired, on_conflict=mode)
        if mode not in CONFLICT_WORDS:
            self._refuse_duplicate_key(op, where)
        self._refuse_too_big(op, where)
        self._row()
        self._queue(op)

    def _fill_account_id(self, values: dict[str, Any], region: str, where: str) -> dict[str, Any]:
        """A required account-id column the row leaves NULL (QuickSight's aws_account_id) is the caller's
        account id, as a template's ``!Ref AWS::AccountId`` would be: the account_id option, else looked up
        (once per connection). A value given is sent as given (another account's is AWS's to refuse)."""
        schema = self.schema
        missing = [
            schema.column_of(prop)
            for prop in schema.account_properties
            if prop in schema.required
            and values.get(schema.column_of(prop)) is None
            and values.get(prop) is None
        ]
        if not missing:
            return values
        fix = f"give {missing[0]} in the INSERT"
        table = self.table
        account = table.options.account_id
        if account is None:
            lookup = table.pool.submit(table.cloud.account_id, region, None, fix)
            try:  # on a worker, so that the SQLite thread waits interruptibly
                account = result(lookup, watch(table.registry.connection), "the account id lookup")
            except apsw.InterruptError:
                raise
            except apsw.Error as error:
                raise type(error)(f"{error} {where}") from error
        return {**values, **dict.fromkeys(missing, account)}

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
        self._refuse_if_read_only("UPDATE")
        self.refuse_unfiltered()
        self._row()
        where = f"[{self.table.name} {self._read_row(rowid).identifier}]"
        if new_rowid is not None and new_rowid != rowid:
            raise apsw.ReadOnlyError(
                f"rowid = {sql_literal(new_rowid)} (was {rowid}): vtab derives each row's rowid from its "
                f"region and identifier; leave rowid out of the UPDATE {where}"
            )
        self._refuse_returning_in_transaction(where)
        values = self._one_name_per_property(values, apsw.no_change, where)
        read = self.table.read_rows.read(rowid)
        if read is not None and values.get(REGION) == read.region:
            values = {**values, REGION: apsw.no_change}  # the row's own (UPDATE ... FROM reads every column)
        row = self._as_queued(self._old_row(rowid, where))
        changed = {
            column: value
            for column, value in values.items()
            if value is not apsw.no_change and self._differs(row, column, value)
        }
        new = changed.pop(IDENTIFIER, None)
        if new is not None:
            raise apsw.ReadOnlyError(
                f"{IDENTIFIER} = {sql_literal(new)} (was {sql_literal(row.identifier)}): the identifier "
                f"is read-only (AWS assigns it); to re-key a resource, DELETE it and INSERT a new one {where}"
            )
        if REGION in changed:
            raise apsw.ReadOnlyError(
                f"{REGION} = {sql_literal(changed[REGION])} (was {sql_literal(row.region)}): a resource "
                f"cannot move to another region; INSERT it there and DELETE it here instead {where}"
            )
        self._refuse_placeholders({c: v for c, v in changed.items() if c != PATCH_DOCUMENT}, where)
        if PATCH_DOCUMENT in changed:
            # Every other SET column counts, changed or not: the refusal must not depend on the data.
            others = [c for c, v in values.items() if v is not apsw.no_change and c != PATCH_DOCUMENT]
            if others:
                raise apsw.SQLError(
                    f"{PATCH_DOCUMENT} cannot be combined with other SET columns ({', '.join(others)}): "
                    f"either SET {PATCH_DOCUMENT} alone, or SET the columns without it {where}"
                )
            patch = self.patches.parse(changed[PATCH_DOCUMENT], row.properties, where)
        else:
            patch = self._column_patch(row, changed, where)
        self._replace_earlier_update(row)
        if patch:
            op = Operation(
                Verb.UPDATE, row.region, self._current().rows, 0, identifier=row.identifier, patch=patch
            )
            self._refuse_too_big(op, where)
            self._queue(op)

    def _replace_earlier_update(self, row: Row) -> None:
        """One statement updates a resource once: when UPDATE ... FROM joins it with several source rows,
        the last one wins (SQLite itself uses one of them), so the earlier ones are taken back."""
        statement = self._current()
        earlier = statement.updates.pop((row.region, row.identifier), None)
        if earlier is not None:
            self.ops = [op for op in self.ops if op is not earlier]
            statement.queued -= 1

    def delete(self, rowid: int) -> None:
        self._refuse_if_read_only("DELETE")
        self.refuse_unfiltered()
        self._row()
        # Only the identifier and region are needed: a partial row (identifier-only listing) is not fetched.
        row = self._read_row(rowid)
        self._refuse_returning_in_transaction(f"[{self.table.name} {row.identifier}]")
        statement = self._current()
        if (row.region, row.identifier) in statement.deletes:
            return  # a global resource read in several regions is deleted once
        statement.deletes.add((row.region, row.identifier))
        try:
            ids: dict[str, Any] = dict(self.schema.split_identifier(row.identifier))
        except ValueError:
            ids = {}
        self._queue(
            Operation(
                Verb.DELETE,
                row.region,
                self._current().rows,
                0,
                identifier=row.identifier,
                properties={**ids, **row.properties},
            )
        )

    # -- Sync -----------------------------------------------------------------------------------------

    def apply(self) -> None:
        """Send every queued operation (or record them, for dry_run); raise one error if any failed.

        Called again by a retried COMMIT after a BusyError: the queue then holds the failed writes."""
        if not self.ops:
            return
        send_first(self, self.table.registry.write_queues())
        ops, self.ops = self.ops, []
        if not ops:
            return
        table = self.table
        interrupted = watch(table.registry.connection)
        resolver = ConflictResolver(table.cloud, self.schema, table.pool, interrupted)
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
            concurrency=table.options.max_workers,
            timeout=table.options.write_timeout,
            interrupted=interrupted,
        )
        try:
            outcomes = resolver.settle(sender.run(send), sender.run)
        finally:
            table.registry.clear_cache(self.schema.type_name)
        statement = table.registry.statement.number
        table.registry.returning.record(statement, event_rows(outcomes, self.schema, table.name))
        error = statement_error(
            outcomes,
            self.schema,
            table.name,
            transaction=self.statements.in_transaction,
            applied_elsewhere=list(table.registry.applied_writes),
        )
        table.registry.applied_writes.extend(
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
                returned.append(
                    dry_run_row(op, self.schema, table.name, f"dry_run: {op.describe(self.schema)} not sent")
                )
            record = table.cloud.log.start(
                op.call if action != "SKIP" else "(none)",
                op.region,
                self.schema.type_name,
                identifier=op.identifier,
                cache="dry-run",
            )
            record.status = WriteStatus.NOT_SENT
            table.registry.dry_runs.add(
                table.name,
                action,
                op.region,
                self.schema.type_name,
                identifier=op.identifier,
                desired_state=op.desired_json(masked=self.schema) if action == "CREATE" else None,
                patch_document=op.patch_json(masked=self.schema) if action == "UPDATE" else None,
                note=note or f"dry_run: {op.describe(self.schema)} not sent",
            )
        table.registry.returning.record(table.registry.statement.number, returned)

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
            statement.updates[(op.region, op.identifier)] = op

    def _refuse_too_big(self, op: Operation, where: str) -> None:
        """A DesiredState or PatchDocument over Cloud Control's limit is refused now, for every row, so a
        statement never applies its first rows and then fails remotely on a later one."""
        limits = request_limits()
        sensitive = self.schema.sensitive
        if op.verb is Verb.CREATE:
            member, text, limit = "DesiredState", op.desired_json() or "", limits.desired_state
            pairs = [(p, v, sensitive.value(p, v)) for p, v in (op.desired or {}).items()]
        else:
            member, text, limit = "PatchDocument", op.patch_json() or "", limits.patch_document
            ops = [o for o in op.patch or () if "path" in o]
            pairs = [
                (top_level(o["path"]), o.get("value"), masked.get("value"))
                for o, masked in zip(ops, sensitive.patch(ops), strict=True)
            ]
        if len(text) <= limit:
            return
        sizes = {self.schema.column_of(p): len(orjson.dumps(value)) for p, value, _ in pairs}
        column = max(sizes, key=lambda c: sizes[c]) if sizes else PATCH_DOCUMENT
        masked = next((m for p, _, m in pairs if self.schema.column_of(p) == column), None)
        raise apsw.TooBigError(
            f"{column} = {as_literal(masked)}: the {member} of this row would be {size_text(len(text))}, "
            f"over Cloud Control's limit of {size_text(limit)}; make {column} smaller (it is "
            f"{sizes.get(column, len(text)):,} characters), nothing was sent {where}"
        )

    def _current(self) -> Statement:
        return self.statements.current

    def _row(self) -> int:
        statement = self._current()
        statement.rows += 1
        return statement.rows

    def _where_row(self) -> str:
        return f"[{self.table.name} row {self._current().rows + 1}]"

    def _one_name_per_property(self, values: dict[str, Any], absent: Any, where: str) -> dict[str, Any]:
        """Fold each property's two column names (``api_id``, ``ApiId``) into the one the row gives.

        ``absent`` is what an unset column holds (NULL in an INSERT, ``no_change`` in an UPDATE). The same
        value under both names is fine; NULL under one name and a value under the other means the value,
        in an UPDATE as in an INSERT (which cannot tell NULL from a column left out); two different values
        are refused, naming both. The name kept is the one the statement used, so later messages speak of
        the column the user wrote. StackQL's ``Identifier`` and ``PatchDocument`` fold into vtab's own
        columns (or, on a type with a property so named, into that property's column: Columns.twins)."""
        columns = self.table.columns
        merged = dict(values)
        for twin, field in [*columns.own_aliases.items(), *columns.twins.items()]:
            mine, other = merged.pop(twin, absent), merged.get(field, absent)
            if mine is absent or (mine is None and other is not absent):
                continue  # the field name holds the property (a value, NULL or nothing)
            if other is absent or other is None:
                merged[field] = absent
                merged[field if twin in STACKQL_OWN else twin] = mine
            elif mine != other and (
                field not in columns.property_of or not self._same_value(field, other, mine, where)
            ):
                what = f"property {columns.property_of[field]}" if field in columns.property_of else field
                raise apsw.ConstraintError(
                    f"{field} = {self.rules.literal(field, other)} and {twin} = "
                    f"{self.rules.literal(field, mine)}: both columns are the {what}, with different values; "
                    f"give it once (either name) {where}"
                )
        return merged

    def _same_value(self, column: str, first: Any, second: Any, where: str) -> bool:
        """Whether two SQL values stand for the same property value (JSON text compared as JSON)."""
        if first == second:
            return True
        return bool(
            self.rules.property_value(column, first, where)
            == self.rules.property_value(column, second, where)
        )

    def refuse_unfiltered(self) -> None:
        """An UPDATE or DELETE of this table without a WHERE clause would change every resource the table
        lists (up to max_writes): refused when its scan starts (before reading) and at each row."""
        unfiltered = unfiltered_write(self.table.registry.statement.sql)
        if unfiltered is None or unfiltered.table.lower() != self.table.name.lower():
            return
        changes = "delete" if unfiltered.verb == "DELETE" else "update"
        raise apsw.ConstraintError(
            f"{unfiltered.verb} without a WHERE clause: it would {changes} every resource "
            f"{self.table.name} lists, so it was refused before anything was sent; add a WHERE clause that "
            f"picks the rows (e.g. WHERE region = 'us-east-1' AND {IDENTIFIER} = '...'), or write WHERE "
            f"true to mean every row [{self.table.name}]"
        )

    def _refuse_returning_in_transaction(self, where: str) -> None:
        """A RETURNING write inside BEGIN ... COMMIT has nothing to return when it ends (see
        vtab.write.returning)."""
        registry = self.table.registry
        if registry.statement.returning and not registry.connection.getautocommit():
            raise transaction_error(where)

    def _refuse_placeholders(self, values: dict[str, Any], where: str) -> None:
        """Id columns still holding an example's placeholder would create under a bogus parent; any column
        whose whole value is an unfilled ``{{ Name }}`` would store the template text itself."""
        guarded = {REGION, *self.schema.primary_identifier, *self.schema.list_requires}
        for column, value in values.items():
            is_id = column in guarded or self.table.columns.property_of.get(column) in guarded
            if (is_id and is_placeholder(value)) or is_template_value(value):
                raise placeholder_error(column, value, where)

    def _refuse_if_read_only(self, verb: str) -> None:
        if self.table.registry.options.read_only:  # a ceiling (vtab.options.CEILINGS): no table lifts it
            raise apsw.ReadOnlyError(hints.read_only_refusal(self.table.name, verb))
        if self.table.options.read_only:
            raise apsw.ReadOnlyError(
                f"{self.table.name} is read-only (its option read_only=true): {verb} refused before anything "
                f"was sent; use a table without read_only to change AWS resources"
            )
        handler = {"INSERT": Verb.CREATE, "UPDATE": Verb.UPDATE, "DELETE": Verb.DELETE}[verb]
        if handler not in self.schema.permissions:
            # Cloud Control would answer UnsupportedActionException; say so before anything is sent.
            handlers = ", ".join(v for v in Verb if v in self.schema.permissions)
            raise apsw.ReadOnlyError(
                f"{self.table.name}: {self.schema.type_name} has no {handler} handler, so Cloud Control "
                f"cannot {verb} it; {verb} refused before anything was sent (its handlers: {handlers}; "
                f"vtab_types.verbs lists them)"
            )

    def _region(self, value: object, where: str) -> str:
        """The row's region, else the only configured one (a global type's: the first, as any will do);
        refused when unknown or ambiguous."""
        table = self.table
        if value is None:
            configured = list(table.options.regions)
            if len(configured) > 1 and not self.schema.is_global:
                raise apsw.SQLError(
                    f"{REGION} = NULL: {len(configured)} regions are configured ({', '.join(configured)}), "
                    f"so the INSERT must say which one, e.g. region = {sql_literal(configured[0])} {where}"
                )
            value = configured[0] if configured else table.cloud.default_region
            if value is None:
                raise apsw.SQLError(
                    f"{REGION} = NULL and no region is configured: set the region column, "
                    f"{hints.set_option('regions', 'us-east-1')}, or set AWS_REGION {where}"
                )
        try:
            return table.cloud.check_region(value)
        except apsw.SQLError as error:
            raise apsw.SQLError(f"{REGION} = {sql_literal(value)}: {error} {where}") from None

    def _read_row(self, rowid: int) -> Row:
        """The row a write acts on, as read in this statement under ``rowid`` (its properties may be
        partial); a global resource's row read first, whichever region SQLite matched."""
        row = self.table.read_rows.resource(rowid)
        if row is None:
            raise apsw.SQLError(
                f"rowid {rowid}: the row to change was not read by this statement; add region and "
                f"{IDENTIFIER} to the WHERE clause [{self.table.name}]"
            )
        return row

    def _old_row(self, rowid: int, where: str) -> Row:
        """The row as read in this statement, with every property (GetResource if the read was partial)."""
        row = self._read_row(rowid)
        if self.schema.is_partial(row.properties):
            properties = self.table.cloud.get(row.region, self.schema, row.identifier)
            if properties is None:
                raise apsw.NotFoundError(
                    f"{IDENTIFIER} = {sql_literal(row.identifier)}: the resource no longer exists {where}"
                )
            row = Row(row.region, row.identifier, {**row.properties, **properties})
            self.table.read_rows.replace(row)
        return row

    def _as_queued(self, row: Row) -> Row:
        """The row as the transaction's earlier statements leave it: their queued UPDATEs of it applied.

        The cursor reads AWS, where nothing queued has happened yet; diffing against that would drop a
        later UPDATE back to the live value as unchanged, and COMMIT would send only the earlier one.
        This statement's own earlier update of the row (UPDATE ... FROM) is replaced, not applied."""
        current = self._current()
        patches = [
            op.patch
            for op in self.ops
            if op.verb is Verb.UPDATE
            and op.patch
            and op.statement is not current
            and (op.region, op.identifier) == (row.region, row.identifier)
        ]
        if not patches:
            return row
        properties = copy.deepcopy(row.properties)
        try:
            for patch in patches:
                properties = jsonpatch.apply_patch(properties, patch)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, LookupError, TypeError):
            return row  # the resource changed under the transaction: AWS's answer to the patch will tell
        # As AWS will read it: a write-only property never shows (so a later SET of it is an "add" again).
        return Row(row.region, row.identifier, self.schema.as_read(properties))

    def _differs(self, row: Row, column: str, value: Any) -> bool:
        """Whether a SET value differs from the row's (raw comparison; property columns parse first)."""
        if column == IDENTIFIER:
            return bool(value != row.identifier)
        if column == REGION:
            return bool(value != row.region)
        if column == PATCH_DOCUMENT:
            return value is not None  # a row read in full (UPDATE ... FROM) shows it as NULL
        current = self.table.columns.value(column, row)
        return bool(value != current)

    def _column_patch(self, row: Row, changed: dict[str, Any], where: str) -> list[dict[str, Any]]:
        """The minimal patch for the SET columns whose values really change."""
        new: dict[str, Any] = {}
        written: dict[str, str] = {}
        for column, value in changed.items():
            prop = self.rules.property_of[column]
            before = row.properties.get(prop)
            converted = self.rules.property_value(column, value, where, before)
            if converted == before:
                continue  # e.g. the same JSON object written with other spacing
            if not self.schema.is_updatable(prop):
                kind = "create-only" if prop in self.schema.create_only else "read-only (AWS sets it)"
                fix = (
                    "DELETE the row and INSERT a new one instead"
                    if prop in self.schema.create_only
                    else f"leave {column} out of the UPDATE"
                )
                was = self.table.columns.value(column, row)
                raise apsw.ReadOnlyError(
                    f"{column} = {self.rules.literal(column, value)} "
                    f"(was {self.rules.literal(column, was)}): "
                    f"{prop} is {kind} and cannot change; {fix} {where}"
                )
            for change in self.schema.changed_members(prop, before, converted):
                was = self.table.columns.value(column, row)
                raise self.rules.member_change_error(column, value, change, where, (was,))
            new[prop] = converted
            written[prop] = column
        removed = [prop for prop, value in new.items() if value is None and prop in self.schema.required]
        if removed:
            raise self.rules.required_error(removed, where, "UPDATE", [written[prop] for prop in removed])
        return diff_patch(row.properties, new)
