"""What a written row means: its column names folded to one per property, its region and account id, the
row it changes as read (and as the transaction's queued updates leave it), and the patch its SET columns
make. vtab.write.queue turns these into queued operations; nothing here queues or sends.
"""

from __future__ import annotations

import copy
from typing import Any

import apsw
import jsonpatch
import jsonpointer

from vtab import hints
from vtab.catalog.columns import IDENTIFIER, PATCH_DOCUMENT, REGION, STACKQL_OWN
from vtab.catalog.facts import Verb
from vtab.catalog.schema import ResourceSchema
from vtab.messages import sql_literal
from vtab.read.context import Row
from vtab.sql.interrupt import result, watch
from vtab.sql.statements import Statement
from vtab.write.operation import Operation
from vtab.write.patch import diff_patch
from vtab.write.target import ColumnNames, Target
from vtab.write.validate import RowRules


def one_name_per_property(
    table: Target, rules: RowRules, values: dict[str, Any], absent: Any, where: str
) -> dict[str, Any]:
    """Fold each property's two column names (``api_id``, ``ApiId``) into the one the row gives.

    ``absent`` is what an unset column holds (NULL in an INSERT, ``no_change`` in an UPDATE). The same
    value under both names is fine; NULL under one name and a value under the other means the value,
    in an UPDATE as in an INSERT (which cannot tell NULL from a column left out); two different values
    are refused, naming both. The name kept is the one the statement used, so later messages speak of
    the column the user wrote. StackQL's ``Identifier`` and ``PatchDocument`` fold into vtab's own
    columns (or, on a type with a property so named, into that property's column: Columns.twins)."""
    columns = table.columns
    merged = dict(values)
    for twin, field in [*columns.own_aliases.items(), *columns.twins.items()]:
        mine, other = merged.pop(twin, absent), merged.get(field, absent)
        if mine is absent or (mine is None and other is not absent):
            continue  # the field name holds the property (a value, NULL or nothing)
        if other is absent or other is None:
            merged[field] = absent
            merged[field if twin in STACKQL_OWN else twin] = mine
        elif mine != other and (
            field not in columns.property_of or not _same_value(rules, field, other, mine, where)
        ):
            what = f"property {columns.property_of[field]}" if field in columns.property_of else field
            raise apsw.ConstraintError(
                f"{field} = {rules.literal(field, other)} and {twin} = "
                f"{rules.literal(field, mine)}: both columns are the {what}, with different values; "
                f"give it once (either name) {where}"
            )
    return merged


def _same_value(rules: RowRules, column: str, first: Any, second: Any, where: str) -> bool:
    """Whether two SQL values stand for the same property value (JSON text compared as JSON)."""
    if first == second:
        return True
    return bool(rules.property_value(column, first, where) == rules.property_value(column, second, where))


def region_of(table: Target, value: object, where: str) -> str:
    """The row's region, else the only configured one (a global type's: the first, as any will do);
    refused when unknown or ambiguous."""
    if value is None:
        configured = list(table.options.regions)
        if len(configured) > 1 and not table.schema.is_global:
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


def fill_account_id(table: Target, values: dict[str, Any], region: str, where: str) -> dict[str, Any]:
    """A required account-id column the row leaves NULL (QuickSight's aws_account_id) is the caller's
    account id, as a template's ``!Ref AWS::AccountId`` would be: the account_id option, else looked up
    (once per connection). A value given is sent as given (another account's is AWS's to refuse)."""
    schema = table.schema
    missing = [
        schema.column_of(prop)
        for prop in schema.account_properties
        if prop in schema.required and values.get(schema.column_of(prop)) is None and values.get(prop) is None
    ]
    if not missing:
        return values
    fix = f"give {missing[0]} in the INSERT"
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


def read_row(table: Target, rowid: int) -> Row:
    """The row a write acts on, as read in this statement under ``rowid`` (its properties may be
    partial); a global resource's row read first, whichever region SQLite matched."""
    row = table.read_rows.resource(rowid)
    if row is None:
        raise apsw.SQLError(
            f"rowid {rowid}: the row to change was not read by this statement; add region and "
            f"{IDENTIFIER} to the WHERE clause [{table.name}]"
        )
    return row


def old_row(table: Target, rowid: int, where: str) -> Row:
    """The row as read in this statement, with every property (GetResource if the read was partial)."""
    row = read_row(table, rowid)
    if table.schema.is_partial(row.properties):
        properties = table.cloud.get(row.region, table.schema, row.identifier)
        if properties is None:
            raise apsw.NotFoundError(
                f"{IDENTIFIER} = {sql_literal(row.identifier)}: the resource no longer exists {where}"
            )
        row = Row(row.region, row.identifier, {**row.properties, **properties})
        table.read_rows.replace(row)
    return row


def as_queued(schema: ResourceSchema, row: Row, ops: list[Operation], current: Statement) -> Row:
    """The row as the transaction's earlier statements leave it: their queued UPDATEs of it applied.

    The cursor reads AWS, where nothing queued has happened yet; diffing against that would drop a
    later UPDATE back to the live value as unchanged, and COMMIT would send only the earlier one.
    This statement's own earlier update of the row (UPDATE ... FROM) is replaced, not applied."""
    patches = [
        op.patch
        for op in ops
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
    return Row(row.region, row.identifier, schema.as_read(properties))


def differs(columns: ColumnNames, row: Row, column: str, value: Any) -> bool:
    """Whether a SET value differs from the row's (raw comparison; property columns parse first)."""
    if column == IDENTIFIER:
        return bool(value != row.identifier)
    if column == REGION:
        return bool(value != row.region)
    if column == PATCH_DOCUMENT:
        return value is not None  # a row read in full (UPDATE ... FROM) shows it as NULL
    current = columns.value(column, row)
    return bool(value != current)


def column_patch(
    table: Target, rules: RowRules, row: Row, changed: dict[str, Any], where: str
) -> list[dict[str, Any]]:
    """The minimal patch for the SET columns whose values really change."""
    new: dict[str, Any] = {}
    written: dict[str, str] = {}
    for column, value in changed.items():
        prop = rules.property_of[column]
        before = row.properties.get(prop)
        converted = rules.property_value(column, value, where, before)
        if converted == before:
            continue  # e.g. the same JSON object written with other spacing
        if not table.schema.is_updatable(prop):
            kind = "create-only" if prop in table.schema.create_only else "read-only (AWS sets it)"
            fix = (
                "DELETE the row and INSERT a new one instead"
                if prop in table.schema.create_only
                else f"leave {column} out of the UPDATE"
            )
            was = table.columns.value(column, row)
            raise apsw.ReadOnlyError(
                f"{column} = {rules.literal(column, value)} "
                f"(was {rules.literal(column, was)}): "
                f"{prop} is {kind} and cannot change; {fix} {where}"
            )
        for change in table.schema.changed_members(prop, before, converted):
            was = table.columns.value(column, row)
            raise rules.member_change_error(column, value, change, where, (was,))
        new[prop] = converted
        written[prop] = column
    removed = [prop for prop, value in new.items() if value is None and prop in table.schema.required]
    if removed:
        raise rules.required_error(removed, where, "UPDATE", [written[prop] for prop in removed])
    return diff_patch(row.properties, new)
