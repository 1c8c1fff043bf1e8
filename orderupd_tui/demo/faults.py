"""Failures the tests inject into the next API requests.

A fault replaces the next ``count`` API responses (never the control API's):

- ``body="json"``: the status with the platform's JSON error body (for 429 the
  rate-limit body, and ``Retry-After`` defaulting to Shopify's ``2.0``);
- ``body="html"``: the status with a ``text/html`` page, as nginx sends for a 502;
- ``body="malformed"``: a 200 whose JSON is cut in half (the real answer, truncated).

``after=n`` lets ``n`` more API requests succeed first, so a test can break a
poll in its middle (page 2, say) rather than on its first request.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

BODY_KINDS = ("json", "html", "malformed")


@dataclass
class Fault:
    status: int = 500
    body: str = "json"
    retry_after: float | None = None
    count: int = 1
    after: int = 0

    def __post_init__(self) -> None:
        if self.body not in BODY_KINDS:
            raise ValueError(f"body must be one of {', '.join(BODY_KINDS)}, not {self.body!r}")
        if not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status code, not {self.status}")
        if self.count < 1:
            raise ValueError(f"count must be at least 1, not {self.count}")
        if self.after < 0:
            raise ValueError(f"after must be 0 or more, not {self.after}")
        if self.status == 429 and self.retry_after is None:
            self.retry_after = 2.0

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise ValueError("a fault is a JSON object")
        unknown = set(data) - {"status", "body", "retry_after", "count", "after"}
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        retry_after = data.get("retry_after")
        return cls(
            status=int(data.get("status", 500)),
            body=str(data.get("body", "json")),
            retry_after=None if retry_after is None else float(retry_after),
            count=int(data.get("count", 1)),
            after=int(data.get("after", 0)),
        )


def html_page(status: int) -> bytes:
    """The error page nginx serves in front of an application that is down."""
    title = f"{status} {HTTPStatus(status).phrase}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


class FaultQueue:
    """Faults waiting for the next API requests, first queued first served."""

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()

    def push(self, fault: Fault) -> int:
        """Queue a fault; returns how many requests are now set to fail."""
        with self._lock:
            self._queue.append(fault)
            return sum(f.count for f in self._queue)

    def take(self) -> Fault | None:
        """The fault for this request, if one is waiting and its ``after`` has run out."""
        with self._lock:
            if not self._queue or self._queue[0].after > 0:
                return None
            fault = self._queue[0]
            fault.count -= 1
            if fault.count == 0:
                self._queue.popleft()
            return fault

    def succeeded(self) -> None:
        """Count one successful (2xx) unfaulted API request towards the first fault's ``after``.

        Only successes count, so a request the rate limit refused does not
        bring a fault forward.
        """
        with self._lock:
            if self._queue and self._queue[0].after > 0:
                self._queue[0].after -= 1

    def pending(self) -> int:
        with self._lock:
            return sum(f.count for f in self._queue)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
