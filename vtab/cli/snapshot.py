"""``vtab snapshot``: copy a SELECT's rows into a plain table of a SQLite file any sqlite3 client opens."""

from __future__ import annotations

import argparse
import warnings
from typing import TextIO

import apsw
import apsw.ext

from vtab.catalog.columns import quote
from vtab.cli.conventions import CommandError
from vtab.cli.flags import options_from
from vtab.cli.query import open_connection
from vtab.sql.stackql import rewrite_on
from vtab.sqlite.install import ShadowedTableWarning, resource_tables

SNAPSHOT_SCHEMA = "snap"
"""The name the snapshot's output file is ATTACHed as, so its SELECT can join the file's own tables."""


def snapshot(db: apsw.Connection, path: str, sql: str, table: str, replace: bool) -> int:
    """Materialise ``sql`` into the plain table ``table`` of ``path``; returns the row count.

    The file is ATTACHed (so the SELECT may join its tables), the drop and the copy are one transaction
    (a failed query leaves the old table as it was), and the file is DETACHed before returning.
    """
    if not table.strip():
        raise CommandError("--table needs a name")
    db.execute(f"ATTACH ? AS {SNAPSHOT_SCHEMA}", (path,))
    try:
        info = apsw.ext.query_info(db, rewrite_on(db, sql))  # query_info compares the text with SQLite's
        if info.query_remaining and info.query_remaining.strip().strip(";").strip():
            raise CommandError("snapshot takes exactly one SELECT statement")
        if not info.description or not info.is_readonly:
            raise CommandError("snapshot needs a SELECT (or WITH ... SELECT, or VALUES) that returns rows")
        select = info.first_query.strip().rstrip(";").rstrip()
        target = f"{SNAPSHOT_SCHEMA}.{quote(table)}"
        with db:
            existing = db.execute(
                f"SELECT type, name FROM {SNAPSHOT_SCHEMA}.sqlite_schema WHERE lower(name) = lower(?)",
                (table,),
            ).fetchall()
            if existing:
                kind, name = (str(value) for value in existing[0])
                if kind != "table":
                    raise CommandError(f"{path} already has a {kind} named {name}; choose another --table")
                if not replace:
                    raise CommandError(
                        f"table {name} already exists in {path}; add --replace to overwrite it "
                        "or choose another --table"
                    )
                db.execute(f"DROP TABLE {SNAPSHOT_SCHEMA}.{quote(name)}")
            db.execute(f"CREATE TABLE {target} AS {select}\n")
            count = db.execute(f"SELECT count(*) FROM {target}").get
        assert isinstance(count, int)
        return count
    finally:
        db.execute(f"DETACH {SNAPSHOT_SCHEMA}")


def command_snapshot(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    # Read-only to AWS, but not to files: the snapshot is written into the file it ATTACHes.
    db, _ = open_connection(options_from(parser, args) | {"read_only": True}, read_only_files=False)
    try:
        count = snapshot(db, args.out, args.sql, args.table, args.replace)
    finally:
        db.close()
    print(f"{args.out}: table {args.table}: {count} row{'' if count == 1 else 's'}", file=out)
    if args.table.lower() in {name.lower() for name in resource_tables()}:
        warnings.warn(ShadowedTableWarning([args.table]), stacklevel=1)
    return 0
