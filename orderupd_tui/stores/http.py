"""JSON over HTTP for the store connectors: retries, rate limits and one-line errors.

Every platform speaks JSON over HTTPS and fails in the same handful of ways:
a rate limit (429), a flaky gateway (5xx, an HTML error page), a dropped
connection, a bad token, a body that is not JSON.  This module turns all of
them into either a retried request or one :class:`StoreError` line that
names the store, so each connector only deals with its platform's paging
and payloads.  Messages carry the request path but never the query string
or any credential: some platforms take keys as query parameters, and those
are passed as ``secrets`` so that even an echo of them is masked.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

import httpx
import orjson

from orderupd_tui.retry_after import retry_after
from orderupd_tui.stores.base import OrderGone, StoreAuthError, StoreError

log = logging.getLogger(__name__)

RetryAfterFn = Callable[[httpx.Response], float | None]
"""Reads how long a rate-limited response asks us to wait, in seconds (None: not said)."""

_MESSAGE_LIMIT = 200
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>|<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on a request.

    ``attempts`` bounds requests that failed (5xx, timeouts, dropped
    connections); waits asked for by a 429 are counted apart, in
    ``rate_limit_waits``, because being throttled is the normal pace of a
    large import, not a failure.  The small defaults keep tests quick; a
    daemon polling a real store can afford more.
    """

    attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 5.0
    rate_limit_waits: int = 10
    max_retry_after: float = 60.0

    def backoff(self, failures: int) -> float:
        """Capped exponential delay before retry number ``failures`` (1-based)."""
        return min(self.max_delay, self.base_delay * 2 ** (failures - 1))


def error_text(body: Any) -> str:
    """The platform's own error message from a JSON error body, flattened to one line.

    Covers the shapes the supported platforms use: Shopify ``{"errors": ...}``
    (a string, a list or a field -> messages map), ``{"error": ...}``,
    WooCommerce and Magento ``{"message": ...}``, BigCommerce ``{"title": ...}``
    and lists of such objects.  Magento writes its messages as templates
    (``"%fieldName" is required``) with the values in ``parameters``, which
    are put back in.
    """
    if isinstance(body, dict):
        for key in ("errors", "error", "message", "detail", "title"):
            value = body.get(key)
            if value:
                text = _flatten(value)
                return _fill(text, body.get("parameters")) if key == "message" else text
        return ""
    if isinstance(body, list):
        return "; ".join(t for t in (error_text(item) for item in body) if t)
    if isinstance(body, str):
        return body
    return ""


def error_code(body: Any) -> str:
    """The machine-readable ``code`` of a WooCommerce (WordPress) error body, or ``""``.

    It says more than the message: ``woocommerce_rest_authentication_error``
    versus ``woocommerce_rest_cannot_view`` tells a wrong key from a missing one.
    """
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else ""


def html_title(text: str) -> str:
    """What an HTML error page says it is (its title, else its first heading)."""
    match = _TITLE.search(text)
    if not match:
        return ""
    inner = match.group(1) if match.group(1) is not None else match.group(2)
    return _one_line(html.unescape(_TAG.sub("", inner)))


def looks_like_html(response: httpx.Response) -> bool:
    """Gateways and proxies answer with HTML whatever the API promised."""
    if "html" in response.headers.get("Content-Type", ""):
        return True
    return response.content.lstrip()[:1] == b"<"


