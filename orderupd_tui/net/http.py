"""HTTP for every remote API the app talks to: stores and books alike.

Both fail in the same handful of ways, so both share this one layer:

- **A request that never left** (connection refused, a connect timeout, a
  full pool) is safe to send again, whatever it was.
- **A lost answer** (a read timeout, a dropped connection, the overall
  deadline) is retried only for a request that changes nothing (GET).  A
  create whose answer was lost may well have landed, so it is never sent
  blindly again: the caller is told, and reconciles.
- **A 5xx** is retried like a lost answer; what is finally returned is the
  last response, for the caller to word.
- **A 429** refused the request before doing anything, so it is always
  safe to wait as ``Retry-After`` asks and send again; those waits are
  counted apart from failures, and pause every thread sharing the client,
  since the quota is the remote's.

Failures are retried by ``stamina`` with exponential backoff and jitter,
so many daemons hitting one store do not retry in step.  Every request has
an overall deadline (:mod:`orderupd_tui.net.deadline`) besides httpx's
per-operation timeout.  Credentials are an ``httpx.Auth``
(:mod:`orderupd_tui.net.auth`); their values, and any other secret given,
are masked in every message.  Redirects are not followed, so a credential
is never replayed to another host.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx
import stamina

from orderupd_tui.net.deadline import deadline, transport
from orderupd_tui.retry_after import retry_after
from orderupd_tui.scrub import Scrubber

# Retries are logged here, at INFO, with secrets masked; stamina's own hook would
# warn on stderr through logging's last-resort handler, in the middle of a CLI's output.
stamina.instrumentation.set_on_retry_hooks([])

RetryAfterFn = Callable[[httpx.Response], float | None]
"""Reads how long a rate-limited response asks us to wait, in seconds (None: not said)."""
SleepFn = Callable[[float], None]

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport errors raised before any byte of the request left."""
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on a request.

    ``attempts`` bounds requests that failed (5xx, timeouts, dropped
    connections); waits asked for by a 429 are counted apart, in
    ``rate_limit_waits``, because being throttled is the normal pace of a
    large import, not a failure.  ``jitter`` is the most random time added
    to each backoff.  The small defaults keep tests quick; a daemon polling
    a real store can afford more.
    """

    attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 5.0
    rate_limit_waits: int = 10
    max_retry_after: float = 60.0
    jitter: float = 0.2

    def backoff(self, failures: int) -> float:
        """Capped exponential delay before retry number ``failures`` (1-based), no jitter."""
        return min(self.max_delay, self.base_delay * 2 ** (failures - 1))


class Failure(Enum):
    """Why a request got no answer worth returning."""

    UNREACHABLE = "unreachable"
    """It never left, even after retries (connection refused): nothing happened there."""
    UNSENDABLE = "unsendable"
    """It could not be sent at all (a malformed URL, an unsupported protocol)."""
    LOST = "lost"
    """It was sent, and its answer was lost: it may have been done."""
    RATE_LIMITED = "rate limited"
    """The remote kept refusing it with 429 past our patience."""


class HttpFailure(Exception):
    """A request that got no usable answer; the caller words it for its own users.

    ``problem`` is a short phrase ("timed out", "connection dropped"),
    already scrubbed of secrets.
    """

    def __init__(self, failure: Failure, problem: str, attempts: int, *,
                 waits: int = 0, asked: float = 0.0) -> None:
        super().__init__(problem)
        self.failure = failure
        self.problem = problem
        self.attempts = attempts
        self.waits = waits
        """429s waited out before giving up."""
        self.asked = asked
        """The wait the last 429 asked for, in seconds."""


@dataclass(frozen=True)
class Answer:
    """A response, and how many tries it took (for "after 3 attempts")."""

    response: httpx.Response
    attempts: int


class _Transient(Exception):
    """Raised inside the retry loop for an outcome worth another try."""

    def __init__(self, problem: str, response: httpx.Response | None = None,
                 failure: Failure = Failure.LOST) -> None:
        super().__init__(problem)
        self.problem = problem
        self.response = response
        self.failure = failure


def transport_problem(exc: httpx.HTTPError) -> str:
    """What went wrong on the wire, in a few words fit for one line."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({_first_line(exc)})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection dropped"
    return f"{type(exc).__name__} ({_first_line(exc)})"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class ApiHttp:
    """A keep-alive HTTP client for one remote API, with this module's rules.

    ``label`` names the remote in log lines.  ``timeout`` bounds each network
    operation, ``request_deadline`` a whole request (connect, headers and
    body).  ``sleep`` is how a 429 waits: tests pass one that records the
    wait instead of taking it.
    """

    def __init__(
        self,
        label: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        secrets: Iterable[str] = (),
        timeout: float = 30.0,
        request_deadline: float = 120.0,
        retry: RetryPolicy | None = None,
        retry_after: RetryAfterFn = retry_after,
        sleep: SleepFn = time.sleep,
        log: logging.Logger | None = None,
    ) -> None:
        self.label = label
        self.retry = retry or RetryPolicy()
        self.request_deadline = request_deadline
        self._retry_after = retry_after
        self._sleep = sleep
        self._log = log or logging.getLogger(__name__)
        self._secrets = list(secrets)
        self._auth = auth
        self._quota_lock = threading.Lock()
        self._quota_back_at = 0.0  # time.monotonic() when a 429's pause ends, for every thread
        self._client = httpx.Client(
            base_url=base_url,
            headers={"Accept": "application/json", **(headers or {})},
            auth=auth,
            timeout=httpx.Timeout(timeout),
            transport=transport(limits=httpx.Limits(max_keepalive_connections=4,
                                                    keepalive_expiry=30.0)),
            follow_redirects=False,
        )

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Answer:
        """Send one request under this module's rules; any status but 429 is returned.

        ``idempotent`` (default: the method is GET) says a lost answer or a
        5xx may be retried.  Raises :class:`HttpFailure` when no answer came.
        """
        safe = method in _SAFE_METHODS if idempotent is None else idempotent
        tries = 0
        policy = self.retry
        try:
            for attempt in stamina.retry_context(
                on=_Transient, attempts=max(1, policy.attempts), timeout=None,
                wait_initial=policy.base_delay, wait_max=policy.max_delay,
                wait_jitter=policy.jitter,
            ):
                with attempt:
                    tries = attempt.num
                    response = self._through_rate_limits(method, path, params, content,
                                                         headers, safe, tries)
                    if safe and response.status_code >= 500 and tries < policy.attempts:
                        raise _Transient(f"{response.status_code}", response)
                    return Answer(response, tries)
        except _Transient as exc:
            if exc.response is not None:
                return Answer(exc.response, tries)
            raise HttpFailure(exc.failure, exc.problem, tries) from None
        raise AssertionError("unreachable: stamina ends by returning or raising")

    def _through_rate_limits(self, method: str, path: str, params: Mapping[str, Any] | None,
                             content: bytes | None, headers: Mapping[str, str] | None,
                             safe: bool, tries: int) -> httpx.Response:
        waits = 0
        while True:
            if not waits:
                self._await_quota()  # another thread's 429 (after our own, we slept it out)
            try:
                with deadline(self.request_deadline):
                    response = self._client.request(method, path, params=params,
                                                     content=content, headers=headers)
            except NOT_SENT as exc:
                problem = self.scrub(transport_problem(exc))
                self._note(f"{problem} on {method} {path}", tries)
                raise _Transient(problem, failure=Failure.UNREACHABLE) from None
            except (httpx.TimeoutException, httpx.NetworkError,
                    httpx.RemoteProtocolError) as exc:
                problem = self.scrub(transport_problem(exc))
                if not safe:
                    raise HttpFailure(Failure.LOST, problem, tries) from None
                self._note(f"{problem} on {method} {path}", tries)
                raise _Transient(problem) from None
            except httpx.HTTPError as exc:
                raise HttpFailure(Failure.UNSENDABLE, self.scrub(_first_line(exc)),
                                  tries) from None
            if response.status_code != 429:
                return response
            waits += 1
            delay = self._retry_after(response)
            if delay is None:
                delay = self.retry.backoff(waits) + random.uniform(0, self.retry.jitter)
            if waits > self.retry.rate_limit_waits or delay > self.retry.max_retry_after:
                raise HttpFailure(Failure.RATE_LIMITED, f"rate-limited after {waits - 1} waits",
                                  tries, waits=waits - 1, asked=delay)
            self._hold_quota(delay, f"rate-limited on {method} {path}")
            self._sleep(delay)

    def scrub(self, text: str) -> str:
        """``text`` with every secret masked, the auth's current token included."""
        auth_secrets = getattr(self._auth, "secrets", None)
        extra = auth_secrets() if callable(auth_secrets) else []
        return Scrubber([*self._secrets, *extra])(text)

    def _note(self, why: str, tries: int) -> None:
        if tries < self.retry.attempts:
            self._log.info("%s: %s, retrying", self.label, why)

    def _hold_quota(self, seconds: float, why: str) -> None:
        """Pause every thread's requests for ``seconds`` (the next request waits it out)."""
        self._log.info("%s: %s, pausing requests for %.2fs", self.label, self.scrub(why), seconds)
        with self._quota_lock:
            self._quota_back_at = max(self._quota_back_at, time.monotonic() + seconds)

    def _await_quota(self) -> None:
        """Wait until the latest 429's pause is over (it may grow while we wait)."""
        while True:
            with self._quota_lock:
                wait = self._quota_back_at - time.monotonic()
            if wait <= 0:
                return
            time.sleep(wait)

    def close(self) -> None:
        self._client.close()
        close_auth = getattr(self._auth, "close", None)
        if callable(close_auth):
            close_auth()
