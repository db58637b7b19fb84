"""One queued write (a row of an INSERT, UPDATE or DELETE) and what became of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import apsw
import orjson

from vtab.catalog.facts import Verb
from vtab.catalog.schema import ResourceSchema
from vtab.messages import sql_literal

ABORT = apsw.SQLITE_ABORT
IGNORE = apsw.SQLITE_IGNORE
REPLACE = apsw.SQLITE_REPLACE

ACTIONS = {Verb.CREATE: "CREATE", Verb.UPDATE: "UPDATE", Verb.DELETE: "DELETE"}
"""Schema handler verb -> Cloud Control Operation."""
CALLS = {Verb.CREATE: "CreateResource", Verb.UPDATE: "UpdateResource", Verb.DELETE: "DeleteResource"}
METHODS = {Verb.CREATE: "create_resource", Verb.UPDATE: "update_resource", Verb.DELETE: "delete_resource"}


class WriteStatus(StrEnum):
    """What one write ended as (also the ``status`` vtab_calls shows for its start call)."""

    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    """A FAILED ProgressEvent: AWS ran the handler and it failed."""
    REFUSED = "REFUSED"
    """A synchronous error answered the start call: nothing was accepted."""
    LOST = "LOST"
    """Its start call got no usable answer: it may or may not have been accepted."""
    UNKNOWN = "UNKNOWN"
    """Its status could not be read."""
    TIMEOUT = "TIMEOUT"
    """Still running at write_timeout."""
    SKIPPED = "SKIPPED"
    """An INSERT OR IGNORE row whose key exists: nothing to do."""
    NOT_SENT = "NOT_SENT"
    """It follows a write that failed busy (it waits for a retried COMMIT), or the statement was
    interrupted before it was sent."""
    INTERRUPTED = "INTERRUPTED"
    """Sent, and the statement was interrupted before its end was known."""


@dataclass
class Operation:
    """A write to send at Sync. ``verb`` is the schema handler: create, update or delete."""

    verb: Verb
    region: str
    row: int
    """1-based row of the statement that queued it (for messages)."""
    seq: int
    """Order in the transaction; savepoints roll back by it."""
    identifier: str | None = None
    desired: dict[str, Any] | None = None
    patch: list[dict[str, Any]] | None = None
    on_conflict: int = ABORT
    statement: object | None = None
    """The statement that queued it (explicit transactions): its failure takes the operation back."""
    properties: dict[str, Any] | None = None
    """What a DELETE knows of its resource (the row read, maybe partial): which unique key it frees."""
    note: str = ""
    request_token: str | None = None
    """Set when an earlier COMMIT left this operation running (write_timeout): a retried COMMIT polls it
    again instead of sending it again."""
    client_token: str = field(default_factory=lambda: str(uuid.uuid4()))
    """One per operation, sent on every attempt, so a retried request can never act twice."""

    @property
    def action(self) -> str:
        return ACTIONS[self.verb]

    @property
    def call(self) -> str:
        return CALLS[self.verb]

    @property
    def method(self) -> str:
        return METHODS[self.verb]

    def params(self) -> dict[str, Any]:
        """The request members besides TypeName (and RoleArn, which CloudControl adds)."""
        params: dict[str, Any] = {"ClientToken": self.client_token}
        if self.verb is Verb.CREATE:
            params["DesiredState"] = self.desired_json()
        else:
            params["Identifier"] = self.identifier
        if self.verb is Verb.UPDATE:
            params["PatchDocument"] = self.patch_json()
        return params

    def desired_json(self) -> str | None:
        return orjson.dumps(self.desired).decode() if self.desired is not None else None

    def patch_json(self) -> str | None:
        return orjson.dumps(self.patch).decode() if self.patch is not None else None

    def describe(self, schema: ResourceSchema) -> str:
        """``CREATE row 2 (api_id='a', ...) in us-east-1`` or ``UPDATE a|b|c in us-east-1``."""
        if self.verb is Verb.CREATE and self.desired is not None:
            key = ", ".join(
                f"{schema.column_of(p)}={sql_literal(self.desired.get(p))}" for p in schema.required
            )
            return f"CREATE row {self.row} ({key}) in {self.region}"
        return f"{self.action} {self.identifier} in {self.region}"


@dataclass
class Outcome:
    """What one operation ended as (see WriteStatus)."""

    op: Operation
    status: WriteStatus
    identifier: str | None = None
    request_token: str | None = None
    error_code: str | None = None
    message: str = ""
    error_class: type[apsw.Error] = apsw.SQLError
    maybe_accepted: bool = False
    """LOST: a transport failure or timeout, not an answer, ended the start call: AWS may have accepted it."""

    @property
    def ok(self) -> bool:
        return self.status in (WriteStatus.SUCCESS, WriteStatus.SKIPPED)

    @property
    def retryable(self) -> bool:
        """Failed as busy (throttling, a concurrent operation, a timeout), so sending it again may work."""
        return not self.ok and issubclass(self.error_class, apsw.BusyError)

    def again(self) -> Operation:
        """The operation to send when a COMMIT that failed busy is retried: a request that ended FAILED
        gets a new ClientToken (its own would only replay the failure); one that may be running is polled
        again; one that was refused, lost in transport or not sent keeps its ClientToken, so it cannot
        act twice."""
        op = self.op
        if self.status is WriteStatus.FAILED:
            op.client_token = str(uuid.uuid4())
            op.request_token = None
        elif self.status in (WriteStatus.TIMEOUT, WriteStatus.UNKNOWN) and self.request_token:
            op.request_token = self.request_token
        else:
            op.request_token = None
        return op
