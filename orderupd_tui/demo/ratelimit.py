"""The platforms' request limits: Shopify's leaky bucket, BigCommerce's quota per window.

Shopify: each request adds one call to the bucket and the bucket leaks
``leak_rate`` calls a second (40 and 2 on a standard plan). A request that
finds the bucket full is refused with 429 and not counted. The level after
each request is what ``X-Shopify-Shop-Api-Call-Limit: n/40`` reports.

BigCommerce: a quota of requests per time window; past it, 429 until the
window ends, which ``X-Rate-Limit-Time-Reset-Ms`` says.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class LeakyBucket:
    def __init__(self, size: int = 40, leak_rate: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.leak_rate = leak_rate
        self._clock = clock
        self._level = 0.0
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, int]:
        """Try to add one call: (allowed, calls in the bucket now, rounded up)."""
        with self._lock:
            now = self._clock()
            self._level = max(0.0, self._level - (now - self._at) * self.leak_rate)
            self._at = now
            allowed = self._level + 1 <= self.size
            if allowed:
                self._level += 1
            return allowed, min(self.size, math.ceil(self._level))


class WindowQuota:
    """``quota`` requests per ``window`` seconds; a window starts with its first request."""

    def __init__(self, quota: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.quota = quota
        self.window = window
        self._clock = clock
        self._used = 0
        self._ends = 0.0
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, int, float]:
        """Try to use one request: (allowed, requests left, seconds until the window ends)."""
        with self._lock:
            now = self._clock()
            if now >= self._ends:
                self._used = 0
                self._ends = now + self.window
            allowed = self._used < self.quota
            if allowed:
                self._used += 1
            return allowed, self.quota - self._used, self._ends - now
