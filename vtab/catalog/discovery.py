"""The rows of ``vtab_types``: every resource table, what it lists and how, so 1,700 tables can be found.

One row per table name (the seed's ``integration_responses`` is a row of its own beside
``apigatewayv2_integration_responses``). Lists and objects are JSON text, so ``json_each`` works on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from vtab.catalog.store import Catalog, load_catalog

TYPE_COLUMNS = (
    "type_name",
    "table_name",
    "stackql_name",
    "service",
    "scope",
    "list_mode",
    "walk",
    "list_inputs",
    "needs_where",
    "verbs",
    "permissions",
    "reason",
)
"""``scope``: global (one set of resources per partition, listed once), regional, or listed account-wide
(regional resources one listing answers for the whole partition: S3 buckets); ``list_mode``:
region_wide, walk, fixed (one listing per fixed value), account_id (one listing with the caller's account
id, looked up unless the account_id option gives it), needs_where, no_list (read by identifier only);
``walk``: the parent types listed first,
outermost first, joined by `` -> ``; ``list_inputs``: JSON, per ResourceModel key its column, where its
value comes from and how that was found, and ``also_given_by``: the columns holding the same value
(DataZone's ``domain_id``); ``needs_where``: the columns a SELECT must give."""


def _inputs(catalog: Catalog, type_name: str) -> list[dict[str, Any]]:
    schema = catalog.schema(type_name)
    rows = []
    for item in schema.list_inputs:
        row: dict[str, Any] = {
            "input": item.input,
            "column": schema.column_of(item.property_name),
            "source": item.source.value,
            "found_by": item.found_by,
        }
        if item.parent:
            row["parent"] = item.parent
            row["parent_property"] = item.parent_property
        if item.values:
            row["values"] = list(item.values)
        if item.value_regions:
            row["value_regions"] = {value: list(regions) for value, regions in item.value_regions.items()}
        if item.reason:
            row["reason"] = item.reason
        if item.aliases:
            row["also_given_by"] = list(schema.input_columns_of(item)[1:])
        rows.append(row)
    return rows


def type_rows(catalog: Catalog | None = None) -> Iterator[tuple[Any, ...]]:
    """One row per resource table, in TYPE_COLUMNS order."""
    catalog = catalog or load_catalog()
    names = [(name, catalog.entry(name).table) for name in catalog.type_names()]
    names += [(type_name, alias) for alias, type_name in catalog.aliases.items()]
    for type_name, table in sorted(names, key=lambda pair: str(pair[1])):
        if table is None:
            continue
        entry = catalog.entry(type_name)
        plan = entry.plan
        schema = catalog.schema(type_name)
        where = plan.where_columns
        yield (
            type_name,
            table,
            entry.stackql,
            type_name.split("::")[1].lower(),
            schema.scope.value,
            plan.mode.value,
            " -> ".join(step.type_name for step in schema.parents) or None,
            orjson.dumps(_inputs(catalog, type_name)).decode() if schema.list_inputs else None,
            ",".join(where) or None,
            ",".join(sorted(verb.value for verb in entry.verbs)),
            orjson.dumps(schema.permissions).decode(),
            plan.reason or None,
        )
