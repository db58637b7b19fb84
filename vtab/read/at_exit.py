"""Scans still open when the interpreter exits are closed first, so that it can exit.

A statement read in part and still referenced at exit (by a variable, or by a stored traceback as pytest
keeps one for a failed test) leaves its scan's worker blocked handing rows to a queue nobody reads any
more. concurrent.futures joins its worker threads at exit, in a hook that ``threading`` runs before it
joins the other threads: the interpreter would wait forever. ``threading`` runs these hooks in the reverse
order of registration, and concurrent.futures.thread registers its own when imported, which this module
does first: ``close_all`` runs before the join, and a closed scan's workers stop at their next page (a
blocked hand-over re-checks for that every POLL_SECONDS).

``threading._register_atexit`` is private: it is how concurrent.futures itself does this (since Python
3.9); ``atexit`` hooks run only after the threads were joined, too late.
"""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import thread as futures_thread
from typing import Protocol

_ = futures_thread  # imported for its side effect: its exit hook is registered before ours


class Closable(Protocol):
    def close(self) -> None: ...


_OPEN: weakref.WeakSet[Closable] = weakref.WeakSet()
"""Every scan started and not yet garbage (closing twice is harmless)."""
_LOCK = threading.Lock()


def close_at_exit(scan: Closable) -> None:
    """Have ``scan`` closed before the interpreter joins the worker threads at exit."""
    with _LOCK:
        _OPEN.add(scan)


def close_all() -> None:
    """Close every scan still open (the exit hook)."""
    with _LOCK:
        scans = list(_OPEN)
    for scan in scans:
        scan.close()


threading._register_atexit(close_all)  # type: ignore[attr-defined]
