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
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

import httpx
import orjson

from orderupd_tui.net.http import ApiHttp, Failure, HttpFailure, RetryAfterFn, RetryPolicy
from orderupd_tui.net.oauth import TokenEndpointError, TokenRefused
from orderupd_tui.retry_after import retry_after
from orderupd_tui.stores.base import OrderGone, StoreAuthError, StoreError

__all__ = ["RetryPolicy"]

log = logging.getLogger(__name__)

DEFAULT_DEADLINE = 120.0
"""Seconds one request may take in all (connect, headers, body), whatever the server drips."""

_MESSAGE_LIMIT = 200
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>|<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


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

    Built on the shared layer (:mod:`orderupd_tui.net.http`): retries with
    jitter, ``Retry-After``, an overall ``deadline`` per request, and the
    pause of every thread sharing the client on a 429 (BigCommerce's
    sub-resource pool), since the quota is the store's.  ``auth`` is how
    requests prove who sends them; ``auth_headers`` are sent on every
    request like ``headers`` but are secret: their values are scrubbed from
    every message, as are ``secrets`` (credentials the caller sends some
    other way, such as WooCommerce's query-string keys) and the auth's own.
    ``auth_hint`` is what a 401/403 tells the user to check.
    ``retry_after`` lets a platform read its own rate-limit header
    (BigCommerce: ``X-Rate-Limit-Time-Reset-Ms``).
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
        deadline: float = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
        retry_after: RetryAfterFn = retry_after,
    ) -> None:
        self.store = store
        self._auth_hint = auth_hint
        self._clock: datetime | None = None
        self._api = ApiHttp(
            f"store {store!r}", base_url,
            headers={**(headers or {}), **(auth_headers or {})},
            auth=auth, secrets=[*(auth_headers or {}).values(), *secrets],
            timeout=timeout, request_deadline=deadline, retry=retry,
            retry_after=retry_after, log=log,
        )
        self._scrub = self._api.scrub

    @property
    def retry(self) -> RetryPolicy:
        return self._api.retry

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
        try:
            answer = self._api.send("GET", path, params=params)
        except TokenRefused as exc:
            raise StoreAuthError(self._scrub(
                f"store '{self.store}': its credentials were refused when asking for an "
                f"access token ({exc}): check client_id and client_secret")) from None
        except TokenEndpointError as exc:
            raise self._fail(f"gave no access token: {exc}") from None
        except HttpFailure as exc:
            if exc.failure is Failure.RATE_LIMITED:
                raise self._fail(f"kept rate-limiting GET {path} after {exc.waits} waits "
                                 f"(asked to wait {exc.asked:.0f} s more): try again later"
                                 ) from None
            if exc.failure is Failure.UNSENDABLE:
                raise self._fail(f"could not send GET {path}: {exc.problem}") from None
            raise self._fail(f"did not answer GET {path}: {exc.problem}", exc.attempts) from None
        response = answer.response
        self._remember_clock(response)
        status = response.status_code
        if status >= 300:
            raise self._status_error(response, path, gone,
                                     answer.attempts if status >= 500 else 0)
        if status == 204 or not response.content.strip():
            return None, response
        return self._decode(response, path), response

    def close(self) -> None:
        self._api.close()

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

    def _remember_clock(self, response: httpx.Response) -> None:
        value = response.headers.get("Date")
        if not value:
            return
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        self._clock = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


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
