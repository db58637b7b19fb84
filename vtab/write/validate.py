"""Row validation for writes, from the resource schema's facts: nothing is sent for a row that breaks a rule.

Every message starts with the column and its value (as SQL would write it), then the rule, then the fix,
then where (table and row), so a user can correct the statement without reading the schema.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

import apsw
import orjson

from vtab.catalog.columns import PATCH_DOCUMENT, json_value
from vtab.catalog.limits import request_limits
from vtab.catalog.schema import (
    IDENTIFIER_SEPARATOR,
    JSON_TYPES,
    InputSource,
    ResourceSchema,
    is_json_type,
    values_at,
)
from vtab.catalog.sensitive import MASK, as_literal
from vtab.catalog.store import load_catalog
from vtab.messages import sql_literal
from vtab.write.constraints import UNREAD, a_kind, json_type_name, violation


class IdentifierFault(StrEnum):
    """Why an identifier part given in a write could not be an identifier part."""

    SEPARATOR = "separator"
    EMPTY = "empty"
    TOO_LONG = "too_long"


JSON_EXAMPLES = {
    "object": """'{"key": "value"}'""",
    "array": """'["value"]'""",
}


def member_values(values: list[Any]) -> Any:
    """The values found at a member path, for a message: NULL when none, the value when one, else JSON."""
    if not values:
        return None
    value = values[0] if len(values) == 1 else values
    return value if isinstance(value, (str, int, float)) else orjson.dumps(value).decode()


class RowRules:
    """The write rules of one table: column values -> Cloud Control property values, or a clear error."""

    def __init__(
        self,
        table_name: str,
        schema: ResourceSchema,
        property_of: dict[str, str],
        *,
        schema_checks: bool = True,
    ) -> None:
        self.table_name = table_name
        self.schema = schema
        self.property_of = property_of
        """column name -> property name, for the property columns."""
        self.schema_checks = schema_checks
        """False (option schema_checks=false): enums and limits are left to AWS; types still checked."""

    def column_of(self, prop: str) -> str:
        return self.schema.column_of(prop)

    def literal(self, column: str, value: object) -> str:
        """``value`` of ``column`` as a message writes it: SQL's spelling, with write-only values (a
        secret, a member of a JSON column, the value of a patch operation on one) masked."""
        if column == PATCH_DOCUMENT:
            return as_literal(self.schema.sensitive.patch_text(value))
        return self.schema.sensitive.literal(self.property_of.get(column), value)

    # -- single values --------------------------------------------------------------------------------

    def property_value(self, column: str, value: object, where: str, before: Any = UNREAD) -> Any:
        """The JSON value a SQL value stands for (None: the property is absent), checked by type and enum;
        ``before``: the property as read back (an UPDATE's), whose unchanged members are not checked."""
        prop = self.property_of[column]
        spec = self.schema.properties[prop]
        kind = spec.get("type")
        if value is None:
            return None
        if isinstance(value, bytes):
            raise self._bad(column, value, f"{prop} cannot be a BLOB", self._fix(prop), where)
        if kind in ("object", "array"):
            converted = self._json(column, prop, kind, value, where)
        elif kind == "string":
            # TEXT affinity, as an ordinary SQLite TEXT column would store it.
            converted = value if isinstance(value, str) else str(value)
        elif kind == "boolean":
            converted = self._boolean(column, prop, value, where)
        elif kind in ("integer", "number"):
            converted = self._number(column, prop, kind, value, where)
        else:
            converted = self._untyped(column, prop, value, where)
        enum = self.schema.enum(prop) if self.schema_checks else None
        if enum is not None and converted not in enum and converted != before:
            allowed = " or ".join(sql_literal(v) for v in enum)
            raise self._bad(
                column,
                value,
                f"not one of the values {prop} allows",
                f"use {allowed} (or NULL to leave it unset)",
                where,
            )
        self.check_limits(column, prop, value, converted, where, before)
        return converted

    def check_limits(
        self, column: str, prop: str, value: object, converted: Any, where: str, before: Any = UNREAD
    ) -> None:
        """The schema's limits (length, range, pattern, members of objects and arrays): the first broken;
        members left as ``before`` has them (read back, never written) are not checked."""
        if not self.schema_checks or self._identifier_fault(prop, converted) is not None:
            return  # check_identifier_parts names the identifier and where its value comes from
        rules = self.schema.properties[prop].get("check", {})
        found = violation(self.schema.type_name, prop, rules, converted, before)
        if found is None:
            return
        nested = len(found.path) > 1 and found.value is not None
        shown = f" {sql_literal(found.value)}" if nested and not isinstance(found.value, (dict, list)) else ""
        rule = found.rule
        sensitive = self.schema.sensitive
        if sensitive.holds(prop):
            # jsonschema's own words (the rare rules describe() does not word) quote the value.
            secrets = sensitive.secrets({prop: converted})
            shown = f" {MASK}" if shown and secrets else shown
            rule = sensitive.scrub(rule, secrets)
        raise self._bad(column, value, f"{'/'.join(found.path)}{shown} {rule}", found.fix, where)

    def _json(self, column: str, prop: str, kind: str, value: object, where: str) -> Any:
        if not isinstance(value, str):
            raise self._bad(column, value, f"{prop} is {self._a(kind)}, not a number", self._fix(prop), where)
        try:
            parsed = json_value(value)
        except orjson.JSONDecodeError as error:
            raise self._bad(column, value, f"not valid JSON ({error})", self._fix(prop), where) from None
        if not is_json_type(parsed, kind):
            raise self._bad(
                column,
                value,
                f"{json_type_name(parsed)}, but {prop} must be {self._a(kind)}",
                self._fix(prop),
                where,
            )
        return parsed

    def _untyped(self, column: str, prop: str, value: object, where: str) -> Any:
        """A property of several types (DynamoDB's KeySchema: an array or an object) has no declared type:
        the JSON text of an object or array is that JSON value, as a SELECT shows it; other values go as
        given (a string stays a string), unless text that opens like JSON is broken JSON and the property
        cannot be a string."""
        if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
            try:
                parsed = json_value(value)
            except orjson.JSONDecodeError as error:
                kinds = self.schema.properties[prop].get("check", {}).get("type", ["string"])
                if "string" in kinds:
                    return value
                wanted = " or ".join(self._a(kind) for kind in kinds)
                example = " or ".join(JSON_EXAMPLES[kind] for kind in kinds if kind in JSON_EXAMPLES)
                raise self._bad(
                    column,
                    value,
                    f"not valid JSON ({error})",
                    f"write {wanted} as text" + (f", like {example}" if example else ""),
                    where,
                ) from None
            if isinstance(parsed, (dict, list)):
                return parsed
        return value

    def _boolean(self, column: str, prop: str, value: object, where: str) -> bool:
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self._bad(column, value, f"{prop} is a boolean", "use 1/0 or 'true'/'false'", where)

    def _number(self, column: str, prop: str, kind: str, value: object, where: str) -> int | float:
        if not isinstance(value, (str, int, float)):
            raise self._bad(column, value, f"{prop} is {self._a(kind)}", "use a number", where)
        try:
            number: int | float = float(value) if kind == "number" else int(value)
        except (ValueError, OverflowError):
            raise self._bad(column, value, f"{prop} is {self._a(kind)}", "use a number", where) from None
        if isinstance(number, float) and not math.isfinite(number):
            # JSON has no infinity or NaN: it would be sent as null, and the value silently lost.
            raise self._bad(
                column, value, f"{prop} is {self._a(kind)}: JSON has no {value}", "use a finite number", where
            )
        if kind == "integer" and isinstance(value, float) and value != number:
            raise self._bad(column, value, f"{prop} is an integer", "use a whole number", where)
        return number

    # -- whole rows -----------------------------------------------------------------------------------

    def desired_state(self, values: dict[str, object], where: str) -> dict[str, Any]:
        """An INSERT's columns -> DesiredState: read-only columns refused, required ones present."""
        desired: dict[str, Any] = {}
        for column, prop in self.property_of.items():
            value = values.get(column)
            if prop in self.schema.read_only:
                if value is not None:
                    raise apsw.ReadOnlyError(
                        f"{column} = {self.literal(column, value)}: {prop} is read-only (AWS sets it when "
                        "the "
                        f"resource is created); leave {column} out of the INSERT {where}"
                    )
                continue
            converted = self.property_value(column, value, where)
            if converted is not None:
                self._check_read_only_members(column, prop, value, converted, where)
                desired[prop] = converted
        self.check_required(desired, where, "INSERT")
        self.check_identifier_parts(desired, where)
        return desired

    def _check_read_only_members(
        self, column: str, prop: str, value: object, converted: Any, where: str
    ) -> None:
        """A member AWS sets inside a writable object (EKS's KubernetesNetworkConfig/ServiceIpv6Cidr)."""
        for parts in self.schema.read_only_members:
            if parts[0] == prop and values_at(converted, parts[1:]):
                raise apsw.ReadOnlyError(
                    f"{column} = {self.literal(column, value)}: {'/'.join(parts)} is read-only (AWS sets it "
                    "when the "
                    f"resource is created); leave {parts[-1]} out of {column} {where}"
                )

    def member_change_error(
        self,
        column: str,
        value: object,
        change: tuple[tuple[str, ...], list[Any], list[Any], bool],
        where: str,
        was: tuple[object] | tuple[()] = (),
    ) -> apsw.ReadOnlyError:
        """An UPDATE (or patch) that changes a create-only or read-only member of ``column``; ``was``: the
        column's value before, when a SET gave the new one."""
        parts, old, new = change[0], change[1], change[2]
        path = "/".join(parts)
        masked = self.schema.write_only_member(parts) is not None or parts[0] in self.schema.write_only
        shown = " -> ".join(
            MASK if masked and values else sql_literal(member_values(values)) for values in (old, new)
        )
        if change[3]:
            rule, fix = "is read-only (AWS sets it)", f"leave {parts[-1]} as it is, or out of {column}"
        else:
            rule, fix = "is create-only", "DELETE the row and INSERT a new one instead"
        before = "".join(f" (was {self.literal(column, v)})" for v in was)
        return apsw.ReadOnlyError(
            f"{column} = {self.literal(column, value)}{before}: {path} {rule} and cannot change ({shown}); "
            f"{fix} {where}"
        )

    def check_identifier_parts(self, model: dict[str, Any], where: str) -> None:
        """The parts of the compound identifier (``ApiId|IntegrationId|...``) cannot be empty or hold the
        ``|`` that joins them: such a resource's identifier could not be parsed back."""
        for prop in self.schema.primary_identifier:
            value = model.get(prop)
            fault = self._identifier_fault(prop, value)
            if fault is None or not isinstance(value, str):
                continue
            raise self._bad(
                self.column_of(prop),
                value,
                self._identifier_rule(prop, value, fault),
                self._identifier_fix(prop, fault),
                where,
            )

    def _identifier_fault(self, prop: str, value: object) -> IdentifierFault | None:
        if prop not in self.schema.primary_identifier or not isinstance(value, str):
            return None
        if IDENTIFIER_SEPARATOR in value and len(self.schema.primary_identifier) > 1:
            return IdentifierFault.SEPARATOR  # one part is the identifier whole: it may hold '|'
        if not value:  # only '' is empty: ' ' is a name AWS allows (a log stream's, say)
            return IdentifierFault.EMPTY
        if len(value) > request_limits().identifier:
            return IdentifierFault.TOO_LONG
        return None

    def _identifier_rule(self, prop: str, value: str, fault: IdentifierFault) -> str:
        ids = self.schema.primary_identifier
        part = (
            f"{prop} is part of the identifier '{'|'.join(f'<{p}>' for p in ids)}'"
            if len(ids) > 1
            else f"{prop} is the identifier"
        )
        if fault is IdentifierFault.SEPARATOR:
            return f"holds '|', but {part}, and '|' joins identifier parts"
        if fault is IdentifierFault.EMPTY:
            return f"is empty, but {part}"
        limit = request_limits().identifier
        return f"is {len(value):,} characters, longer than any identifier ({limit:,} at most), and {part}"

    def _identifier_fix(self, prop: str, fault: IdentifierFault) -> str:
        """A parent's id: take it from the parent's table; the type's own: choose another value (or, when
        it is optional, none: AWS generates one)."""
        column = self.column_of(prop)
        parent = self._parent_giving(prop)
        if parent is not None:
            return parent
        if fault is IdentifierFault.SEPARATOR:
            return f"choose a {column} without '|'"
        if fault is IdentifierFault.TOO_LONG:
            return f"choose a shorter {column}"
        if prop in self.schema.required:
            return f"give {column} a non-empty value"
        return f"give {column} a non-empty value, or leave it out (NULL) for AWS to generate one"

    def _parent_giving(self, prop: str) -> str | None:
        """``use the LogGroupName AWS gave the AWS::Logs::LogGroup (SELECT log_group_name FROM
        logs_log_groups)`` when another resource provides ``prop``: a parent of the walk, else the one type
        its relationshipRef names; None when ``prop`` is the type's own."""
        links = [
            (item.parent, item.parent_property)
            for item in self.schema.list_inputs
            if item.source is InputSource.PARENT and prop in item.holders
        ]
        refs = self.schema.properties.get(prop, {}).get("relationshipRef", ())
        if len({ref[0] for ref in refs}) == 1 and refs[0][0] != self.schema.type_name:
            links.append((refs[0][0], refs[0][1]))
        catalog = load_catalog()
        for parent, parent_property in links:
            if parent is None or parent_property is None or parent not in catalog.type_names():
                continue
            table = catalog.entry(parent).table
            column = catalog.schema(parent).column_of(parent_property)
            select = f" (SELECT {column} FROM {table})" if table else ""
            return f"use the {parent_property} AWS gave the {parent}{select}"
        return None

    def check_regions(self, model: dict[str, Any], region: str, where: str) -> None:
        """A fixed value that exists in other regions only (WAFv2's CLOUDFRONT scope: us-east-1) would fail
        InvalidRequest there: refused before anything is sent."""
        for item in self.schema.list_inputs:
            value = model.get(item.property_name)
            if not isinstance(value, str) or item.exists_in(value, region):
                continue
            regions = item.value_regions[value]
            raise self._bad(
                self.column_of(item.property_name),
                value,
                f"{item.property_name} {value} exists only in {', '.join(regions)}, not in {region}",
                f"write region = {sql_literal(regions[0])}",
                where,
            )

    def check_required(self, model: dict[str, Any], where: str, verb: str) -> None:
        """Every required property the model lacks, named at once (not one per try)."""
        missing = [prop for prop in self.schema.required if model.get(prop) is None]
        if missing:
            raise self.required_error(missing, where, verb)

    def required_error(
        self, props: list[str], where: str, verb: str, columns: list[str] | None = None
    ) -> apsw.ConstraintError:
        """``columns``: the names the statement used (``Value`` or ``value``), else the snake_case ones."""
        names = columns or [self.column_of(prop) for prop in props]
        listed = ", ".join(names)
        if verb != "INSERT":
            fix = f"{listed} cannot be removed"
        elif len(names) == 1:
            fix = f"give {listed} a value in the INSERT"
        else:
            fix = f"give each of {listed} a value in the INSERT"
        nulls = ", ".join(f"{name} = NULL" for name in names)
        return apsw.ConstraintError(
            f"{nulls}: {self.schema.type_name} requires {', '.join(props)} (NOT NULL); {fix} {where}"
        )

    def check_model(self, model: dict[str, Any], current: dict[str, Any], where: str, origin: str) -> None:
        """A whole model (after applying a patch document to ``current``, the resource as read): the
        types, enums and limits of what the patch changes, and no required property removed.

        What AWS returned and the patch leaves alone is not checked: it was never written (a read-only
        value is AWS's business). A required write-only property never reads back, so its absence from
        ``current`` (and so from ``model``) is not the patch removing it."""
        for prop, value in model.items():
            if prop not in self.schema.properties or value is None:
                continue
            before = current.get(prop, UNREAD)
            if value == before:
                continue
            column = self.column_of(prop)
            kind = self.schema.properties[prop].get("type")
            if isinstance(kind, str) and kind in JSON_TYPES and not is_json_type(value, kind):
                plain = isinstance(value, (str, int, float)) and not isinstance(value, bool)
                text = value if plain else orjson.dumps(value).decode()
                raise self._bad(
                    column,
                    text,
                    f"{origin} makes {prop} {json_type_name(value)}, but it must be {self._a(kind)}",
                    self._fix(prop),
                    where,
                )
            if kind not in ("object", "array"):
                self.property_value(column, value, where)  # the enum and limits
            else:
                self.check_limits(column, prop, orjson.dumps(value).decode(), value, where, before)
        removed = [p for p in self.schema.required if current.get(p) is not None and model.get(p) is None]
        if removed:
            raise self.required_error(removed, where, "UPDATE")

    # -- messages -------------------------------------------------------------------------------------

    @staticmethod
    def _a(kind: str) -> str:
        return a_kind(kind)

    def _fix(self, prop: str) -> str:
        kind = self.schema.properties[prop].get("type")
        if kind in JSON_EXAMPLES:
            return f"write {self._a(kind)} as text, like {JSON_EXAMPLES[kind]}"
        return f"write {prop} as {self._a(str(kind))}"

    def _bad(self, column: str, value: object, rule: str, fix: str, where: str) -> apsw.ConstraintError:
        return apsw.ConstraintError(f"{column} = {self.literal(column, value)}: {rule}; {fix} {where}")
