"""What the vtab:// dialect can do, for SQLAlchemy's dialect compliance suite (``sqlalchemy.testing.suite``).

SQLAlchemy's own requirements name SQLite's features by the dialect name ``sqlite``, which this dialect
is not, so ``SuiteRequirements`` would close every one of them. Each property here says what SQLite does
(vtab's local tables are SQLite's): opened where SQLite has the feature, closed where it has not or where
SQLAlchemy's own suite closes it for a SQLite file database. Each closed one is a skipped family in the
suite's report; its reason is the docstring.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.testing import exclusions
from sqlalchemy.testing.exclusions import compound
from sqlalchemy.testing.requirements import SuiteRequirements

OPEN = exclusions.open
CLOSED = exclusions.closed


def _sqlite_has(*version: int) -> compound:
    """Open when the SQLite library underneath is at least ``version``."""
    import vtab.dbapi

    return exclusions.only_if(
        lambda config: vtab.dbapi.sqlite_version_info >= version,
        f"SQLite {'.'.join(map(str, version))} or later",
    )


class Requirements(SuiteRequirements):
    # -- SQL that SQLite runs ------------------------------------------------------------------------
    @property
    def boolean_col_expressions(self) -> compound:
        """A comparison is a value SQLite can select."""
        return OPEN()

    @property
    def ctes(self) -> compound:
        return OPEN()

    @property
    def ctes_with_values(self) -> compound:
        return OPEN()

    @property
    def ctes_on_dml(self) -> compound:
        """Closed: SQLite has no CTE that is itself an INSERT, UPDATE or DELETE."""
        return CLOSED()

    @property
    def ctes_with_update_delete(self) -> compound:
        return OPEN()

    @property
    def except_(self) -> compound:
        return OPEN()

    @property
    def intersect(self) -> compound:
        return OPEN()

    @property
    def window_functions(self) -> compound:
        return _sqlite_has(3, 25)

    @property
    def window_range(self) -> compound:
        return _sqlite_has(3, 28)

    @property
    def window_range_numeric(self) -> compound:
        return _sqlite_has(3, 28)

    @property
    def aggregate_order_by(self) -> compound:
        return _sqlite_has(3, 44)

    @property
    def nullsordering(self) -> compound:
        return _sqlite_has(3, 30)

    @property
    def tuple_in(self) -> compound:
        return _sqlite_has(3, 15)

    @property
    def update_from(self) -> compound:
        return _sqlite_has(3, 33)

    @property
    def mod_operator_as_percent_sign(self) -> compound:
        return OPEN()

    @property
    def regexp_match(self) -> compound:
        """The dialect gives each connection the ``regexp()`` SQLite's REGEXP calls, as SQLAlchemy's
        SQLite driver does."""
        return OPEN()

    @property
    def supports_bitwise_and(self) -> compound:
        return OPEN()

    @property
    def supports_bitwise_or(self) -> compound:
        return OPEN()

    @property
    def supports_bitwise_not(self) -> compound:
        return OPEN()

    @property
    def supports_bitwise_shift(self) -> compound:
        return OPEN()

    @property
    def parens_in_union_contained_select_w_limit_offset(self) -> compound:
        """Closed: SQLite refuses ``(SELECT ... LIMIT ..) UNION (SELECT ...)`` (SQLAlchemy closes it too)."""
        return CLOSED()

    @property
    def parens_in_union_contained_select_wo_limit_offset(self) -> compound:
        """Closed: SQLite refuses a parenthesized SELECT in a UNION at all."""
        return CLOSED()

    @property
    def nested_aggregates(self) -> compound:
        """Closed: SQLite refuses an aggregate inside an aggregate."""
        return CLOSED()

    # -- DDL ------------------------------------------------------------------------------------------
    @property
    def create_table_as(self) -> compound:
        return OPEN()

    @property
    def create_temp_table_as(self) -> compound:
        return OPEN()

    @property
    def table_ddl_if_exists(self) -> compound:
        return OPEN()

    @property
    def index_ddl_if_exists(self) -> compound:
        return OPEN()

    @property
    def computed_columns(self) -> compound:
        return _sqlite_has(3, 31)

    @property
    def computed_columns_stored(self) -> compound:
        return _sqlite_has(3, 31)

    @property
    def computed_columns_virtual(self) -> compound:
        return _sqlite_has(3, 31)

    @property
    def server_defaults(self) -> compound:
        """A column's ``DEFAULT``, reflected as SQLite stores it."""
        return OPEN()

    @property
    def expression_server_defaults(self) -> compound:
        """``DEFAULT (expression)``: SQLite has it."""
        return OPEN()

    @property
    def indexes_with_expressions(self) -> compound:
        return OPEN()

    @property
    def nvarchar_types(self) -> compound:
        return OPEN()

    @property
    def implicitly_named_constraints(self) -> compound:
        """Closed: SQLite gives an unnamed constraint no name."""
        return CLOSED()

    @property
    def foreign_keys(self) -> compound:
        """Closed: SQLite enforces no foreign key unless ``PRAGMA foreign_keys`` is on (SQLAlchemy closes it
        for SQLite); their reflection is tested (foreign_key_constraint_reflection)."""
        return CLOSED()

    @property
    def on_update_cascade(self) -> compound:
        """Closed: as foreign_keys."""
        return CLOSED()

    @property
    def schema_create_delete(self) -> compound:
        """Closed: SQLite has no CREATE SCHEMA; a schema is an ATTACHed file (test_schema is one)."""
        return CLOSED()

    @property
    def savepoints(self) -> compound:
        """vtab.dbapi begins a transaction only before a write and leaves SAVEPOINT to SQLite, so SQLite's
        savepoints work (SQLAlchemy closes them for Python's sqlite3 module, whose implicit BEGIN breaks
        them)."""
        return OPEN()

    # -- types -------------------------------------------------------------------------------------------
    @property
    def datetime_literals(self) -> compound:
        """SQLite's dialect renders dates and times as string literals, which it reads back."""
        return OPEN()

    @property
    def float_or_double_precision_behaves_generically(self) -> compound:
        return OPEN()

    @property
    def json_type(self) -> compound:
        return OPEN()

    @property
    def legacy_unconditional_json_extract(self) -> compound:
        return OPEN()

    @property
    def json_index_supplementary_unicode_element(self) -> compound:
        """SQLAlchemy closes it for Python's sqlite3 module (bpo-38749); apsw has no such bug."""
        return OPEN()

    @property
    def datetime_historic(self) -> compound:
        return OPEN()

    @property
    def date_historic(self) -> compound:
        return OPEN()

    @property
    def infinity_floats(self) -> compound:
        return OPEN()

    @property
    def precision_numerics_many_significant_digits(self) -> compound:
        """Closed: SQLite keeps a NUMERIC as a double (SQLAlchemy closes it for SQLite)."""
        return CLOSED()

    @property
    def numeric_received_as_decimal_untyped(self) -> compound:
        """Closed: SQLite gives floats, not Decimals, for an untyped numeric expression."""
        return CLOSED()

    # -- reflection --------------------------------------------------------------------------------------
    @property
    def views(self) -> compound:
        return OPEN()

    @property
    def reflect_table_options(self) -> compound:
        """SQLAlchemy 2.1's SQLite dialect reflects a table's options (WITHOUT ROWID, STRICT)."""
        return OPEN()

    @property
    def computed_columns_reflect_persisted(self) -> compound:
        return OPEN()

    @property
    def check_constraint_reflection(self) -> compound:
        return OPEN()

    @property
    def inline_check_constraint_reflection(self) -> compound:
        return OPEN()

    @property
    def indexes_check_column_order(self) -> compound:
        return OPEN()

    @property
    def reflects_pk_names(self) -> compound:
        return OPEN()

    @property
    def repeated_column_foreign_keys(self) -> compound:
        return OPEN()

    @property
    def foreign_key_constraint_option_reflection_ondelete(self) -> compound:
        return OPEN()

    @property
    def foreign_key_constraint_option_reflection_onupdate(self) -> compound:
        return OPEN()

    @property
    def fk_constraint_option_reflection_ondelete_restrict(self) -> compound:
        return OPEN()

    @property
    def fk_constraint_option_reflection_ondelete_noaction(self) -> compound:
        return OPEN()

    @property
    def fk_constraint_option_reflection_onupdate_restrict(self) -> compound:
        return OPEN()

    @property
    def temporary_tables(self) -> compound:
        """Closed: SQLAlchemy's suite closes temporary tables for a SQLite file database, which this suite
        runs on (a temp table lives on one connection, and the suite's pool holds several)."""
        return CLOSED()

    @property
    def temp_table_reflection(self) -> compound:
        """Closed: as temporary_tables."""
        return CLOSED()

    @property
    def temp_table_reflect_indexes(self) -> compound:
        """Closed: as temporary_tables."""
        return CLOSED()

    @property
    def temp_table_names(self) -> compound:
        """Closed: as temporary_tables."""
        return CLOSED()

    @property
    def temporary_views(self) -> compound:
        """Closed: as temporary_tables."""
        return CLOSED()

    @property
    def has_temp_table(self) -> compound:
        """Closed: as temporary_tables."""
        return CLOSED()

    # -- connections ---------------------------------------------------------------------------------------
    @property
    def isolation_level(self) -> compound:
        return OPEN()

    def get_isolation_levels(self, config: Any) -> dict[str, Any]:
        """SQLite's levels (SERIALIZABLE by default) and AUTOCOMMIT, which vtab.dbapi adds."""
        return {"default": "SERIALIZABLE", "supported": list(config.db.dialect._isolation_lookup)}

    @property
    def dbapi_lastrowid(self) -> compound:
        """vtab.dbapi's cursor.lastrowid is SQLite's last_insert_rowid()."""
        return OPEN()

    def get_order_by_collation(self, config: Any) -> str:
        """A collation SQLite has: NOCASE."""
        return "NOCASE"

    @property
    def independent_connections(self) -> compound:
        """Closed: SQLite locks the whole file for a writer (SQLAlchemy never runs these on SQLite)."""
        return CLOSED()
