"""Columns of a catalog type's table: names by ``snake_case`` (StackQL's rule), SQLite types from JSON types.

A property whose column name would be one of vtab's own columns (five types have a ``Region`` property) is
prefixed with ``resource_``; nothing else changes the rule the hand-verified table uses.
"""

from __future__ import annotations

import re

from vtab.catalog.facts import TypeFacts

_ACRONYM_THEN_WORD = re.compile(r"([A-Z]+)([A-Z](?:[a-z]{2,}|[a-rt-z](?=[A-Z]|$)))")
"""``DBCluster`` -> ``DB_Cluster``: an acronym ends where a capitalised word begins (a plural ``ARNs``,
or ``IPv6``, is no word)."""
_WORD_START = re.compile(r"([a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``IntegrationResponseId`` -> ``integration_response_id``, ``DBClusterIdentifier`` ->
    ``db_cluster_identifier``, ``KMSKeyId`` -> ``kms_key_id`` (the column naming StackQL uses)."""
    return _WORD_START.sub(r"\1_\2", _ACRONYM_THEN_WORD.sub(r"\1_\2", name)).lower()


REGION = "region"
IDENTIFIER = "data__Identifier"
PATCH_DOCUMENT = "data__PatchDocument"
"""vtab's own columns of every resource table: region, the identifier (the key), the write-only patch."""

SQL_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "INTEGER",
    "object": "TEXT",
    "array": "TEXT",
}
"""JSON type -> declared SQLite type (booleans are 0/1, objects and arrays JSON text). A property whose schema
allows several types is declared without a type, so SQLite keeps each value as it comes."""

VTAB_COLUMNS = (REGION, IDENTIFIER, PATCH_DOCUMENT)
COLLISION_PREFIX = "resource_"


def column_names(facts: TypeFacts) -> dict[str, str]:
    """Property -> column name, unique within the table and distinct from vtab's own columns."""
    taken = {name.lower() for name in VTAB_COLUMNS}
    columns = {}
    for prop in facts.properties:
        name = snake_case(prop)
        while name.lower() in taken:
            name = COLLISION_PREFIX + name
        taken.add(name.lower())
        columns[prop] = name
    return columns


def quote(name: str) -> str:
    """An SQL identifier, quoted so that keywords (``order``, ``group``) are valid column names."""
    return '"' + name.replace('"', '""') + '"'


def declaration(facts: TypeFacts) -> str:
    """The table's declaration as a virtual table gives it to SQLite: typed property columns, region, then
    the hidden identifier and patch document; no key (vtab.read.rowids says why)."""
    declared = []
    for prop, column in column_names(facts).items():
        sql_type = SQL_TYPES.get(facts.properties[prop].get("type", ""), "")
        declared.append(f"{quote(column)} {sql_type}".rstrip())
    declared += [f"{REGION} TEXT", f"{IDENTIFIER} TEXT HIDDEN", f"{PATCH_DOCUMENT} TEXT HIDDEN"]
    return f"CREATE TABLE x({', '.join(declared)})"
