"""The task stream under a read scan: tasks on a bounded pool, their rows handed to the SQLite thread.

Tasks never wait for other tasks (a parent listing submits its children and ends), so the pool cannot
deadlock; results flow through a bounded queue to the SQLite thread, so memory does not grow with the
number of rows. A consumer that stops early (LIMIT) cancels the rest.

Under a LIMIT the stream is lazy: tasks wait in a depth-first queue (children before their parent's next
page) and run through a window that starts at one task and doubles each time a leaf listing ends without
enough rows, so ``LIMIT 1`` on a walk costs one call per level while a large LIMIT soon runs at full width.
What the tasks are is vtab.read.scan's (the plan); this module only schedules them and hands rows over,
and knows nothing of tables or Cloud Control (tests drive it with plain functions).
"""

from __future__ import annotations

import concurrent.futures.thread  # noqa: F401  (registers its exit hook, the join, before _EXITING below)
import heapq
import itertools
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from vtab.read.progress import ReadProgress
from vtab.sql.interrupt import POLL_SECONDS, Interrupted, InterruptibleWaits, interrupted_error, never

_DONE = object()


class Cancelled(Exception):
    """Raised in a task once the scan is closed: the task ends quietly."""


_EXITING = threading.Event()
"""Set when the interpreter starts to exit, before it joins the pools' threads: a scan whose statement
was left open (a cursor read part way and never closed) has workers waiting for room in its queue, and
Python would wait for them forever (a hang at exit, reproduced). They give up instead."""
threading._register_atexit(_EXITING.set)  # type: ignore[attr-defined]
# threading runs these hooks in the reverse order of registration, and concurrent.futures.thread registered
# its own (the join) when imported above: this one runs first. The hook is private;
# it is how concurrent.futures itself does this, and atexit hooks run only after the join, too late.


Item = TypeVar("Item")
"""What a stream hands over: a scan's Rows (vtab_resources' streams hand over rows of its own)."""

Pulled = Generator[list[Any], None, None]
"""A listing the consumer reads itself, a page of rows at a time (see ``TaskStream``): each page's call
made when the consumer asks for its rows, on the consumer's thread."""

Task = Callable[..., None]
"""A unit of work run on the pool: it makes calls, ``emit``s rows and ``submit``s further tasks; it never
waits for another task."""

TaskFailed = Callable[[Task, tuple[Any, ...], BaseException], bool]
"""(task, its arguments, its error) -> whether the owner takes the error (the stream goes on) rather than
the stream ending with it (an account's failure in a read over several: vtab.read.accounts)."""


