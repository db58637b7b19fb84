"""What the endpoint was asked and what it answered, for tests and benchmarks to assert on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from vtab.emulator.state import ACCOUNT_ID


@dataclass(frozen=True)
class CallRecord:
    """One Cloud Control call (or an STS or Organizations call, without a type name) as the endpoint saw
    it, and the account it acted in (control-route calls are not recorded).

    ``at`` and ``finished_at`` are ``time.monotonic()`` values taken when the request arrived and when the
    answer was ready (after any injected latency), so overlap of parallel calls can be asserted.
    """

    operation: str
    region: str
    type_name: str | None
    identifier: str | None
    resource_model: dict[str, Any] | None
    next_token: str | None
    client_token: str | None
    request_token: str | None
    error_code: str | None
    at: float
    finished_at: float
    http_status: int = 200
    desired_state: dict[str, Any] | None = None
    patch_document: list[Any] | None = None
    returned_next_token: str | None = None
    items: int | None = None
    operation_status: str | None = None
    account_id: str = ACCOUNT_ID

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Recorder:
    """Thread-safe append-only list of :class:`CallRecord`; tests can wait for a call to be recorded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._added = threading.Condition(self._lock)
        self._calls: list[CallRecord] = []

    def add(self, record: CallRecord) -> None:
        with self._lock:
            self._calls.append(record)
            self._added.notify_all()

    def wait_for(self, predicate: Callable[[list[CallRecord]], bool], timeout: float) -> bool:
        """Block until ``predicate(calls)`` holds (checked at each recorded call); False on timeout."""
        with self._lock:
            return self._added.wait_for(lambda: predicate(self._calls), timeout)

    def calls(self) -> list[CallRecord]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
