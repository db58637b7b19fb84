"""The dot-commands that name tables (.tables, .schema, .indices, .import, .dump), knowing vtab's: its
eponymous tables are not in sqlite_schema, a StackQL name (aws.ec2.instances) names them too, and their
rows live in AWS, so ``.dump`` refuses them. Apart from the output, as these decide which tables a
command means, not how they are written."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from vtab.cli.schema_text import declared_schema
from vtab.cli.shell_connections import ConnectionShell
from vtab.sql.stackql import installed_names, is_stackql_name, no_such_table, tables_like
from vtab.sqlite.install import eponymous_tables, resource_tables


class TablesShell(ConnectionShell):
    """The shell's table dot-commands, with vtab's tables and their StackQL names."""

    def command_tables(self, cmd: list[str]) -> None:
        """tables ?PATTERN?: Lists names of tables matching LIKE pattern

        This also returns views, and vtab's tables (present on every connection): without a pattern
        those this connection has used (vtab_types lists all 1,700), with one every table it matches
        (.tables eks%). A StackQL name (aws.ec2.instances, or a pattern such as aws.ec2.%) lists the
        tables it names.
        """
        cmd = self._table_names(cmd, "tables")
        self.push_output()
        self.output = self.output_list
        self.header = False
        try:
            for pattern in cmd or ["%"]:
                self.process_sql(
                    "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%' AND name LIKE ?1 "
                    "UNION SELECT name FROM sqlite_temp_schema WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%' AND name LIKE ?1 "
                    "UNION SELECT value FROM json_each(?2) WHERE value LIKE ?1 ORDER BY 1",
                    (pattern, orjson.dumps(self._vtab_tables(cmd, every=bool(cmd))).decode()),
                    internal=True,
                )
        finally:
            self.pop_output()

    def command_schema(self, cmd: list[str]) -> None:
        """schema ?TABLE? [TABLE...]: Shows SQL for table

        If you give one or more tables then their schema is listed (including indices). If you don't
        specify any then all schemas are listed. TABLE is a like pattern so you can use % for wildcards.
        vtab's tables show the columns they declare to SQLite; TABLE may be a StackQL name
        (aws.apigatewayv2.integration_responses).
        """
        cmd = self._table_names(cmd, "schema")
        super().command_schema(cmd)
        patterns = cmd or ["%"]
        for name in self._vtab_tables(cmd):
            matches = self.db.execute(
                "SELECT 1 FROM json_each(?1) WHERE ?2 LIKE value", (orjson.dumps(patterns).decode(), name)
            ).get
            if matches:
                self.write(self.stdout, declared_schema(self.db, name) + "\n")

    def command_indices(self, cmd: list[str]) -> None:
        """indices TABLE: Lists all indices on table TABLE

        TABLE may be a StackQL name. vtab's tables are virtual: they have no indices (the planner pushes
        WHERE down instead; EXPLAIN QUERY PLAN shows how).
        """
        if len(cmd) != 1:
            raise self.Error("indices takes one table name")
        for name in self._table_names(cmd, "indices"):
            super().command_indices([name])

    def command_indexes(self, cmd: list[str]) -> None:
        """indexes TABLE: Lists all indices on table TABLE (the same as .indices, as sqlite3 names it)"""
        self.command_indices(cmd)

    def command_import(self, cmd: list[str]) -> None:
        """import FILE TABLE: Imports separated data from FILE into TABLE

        Reads data from the file into the named table (TABLE may be a StackQL name) using the current
        separator and encoding; every field is text, one per column the table shows in SELECT *. Into a
        vtab table that INSERTs, so read-only columns refuse it: import into a table of your own, then
        INSERT INTO the vtab table the columns it takes with SELECT.
        """
        if len(cmd) == 2:
            tables = self._table_names(cmd[1:], "import")
            if len(tables) != 1:
                raise self.Error(
                    f".import: {cmd[1]} names {len(tables)} tables ({', '.join(tables)}); give one"
                )
            cmd = [cmd[0], tables[0]]
        super().command_import(cmd)

    def command_dump(self, cmd: list[str]) -> None:
        """dump ?TABLE? [TABLE...]: Dumps all or specified tables in SQL text format

        The table name is treated as like pattern so you can use % as a wildcard. Indices, triggers and
        views matching the pattern are dumped too. vtab's tables are left out of a dump of everything,
        and naming one is an error: their rows live in AWS, not in the database file.
        """
        cmd = self._table_names(cmd, "dump")
        for pattern in cmd:
            for name in self._vtab_tables([pattern], named_only=True):
                if self._stored_tables_like(pattern):
                    continue  # a table of your own with that name (it hides vtab's)
                raise self.Error(
                    f".dump: {name} is vtab's virtual table: its rows live in AWS, not in this database, so "
                    f"a dump has none of them; copy them into a table first (CREATE TABLE copy AS SELECT * "
                    f"FROM {name} WHERE region = '...'), or write a file of them with vtab snapshot"
                )
        super().command_dump(cmd)

    def _table_names(self, patterns: list[str], command: str) -> list[str]:
        """``patterns`` with each StackQL name (``aws.<service>.<table>``, LIKE wildcards allowed) replaced
        by the tables it names, as SQL replaces them; an unknown one is an error naming it. A table of
        your own whose name has the dots (``CREATE TABLE "aws.x.y"``) keeps its name."""
        names = installed_names(self.db)
        if not names:
            return patterns
        tables: list[str] = []
        for pattern in patterns:
            if not is_stackql_name(pattern):
                tables.append(pattern)
                continue
            named = tables_like(pattern, names)
            own = self._stored_tables_like(pattern)
            if not named and not own:
                raise self.Error(f".{command}: {no_such_table(pattern, names, command=True)}")
            tables += named + ([pattern] if own else [])
        return tables

    def _stored_tables_like(self, pattern: str) -> bool:
        """Whether the main or temp schema has a table or view whose name matches LIKE ``pattern``."""
        return bool(
            self.db.execute(
                "SELECT 1 FROM (SELECT tbl_name FROM sqlite_schema UNION ALL SELECT tbl_name FROM "
                "sqlite_temp_schema) WHERE tbl_name LIKE ?1 LIMIT 1",
                (pattern,),
            ).get
        )

    def _vtab_tables(
        self, named: Sequence[str] = (), *, named_only: bool = False, every: bool = False
    ) -> list[str]:
        """vtab's tables that .tables shows: the seed's, the log tables, vtab_types and those this
        connection has used (every catalog table is eponymous: vtab_types lists all 1,700), and any
        of ``named`` (exact names, in any case) that is one of vtab's tables; with ``named_only``,
        only those; with ``every``, all of them (for a pattern to match)."""
        if self.registry is None:
            return []
        if every:
            return sorted({*resource_tables(), *eponymous_tables()})
        every_name = {name.lower(): name for name in (*resource_tables(), *eponymous_tables())}
        given = {every_name[name.lower()] for name in named if name.lower() in every_name}
        if named_only:
            return sorted(given)
        return sorted({*eponymous_tables(), *(table.name for table in list(self.registry.tables)), *given})
