"""``vtab describe TABLE...``: a table's columns and what a write may do with each (the rows of
``vtab_columns``), read from the catalog alone (no AWS client), so an INSERT's needs are known before it."""

from __future__ import annotations

import argparse
from typing import TextIO

from vtab import hints
from vtab.catalog.describe import COLUMN_FACT_NAMES
from vtab.cli.conventions import CommandError
from vtab.cli.output import WRITERS
from vtab.sql.stackql import is_stackql_name, no_such_table, table_of
from vtab.sqlite.columns_table import facts_of
from vtab.sqlite.install import resource_tables, stackql_names


def table_named(name: str) -> str:
    """The resource table ``name`` is (its table name in any case, or a StackQL name ``aws.`` or
    ``awscc.``); CommandError with the names it may have meant when it is none."""
    tables = resource_tables()
    by_lower = {table.lower(): table for table in tables}
    if is_stackql_name(name):
        names = {stackql.lower(): table for stackql, table in stackql_names().items()}
        table = table_of(name, names)
        if table is None:
            raise CommandError(no_such_table(name, names, command=True))
        return table
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    meant = hints.did_you_mean(name, tables)
    raise CommandError(
        f"no such table: {name}; "
        + (meant or "vtab types PATTERN lists the tables whose names contain PATTERN")
    )


def command_describe(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    tables = [table_named(name) for name in args.tables]  # every name checked before anything is printed
    writer = WRITERS[args.format](out, args.header)
    writer.start(list(COLUMN_FACT_NAMES), [False] * len(COLUMN_FACT_NAMES))
    for table in dict.fromkeys(tables):
        for facts in facts_of(table, resource_tables()):
            writer.row(facts.row())
    writer.end()
    return 0
