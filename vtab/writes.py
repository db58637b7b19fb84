"""Writes: validate and queue INSERT/UPDATE/DELETE in the Update* callbacks, apply the queue at Sync.

(Placeholder until the write path lands: every write is refused before anything is sent.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import apsw

if TYPE_CHECKING:
    from vtab.table import Table


class WriteQueue:
    """The operations one transaction will send."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def _refuse(self) -> None:
        raise apsw.ReadOnlyError(f"{self.table.name}: writes are not supported yet")

    def insert(self, fields: dict[str, Any]) -> None:
        self._refuse()

    def update(self, old_identifier: Any, new_identifier: Any, fields: dict[str, Any]) -> None:
        self._refuse()

    def delete(self, identifier: Any) -> None:
        self._refuse()

    def apply(self) -> None:
        """Sync: nothing queued."""

    def drop(self) -> None:
        """Rollback: nothing queued."""
