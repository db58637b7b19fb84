"""A call's own waits (vtab.sql.interrupt.pause: a rate-limit token, a retry's back-off) end at an
interrupt when the code that runs the call said what interrupts them (``InterruptibleWaits``), on that
thread only; elsewhere they are plain sleeps."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import apsw
import pytest

from vtab.aws.rate_limits import RateLimiter
from vtab.sql import interrupt


def test_a_rate_limit_wait_under_an_interrupted_statement_ends_without_a_token() -> None:
    bucket = RateLimiter(0.1)  # the second token comes ten seconds after the first
    bucket.acquire()
    flag = threading.Event()
    flag.set()
    with (
        interrupt.InterruptibleWaits(flag.is_set, "the scan of AWS::X::Y"),
        pytest.raises(apsw.InterruptError, match=r"^Interrupted: the scan of AWS::X::Y stopped"),
    ):
        bucket.acquire()
    assert bucket.acquired == 1


def test_waits_answer_to_the_interrupt_only_inside_the_block_and_only_on_its_thread() -> None:
    flag = threading.Event()
    flag.set()
    interrupt.pause(0)  # outside: a plain sleep
    with interrupt.InterruptibleWaits(flag.is_set, "the scan"), ThreadPoolExecutor(1) as pool:
        assert pool.submit(interrupt.pause, 0).result(timeout=30) is None  # another thread: a plain sleep
        with pytest.raises(apsw.InterruptError):
            interrupt.pause(0)
    interrupt.pause(0)
    with interrupt.InterruptibleWaits(interrupt.never, "the scan"):
        interrupt.pause(0)  # nothing can interrupt it: a plain sleep
