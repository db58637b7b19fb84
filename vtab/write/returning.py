"""What RETURNING gives: the ProgressEvent each write operation of the last write statement settled with.

One row per operation the statement sent (an ``INSERT OR IGNORE`` row whose key exists sends none, and
returns none, as in SQLite), in statement order, with Cloud Control's fields: the final ProgressEvent's,
or, for an operation that never got one (refused at its start call, lost in transport), the error it got
instead. vtab's own verdict (``status``: SUCCESS, FAILED, REFUSED, ...) and the table, region, account
and row are beside them. The account is the one the write acted in: a write in the caller's own account
names it by the account_id option, else by the id the connection looked up (vtab.write.rows looks it up
for a RETURNING write, once per connection, before sending); only a write without RETURNING, on a
connection that never needed its id, leaves it NULL in ``vtab_returning``. A dry run's rows say nothing was
sent (no RequestToken, no OperationStatus).

The rows of the last statement that sent writes (an autocommit write, or a COMMIT) stay in the eponymous
table ``vtab_returning``, so a statement that failed (and so returned no rows) can still be read after.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import apsw

from vtab.aws.calllog import iso_utc
from vtab.catalog.schema import ResourceSchema
from vtab.sql.returning import LOG_TABLE, PROGRESS_EVENT
from vtab.write.operation import Operation, Outcome, WriteStatus

RETURNING_COLUMNS = (*PROGRESS_EVENT, "table_name", "region", "account_id", "row", "status")
"""The columns of vtab_returning: the ProgressEvent fields, then vtab's."""

Row = tuple[Any, ...]


class ReturningLog:
    """The rows of the last statement that sent writes (several tables' at a COMMIT)."""

    def __init__(self) -> None:
        self.statement = 0
        """The statement (vtab.sql.statements.StatementText.number) the rows are of."""
        self.rows: list[Row] = []

    def record(self, statement: int, rows: Iterable[Row]) -> None:
        if statement != self.statement:
            self.statement, self.rows = statement, []
        self.rows.extend(rows)

    def rows_of(self, statement: int) -> list[Row]:
        """The rows if they are of ``statement``, else none (it sent nothing)."""
        return list(self.rows) if statement == self.statement else []


def event_rows(outcomes: Iterable[Outcome], schema: ResourceSchema, table: str, own: str | None) -> list[Row]:
    """A row per operation sent: its last ProgressEvent, completed by what vtab knows of it (``own``: the
    caller's account id as far as known, for the operations in it)."""
    rows = []
    for outcome in outcomes:
        if outcome.status is WriteStatus.SKIPPED:
            continue
        op, event = outcome.op, outcome.event or {}
        failed = not outcome.ok
        rows.append(
            (
                event.get("ErrorCode") or (outcome.error_code if failed else None),
                _time(event.get("EventTime")),
                event.get("Identifier") or outcome.identifier or op.identifier,
                event.get("Operation") or op.action,
                event.get("OperationStatus"),
                event.get("RequestToken") or outcome.request_token,
                event.get("ResourceModel"),
                _time(event.get("RetryAfter")),
                event.get("StatusMessage") or (outcome.message if failed else None),
                event.get("TypeName") or schema.type_name,
                table,
                op.region,
                op.account or own,
                op.row,
                str(outcome.status),
            )
        )
    return rows


def dry_run_row(op: Operation, schema: ResourceSchema, table: str, note: str, own: str | None) -> Row:
    """A dry run's operation: what it would have been, and that it was not sent (``own`` as for
    ``event_rows``)."""
    return (
        None,
        None,
        op.identifier,
        op.action,
        None,
        None,
        None,
        None,
        note,
        schema.type_name,
        table,
        op.region,
        op.account or own,
        op.row,
        str(WriteStatus.NOT_SENT),
    )


def _time(value: Any) -> str | None:
    """A ProgressEvent timestamp (boto3 gives datetimes) as the ISO-8601 UTC text the log tables show."""
    if isinstance(value, datetime):
        return iso_utc(value.timestamp())
    if isinstance(value, int | float):
        return iso_utc(float(value))
    return None if value is None else str(value)


def transaction_error(where: str) -> apsw.SQLError:
    """RETURNING inside BEGIN ... COMMIT: refused, since the writes are sent at COMMIT, after it."""
    return apsw.SQLError(
        "RETURNING inside a transaction: vtab sends a transaction's writes at COMMIT, so when this statement "
        "ends no write has a ProgressEvent to return (and no identifier is known); nothing was queued. Run "
        "the statement outside BEGIN ... COMMIT (or a SAVEPOINT), where it is sent at once and RETURNING "
        f"gives each write's ProgressEvent, or leave RETURNING out and read {LOG_TABLE} after COMMIT {where}"
    )
