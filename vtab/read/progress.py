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

from vtab.terminal import visible

DELAY_SECONDS = 0.5
"""Reads quicker than this show nothing."""
REFRESH_SECONDS = 0.2


class _Bar(tqdm):
    monitor_interval = 0  # no tqdm monitor thread: we refresh from the reporting threads


class ReadProgress:
    """One cursor's reads (every Filter of its statement), reported from any thread."""

    def __init__(self, label: str, file: TextIO | None = None, delay: float = DELAY_SECONDS) -> None:
        self.label = label
        self.file = file
        self.rows = 0
        self.parents = 0
        self.in_flight = 0
        self.listings = 0
        """Listings a vtab_resources read makes (one per type and place; 0 for a table's read)."""
        self.listed = 0
        self._lock = threading.Lock()
        self._bar: tqdm | None = None
        self._next = time.monotonic() + delay
        self._closed = False

    def add_rows(self, count: int) -> None:
        with self._lock:
            self.rows += count
            self._tick()

    def add_parents(self, count: int) -> None:
        with self._lock:
            self.parents += count
            self._tick()

    def add_listings(self, count: int) -> None:
        with self._lock:
            self.listings += count
            self._tick()

    def listing_done(self) -> None:
        with self._lock:
            self.listed += 1
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
        listings = f"types listed {self.listed}/{self.listings}, " if self.listings else ""
        return f"{listings}parents listed {self.parents}, calls in flight {self.in_flight}"

    def _tick(self) -> None:
        """Keep the bar's numbers current (cheap); redraw at most every REFRESH_SECONDS."""
        if self._closed:
            return
        now = time.monotonic()
        if self._bar is None:
            if now < self._next:
                return
            # tqdm draws nothing on a terminal that reports no size (a fresh pty): assume 80x24 then
            columns, lines = shutil.get_terminal_size()
            self._bar = _Bar(
                desc=visible(self.label),  # a table's name comes from a file's schema too
                unit=" rows",
                file=self.file or sys.stderr,
                leave=False,
                ncols=columns if columns > 0 else 80,
                nrows=lines if lines > 0 else 24,
                bar_format="{desc}: {n_fmt} rows [{elapsed}]{postfix}",
                postfix=self.text(),
                initial=self.rows,
            )
            self._next = now + REFRESH_SECONDS
            return
        self._bar.n = self.rows
        self._bar.set_postfix_str(self.text(), refresh=False)
        if now >= self._next:
            self._next = now + REFRESH_SECONDS
            self._bar.refresh()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._bar is not None:
                self._bar.close()
                self._bar = None


class AroundProgress:
    """A text stream whose writes first lift any progress line off the terminal (and redraw it after), so
    rows printed on a terminal while a read runs never land on the same line as its progress."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        with tqdm.external_write_mode(file=self.stream):
            return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()
