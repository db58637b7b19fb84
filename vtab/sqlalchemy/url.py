"""A ``vtab://`` URL -> the arguments of vtab.dbapi.connect(): the database file and vtab's options.

Every option of vtab.options.Options is a query parameter under its own name, read as SQL option text is
(``regions=us-east-1,eu-west-1``, ``read_only=true``, ``cache_ttl=0``), so a new option needs nothing
here. They are checked when the engine is created: a typo fails ``create_engine``, naming the option.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError

from vtab.options import OptionError, Options

MEMORY = ":memory:"

EXAMPLE = "vtab:///inventory.db?regions=us-east-1,eu-west-1&profile=prod"


def database_of(url: URL) -> str:
    """The database file a URL names (``vtab:///inventory.db``: relative; ``vtab:////tmp/x.db``:
    absolute), or ``:memory:`` (``vtab://`` or ``vtab:///:memory:``)."""
    return url.database or MEMORY


def is_memory(url: URL) -> bool:
    return database_of(url) == MEMORY


def refuse_endpoint_credentials(endpoint: str | None) -> None:
    """An ``endpoint_url`` with a user or password before its host is refused as the URL's own would be:
    SQLAlchemy masks only the URL's password, and jupysql prints the whole URL above every result."""
    if endpoint is None:
        return
    parts = urlsplit(endpoint)
    if parts.username is not None or parts.password is not None:
        host = parts.netloc.rpartition("@")[2] or "HOST"
        raise ArgumentError(
            "vtab:// URL option endpoint_url carries a user or password before its host; a URL is printed "
            f"in logs and notebooks, so give the endpoint without them (endpoint_url={parts.scheme}://{host})"
            " and sign with a profile's credentials"
        )


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
    options: dict[str, Any] = {}
    for name, value in url.query.items():
        if not isinstance(value, str):
            raise ArgumentError(
                f"vtab:// URL gives option {name} {len(value)} times ({', '.join(value)}); give it once "
                f"(regions takes a comma-separated list: regions=us-east-1,eu-west-1)"
            )
        options[name] = value
    refuse_endpoint_credentials(options.get("endpoint_url"))
    try:
        Options().replace(**options)
    except OptionError as error:
        raise ArgumentError(f"vtab:// URL query: {error}") from None
    return {"filename": database_of(url), **options}
