"""HTTP for the accounting APIs: rate limits, lost answers and secret-free messages.

The one thing that sets the books apart from a store is that a request can
*create* something.  A create whose answer is lost (a timeout, a dropped
connection, a gateway's 5xx) may well have landed, so it is never retried
here: it becomes :class:`OutcomeUnknown` and the caller reconciles.  A 429
is different: the API refused the request before doing anything, so waiting
as ``Retry-After`` asks and sending it again is safe, creates included.
A request that never left (connection refused) is sent again a few times,
then is a plain error.  The retry rules themselves are the shared layer's
(:mod:`orderupd_tui.net.http`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from orderupd_tui.accounting.base import AccountingError, OutcomeUnknown
from orderupd_tui.net.auth import bearer
from orderupd_tui.net.http import ApiHttp, Failure, HttpFailure, RetryPolicy, SleepFn

__all__ = ["ApiClient", "SleepFn", "json_body"]

log = logging.getLogger(__name__)

DEFAULT_DEADLINE = 120.0
"""Seconds one request may take in all (connect, headers, body)."""


class ApiClient:
    """A keep-alive JSON client for one accounting API, on the shared HTTP layer.

    ``auth`` proves who sends (a fixed bearer ``token`` when no auth is
    given); its secrets and ``secrets`` are scrubbed from every message,
    though none should ever contain them.  ``sleep`` is how a 429 waits;
    tests pass one that records the wait instead of taking it.
    """

    def __init__(
        self,
        service: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        auth: httpx.Auth | None = None,
        secrets: list[str] | None = None,
        timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        rate_limit_waits: int = 5,
        max_retry_after: float = 60.0,
        sleep: SleepFn = time.sleep,
    ) -> None:
        self.service = service
        self._api = ApiHttp(
            service, base_url.rstrip("/"), headers=headers,
            auth=auth if auth is not None else (bearer(token) if token else None),
            secrets=secrets or [], timeout=timeout, request_deadline=deadline,
            retry=RetryPolicy(rate_limit_waits=rate_limit_waits,
                              max_retry_after=max_retry_after),
            sleep=sleep, log=log,
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
        1001").  Reads are retried on a lost answer or a 5xx; writes are not.
        With ``creating``, a lost answer or a 5xx raises
        :class:`OutcomeUnknown` instead of :class:`AccountingError`.
        """
        content = None if body is None else json.dumps(body).encode()
        send_headers = dict(headers or {})
        if content is not None:
            send_headers["Content-Type"] = "application/json"
        try:
            answer = self._api.send(method, path, params=params, content=content,
                                    headers=send_headers)
        except HttpFailure as exc:
            if exc.failure is Failure.RATE_LIMITED:
                raise self.error(f"{self.service} is rate-limiting requests (asked to wait "
                                 f"{exc.asked:.0f} s to {what}): try again later") from None
            if exc.failure is Failure.LOST and creating:  # sent, and the answer lost
                raise OutcomeUnknown(self.scrub(
                    f"{self.service} did not answer the request to {what} ({exc.problem}): "
                    "it may have been done; reconcile before posting again")) from None
            if exc.failure is Failure.LOST:
                raise self.error(f"{self.service} did not answer the request to {what}: "
                                 f"{exc.problem}") from None
            raise self.error(f"{self.service} could not be reached to {what}: "
                             f"{exc.problem}") from None
        response = answer.response
        if creating and response.status_code >= 500:
            raise OutcomeUnknown(self.scrub(
                f"{self.service} failed with HTTP {response.status_code} while asked to "
                f"{what}: it may have been done; reconcile before posting again"))
        return response

    def error(self, message: str) -> AccountingError:
        """An :class:`AccountingError` whose message holds no secret and fits one line."""
        return AccountingError(self.scrub(message))

    def close(self) -> None:
        self._api.close()

    def scrub(self, message: str) -> str:
        """``message`` on one line, with any secret this client holds masked."""
        return " ".join(self._api.scrub(message).split())


def json_body(response: httpx.Response) -> Any:
    """The decoded body, or ``None`` when it is not JSON (an HTML gateway page, XML)."""
    try:
        return response.json()
    except ValueError:
        return None