class TaskStream(Generic[Item]):
    """Runs one scan's tasks and hands their rows to the consumer; iterate it for Rows (or ``batches()``
    for the lists tasks emitted), ``close()`` stops the remaining work.

    Its owner says what to start (``start``, called on the SQLite thread when iteration begins; it submits
    the first tasks), which of a batch of rows are kept (``kept``) and which tasks widen the lazy window
    (``widens``: a leaf's call, whose ending short of the limit doubles the window).

    A plan that is one listing and nothing else has no work to spread over threads: ``start`` then returns
    that listing (a ``Pulled``) and the consumer reads it itself, each page fetched when SQLite wants
    its rows. A worker would cost more than it saves: SQLite's thread takes the GIL for every callback
    (a dozen a row), so two threads hand it back and forth thousands of times a scan, and each page
    crosses a queue (BENCHMARKS.md: the big scan's CPU 1.35x the paginator's on two threads, 1.20x on
    one). Nothing is read ahead, so a LIMIT that SQLite applies itself costs only the pages it reads.
    Tasks the listing submits (a partial item's GetResource) still run on the pool."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        workers: int,
        *,
        start: Callable[[], Pulled | None],
        kept: Callable[[list[Item]], list[Item]],
        widens: Callable[[Task], bool],
        limit: int | None = None,
        leaf_depth: int = 0,
        label: str = "the scan",
        interrupted: Interrupted = never,
        progress: ReadProgress | None = None,
        failed: TaskFailed | None = None,
    ) -> None:
        self.pool = pool
        self._failed = failed
        self.workers = workers
        self.limit = limit
        self._start = start
        self._kept = kept
        self._widens = widens
        self._label = label
        """What an interrupt names (``the scan of AWS::...``)."""
        self._interrupted = interrupted
        self.progress = progress
        """Where counts go when the progress option is on (None: nothing is counted)."""
        self._emitted = 0
        self._enough = threading.Event()
        """Set once ``limit`` rows were emitted: no further page or task is fetched."""
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(4, workers))
        self._pending = 0
        self._lock = threading.Lock()
        self.cancelled = threading.Event()
        """Set once the stream is closed (or a task failed): a call not yet made is not made."""
        self._futures: set[Future[None]] = set()
        """Submitted tasks not yet finished: close() cancels those that have not started."""
        self._futures_lock = threading.Lock()
        self._started = False
        self._waiting: list[tuple[int, int, Task, tuple[Any, ...]]] = []
        """Lazy mode (a LIMIT): tasks not yet started, deepest first, then oldest first."""
        self._order = itertools.count()
        self._running = 0
        self._window = 1
        """Lazy mode: how many tasks may run at once; doubles with each leaf that ends short of the limit."""
        self._leaf_depth = leaf_depth
        self.over = False
        """Set once the consumer took the end of the stream: every task ended, none runs on the pool."""

    @property
    def enough(self) -> bool:
        """Whether ``limit`` rows were emitted (a task stops reading pages then)."""
        return self._enough.is_set()

    @property
    def lazy(self) -> bool:
        """Under a LIMIT: tasks run depth first through a window (a walk reads one page at a time)."""
        return self.limit is not None

    # -- consumer side (the SQLite thread) ------------------------------------------------------------

    def __iter__(self) -> Iterator[Item]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[Item]]:
        """The rows as tasks emitted them, a list at a time (a consumer that hands them on in bulk)."""
        if not self._started:
            self._started = True
            with self._lock:
                self._pending += 1  # hold the stream open while the first tasks are submitted (or read)
            try:
                pulled = self._start()
                if pulled is not None:
                    yield from self._pull(pulled)
            finally:
                self._finish()  # releases the hold; ends the stream if nothing was submitted
        while True:
            item = self._next_item()
            if item is _DONE:
                self.over = True
                return
            if isinstance(item, BaseException):
                self.close()
                raise item
            yield item

    def _pull(self, pulled: Pulled) -> Iterator[list[Item]]:
        """The rows of the listing the consumer reads itself, a page at a time, and between its pages the
        rows the pool's tasks handed over meanwhile. Its calls are made here: an interrupt is seen between
        pages and, during a page's call, in its waits (a rate-limit token, a retry's back-off answer to
        it: ``InterruptibleWaits``), so nothing more is sent; an HTTP exchange in flight runs to its
        answer or timeout. Ctrl-C during a call ends it."""
        progress = self.progress
        if progress is not None:
            progress.call_started()
        interrupted, label = self._interrupted, self._label
        waits = InterruptibleWaits(interrupted, label)
        try:
            while not self._enough.is_set():
                if interrupted():
                    raise interrupted_error(label)
                with waits:
                    rows = next(pulled, None)
                if rows is None:
                    return
                kept = self._kept(rows)
                if kept:
                    self._count(kept)
                    yield kept
                yield from self._ready()
        except Cancelled:
            return  # a task failed: its error is queued, next in line
        except KeyboardInterrupt:
            self.close()
            raise interrupted_error(self._label) from None
        except BaseException:  # an error of the listing, an interrupt, or the consumer leaving early
            self.close()
            raise
        finally:
            pulled.close()
            if progress is not None:
                progress.call_ended()

    def _ready(self) -> Iterator[list[Item]]:
        """What the pool's tasks handed over so far, without waiting (while the consumer holds the stream
        open, the end is never among it). An empty queue is seen without its lock (the common case: no
        task): an item put meanwhile is taken at the next page, or after the listing."""
        while self._queue.queue:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _next_item(self) -> Any:
        """The next queued item; InterruptError when the connection is interrupted (or Ctrl-C pressed)
        meanwhile. Any exit other than an item cancels the remaining work."""
        try:
            if self._interrupted is never:
                # Nothing can interrupt the wait: it blocks (Ctrl-C still ends it) instead of waking every
                # POLL_SECONDS, which costs CPU (about 50 us a wake here; a sync has 160 waits at once).
                return self._queue.get()
            while True:
                if self._interrupted():
                    raise interrupted_error(self._label)
                try:
                    return self._queue.get(timeout=POLL_SECONDS)
                except queue.Empty:
                    continue
        except KeyboardInterrupt:
            self.close()
            raise interrupted_error(self._label) from None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop: tasks not started are cancelled, running ones stop at their next page, answers are
        dropped."""
        self.cancelled.set()
        with self._futures_lock:
            futures = list(self._futures)
        for future in futures:
            future.cancel()
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    # -- task bookkeeping -----------------------------------------------------------------------------

    def submit(self, fn: Task, *args: Any, depth: int | None = None) -> None:
        """Run ``fn(*args)`` on the pool; under a LIMIT, queue it by ``depth`` (default: a leaf task)."""
        if self._enough.is_set():
            return
        with self._lock:
            self._pending += 1
            if not self.lazy:
                self._start_task(fn, args)
                return
            level = self._leaf_depth if depth is None else depth
            heapq.heappush(self._waiting, (-level, next(self._order), fn, args))
        self._pump()

    def _start_task(self, fn: Task, args: tuple[Any, ...]) -> None:
        """Hand a task to the pool, remembering its future so close() can cancel it before it starts."""
        future = self.pool.submit(self._run, fn, *args)
        with self._futures_lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._futures_lock:
            self._futures.discard(future)

    def _pump(self) -> None:
        """Lazy mode: start waiting tasks while the window has room; drop them all once enough rows came."""
        dropped = 0
        with self._lock:
            if self._enough.is_set() or self.cancelled.is_set():
                dropped = len(self._waiting)
                self._waiting.clear()
            while self._waiting and self._running < self._window:
                _, _, fn, args = heapq.heappop(self._waiting)
                self._running += 1
                self._start_task(fn, args)
        for _ in range(dropped):
            self._finish()

    def _run(self, fn: Task, *args: Any) -> None:
        progress = self.progress
        try:
            if not (self.cancelled.is_set() or self._enough.is_set()):
                if progress is None:
                    fn(*args)
                else:
                    progress.call_started()
                    try:
                        fn(*args)
                    finally:
                        progress.call_ended()
        except Cancelled:
            pass
        except BaseException as error:
            if self._failed is None or not self._failed(fn, args, error):
                self._put(error, force=True)
                self.cancelled.set()
        finally:
            if self.lazy:
                with self._lock:
                    self._running -= 1
                    if self._widens(fn) and not self._enough.is_set():
                        self._window = min(self.workers, self._window * 2)
                self._pump()
            self._finish()

    def _finish(self) -> None:
        """One submitted task is over (run or dropped); the last one ends the stream."""
        with self._lock:
            self._pending -= 1
            last = self._pending == 0
        if last:
            self._put(_DONE, force=True)

    def _put(self, item: Any, force: bool = False) -> None:
        while True:
            if self.cancelled.is_set() and not force:
                raise Cancelled
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                if _EXITING.is_set():
                    self.cancelled.set()
                if self.cancelled.is_set():
                    if force:
                        return
                    raise Cancelled from None

    def emit(self, rows: list[Item]) -> None:
        """Hand the rows that match to the consumer (a task blocks while the queue is full)."""
        kept = self._kept(rows)
        if kept:
            self._put(kept)
            self._count(kept)

    def _count(self, kept: list[Item]) -> None:
        """``kept`` handed over: counted for the progress bar and against the limit."""
        if self.progress is not None:
            self.progress.add_rows(len(kept))
        with self._lock:
            self._emitted += len(kept)
            if self.limit is not None and self._emitted >= self.limit:
                self._enough.set()
