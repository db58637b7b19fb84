"""RFC 6902 patch documents for UpdateResource: the UPDATE diff, built minimal from changed columns, or
checked when given; and the patch an INSERT OR REPLACE of an existing resource makes.

A built patch touches only the properties whose value really changes (``SET x = x`` yields nothing), with
whole-property operations, so the patch a dry run shows reads like the SET clause that produced it. The
row diffed against is the row as read, with the transaction's earlier queued updates of it applied.
"""

from __future__ import annotations

import copy
from typing import Any

import apsw
import jsonpatch
import jsonpointer
import orjson

from vtab.catalog.columns import IDENTIFIER, PATCH_DOCUMENT, REGION, json_value
from vtab.catalog.facts import Verb
from vtab.catalog.schema import ResourceSchema
from vtab.catalog.sensitive import MASK
from vtab.messages import sql_literal
from vtab.read.context import ColumnNames
from vtab.read.rows import Row
from vtab.sql.statements import Statement
from vtab.write.operation import Operation
from vtab.write.validate import RowRules, json_type_name, member_values

Patch = list[dict[str, Any]]


def pointer(prop: str) -> str:
    """The JSON Pointer of a top-level property (RFC 6901 escaping of ``~`` and ``/``)."""
    return "/" + prop.replace("~", "~0").replace("/", "~1")


def top_level(path: str) -> str:
    """``/ResponseTemplates/application~1json`` -> ``ResponseTemplates``."""
    return path.split("/")[1].replace("~1", "/").replace("~0", "~")


def pointer_parts(path: str) -> tuple[str, ...]:
    """``/Code/S3Key`` -> ``("Code", "S3Key")`` (RFC 6901 unescaped)."""
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:])


def diff_patch(old: dict[str, Any], new: dict[str, Any | None]) -> Patch:
    """Operations setting ``new``'s properties on ``old`` (None removes); unchanged values send nothing."""
    ops: Patch = []
    for prop, value in new.items():
        before = old.get(prop)
        if value is None:
            if before is not None:
                ops.append({"op": "remove", "path": pointer(prop)})
        elif before is None:
            ops.append({"op": "add", "path": pointer(prop), "value": value})
        elif before != value:
            ops.append({"op": "replace", "path": pointer(prop), "value": value})
    return ops


def replace_patch(
    schema: ResourceSchema, existing: dict[str, Any], desired: dict[str, Any], where: str
) -> Patch:
    """INSERT OR REPLACE of an existing resource (``where`` names it): make its updatable properties
    exactly ``desired``'s.

    Like SQLite's REPLACE, a column the new row leaves NULL is removed. Write-only properties cannot be
    read back, so they are sent when given and never removed. A create-only property (or member) the row
    changes cannot be patched: ReadOnlyError, rather than a patch that silently keeps the old value.
    """
    new: dict[str, Any | None] = {}
    for prop in schema.properties:
        if not schema.is_updatable(prop):
            before, after = existing.get(prop), desired.get(prop)
            if prop in schema.create_only and prop in existing and after is not None and after != before:
                raise apsw.ReadOnlyError(
                    f"{schema.column_of(prop)} = {schema.sensitive.literal(prop, after)} (was "
                    f"{schema.sensitive.literal(prop, before)}): {prop} is "
                    "create-only and cannot change, so INSERT OR REPLACE cannot make the resource match this "
                    f"row; DELETE it and INSERT the row again instead (nothing was sent) {where}"
                )
            continue
        if prop in schema.write_only and desired.get(prop) is None:
            continue
        for parts, old, after_values, read_only in schema.changed_members(
            prop, existing.get(prop), desired.get(prop)
        ):
            if read_only:
                continue  # the row's read-only member is checked when the row is (validate.py)
            masked = schema.write_only_member(parts) is not None
            shown = " -> ".join(
                MASK if masked and values else sql_literal(member_values(values))
                for values in (old, after_values)
            )
            raise apsw.ReadOnlyError(
                f"{schema.column_of(prop)}: {'/'.join(parts)} is create-only and cannot change ({shown}), so "
                "INSERT OR REPLACE cannot make the resource match this row; DELETE it and INSERT the row "
                f"again instead (nothing was sent) {where}"
            )
        new[prop] = desired.get(prop)
    return diff_patch(existing, new)


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
        and (op.account, op.region, op.identifier) == (row.account, row.region, row.identifier)
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
    return row._replace(properties=schema.as_read(properties))


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
    schema: ResourceSchema,
    columns: ColumnNames,
    rules: RowRules,
    row: Row,
    changed: dict[str, Any],
    where: str,
) -> Patch:
    """The minimal patch for the SET columns whose values really change."""
    new: dict[str, Any] = {}
    written: dict[str, str] = {}
    for column, value in changed.items():
        prop = rules.property_of[column]
        before = row.properties.get(prop)
        converted = rules.property_value(column, value, where, before)
        if converted == before:
            continue  # e.g. the same JSON object written with other spacing
        if not schema.is_updatable(prop):
            kind = "create-only" if prop in schema.create_only else "read-only (AWS sets it)"
            fix = (
                "DELETE the row and INSERT a new one instead"
                if prop in schema.create_only
                else f"leave {column} out of the UPDATE"
            )
            was = columns.value(column, row)
            raise apsw.ReadOnlyError(
                f"{column} = {rules.literal(column, value)} "
                f"(was {rules.literal(column, was)}): "
                f"{prop} is {kind} and cannot change; {fix} {where}"
            )
        for change in schema.changed_members(prop, before, converted):
            was = columns.value(column, row)
            raise rules.member_change_error(column, value, change, where, (was,))
        new[prop] = converted
        written[prop] = column
    removed = [prop for prop, value in new.items() if value is None and prop in schema.required]
    if removed:
        raise rules.required_error(removed, where, "UPDATE", [written[prop] for prop in removed])
    return diff_patch(row.properties, new)