class JsonHttp:
    """A keep-alive HTTP client for one store that returns decoded JSON or raises one line.

    ``auth_headers`` are sent on every request like ``headers`` but are
    secret: their values are scrubbed from every message this class
    produces, as are ``secrets`` (credentials the caller sends some other
    way, such as WooCommerce's query-string keys).  ``auth_hint`` is what a
    401/403 tells the user to check.  ``retry_after`` lets a platform read
    its own rate-limit header (BigCommerce: ``X-Rate-Limit-Time-Reset-Ms``).
    Redirects are not followed, so a credential header is never replayed to
    another host.

    One instance may serve several threads (BigCommerce's sub-resource
    pool).  A 429 then pauses all of them until the store's quota is back:
    the quota is the store's, so another thread's request would only earn
    another 429.
    """

    def __init__(
        self,
        store: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth_headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        secrets: Sequence[str] = (),
        auth_hint: str = "check the token",
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        retry_after: RetryAfterFn = retry_after,
    ) -> None:
        self.store = store
        self.retry = retry or RetryPolicy()
        self._retry_after = retry_after
        self._auth_hint = auth_hint
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({v for v in (*(auth_headers or {}).values(), *secrets) if v},
                               key=len, reverse=True)
        self._clock: datetime | None = None
        self._quota_lock = threading.Lock()
        self._quota_back_at = 0.0  # time.monotonic() when a 429's pause ends, for every thread
        self._client = httpx.Client(
            base_url=base_url,
            headers={"Accept": "application/json", **(headers or {}), **(auth_headers or {})},
            auth=auth,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_keepalive_connections=4, keepalive_expiry=30.0),
            follow_redirects=False,
        )

    @property
    def store_clock(self) -> datetime | None:
        """The ``Date`` of the last response the store sent, as aware UTC."""
        return self._clock

    def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        gone: str | None = None,
    ) -> tuple[Any, httpx.Response]:
        """GET ``path`` and return its decoded JSON body with the response (for its headers).

        The body is None for a 204 or an empty answer (BigCommerce's empty
        page).  ``gone`` names the thing a 404 means has disappeared ("order
        123"), turning that 404 into :class:`OrderGone`; without it a 404 is
        an ordinary error (a wrong URL or API version).
        """
        failures = 0
        waits = 0
        while True:
            self._await_quota()
            try:
                response = self._client.get(path, params=params)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                failures += 1
                problem = _transport_problem(exc)
                if failures >= self.retry.attempts:
                    raise self._fail(f"did not answer GET {path}: {problem}", failures) from None
                self._pause(self.retry.backoff(failures), f"{problem} on GET {path}")
                continue
            except httpx.HTTPError as exc:
                raise self._fail(f"could not send GET {path}: {exc}") from None
            self._remember_clock(response)
            status = response.status_code
            if status == 429:
                waits += 1
                if waits > self.retry.rate_limit_waits:
                    raise self._fail(
                        f"kept rate-limiting GET {path} after {waits - 1} waits: try again later"
                    )
                delay = self._retry_after(response)
                if delay is None:
                    delay = self.retry.backoff(waits)
                self._hold_quota(min(delay, self.retry.max_retry_after),
                                 f"rate-limited on GET {path}")
                continue
            if status >= 500:
                failures += 1
                if failures >= self.retry.attempts:
                    raise self._status_error(response, path, gone, failures)
                self._pause(self.retry.backoff(failures), f"{status} on GET {path}")
                continue
            if status >= 300:
                raise self._status_error(response, path, gone, 0)
            if status == 204 or not response.content.strip():
                return None, response
            return self._decode(response, path), response

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> JsonHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _decode(self, response: httpx.Response, path: str) -> Any:
        try:
            return orjson.loads(response.content)
        except ValueError as exc:
            if looks_like_html(response):
                title = html_title(response.text) or "no title"
                raise self._fail(
                    f"answered an HTML page instead of JSON for GET {path}: {title}"
                ) from None
            raise self._fail(f"answered malformed JSON for GET {path}: {exc}") from None

    def _status_error(
        self, response: httpx.Response, path: str, gone: str | None, failures: int
    ) -> StoreError:
        status = response.status_code
        if status == 404 and gone:
            return OrderGone(f"store '{self.store}' no longer has {gone}")
        if status < 400:
            target = httpx.URL(response.headers.get("Location", "")).copy_with(query=None)
            return self._fail(f"redirected GET {path} to {target}: check the store URL")
        if looks_like_html(response):
            page = html_title(response.text) or f"{status} {response.reason_phrase}".strip()
            message = ""
        else:
            page = ""
            try:
                body = json.loads(response.content)
            except ValueError:
                message = _one_line(response.text)
            else:
                code = error_code(body)
                message = _one_line(error_text(body))
                message = f"{message} [{code}]" if message and code else message or code
        if status in (401, 403):
            why = f" ({message or page})" if message or page else ""
            return StoreAuthError(self._scrub(
                f"store '{self.store}': access denied ({status}): {self._auth_hint}{why}"
            ))
        if page:
            return self._fail(f"answered an HTML error page: {page}", failures)
        detail = f": {message}" if message else ""
        if status == 404:
            return self._fail(
                f"has no GET {path} (404): check the store URL and API version{detail}"
            )
        if status >= 500:
            return self._fail(f"failed on GET {path} ({status}){detail}", failures)
        return self._fail(f"refused GET {path} ({status}){detail}")

    def _fail(self, what: str, attempts: int = 0) -> StoreError:
        suffix = f" (after {attempts} attempts)" if attempts > 1 else ""
        return StoreError(self._scrub(f"store '{self.store}' {what}{suffix}"))

    def _pause(self, seconds: float, why: str) -> None:
        log.info("store %r: %s, retrying in %.2fs", self.store, self._scrub(why), seconds)
        time.sleep(seconds)

    def _hold_quota(self, seconds: float, why: str) -> None:
        """Pause every thread's requests for ``seconds`` (the next request waits it out)."""
        log.info("store %r: %s, pausing requests for %.2fs", self.store, self._scrub(why), seconds)
        with self._quota_lock:
            self._quota_back_at = max(self._quota_back_at, time.monotonic() + seconds)

    def _await_quota(self) -> None:
        """Sleep until the latest 429's pause is over (it may grow while we sleep)."""
        while True:
            with self._quota_lock:
                wait = self._quota_back_at - time.monotonic()
            if wait <= 0:
                return
            time.sleep(wait)

    def _remember_clock(self, response: httpx.Response) -> None:
        value = response.headers.get("Date")
        if not value:
            return
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        self._clock = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _transport_problem(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({exc})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection dropped"
    return f"{type(exc).__name__} ({exc})"


def _fill(text: str, parameters: Any) -> str:
    """Magento's message template with its ``%name`` (or ``%1``, ``%2``...) values put back."""
    if isinstance(parameters, list):
        parameters = {str(i): v for i, v in enumerate(parameters, start=1)}
    if not isinstance(parameters, dict):
        return text
    for name in sorted(parameters, key=lambda n: len(str(n)), reverse=True):
        text = text.replace(f"%{name}", _flatten(parameters[name]))
    return text


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_flatten(v) for v in value)
    return str(value)


def _one_line(text: str) -> str:
    text = _SPACE.sub(" ", text).strip()
    if len(text) > _MESSAGE_LIMIT:
        text = text[: _MESSAGE_LIMIT - 1] + "…"
    return text


class HttpStoreClient:
    """What every HTTP connector shares: the store's clock, closing, use in ``with``."""

    _http: JsonHttp

    def store_clock(self) -> datetime | None:
        return self._http.store_clock

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
