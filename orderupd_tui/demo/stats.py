"""Counts of the API requests the demo store answered.

Tests read them (``GET /_demo/stats``) to prove that a retry happened, that a
429 was honoured rather than hammered, or that a poll made no needless calls.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Counts of API requests, so a test can prove a retry happened or a 429 was honoured."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._endpoints: Counter[str] = Counter()

    def record(self, endpoint: str, status: int, *, fault: bool = False,
               rate_limited: bool = False) -> None:
        with self._lock:
            self._counts["api_requests"] += 1
            self._counts["faults_applied"] += fault
            self._counts["rate_limited"] += rate_limited
            self._statuses[str(status)] += 1
            self._endpoints[endpoint] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "api_requests": self._counts["api_requests"],
                "faults_applied": self._counts["faults_applied"],
                "rate_limited": self._counts["rate_limited"],
                "by_status": dict(self._statuses),
                "by_endpoint": dict(self._endpoints),
            }

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._statuses.clear()
            self._endpoints.clear()