class PatchDocumentRules:
    """Checks an explicit ``data__PatchDocument`` before it is sent as given."""

    def __init__(self, rules: RowRules) -> None:
        self.rules = rules
        self.schema = rules.schema

    def example(self) -> str:
        updatable = [p for p in self.schema.properties if self.schema.is_updatable(p)]
        preferred = [p for p in self.schema.required if p in updatable] or updatable or ["Name"]
        op = {"op": "replace", "path": pointer(preferred[0]), "value": "..."}
        return sql_literal(orjson.dumps([op]).decode())

    def _malformed(self, text: object, why: str, where: str) -> apsw.SQLError:
        return apsw.SQLError(
            f"{PATCH_DOCUMENT} = {self.rules.literal(PATCH_DOCUMENT, text)}: not a JSON Patch (RFC 6902): "
            f"{why}; write a JSON "
            f"array of operations, like {self.example()} {where}"
        )

    def parse(self, text: object, current: dict[str, Any], where: str) -> Patch:
        """The operations of ``text``, checked for shape, for the paths they change, and on ``current``."""
        if not isinstance(text, str):
            raise self._malformed(text, "it is not text", where)
        try:
            ops = json_value(text)
        except orjson.JSONDecodeError as error:
            raise self._malformed(text, f"not valid JSON ({error})", where) from None
        if not isinstance(ops, list):
            raise self._malformed(text, f"the document is {json_type_name(ops)}, not an array", where)
        for index, op in enumerate(ops):
            self._check_shape(text, index, op, where)
        try:
            jsonpatch.JsonPatch(ops)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
            raise self._malformed(text, str(error), where) from None
        for index, op in enumerate(ops):
            self._check_paths(index, op, where)
            self._check_write_only(index, op, current, where)
        try:
            patched = jsonpatch.apply_patch(copy.deepcopy(current), ops)
        except (
            jsonpatch.JsonPatchException,
            jsonpointer.JsonPointerException,
            LookupError,
            TypeError,
        ) as error:
            # jsonpointer's "member 'X' not found in {...}" would dump the whole resource: name the member.
            reason = (
                str(error).split(" not found in ", 1)[0] + " not found"
                if " not found in " in str(error)
                else error
            )
            raise apsw.SQLError(
                f"{PATCH_DOCUMENT} = {self.rules.literal(PATCH_DOCUMENT, text)}: does not apply to the "
                f"current resource ({reason}); "
                f"SELECT the row to see its properties and patch those {where}"
            ) from None
        if not isinstance(patched, dict):
            raise self._malformed(text, "the result is not a JSON object", where)
        for prop in {top_level(op["path"]) for op in ops if op["op"] != "test"}:
            for change in self.schema.changed_members(prop, current.get(prop), patched.get(prop)):
                raise self.rules.member_change_error(PATCH_DOCUMENT, text, change, where)
        self.rules.check_model(patched, current, where, f"the {PATCH_DOCUMENT}")
        return ops

    def _check_write_only(self, index: int, op: dict[str, Any], current: dict[str, Any], where: str) -> None:
        """AWS applies a patch to the resource as its read handler returns it, which never holds a
        write-only property (a secret's SecretString) or member (a Lambda function's Code/S3Key): only
        ``add`` can set one (AWS answers a ``replace`` with "can't replace a non-existent object", as
        jsonpatch would here, with a misleading fix)."""
        if op["op"] == "add":
            return
        paths = [op["path"], *([op["from"]] if op["op"] in ("move", "copy") else [])]
        for path in paths:
            prop = top_level(path)
            if prop in self.schema.write_only and prop not in current:
                raise apsw.SQLError(
                    f"{PATCH_DOCUMENT} (path {path} in operation {index}, op {op['op']!r}): {prop} is "
                    f"write-only, so the resource AWS patches never shows it (nor does the row: "
                    f'{self.rules.column_of(prop)} reads NULL); set it with "op": "add" instead, which '
                    f"sets it whether or not it is set {where}"
                )
            member = self.schema.write_only_member(pointer_parts(path))
            if member is not None:
                raise apsw.SQLError(
                    f"{PATCH_DOCUMENT} (path {path} in operation {index}, op {op['op']!r}): "
                    f"{'/'.join(member)} is write-only, so the resource AWS patches never shows it (nor "
                    f'does the row\'s {self.rules.column_of(prop)}); set it with "op": "add" instead, '
                    f"which sets it whether or not it is set {where}"
                )

    def _check_shape(self, text: str, index: int, op: object, where: str) -> None:
        what = f"operation {index}"
        if not isinstance(op, dict):
            raise self._malformed(text, f"{what} is {json_type_name(op)}, not an object", where)
        name = op.get("op")
        if name not in ("add", "remove", "replace", "move", "copy", "test"):
            raise self._malformed(
                text, f"{what} has op {name!r}; use add, remove, replace, move, copy or test", where
            )
        members = ["path", "from"] if name in ("move", "copy") else ["path"]
        for member in members:
            path = op.get(member)
            if not isinstance(path, str) or not path.startswith("/"):
                raise self._malformed(
                    text, f"{what} needs a '{member}' like '/PropertyName', got {path!r}", where
                )
        if name in ("add", "replace", "test") and "value" not in op:
            raise self._malformed(text, f"{what} ({name}) has no 'value'", where)

    def _check_paths(self, index: int, op: dict[str, Any], where: str) -> None:
        if op["op"] == "test":
            return  # reads only
        paths = [op["path"], op["from"]] if op["op"] == "move" else [op["path"]]
        for path in paths:
            prop = top_level(path)
            place = f"(path {path} in operation {index} of {PATCH_DOCUMENT})"
            if prop not in self.schema.properties:
                known = ", ".join(pointer(p) for p in self.schema.properties if self.schema.is_updatable(p))
                raise apsw.SQLError(
                    f"{PATCH_DOCUMENT} {place}: {self.schema.type_name} has no property {prop!r}; "
                    f"the properties a patch may change are {known} {where}"
                )
            column = self.rules.column_of(prop)
            if prop in self.schema.create_only:
                raise apsw.ReadOnlyError(
                    f"{column} {place}: {prop} is create-only and cannot change after creation; DELETE the "
                    f"row and INSERT a new one instead {where}"
                )
            if prop in self.schema.read_only:
                raise apsw.ReadOnlyError(
                    f"{column} {place}: {prop} is read-only (AWS sets it); leave it out of the patch {where}"
                )
