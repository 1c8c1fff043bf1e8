"""Shopify's leaky-bucket call limit for the REST Admin API.

Each request adds one call to the bucket and the bucket leaks ``leak_rate``
calls a second (40 and 2 on a standard plan). A request that finds the
bucket full is refused with 429 and not counted. The level after each
request is what ``X-Shopify-Shop-Api-Call-Limit: n/40`` reports.
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
