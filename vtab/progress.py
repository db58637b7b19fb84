"""A read's progress on stderr (rows so far, parents listed, calls in flight), drawn by tqdm.

Workers report counts; the bar is redrawn at most every REFRESH_SECONDS and only once a read has run for
DELAY_SECONDS, so quick queries print nothing and a 20,000-row scan pays one lock and one clock read per
page. The bar is erased when the statement's cursor closes (``leave=False``).
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO

from tqdm import tqdm

DELAY_SECONDS = 0.5
"""Reads quicker than this show nothing."""
REFRESH_SECONDS = 0.2


class _Bar(tqdm):
    monitor_interval = 0  # no tqdm monitor thread: we refresh from the reporting threads


class ReadProgress:
    """One cursor's reads (every Filter of its statement), reported from any thread."""

    def __init__(self, label: str, file: TextIO | None = None) -> None:
        self.label = label
        self.file = file
        self.rows = 0
        self.parents = 0
        self.in_flight = 0
        self._lock = threading.Lock()
        self._bar: tqdm | None = None
        self._next = time.monotonic() + DELAY_SECONDS
        self._closed = False

    def add_rows(self, count: int) -> None:
        with self._lock:
            self.rows += count
            self._tick()

    def add_parents(self, count: int) -> None:
        with self._lock:
            self.parents += count
            self._tick()

    def call_started(self) -> None:
        with self._lock:
            self.in_flight += 1
            self._tick()

    def call_ended(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def text(self) -> str:
        """The counts as the bar shows them after the row count."""
        return f"parents listed {self.parents}, calls in flight {self.in_flight}"

    def _tick(self) -> None:
        now = time.monotonic()
        if now < self._next or self._closed:
            return
        self._next = now + REFRESH_SECONDS
        if self._bar is None:
            # tqdm draws nothing on a terminal that reports no size (a fresh pty): assume 80x24 then
            columns, lines = shutil.get_terminal_size()
            self._bar = _Bar(
                desc=self.label,
                unit=" rows",
                file=self.file or sys.stderr,
                leave=False,
                ncols=columns if columns > 0 else 80,
                nrows=lines if lines > 0 else 24,
                bar_format="{desc}: {n_fmt} rows [{elapsed}]{postfix}",
                postfix=self.text(),
                initial=self.rows,
            )
        self._bar.n = self.rows
        self._bar.set_postfix_str(self.text(), refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._bar is not None:
                self._bar.close()
                self._bar = None
