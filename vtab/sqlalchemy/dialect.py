"""``VtabDialect``: SQLite's SQLAlchemy dialect over vtab.dbapi, whose inspector sees vtab's tables.

vtab's tables are eponymous virtual tables: they are in no ``sqlite_schema``, where SQLite's dialect looks.
The inspector lists them beside the file's own tables (a BI tool's table picker shows them) and under a
schema of their own, ``vtab``. With the URL's ``list_tables=own`` the file's schema lists only the file's
tables, exactly as SQLite's dialect does (SQLAlchemy's dialect compliance suite checks that:
tests/sqlalchemy_suite), so ``MetaData.reflect()`` or Alembic's autogenerate see only the file's tables,
not 1,700 more. In SQL the schema is ``main``, where
eponymous tables answer; a vtab table is also reflected by its bare name. ``get_columns()`` gives hidden
columns too (SQLite's dialect drops them), each marked ``column.dialect_options["vtab"]["hidden"]``, with
vtab_columns' description as the column's comment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from sqlalchemy import Column, pool
from sqlalchemy.dialects.sqlite.base import SQLiteDialect, SQLiteIdentifierPreparer
from sqlalchemy.engine import Connection as SAConnection
from sqlalchemy.engine import Engine, reflection
from sqlalchemy.engine.interfaces import DBAPIConnection, IsolationLevel, ReflectedColumn
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.schema import SchemaItem

from vtab import dbapi
from vtab.sqlalchemy.url import ListTables, connect_arguments, is_memory, list_tables_of
from vtab.sqlite.install import vtab_table_names

VTAB_SCHEMA = "vtab"
"""The schema the inspector lists vtab's tables under; SQL names it ``main`` (``vtab.eks_clusters`` in
SQLAlchemy is ``main.eks_clusters`` in SQL)."""

MAIN_SCHEMAS = (None, "main", VTAB_SCHEMA)
"""Where vtab's eponymous tables answer (``main.eks_clusters`` too); not in temp or an ATTACHed file."""

HIDDEN = 1
"""PRAGMA table_xinfo's ``hidden`` for a virtual table's HIDDEN column (2 and 3 are generated columns)."""


def _construct_arguments() -> list[tuple[type[SchemaItem] | type[ClauseElement], Mapping[str, Any]]]:
    """SQLite's dialect arguments, with Column's ``vtab_hidden`` added (what reflection marks)."""
    merged = dict(SQLiteDialect.construct_arguments or [])
    merged[Column] = {**merged.get(Column, {}), "hidden": False}
    return list(merged.items())


def in_sql(schema: str | None) -> str | None:
    """The schema SQL names: ``main`` for the inspector's ``vtab``, any other as it is."""
    return "main" if schema == VTAB_SCHEMA else schema


class VtabIdentifierPreparer(SQLiteIdentifierPreparer):
    """SQLite's quoting, with the schema ``vtab`` written as ``main``, where vtab's tables answer."""

    def quote_schema(self, schema: str) -> str:
        return super().quote_schema(in_sql(schema) or schema)


