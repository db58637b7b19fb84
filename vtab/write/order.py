"""Dependency order across the tables of one transaction, as CloudFormation and Terraform send: a parent's
CREATE before the CREATEs of the children that name it, and the children's DELETEs before their parent's.

SQLite syncs the tables of a transaction in the order they were first written, so ``INSERT`` a log stream,
then its log group, and ``COMMIT`` would send the stream first (NotFound: no such group). The walks say
which type's list input is which parent type's property (``ListInput.parent`` / ``parent_property``): a row
whose input holds the value a queued parent CREATE gives that property waits for it. A parent whose id
AWS generates (an API's ApiId) cannot be named by a row queued before it exists: such children are
inserted after the parent's COMMIT, from its table (``INSERT ... SELECT api_id FROM ...``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import apsw

from vtab.catalog.facts import Verb
from vtab.catalog.schema import ListInput, ResourceSchema
from vtab.write.operation import Operation


class Queue(Protocol):
    """One table's write queue (vtab.write.queue.WriteQueue)."""

    schema: ResourceSchema
    ops: list[Operation]
    ordering: bool

    @property
    def name(self) -> str: ...
    def apply(self) -> None: ...


def send_first(queue: Queue, queues: Iterable[Queue]) -> None:
    """Send the writes of the other ``queues`` that ``queue``'s wait for, before ``queue`` sends its own
    (whichever table SQLite syncs first). When they fail, ``queue``'s are not sent: they stay queued (for
    a COMMIT retried after a busy failure), and the error lists those that waited."""
    if queue.ordering:
        return  # a cycle: the queue that started it sends its own now
    queue.ordering = True
    try:
        for other in queues:
            found = waits(queue.schema, queue.ops, other.schema, other.ops) if other is not queue else []
            if not found:
                continue
            try:
                other.apply()
            except apsw.Error as error:
                raise _not_sent(error, queue, other, found) from error
    finally:
        queue.ordering = False


def _not_sent(error: apsw.Error, queue: Queue, other: Queue, found: list[Wait]) -> apsw.Error:
    """``error`` (of ``other``'s writes), then ``queue``'s writes that waited for them, not sent."""
    lines = [str(error), f"Not sent: {len(queue.ops)} write(s) to {queue.name}, which follow those:"]
    listed: set[int] = set()
    for wait in found:
        if id(wait.op) not in listed:
            listed.add(id(wait.op))
            lines.append(
                f"  NOT_SENT {wait.op.describe(queue.schema)}: waits for {other.name} "
                f"{wait.first.describe(other.schema)}"
            )
    if len(queue.ops) > len(listed):
        lines.append(f"  ... and {len(queue.ops) - len(listed)} more of the same transaction")
    return type(error)("\n".join(lines))


@dataclass(frozen=True)
class Wait:
    """``op`` (of one table) must follow ``first`` (of another)."""

    op: Operation
    first: Operation


def waits(
    schema: ResourceSchema, ops: Iterable[Operation], other: ResourceSchema, others: Iterable[Operation]
) -> list[Wait]:
    """The operations of ``ops`` (a table of type ``schema``) that must follow one of ``others`` (type
    ``other``): a CREATE under a parent that ``others`` create, a DELETE of a parent whose children
    ``others`` delete."""
    ops, others = list(ops), list(others)
    found = []
    for item in _links(schema, other):  # other is our parent type: our CREATEs follow its CREATEs
        for op in _verb(ops, Verb.CREATE):
            value = _value(op.desired, item.holders)
            found += [
                Wait(op, parent)
                for parent in _verb(others, Verb.CREATE)
                if _same_place(other, parent, op)
                and value is not None
                and _value(parent.desired, (item.parent_property or "",)) == value
            ]
    for item in _links(other, schema):  # other is our child type: our DELETEs follow its DELETEs
        for op in _verb(ops, Verb.DELETE):
            value = _value(op.properties, (item.parent_property or "",))
            found += [
                Wait(op, child)
                for child in _verb(others, Verb.DELETE)
                if _same_place(schema, op, child)
                and value is not None
                and _value(child.properties, item.holders) == value
            ]
    return found


def _links(child: ResourceSchema, parent: ResourceSchema) -> list[ListInput]:
    """The list inputs of ``child`` that a property of ``parent`` fills."""
    return [item for item in child.list_inputs if item.parent == parent.type_name and item.parent_property]


def _verb(ops: list[Operation], verb: Verb) -> list[Operation]:
    return [op for op in ops if op.verb is verb]


def _value(model: dict[str, object] | None, holders: Iterable[str]) -> object:
    return next((model[name] for name in holders if model and model.get(name) is not None), None)


def _same_place(parent_schema: ResourceSchema, parent: Operation, child: Operation) -> bool:
    """A parent lives in its child's region, or is global (one per partition)."""
    return parent_schema.is_global or parent.region == child.region
