"""Remembered read results: the per-statement memo and the cross-statement TTL cache are both a ResultStore.

A nested-loop join re-runs Filter once per outer row; the memo makes the second run free. The TTL cache
makes repeated ad-hoc queries cheap. Both hold at most ``max_items`` resources, so a huge scan streams
through without being kept (memory must not grow with the number of rows).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

Key = tuple[str, str, str, str]
"""(region, type name, operation, identifier or resource-model JSON)."""


@dataclass
class _Entry:
    value: Any
    size: int
    expires: float


class ResultStore:
    """A thread-safe, size-bounded map with an optional time to live (None: until cleared)."""

    def __init__(self, ttl: float | None, max_items: int = 10_000) -> None:
        self.ttl = ttl
        self.max_items = max_items
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._size = 0
        self._lists_held: dict[str, float] = {}
        """Type name -> until when its listings are not kept (AWS lists lag behind a fresh write)."""
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl is None or self.ttl > 0

    def get(self, key: Key) -> tuple[bool, Any]:
        """(found, value). Expired entries are dropped on the way."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None
            if entry.expires < time.monotonic():
                self._drop(key)
                return False, None
            return True, entry.value

    def put(self, key: Key, value: Any, size: int = 1) -> bool:
        """Store unless disabled or larger than the whole budget; evicts the oldest entries to fit."""
        if not self.enabled:
            return False
        if key[2] == "list" and self._lists_held.get(key[1], 0.0) > time.monotonic():
            return False
        return self._keep(key, value, size, float("inf") if self.ttl is None else time.monotonic() + self.ttl)

    def seed(self, key: Key, value: Any, size: int = 1) -> bool:
        """Store a value the caller already holds, kept until cleared or evicted whatever the TTL: a
        resumed sync's walk parents, read from the rows its own run wrote (as fresh as the rest of that
        run's file, which a listing made now would not be)."""
        return self._keep(key, value, size, float("inf"))

    def _keep(self, key: Key, value: Any, size: int, expires: float) -> bool:
        """Store unless larger than the whole budget, evicting the oldest entries to fit."""
        if size > self.max_items:
            return False
        with self._lock:
            if key in self._entries:
                self._drop(key)
            while self._entries and self._size + size > self.max_items:
                self._drop(next(iter(self._entries)))
            self._entries[key] = _Entry(value, size, expires)
            self._size += size
        return True

    def invalidate(self, type_name: str | None = None, hold_lists: float = 0.0) -> int:
        """Forget entries of one type (a write to it) or everything; returns how many were dropped.

        ``hold_lists`` also stops keeping that type's listings for so many seconds: right after a write a
        listing may not show it yet, and caching that stale page would repeat it for the whole TTL."""
        with self._lock:
            if type_name is not None and hold_lists > 0:
                self._lists_held[type_name] = time.monotonic() + hold_lists
            keys = [k for k in self._entries if type_name is None or k[1] == type_name]
            for key in keys:
                self._drop(key)
            return len(keys)

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key)
        self._size -= entry.size
