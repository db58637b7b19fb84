"""Refusals a write gets before anything is queued or sent: read-only tables and types, a missing WHERE, a
RETURNING write inside a transaction, placeholder and template values, a request over Cloud Control's size
limit. Each names the column or option, the value and the fix (vtab.write.queue calls them per row).
"""

from __future__ import annotations

from typing import Any

import apsw
import orjson

from vtab import hints
from vtab.catalog.columns import IDENTIFIER, PATCH_DOCUMENT, REGION
from vtab.catalog.facts import Verb
from vtab.catalog.limits import request_limits, size_text
from vtab.catalog.schema import ResourceSchema
from vtab.catalog.sensitive import as_literal
from vtab.read.context import TableContext
from vtab.sql.guards import is_placeholder, is_template_value, placeholder_error, unfiltered_write
from vtab.write.operation import Operation
from vtab.write.patch import top_level
from vtab.write.returning import transaction_error
from vtab.write.shared import SharedState


def refuse_if_read_only(table: TableContext, shared: SharedState, verb: str) -> None:
    """A write to a read-only connection or table, or a verb the type has no handler for."""
    if shared.options.read_only:  # a ceiling (vtab.options.CEILINGS): no table lifts it
        raise apsw.ReadOnlyError(hints.read_only_refusal(table.name, verb))
    if table.options.read_only:
        raise apsw.ReadOnlyError(
            f"{table.name} is read-only (its option read_only=true): {verb} refused before anything "
            f"was sent; use a table without read_only to change AWS resources"
        )
    handler = {"INSERT": Verb.CREATE, "UPDATE": Verb.UPDATE, "DELETE": Verb.DELETE}[verb]
    if handler not in table.schema.permissions:
        # Cloud Control would answer UnsupportedActionException; say so before anything is sent.
        handlers = ", ".join(v for v in Verb if v in table.schema.permissions)
        raise apsw.ReadOnlyError(
            f"{table.name}: {table.schema.type_name} has no {handler} handler, so Cloud Control "
            f"cannot {verb} it; {verb} refused before anything was sent (its handlers: {handlers}; "
            f"vtab_types.verbs lists them)"
        )


def refuse_unfiltered(table: TableContext, shared: SharedState) -> None:
    """An UPDATE or DELETE of this table without a WHERE clause would change every resource the table
    lists (up to max_writes): refused when its scan starts (before reading) and at each row."""
    unfiltered = unfiltered_write(shared.statement.sql)
    if unfiltered is None or unfiltered.table.lower() != table.name.lower():
        return
    changes = "delete" if unfiltered.verb == "DELETE" else "update"
    raise apsw.ConstraintError(
        f"{unfiltered.verb} without a WHERE clause: it would {changes} every resource "
        f"{table.name} lists, so it was refused before anything was sent; add a WHERE clause that "
        f"picks the rows (e.g. WHERE region = 'us-east-1' AND {IDENTIFIER} = '...'), or write WHERE "
        f"true to mean every row [{table.name}]"
    )


def refuse_returning_in_transaction(shared: SharedState, where: str) -> None:
    """A RETURNING write inside BEGIN ... COMMIT has nothing to return when it ends (see
    vtab.write.returning)."""
    if shared.statement.returning and not shared.connection.getautocommit():
        raise transaction_error(where)


def refuse_placeholders(table: TableContext, values: dict[str, Any], where: str) -> None:
    """Id columns still holding an example's placeholder would create under a bogus parent; any column
    whose whole value is an unfilled ``{{ Name }}`` would store the template text itself."""
    guarded = {REGION, *table.schema.primary_identifier, *table.schema.list_requires}
    for column, value in values.items():
        is_id = column in guarded or table.columns.property_of.get(column) in guarded
        if (is_id and is_placeholder(value)) or is_template_value(value):
            raise placeholder_error(column, value, where)


def refuse_too_big(schema: ResourceSchema, op: Operation, where: str) -> None:
    """A DesiredState or PatchDocument over Cloud Control's limit is refused now, for every row, so a
    statement never applies its first rows and then fails remotely on a later one."""
    limits = request_limits()
    sensitive = schema.sensitive
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
    sizes = {schema.column_of(p): len(orjson.dumps(value)) for p, value, _ in pairs}
    column = max(sizes, key=lambda c: sizes[c]) if sizes else PATCH_DOCUMENT
    masked = next((m for p, _, m in pairs if schema.column_of(p) == column), None)
    raise apsw.TooBigError(
        f"{column} = {as_literal(masked)}: the {member} of this row would be {size_text(len(text))}, "
        f"over Cloud Control's limit of {size_text(limit)}; make {column} smaller (it is "
        f"{sizes.get(column, len(text)):,} characters), nothing was sent {where}"
    )
