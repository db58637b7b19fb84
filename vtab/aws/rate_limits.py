"""Token buckets: the calls a connection may make per second, per account and region.

Cloud Control throttles near 25-30 calls a second per account and region, all types together, so every
table of a connection that reaches the same account and region draws from one bucket (``RateLimiters``),
and a sync's shard holds its account-region's bucket alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from vtab.options import Options
from vtab.sql import interrupt


class RateLimiter:
    """A token bucket: at most ``rate`` calls per second, bursts of up to ``max(1, rate)`` calls.

    ``clock`` and ``sleep`` are time.monotonic and vtab.sql.interrupt.pause (time.sleep, but cut short when
    the statement is interrupted if the call runs on the SQLite thread: a token wait can be long); tests
    give a fake pair to check the waits."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = interrupt.pause,
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, rate)  # below 1/s a bucket capped at ``rate`` could never hold a whole token
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()
        self.acquired = 0
        """Tokens handed out: one per call."""
        self.waited = 0.0
        """Seconds callers slept for tokens, in all."""

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1 - 1e-9:  # a refill that lands a rounding error short still counts
                    self._tokens = max(0.0, self._tokens - 1)
                    self.acquired += 1
                    return
                wait = (1 - self._tokens) / self.rate
                self.waited += wait
            self._sleep(wait)


class RateLimiters:
    """The connection's buckets, one per (endpoint, profile, region, rate): every table of a connection
    that talks to the same account and region draws from the same budget."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[Any, ...], RateLimiter] = {}
        self._lock = threading.Lock()

    def for_region(self, options: Options, region: str, account: str | None = None) -> RateLimiter | None:
        """The bucket of (account, region): ``account`` None is the credentials' own (the profile's)."""
        if options.rate_limit is None:
            return None
        key = (options.endpoint_url, options.profile, account, region, options.rate_limit)
        with self._lock:
            return self._buckets.setdefault(key, RateLimiter(options.rate_limit))

    def buckets(self) -> list[RateLimiter]:
        with self._lock:
            return list(self._buckets.values())
