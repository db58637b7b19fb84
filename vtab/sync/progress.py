"""How far a sync is: counters the shards update, and their display on stderr.

At a terminal one line is redrawn twice a second (tasks done/total, rows, calls/s, throttles, the slowest
running task); into a pipe or a log, a plain line each time another tenth of the tasks is over, so a
script (or a test) can follow the sync without control characters.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

from vtab.sync.plan import Task, TaskStatus
from vtab.sync.store import TaskResult
from vtab.terminal import visible

REDRAW_SECONDS = 0.5
PLAIN_STEPS = 10
"""Plain progress lines per sync: one per tenth of the tasks."""


class Progress:
    """The sync's counters (thread-safe), and an optional display."""

    def __init__(self, total: int, out: TextIO | None = None, live: bool = False) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.rows = 0
        self.calls_made = 0
        self.throttles = 0
        self.retries = 0
        self._running: dict[Task, float] = {}
        self._lock = threading.Lock()
        self._out = out
        self._live = live and out is not None
        self._start = time.monotonic()
        self._next_plain = 1
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    # -- counters -------------------------------------------------------------------------------------

    def started(self, task: Task) -> None:
        with self._lock:
            self._running[task] = time.monotonic()

    def calls(self, calls: int, throttles: int) -> None:
        with self._lock:
            self.calls_made += calls
            self.throttles += throttles

    def retried(self, task: Task) -> None:
        with self._lock:
            self._running.pop(task, None)
            self.retries += 1

    def finished(self, task: Task, result: TaskResult) -> None:
        with self._lock:
            self._running.pop(task, None)
            if result.status is TaskStatus.DONE:
                self.done += 1
                self.rows += result.rows
            else:
                self.failed += 1
            over = self.done + self.failed
            plain = (
                not self._live
                and self._out is not None
                and over * PLAIN_STEPS >= self._next_plain * self.total
            )
            if plain:
                while over * PLAIN_STEPS >= self._next_plain * self.total:
                    self._next_plain += 1
                line = self.line()
        if plain:
            self._write(line + "\n")

    # -- display --------------------------------------------------------------------------------------

    def line(self) -> str:
        """``sync: 12/40 tasks (1 failed), 310 rows, 25.1 calls/s, 0 throttles; slowest: ...``."""
        elapsed = max(time.monotonic() - self._start, 1e-9)
        text = (
            f"sync: {self.done + self.failed}/{self.total} tasks"
            + (f" ({self.failed} failed)" if self.failed else "")
            + f", {self.rows} rows, {self.calls_made / elapsed:.1f} calls/s, {self.throttles} throttles"
        )
        if self._running:
            task, since = min(self._running.items(), key=lambda item: item[1])
            text += (
                f"; slowest: {task.table_name} {task.account_id} {task.region} "
                f"{time.monotonic() - since:.0f}s"
            )
        return visible(text)

    def start(self) -> None:
        if self._live:
            self._thread = threading.Thread(target=self._redraw, name="vtab-sync-progress", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
            self._write("\r\x1b[2K")

    def _redraw(self) -> None:
        while not self._stopped.wait(REDRAW_SECONDS):
            with self._lock:
                line = self.line()
            self._write("\r\x1b[2K" + line)

    def _write(self, text: str) -> None:
        if self._out is not None:
            self._out.write(text)
            self._out.flush()
