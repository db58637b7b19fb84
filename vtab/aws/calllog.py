"""The log of Cloud Control calls a connection made: what ``vtab_calls`` shows.

It is how users (and tests) see that pushdown worked: one row per logical call (a whole paged listing is
one row with its page count), including cache hits, errors and write request tokens.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime


def iso_utc(seconds: float) -> str:
    """Epoch seconds as the ISO-8601 UTC text the log tables show (millisecond precision)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


@dataclass
class CallRecord:
    """One logical Cloud Control call. Mutable while the call runs (pages arrive, status advances)."""

    seq: int
    operation: str
    region: str
    type_name: str | None
    """None for a call that is about no resource type (STS GetCallerIdentity)."""
    identifier: str | None = None
    resource_model: str | None = None
    account_id: str | None = None
    """The account the call acted in (AssumeRole's: the account it assumes into); None while the caller's
    own account id is not known: filled in when a statement looks it up (never for the log's sake)."""
    started: float = field(default_factory=time.time)
    pages: int = 0
    items: int = 0
    ms: float = 0.0
    cache: str = "miss"
    """``miss`` (sent to AWS), ``hit`` (cross-statement cache), ``memo`` (same statement), ``dry-run``."""
    error_code: str | None = None
    request_token: str | None = None
    status: str | None = None
    request_id: str | None = None
    """The last answer's x-amzn-RequestId (of a listing, its last page's): what AWS support asks for."""


class CallLog:
    """A bounded, thread-safe list of CallRecords (the newest ``capacity`` calls are kept)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._records: deque[CallRecord] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._last = 0

    def start(self, operation: str, region: str, type_name: str | None, **details: object) -> CallRecord:
        with self._lock:
            self._last = next(self._seq)
            record = CallRecord(self._last, operation, region, type_name, **details)  # type: ignore[arg-type]
            self._records.append(record)
        return record

    def mark(self) -> int:
        """The newest call's ``seq`` (0 before any): ``since(mark)`` is then what came after."""
        with self._lock:
            return self._last

    def since(self, mark: int) -> list[CallRecord]:
        """The calls started after ``mark`` (those still kept), oldest first: what one statement did."""
        with self._lock:
            newer = list(itertools.takewhile(lambda record: record.seq > mark, reversed(self._records)))
        newer.reverse()
        return newer

    def snapshot(self) -> list[CallRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> int:
        with self._lock:
            count = len(self._records)
            self._records.clear()
            return count


def failed_call(error: BaseException) -> CallRecord | None:
    """The call whose failure ``error`` is (``tag``): an account's failure, not the statement's."""
    record = getattr(error, "vtab_call", None)
    return record if isinstance(record, CallRecord) else None


def tag(error: BaseException, record: CallRecord) -> BaseException:
    """Mark ``error`` as the failure of the call ``record`` (what vtab.read.accounts attributes to an
    account and region); returns it, to be raised."""
    if failed_call(error) is None:
        error.vtab_call = record  # type: ignore[attr-defined]
    return error


class Timer:
    """Adds elapsed milliseconds to a record, so a listing's ``ms`` covers every page it fetched."""

    def __init__(self, record: CallRecord) -> None:
        self.record = record
        self._t0 = 0.0

    def __enter__(self) -> Timer:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.record.ms += (time.perf_counter() - self._t0) * 1000.0
