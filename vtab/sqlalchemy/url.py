"""A ``vtab://`` URL -> the arguments of vtab.dbapi.connect(): the database file and vtab's options.

Every option of vtab.options.Options is a query parameter under its own name, read as SQL option text is
(``regions=us-east-1,eu-west-1``, ``read_only=true``, ``cache_ttl=0``), so a new option needs nothing
here. They are checked when the engine is created: a typo fails ``create_engine``, naming the option.
One parameter is the dialect's own, not vtab's: ``list_tables`` (:class:`ListTables`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError

from vtab.options import OptionError, Options

MEMORY = ":memory:"

EXAMPLE = "vtab:///inventory.db?regions=us-east-1,eu-west-1&profile=prod"

LIST_TABLES = "list_tables"


class ListTables(StrEnum):
    """What the inspector's ``get_table_names()`` lists in the file's own schema (the URL's
    ``list_tables``). vtab's tables are listed under the schema ``vtab`` either way."""

    ALL = "all"
    """The file's tables and vtab's (the default: a BI tool's table picker shows vtab's)."""
    OWN = "own"
    """The file's tables only, as SQLite's dialect lists them: for ``MetaData.reflect()`` and Alembic,
    which would otherwise reflect 1,700 of vtab's tables."""


def list_tables_of(url: URL) -> ListTables:
    """The URL's ``list_tables`` (default ``all``); ArgumentError for another value."""
    value = url.query.get(LIST_TABLES, ListTables.ALL.value)
    try:
        return ListTables(value if isinstance(value, str) else ",".join(value))
    except ValueError:
        raise ArgumentError(
            f"vtab:// URL parameter {LIST_TABLES}={value!r} is not one of "
            f"{', '.join(member.value for member in ListTables)}; write {LIST_TABLES}=own to list only the "
            "file's tables (vtab's stay under the schema vtab)"
        ) from None


def database_of(url: URL) -> str:
    """The database file a URL names (``vtab:///inventory.db``: relative; ``vtab:////tmp/x.db``:
    absolute), or ``:memory:`` (``vtab://`` or ``vtab:///:memory:``)."""
    return url.database or MEMORY


def is_memory(url: URL) -> bool:
    return database_of(url) == MEMORY


def connect_arguments(url: URL) -> dict[str, Any]:
    """vtab.dbapi.connect()'s keyword arguments for ``url``; ArgumentError names what is wrong and the fix.

    A URL holds no secret: vtab signs with the AWS credentials of ``profile`` (or boto3's chain), and a
    user or password in it would be printed wherever the URL is (logs, a BI tool's settings page)."""
    if url.username is not None or url.password is not None:
        raise ArgumentError(
            "vtab:// URLs take no user or password: vtab signs requests with the AWS credentials of a "
            f"profile or the environment; name the profile instead, as in {EXAMPLE}"
        )
    if url.host or url.port:
        raise ArgumentError(
            f"vtab:// URL names host {url.host!r}: vtab opens a local SQLite file; write three slashes "
            f"before a file name (vtab:///inventory.db) or give none for memory (vtab:///:memory:)"
        )
    list_tables_of(url)
    options: dict[str, Any] = {}
    for name, value in url.query.items():
        if name == LIST_TABLES:
            continue
        if not isinstance(value, str):
            raise ArgumentError(
                f"vtab:// URL gives option {name} {len(value)} times ({', '.join(value)}); give it once "
                f"(regions takes a comma-separated list: regions=us-east-1,eu-west-1)"
            )
        options[name] = value
    try:
        Options().replace(**options)
    except OptionError as error:
        raise ArgumentError(f"vtab:// URL query: {error}") from None
    return {"filename": database_of(url), **options}
