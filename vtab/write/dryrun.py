"""What ``dry_run`` tables would have sent: the rows of the eponymous ``vtab_dry_run`` table.

A dry run still validates every row and resolves INSERT OR IGNORE / OR REPLACE against what exists (those
are reads), so the recorded operations and patches are exactly the writes a real run would send.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import astuple, dataclass, field

from vtab.aws.calllog import iso_utc

DRY_RUN_COLUMNS = (
    "seq",
    "started",
    "table_name",
    "operation",
    "region",
    "type_name",
    "identifier",
    "desired_state",
    "patch_document",
    "note",
)


@dataclass(frozen=True)
class DryRunRecord:
    """One write a dry run did not send. ``operation`` is CREATE, UPDATE, DELETE, or SKIP (nothing to do)."""

    seq: int
    started: str
    table_name: str
    operation: str
    region: str
    type_name: str
    identifier: str | None
    desired_state: str | None
    """The DesiredState JSON a CreateResource would carry."""
    patch_document: str | None
    """The RFC 6902 PatchDocument JSON an UpdateResource would carry."""
    note: str


@dataclass
class DryRunLog:
    """A bounded, thread-safe list of DryRunRecords (the newest ``capacity`` are kept)."""

    capacity: int = 100_000
    _records: deque[DryRunRecord] = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _seq: Iterator[int] = field(default_factory=lambda: itertools.count(1), init=False)

    def __post_init__(self) -> None:
        self._records = deque(maxlen=self.capacity)

    def add(
        self,
        table_name: str,
        operation: str,
        region: str,
        type_name: str,
        *,
        identifier: str | None = None,
        desired_state: str | None = None,
        patch_document: str | None = None,
        note: str = "",
    ) -> DryRunRecord:
        started = iso_utc(time.time())
        with self._lock:
            record = DryRunRecord(
                next(self._seq),
                started,
                table_name,
                operation,
                region,
                type_name,
                identifier,
                desired_state,
                patch_document,
                note,
            )
            self._records.append(record)
        return record

    def rows(self) -> Iterator[tuple[object, ...]]:
        with self._lock:
            records = list(self._records)
        for record in records:
            yield astuple(record)

    def clear(self) -> int:
        with self._lock:
            count = len(self._records)
            self._records.clear()
            return count
