"""What to delete first when AWS refuses to delete a parent that still has children (ResourceConflict).

AWS's message names the children in its own words (``Cluster has nodegroups attached``); the catalog knows
which tables list under the type (their walk's nearest parent), so the hint names those tables and the
DELETE that empties the one AWS's message speaks of.
"""

from __future__ import annotations

from typing import Any

from vtab.catalog.schema import ResourceSchema
from vtab.catalog.store import load_catalog
from vtab.messages import sql_literal

IN_USE = "ResourceConflict"
"""The HandlerErrorCode of a delete refused while something depends on the resource."""


def child_tables(type_name: str) -> list[tuple[str, str, str]]:
    """(table, column, parent property) of every table whose list walks from ``type_name`` directly:
    ``("eks_nodegroups", "cluster_name", "Name")``."""
    catalog = load_catalog()
    found = []
    for name in catalog.type_names():
        entry = catalog.entry(name)
        if entry.table is None or not entry.plan.chain or entry.plan.chain[-1] != type_name:
            continue
        feed = next((f for f in entry.plan.feeds if f.parent == type_name and f.parent_property), None)
        if feed is not None and feed.parent_property is not None:
            found.append((entry.table, feed.column, feed.parent_property))
    return sorted(found)


def _squashed(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def in_use_hint(schema: ResourceSchema, region: str, properties: dict[str, Any] | None, message: str) -> str:
    """``AWS::EKS::Cluster is the parent of eks_addons, ...; delete its children first, e.g. DELETE FROM
    eks_nodegroups WHERE ...``, or "" when the type has no child tables."""
    children = child_tables(schema.type_name)
    if not children:
        return ""
    said = _squashed(message)
    prefix = f"{schema.type_name.split('::')[1].lower()}_"
    table, column, parent_property = next(
        (child for child in children if _squashed(child[0].removeprefix(prefix)) in said), children[0]
    )
    names = ", ".join(child[0] for child in children)
    hint = f"{schema.type_name} is the parent of the rows of {names}; delete its children first"
    value = (properties or {}).get(parent_property)
    if isinstance(value, (str, int)):
        hint += (
            f", e.g. DELETE FROM {table} WHERE region = {sql_literal(region)} AND {column} = "
            f"{sql_literal(value)}"
        )
    return hint + ", then the parent"