class VtabDialect(SQLiteDialect):
    name = "vtab"
    driver = "dbapi"
    supports_statement_cache = True
    preparer = VtabIdentifierPreparer
    construct_arguments = _construct_arguments()
    _isolation_lookup = SQLiteDialect._isolation_lookup.union({"AUTOCOMMIT": None})

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        return dbapi

    @classmethod
    def engine_created(cls, engine: Engine) -> None:
        """Hide statement parameters in the engine's errors and logs: a write's parameters may hold
        write-only values (a secret's SecretString, a password) that vtab's own messages mask, and SQLAlchemy
        would print them under ``[parameters: ...]``. ``engine.hide_parameters = False`` shows them again."""
        engine.hide_parameters = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        """One connection per thread for ``:memory:`` (a second would be another, empty database), a pool
        for a file (as SQLite's own dialect chooses)."""
        return pool.SingletonThreadPool if is_memory(url) else pool.QueuePool

    def on_connect(self) -> Callable[[DBAPIConnection], None]:
        """Each connection gets the ``regexp()`` function SQLite's REGEXP operator calls, which SQLAlchemy's
        ``regexp_match()`` compiles to (SQLAlchemy's own SQLite driver defines it the same way)."""

        def connect(connection: DBAPIConnection) -> None:
            connection.apsw_connection.create_scalar_function("regexp", regexp, 2, deterministic=True)

        return connect

    list_tables = ListTables.ALL

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        self.list_tables = list_tables_of(url)
        return [], connect_arguments(url)

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        return dbapi.sqlite_version_info

    def set_isolation_level(self, dbapi_connection: DBAPIConnection, level: IsolationLevel) -> None:
        """``AUTOCOMMIT`` sends each statement's writes as it ends; the others wait for commit()."""
        dbapi_connection.autocommit = level == "AUTOCOMMIT"
        if level != "AUTOCOMMIT":
            super().set_isolation_level(dbapi_connection, level)

    def detect_autocommit_setting(self, dbapi_conn: DBAPIConnection) -> bool:
        return bool(dbapi_conn.autocommit)

    def is_vtab_table(self, connection: SAConnection, table_name: str, schema: str | None) -> bool:
        """Whether ``table_name`` is one of vtab's eponymous tables, not hidden by a table of the file."""
        if schema not in MAIN_SCHEMAS or table_name.lower() not in _lower_vtab_names():
            return False
        stored = connection.exec_driver_sql(
            "SELECT 1 FROM main.sqlite_schema WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE",
            (table_name,),
        )
        return stored.first() is None

    @reflection.cache
    def get_schema_names(self, connection: SAConnection, **kw: Any) -> list[str]:
        """SQLite's (main and the ATTACHed files) and ``vtab``, where vtab's tables are listed."""
        return [*super().get_schema_names(connection, **kw), VTAB_SCHEMA]

    @reflection.cache
    def get_table_names(
        self,
        connection: SAConnection,
        schema: str | None = None,
        sqlite_include_internal: bool = False,
        **kw: Any,
    ) -> list[str]:
        """A schema's tables as SQLite's dialect lists them; in ``vtab``, every table vtab installs (1,700
        resource tables and its own) that no table of the file hides; in the file's own schema, both,
        unless the URL says ``list_tables=own``."""
        kw.pop("info_cache", None)
        own = list(super().get_table_names(connection, in_sql(schema), sqlite_include_internal, **kw))
        if schema != VTAB_SCHEMA and (schema not in MAIN_SCHEMAS or self.list_tables is ListTables.OWN):
            return own
        # Here the schema is main in SQL (the default one, or vtab's), so ``own`` is main's tables.
        hidden = {name.lower() for name in own}
        hidden |= {name.lower() for name in super().get_view_names(connection, "main", **kw)}
        vtabs = [name for name in vtab_table_names() if name.lower() not in hidden]
        return sorted(vtabs if schema == VTAB_SCHEMA else [*own, *vtabs])

    @reflection.cache
    def get_view_names(
        self,
        connection: SAConnection,
        schema: str | None = None,
        sqlite_include_internal: bool = False,
        **kw: Any,
    ) -> list[str]:
        """SQLite's; none in ``vtab``."""
        kw.pop("info_cache", None)
        if schema == VTAB_SCHEMA:
            return []
        return list(super().get_view_names(connection, schema, sqlite_include_internal, **kw))

    def _get_table_pragma(
        self, connection: SAConnection, pragma: str, table_name: str, schema: str | None = None
    ) -> Any:
        return super()._get_table_pragma(connection, pragma, table_name, in_sql(schema))

    def _get_table_sql(
        self, connection: SAConnection, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        """The table's CREATE statement; None for vtab's tables (they have none: no constraints to read)."""
        kw.pop("info_cache", None)
        try:
            return super()._get_table_sql(connection, table_name, in_sql(schema), **kw)
        except NoSuchTableError:
            if self.is_vtab_table(connection, table_name, schema):
                return None
            raise

    @reflection.cache
    def get_columns(
        self, connection: SAConnection, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[ReflectedColumn]:
        """SQLite's reflection of the columns, with hidden ones put back in their place and marked; a vtab
        table's columns carry vtab_columns' descriptions as comments."""
        kw.pop("info_cache", None)
        visible = iter(super().get_columns(connection, table_name, schema, **kw))
        quote = self.identifier_preparer.quote_identifier
        prefix = f"{quote(in_sql(schema) or '')}." if schema else ""
        xinfo = connection.exec_driver_sql(f"PRAGMA {prefix}table_xinfo({quote(table_name)})").fetchall()
        descriptions, twins = self._descriptions(connection, table_name, schema)
        columns: list[ReflectedColumn] = []
        for row in xinfo:
            name, declared, hidden = row[1], row[2], row[6]
            if hidden == HIDDEN:
                column: ReflectedColumn = {
                    "name": name,
                    "type": self._resolve_type_affinity(declared.upper()),
                    "nullable": True,
                    "default": None,
                    "dialect_options": {"vtab_hidden": True},
                }
            else:
                column = next(visible)
            comment = descriptions.get(name) or (twins.get(name) if hidden == HIDDEN else None)
            if comment:
                column["comment"] = comment
            columns.append(column)
        return columns

    def _descriptions(
        self, connection: SAConnection, table_name: str, schema: str | None
    ) -> tuple[dict[str, str], dict[str, str]]:
        """For a vtab resource table (else none): column -> vtab_columns' description, and hidden column
        named after its property -> which column it repeats."""
        if not self.is_vtab_table(connection, table_name, schema):
            return {}, {}
        rows = connection.exec_driver_sql(
            'SELECT "column", property, description FROM vtab_columns WHERE "table" = ?', (table_name,)
        ).fetchall()
        described = {str(name): str(text) for name, _, text in rows if text}
        twins = {str(prop): f"hidden: {name} under its property's name" for name, prop, _ in rows if prop}
        return described, twins


def regexp(pattern: str, value: str | None) -> bool | None:
    """``value REGEXP pattern``: whether Python's ``re`` finds ``pattern`` in ``value`` (NULL for NULL)."""
    if value is None:
        return None
    return re.search(pattern, value) is not None


def _lower_vtab_names() -> frozenset[str]:
    return frozenset(name.lower() for name in vtab_table_names())


dialect = VtabDialect
