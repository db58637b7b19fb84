"""The resource tables register() installs, by name (a module of its own so that what explains an error,
vtab.sqlite.read_only, can know them without importing register())."""

from __future__ import annotations

import functools

from vtab.catalog.store import load_catalog


@functools.cache
def resource_tables() -> dict[str, str]:
    """Table name -> type name of every resource table register() installs: one per catalog type with
    handlers (``apigatewayv2_integration_responses``), and the seed's names (``integration_responses``)."""
    catalog = load_catalog()
    tables = {table: type_name for table, (type_name, _) in catalog.tables().items()}
    tables.update(catalog.aliases)
    return tables
