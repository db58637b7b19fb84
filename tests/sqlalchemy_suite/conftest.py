"""SQLAlchemy's dialect compliance suite (``sqlalchemy.testing.suite``) on the vtab:// dialect, with a file
database, run as third-party dialects run it: SQLAlchemy's pytest plugin, the requirements in
requirements.py, the database in setup.cfg. A pytest run of its own (``make test`` runs it after the main
suite; tests/conftest.py leaves this folder out), since SQLAlchemy's plugin takes over collection.

SQLAlchemy's provisioning hooks for SQLite serve vtab too (it is SQLite underneath), except the two that
name files: the database goes to a temporary directory, and each connection ATTACHes the suite's second
schema, ``test_schema``, beside it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("sqlalchemy.testing.assertions")

from sqlalchemy import event  # noqa: E402 - after the assert rewrite is registered
from sqlalchemy.dialects.sqlite import provision as sqlite_provision  # noqa: E402, F401 - SQLite's hooks
from sqlalchemy.engine.url import URL  # noqa: E402
from sqlalchemy.pool import Pool  # noqa: E402
from sqlalchemy.testing import provision  # noqa: E402
from sqlalchemy.testing.plugin.pytestplugin import *  # noqa: E402, F403 - the plugin's hooks

import vtab.dbapi  # noqa: E402

FILES = tempfile.TemporaryDirectory(prefix="vtab-sqlalchemy-suite-")
"""Where the suite's database files go; removed when the run ends."""

for hook in (
    provision.post_configure_testing_engine,
    provision.stop_test_class_outside_fixtures,
    provision.temp_table_keyword_args,
    provision.upsert,
):
    hook.fns["vtab"] = hook.fns["sqlite"]


@provision.generate_driver_url.for_db("vtab")
def _url_in_files(url: URL, driver: str, query_str: str) -> URL:
    return url.set(database=str(Path(FILES.name) / Path(url.database or "suite.db").name))


@event.listens_for(Pool, "connect")
def _attach_test_schema(dbapi_connection: Any, connection_record: Any) -> None:
    """Every connection of every engine the suite makes (SQLite forgets an ATTACH with the connection)."""
    if isinstance(dbapi_connection, vtab.dbapi.Connection):
        schema = Path(FILES.name) / "test_schema.db"
        dbapi_connection.execute(f"ATTACH DATABASE '{schema}' AS test_schema")
