"""What writes need of the connection's state shared by its tables (what the table itself is, its
vtab.read.context.TableContext, says the rest): the SQLite registry satisfies this protocol, so vtab.write
never imports the apsw glue (vtab.sqlite).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from vtab.options import Options
from vtab.sql.statements import StatementText
from vtab.write.dryrun import DryRunLog
from vtab.write.returning import ReturningLog

if TYPE_CHECKING:
    from vtab.write.queue import WriteQueue


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
