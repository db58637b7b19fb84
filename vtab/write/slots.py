"""Start slots: at most ``concurrency`` threads send a statement's start calls, each taking the next waiting
start as soon as its own call is answered.

Why: when the scheduler (the SQLite thread, vtab.write.send) handed out each start call itself, every
hand-over woke two threads in turn (the scheduler, then a pool thread) while up to 48 other calls held
the one GIL: 6-15 ms each, three times on the way to a 50-row INSERT's last start call at 16 workers.
A slot thread goes from one answer to the next call at once; the scheduler learns of each answer through
``answers`` (one queue for start calls and polls, read in order) and never waits on the slots.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

Call = TypeVar("Call")
"""What a slot sends (vtab.write.send.Task)."""


class StartSlots(Generic[Call]):
    """Start calls queued in order and sent by up to ``concurrency`` threads of ``pool``; each answer (or
    the call's error) goes to ``answers`` as a done Future beside its call."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        concurrency: int,
        send: Callable[[Call], dict[str, Any]],
        answers: queue.SimpleQueue[tuple[Call, Future[dict[str, Any]]]],
    ) -> None:
        self._pool = pool
        self._concurrency = max(1, concurrency)
        self._send = send
        self._answers = answers
        self._queued: deque[Call] = deque()
        self._sending: list[Call] = []
        """Calls taken up by a slot whose answer is not in ``answers`` yet."""
        self._slots = 0
        """Slot threads running or submitted to the pool."""
        self._stopped = False
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        """Queue ``call``; a slot sends it once the calls queued before it are taken up."""
        with self._lock:
            self._queued.append(call)
            if self._slots >= self._concurrency:
                return
            self._slots += 1
        self._pool.submit(self._run)

    def stop(self) -> tuple[list[Call], list[Call]]:
        """Send nothing more: (the calls never sent, the calls sent whose answer is not in ``answers``)."""
        with self._lock:
            self._stopped = True
            never, self._queued = list(self._queued), deque()
            return never, list(self._sending)

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopped or not self._queued:
                    self._slots -= 1
                    return
                call = self._queued.popleft()
                self._sending.append(call)
            answer: Future[dict[str, Any]] = Future()
            try:
                answer.set_result(self._send(call))
            except BaseException as error:  # the scheduler decides what a failed call means
                answer.set_exception(error)
            with self._lock:  # with the answer queued before ``stop`` can see the call as neither
                self._sending.remove(call)
                self._answers.put((call, answer))
