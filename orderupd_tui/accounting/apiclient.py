"""HTTP for the accounting APIs: rate limits, lost answers and secret-free messages.

The one thing that sets the books apart from a store is that a request can
*create* something.  A create whose answer is lost (a timeout, a dropped
connection, a gateway's 5xx) may well have landed, so it is never retried
here: it becomes :class:`OutcomeUnknown` and the caller reconciles.  A 429
is different: the API refused the request before doing anything, so waiting
as ``Retry-After`` asks and sending it again is safe, creates included.
A request that never left (connection refused) is a plain error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from orderupd_tui.accounting.base import AccountingError, OutcomeUnknown
from orderupd_tui.retry_after import retry_after

SleepFn = Callable[[float], None]

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)





class ApiClient:
    """A keep-alive JSON client for one accounting API.

    ``secrets`` (the token) are scrubbed from every message, though none
    should ever contain them.  ``sleep`` is how a 429 waits; tests pass
    one that records the wait instead of taking it.
    """

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        headers: Mapping[str, str],
        secrets: list[str],
        timeout: float = 30.0,
        rate_limit_waits: int = 5,
        max_retry_after: float = 60.0,
        sleep: SleepFn = time.sleep,
    ) -> None:
        self.service = service
        self._secrets = [s for s in secrets if s]
        self._waits = rate_limit_waits
        self._max_wait = max_retry_after
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", **headers},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        creating: bool = False,
    ) -> httpx.Response:
        """Send one request and return its response, whatever its status but 429.

        ``what`` names the operation for messages ("create SalesReceipt
        1001").  With ``creating``, a lost answer or a 5xx raises
        :class:`OutcomeUnknown` instead of :class:`AccountingError`.
        """
        content = None if body is None else json.dumps(body).encode()
        send_headers = dict(headers or {})
        if content is not None:
            send_headers["Content-Type"] = "application/json"
        waits = 0
        while True:
            try:
                response = self._client.request(method, path, params=params, content=content,
                                                headers=send_headers)
            except _NOT_SENT as exc:
                raise self.error(f"{self.service} could not be reached to {what}: "
                                 f"{_problem(exc)}") from None
            except httpx.HTTPError as exc:
                if creating:
                    raise OutcomeUnknown(self.scrub(
                        f"{self.service} did not answer the request to {what} ({_problem(exc)}): "
                        "it may have been done; reconcile before posting again")) from None
                raise self.error(f"{self.service} did not answer the request to {what}: "
                                 f"{_problem(exc)}") from None
            if response.status_code == 429:
                waits += 1
                delay = retry_after(response)
                if delay is None:
                    delay = float(2 ** (waits - 1))
                if waits > self._waits or delay > self._max_wait:
                    raise self.error(f"{self.service} is rate-limiting requests (asked to wait "
                                     f"{delay:.0f} s to {what}): try again later")
                self._sleep(delay)
                continue
            if creating and response.status_code >= 500:
                raise OutcomeUnknown(self.scrub(
                    f"{self.service} failed with HTTP {response.status_code} while asked to "
                    f"{what}: it may have been done; reconcile before posting again"))
            return response

    def error(self, message: str) -> AccountingError:
        """An :class:`AccountingError` whose message holds no secret and fits one line."""
        return AccountingError(self.scrub(message))

    def close(self) -> None:
        self._client.close()

    def scrub(self, message: str) -> str:
        """``message`` on one line, with any secret this client holds masked."""
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return " ".join(message.split())


def json_body(response: httpx.Response) -> Any:
    """The decoded body, or ``None`` when it is not JSON (an HTML gateway page, XML)."""
    try:
        return response.json()
    except ValueError:
        return None


def _problem(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]
