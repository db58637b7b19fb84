"""The declared columns of a resource table: names, types, DDL, and how each is read from a row.

Every property is a column under its field name and, hidden, its schema and StackQL spellings; the
planner, the cursor and the writes all look a column up here (``canonical``, ``index``, ``readers``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import apsw

from vtab.catalog.columns import (
    ACCOUNT_ID,
    ACCOUNT_NAME,
    IDENTIFIER,
    PATCH_DOCUMENT,
    REGION,
    SQL_TYPES,
    STACKQL_OWN,
    json_text,
    quote,
    stackql_column,
    with_affinity,
)
from vtab.catalog.schema import ResourceSchema
from vtab.read.affinity import affinity_of
from vtab.read.rows import Row

ROW_FIELDS = {REGION: "region", IDENTIFIER: "identifier"}
"""vtab's own columns that are a field of the Row as it is."""

_NUMBERS = (int, float)
"""isinstance's tuple (``int | float`` would build a union object at every cell)."""

JSON_KINDS = ("object", "array")
"""Schema types a column shows as JSON text."""


class Columns:
    """The declared columns of a resource table: properties in schema order, region, account_id, then the
    hidden ones.

    Every property is a column twice: under its snake_case field name (``api_id``, shown by ``SELECT *``)
    and, hidden, under its schema name (``ApiId``, the name StackQL's INSERTs use); a third time, hidden,
    where StackQL's pages spell the column otherwise (``e_ip`` for ``eip``). All read the same value, push
    down the same way and are writable; ``canonical`` maps each to the field name. vtab's own identifier
    and patch answer to today's StackQL names too (``Identifier``, ``PatchDocument``: STACKQL_OWN).
    """

    def __init__(self, schema: ResourceSchema) -> None:
        self.schema = schema
        self.properties = list(schema.properties)
        fields = [schema.column_of(p) for p in self.properties]
        first_of: dict[str, str] = {}
        for prop, field in zip(self.properties, fields, strict=True):
            if field in first_of or field in (REGION, ACCOUNT_ID, ACCOUNT_NAME, IDENTIFIER, PATCH_DOCUMENT):
                # One column per property, or one of them would silently never be read or written.
                other = first_of.get(field, field)
                raise ValueError(f"{schema.type_name}: {other} and {prop} would both be column {field}")
            first_of[field] = prop
        self.visible = [*fields, REGION, ACCOUNT_ID]
        self.names = [*self.visible, IDENTIFIER, PATCH_DOCUMENT, ACCOUNT_NAME, *STACKQL_OWN]
        self.twins: dict[str, str] = {}
        """Hidden property column -> its field-name column (``ApiId`` -> ``api_id``, ``e_ip`` -> ``eip``).
        A property named like one of STACKQL_OWN is written through that column (see own_aliases)."""
        taken = {name.lower() for name in self.names}  # SQLite column names are case-insensitive
        for prop, field in zip(self.properties, fields, strict=True):
            for twin in dict.fromkeys((prop, stackql_column(prop))):
                if twin.lower() not in taken:
                    self.twins[twin] = field
                    self.names.append(twin)
                    taken.add(twin.lower())
                elif twin in STACKQL_OWN:
                    self.twins[twin] = field
        self.own_aliases = {name: own for name, own in STACKQL_OWN.items() if name not in self.twins}
        """StackQL's name of vtab's own column -> that column, where writes take it so (``PatchDocument``)."""
        self.index = {name: i for i, name in enumerate(self.names)}
        self.canonical = {name: STACKQL_OWN.get(name) or self.twins.get(name, name) for name in self.names}
        """Any column name -> the name the planner and the reads use for it (the field name; vtab's own
        columns by their ``data__`` names)."""
        self.property_of = {schema.column_of(p): p for p in self.properties}
        self.property_of.update({twin: self.property_of[field] for twin, field in self.twins.items()})
        for name in STACKQL_OWN:
            self.property_of.pop(name, None)  # read as vtab's own column; written as the property
        """Column name (either spelling) -> property name, for the property columns."""
        self.json_names = frozenset(
            name
            for name, prop in self.property_of.items()
            if schema.properties[prop].get("type") in JSON_KINDS
        )
        """Columns whose text is JSON by the schema (object and array properties)."""
        self.affinities = {name: affinity_of(self.sql_type(name)) for name in self.names}
        """Column name -> its affinity, which values pushed down for it take (vtab.read.affinity)."""
        self.readers: list[Callable[[Row], apsw.SQLiteValue]] = [self._reader(name) for name in self.names]
        """Column number -> how to read it from a Row (looked up once, used for every cell)."""
        self.cell_properties: list[str | None] = [
            self.property_of.get(self.canonical[name]) for name in self.names
        ]
        """Column number -> the property it shows (None: region, identifier, patch document): the cursor
        gets a row's cells in one ``map`` over these, and converts only what SQLite asks."""
        self.converters: list[Callable[[Any], apsw.SQLiteValue]] = [
            self._converter(self.sql_type(name)) for name in self.names
        ]
        """Column number -> how a property value that is neither NULL nor text becomes an SQL value."""
        self.own_readers: dict[int, Callable[[Row], apsw.SQLiteValue]] = {
            number: self.readers[number]
            for number, name in enumerate(self.names)
            if self.cell_properties[number] is None
        }
        """Column number -> the reader of a column that is no property (region, account, identifier)."""
        self._ddl: str | None = None

    @classmethod
    def of(cls, schema: ResourceSchema) -> Columns:
        """The columns of ``schema``, built once per process: every connection's table of a type (a sync
        connects each type on many connections) reads the same, unchanging Columns."""
        built = _BUILT.get(id(schema))
        if built is None or built[0] is not schema:
            with _BUILDING:
                built = _BUILT.get(id(schema))
                if built is None or built[0] is not schema:
                    built = _BUILT[id(schema)] = (schema, cls(schema))
        return built[1]

    def sql_type(self, name: str) -> str:
        """The declared type of column ``name``: from the property's JSON type (string TEXT, integer
        INTEGER, number REAL, boolean INTEGER 0/1, object and array JSON TEXT), TEXT for vtab's own, and
        none for a property whose schema allows several types (SQLite keeps each value as it comes)."""
        prop = self.property_of.get(name)
        if prop is None:
            return "TEXT"
        return SQL_TYPES.get(self.schema.properties[prop].get("type", ""), "")

    def is_text(self, name: str) -> bool:
        """Whether column ``name`` shows a string property (its values are text as they come)."""
        prop = self.property_of.get(name)
        return prop is not None and self.schema.properties[prop].get("type") == "string"

    def ddl(self) -> str:
        """The table's CREATE TABLE for SQLite (made once: every connection's table of the type says it)."""
        if self._ddl is None:
            self._ddl = self._declaration()
        return self._ddl

    def _declaration(self) -> str:
        declared = [f"{quote(name)} {self.sql_type(name)}".rstrip() for name in self.visible]
        declared += [
            f"{IDENTIFIER} TEXT HIDDEN",
            f"{PATCH_DOCUMENT} TEXT HIDDEN",
            f"{ACCOUNT_NAME} TEXT HIDDEN",
        ]
        declared += [f"{name} TEXT HIDDEN" for name in STACKQL_OWN]
        declared += [
            f"{quote(twin)} {self.sql_type(twin)} HIDDEN".replace("  ", " ")
            for twin in self.twins
            if twin not in STACKQL_OWN
        ]
        return f"CREATE TABLE x({', '.join(declared)})"

    def _reader(self, name: str) -> Callable[[Row], apsw.SQLiteValue]:
        name = self.canonical[name]
        if name in (REGION, IDENTIFIER):
            return attrgetter(ROW_FIELDS[name])  # a builtin: no Python frame per cell
        if name == PATCH_DOCUMENT:
            return lambda row: None  # write-only
        if name == ACCOUNT_ID:
            return lambda row: row.account  # the cursor reads it through the table (vtab.read.context)
        if name == ACCOUNT_NAME:
            return lambda row: None  # the cursor reads it through the table's estate
        prop = self.property_of[name]
        sql_type = self.sql_type(name)

        def read(row: Row) -> apsw.SQLiteValue:
            """Objects become JSON text; absent properties are NULL; numbers take the column's affinity."""
            value = row.properties.get(prop)
            if value is None or isinstance(value, str):
                return value
            if isinstance(value, _NUMBERS):
                return with_affinity(value, sql_type)
            return json_text(value)

        return read

    @staticmethod
    def _converter(sql_type: str) -> Callable[[Any], apsw.SQLiteValue]:
        def convert(value: Any) -> apsw.SQLiteValue:
            """Numbers take the column's affinity; objects and arrays become JSON text."""
            if isinstance(value, _NUMBERS):
                return with_affinity(value, sql_type)
            return json_text(value)

        return convert

    def value(self, name: str, row: Row) -> apsw.SQLiteValue:
        """Column ``name`` of ``row``, as a SELECT shows it."""
        return self.readers[self.index[name]](row)


_BUILT: dict[int, tuple[ResourceSchema, Columns]] = {}
"""Columns.of's: by the schema's identity (a schema holds dicts, so it has no hash), the schema kept with
them so that its id is never another's."""
_BUILDING = threading.Lock()
