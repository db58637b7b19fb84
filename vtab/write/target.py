"""What writes need of the table they write to, and of the connection's shared state: the SQLite table and
registry satisfy these protocols, so vtab.write never imports the apsw glue (vtab.sqlite).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from vtab.aws.cloudcontrol import CloudControl
from vtab.catalog.schema import ResourceSchema
from vtab.options import Options
from vtab.read.cache import ResultStore
from vtab.read.context import Row
from vtab.read.rowids import ReadRows
from vtab.sql.statements import StatementText
from vtab.write.dryrun import DryRunLog
from vtab.write.returning import ReturningLog

if TYPE_CHECKING:
    from vtab.write.queue import WriteQueue


class ColumnNames(Protocol):
    """The table's column names and how to read a column of a row."""

    @property
    def property_of(self) -> dict[str, str]: ...
    @property
    def twins(self) -> dict[str, str]: ...
    @property
    def own_aliases(self) -> dict[str, str]: ...
    def value(self, name: str, row: Row) -> Any: ...


class SharedState(Protocol):
    """What writes need of the connection's shared state."""

    @property
    def connection(self) -> Any: ...
    @property
    def options(self) -> Options:
        """The connection's options: its read_only, dry_run and max_writes bound every table's."""
        ...

    @property
    def dry_runs(self) -> DryRunLog: ...
    @property
    def statement(self) -> StatementText: ...
    @property
    def applied_writes(self) -> list[str]: ...
    @property
    def returning(self) -> ReturningLog: ...
    def clear_cache(self, type_name: str | None = None) -> int: ...
    def write_queues(self) -> list[WriteQueue]:
        """The queues of every table of the connection (a COMMIT sends parents' writes first)."""
        ...


class Target(Protocol):
    """The table a WriteQueue writes to (the SQLite table satisfies it; writes never import the glue)."""

    name: str
    schema: ResourceSchema
    options: Options
    cloud: CloudControl
    cache: ResultStore
    read_rows: ReadRows

    @property
    def columns(self) -> ColumnNames: ...
    @property
    def registry(self) -> SharedState: ...
    @property
    def pool(self) -> ThreadPoolExecutor: ...
