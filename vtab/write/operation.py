"""One queued write (a row of an INSERT, UPDATE or DELETE) and what became of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import apsw
import orjson

from vtab.catalog.columns import json_text
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
    account: str | None = None
    """The account it acts in (an INSERT's account_id, the row's for UPDATE and DELETE); None: the
    connection's own, with its own credentials."""

    @property
    def place(self) -> tuple[str | None, str]:
        """(account, region): where the resource lives, with its identifier its key."""
        return (self.account, self.region)

    @property
    def where(self) -> str:
        """``us-east-1``, or ``us-east-1 of account 111111111111``: for messages."""
        return self.region if self.account is None else f"{self.region} of account {self.account}"

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

    def desired_json(self, masked: ResourceSchema | None = None) -> str | None:
        """The DesiredState to send; ``masked``: to show, its write-only values masked by that schema."""
        if self.desired is None:
            return None
        return json_text(masked.sensitive.model(self.desired) if masked else self.desired)

    def patch_json(self, masked: ResourceSchema | None = None) -> str | None:
        """The PatchDocument to send; ``masked``: to show, its write-only values masked by that schema."""
        if self.patch is None:
            return None
        return json_text(masked.sensitive.patch(self.patch) if masked else self.patch)

    def describe(self, schema: ResourceSchema) -> str:
        """``CREATE row 2 (api_id='a', ...) in us-east-1`` or ``UPDATE a|b|c in us-east-1``; a create
        that gave nothing to show is ``CREATE row 2 in us-east-1``."""
        if self.verb is Verb.CREATE and self.desired is not None:
            shown = row_text(schema, self.desired)
            return f"CREATE row {self.row}{f' ({shown})' if shown else ''} in {self.where}"
        return f"{self.action} {self.identifier} in {self.where}"


SHOWN_COLUMNS = 3
"""A create with no key, identifier part or required property given is shown by its first columns."""
SHOWN_VALUE_CHARS = 40
"""Values shown for such a row are cut to this many characters (a policy document would flood the line)."""


def unique_key(schema: ResourceSchema) -> tuple[str, ...]:
    """The properties that make a resource unique under its parent; () when the schema does not say."""
    if schema.unique_key is not None:
        return schema.unique_key
    parents = schema.list_requires
    own = tuple(
        p
        for p in schema.required
        if p not in parents and p not in schema.primary_identifier and p not in schema.read_only
    )
    return (*parents, *own) if parents and own else ()


def row_text(schema: ResourceSchema, desired: dict[str, Any]) -> str:
    """What tells a row to create apart in messages: its unique key, else its identifier parts, when the
    row gives all of them; else the identifier parts and required properties it gives; else its first
    few columns (values cut short); '' when it gives nothing."""
    given = [prop for prop, value in desired.items() if value is not None]
    for whole in (unique_key(schema), schema.primary_identifier):
        if whole and all(prop in given for prop in whole):
            return _pairs(schema, desired, whole)
    some = [p for p in dict.fromkeys((*schema.primary_identifier, *schema.required)) if p in given]
    if some:
        return _pairs(schema, desired, some)
    first = given[:SHOWN_COLUMNS]
    more = ", ..." if len(given) > len(first) else ""
    return _pairs(schema, desired, first, cut=SHOWN_VALUE_CHARS) + more if first else ""


def _pairs(schema: ResourceSchema, desired: dict[str, Any], props: Iterable[str], cut: int = 0) -> str:
    return ", ".join(f"{schema.column_of(p)}={_shown(schema, p, desired.get(p), cut)}" for p in props)


def _shown(schema: ResourceSchema, prop: str, value: Any, cut: int) -> str:
    """The value as SQL would write it (objects and arrays as their JSON text, write-only values masked),
    cut to ``cut`` characters."""
    if prop in schema.write_only:
        return schema.sensitive.literal(prop, value)
    value = schema.sensitive.value(prop, value)
    if isinstance(value, dict | list):
        value = orjson.dumps(value).decode()
    if cut and isinstance(value, str) and len(value) > cut:
        value = value[:cut] + "…"
    return sql_literal(value)


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
    event: dict[str, Any] | None = None
    """The last ProgressEvent AWS answered for it (none when its start call got no answer): what RETURNING
    gives (vtab.write.returning)."""

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
