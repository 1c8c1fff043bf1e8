"""WooCommerce REST API v3 orders over the demo store, with the platform's quirks.

Routes:

- ``GET /wp-json/wc/v3/orders``: ``page`` (from 1), ``per_page`` (10 by
  default, at most 100), ``status`` (``any`` by default: every status but
  ``trash``; or a comma list), ``include`` (ids), ``orderby`` (``date`` by
  default, ``id``, ``modified``, ``include``) and ``order`` (``desc`` by
  default), ``after``/``before`` (created) and ``modified_after``/
  ``modified_before`` (exclusive), read in the shop's zone unless they
  carry an offset or ``dates_are_gmt=true``. ``X-WP-Total`` and
  ``X-WP-TotalPages`` give the size of the result; a page past the end is
  an empty list.
- ``GET /wp-json/wc/v3/orders/{id}``.

Auth is the consumer key and secret, by HTTP Basic auth or as the
``consumer_key``/``consumer_secret`` query parameters (for servers that
strip ``Authorization``). The demo serves plain HTTP on loopback, where real
WooCommerce would want OAuth 1.0a; it takes Basic auth there anyway.
Errors are ``{"code", "message", "data": {"status"}}``. WooCommerce itself
has no rate limit; hosts put one in front of it, answering 429 with
``Retry-After``, which is what the leaky bucket does here.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from orderupd_tui.demo import woocommerce_shape
from orderupd_tui.demo.listing import Listings, Shapes, dumps, json_list, page_of
from orderupd_tui.demo.ratelimit import LeakyBucket
from orderupd_tui.demo.state import DemoStore, Entry
from orderupd_tui.demo.web import Request, Response, json_response
from orderupd_tui.stores.demo import woocommerce_credentials

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed",
            "checkout-draft", "trash")
ORDERBY = ("date", "id", "include", "modified")

_ROUTE = re.compile(r"^/wp-json/wc/v3/orders(?:/(?P<id>\d+))?/?$")


class _Problem(Exception):
    """A WordPress REST error: status, ``code`` and message (and per-parameter details)."""

    def __init__(self, status: int, code: str, message: str,
                 params: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.params = params


def _invalid(name: str, why: str) -> _Problem:
    return _Problem(400, "rest_invalid_param", f"Invalid parameter(s): {name}", {name: why})


class WooCommerceApi:
    """Answers WooCommerce REST v3 order requests from a :class:`DemoStore`."""

    name = "woocommerce"
    prefix = "/wp-json/"

    def __init__(self, store: DemoStore, token: str, bucket: LeakyBucket | None) -> None:
        self.store = store
        self.key, self.secret = woocommerce_credentials(token)
        self.bucket = bucket
        self.listings = Listings(store)
        self.shapes: Shapes[bytes] = Shapes(
            lambda order, base: dumps(woocommerce_shape.shape(order, base, store.tz)))

    def endpoint(self, request: Request) -> str:
        match = _ROUTE.match(request.path)
        if not match:
            return "unknown"
        return "orders" if match["id"] is None else "order"

    def error(self, status: int, retry_after: float | None = None) -> Response:
        code, message = {
            401: ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
            404: ("rest_no_route", "No route was found matching the URL and request method."),
            429: ("woocommerce_rest_too_many_requests",
                  "Too many requests. Please wait and try again."),
        }.get(status, ("internal_server_error", "There has been a critical error on this "
                                                "website."))
        response = _error(_Problem(status, code, message))
        if retry_after is not None:
            # Whole seconds, as proxies send it, unless a test asked for less.
            seconds = int(retry_after) if retry_after == int(retry_after) else retry_after
            response.headers.append(("Retry-After", str(seconds)))
        return response

    def handle(self, request: Request) -> Response:
        try:
            self._authenticate(request)
            if self.bucket is not None:
                allowed, _ = self.bucket.take()
                if not allowed:  # whole seconds until the bucket has leaked one call
                    return self.error(429, math.ceil(1 / self.bucket.leak_rate))
            match = _ROUTE.match(request.path)
            if match is None or request.method != "GET":
                raise _Problem(404, "rest_no_route",
                               "No route was found matching the URL and request method.")
            if match["id"] is not None:
                return self._one(request, int(match["id"]))
            return self._list(request)
        except _Problem as problem:
            return _error(problem)

    def _authenticate(self, request: Request) -> None:
        key, secret = request.param("consumer_key"), request.param("consumer_secret")
        header = request.header("Authorization") or ""
        if header[:6].lower() == "basic ":
            try:
                key, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                key = secret = None
        if key is None and secret is None:
            raise _Problem(401, "woocommerce_rest_cannot_view",
                           "Sorry, you cannot list resources.")
        if key != self.key:
            raise _Problem(401, "woocommerce_rest_authentication_error",
                           "Consumer key is invalid.")
        if secret != self.secret:
            raise _Problem(401, "woocommerce_rest_authentication_error",
                           "Consumer secret is invalid.")

    def _one(self, request: Request, order_id: int) -> Response:
        entry = self.store.entry(order_id)
        if entry is None:
            raise _Problem(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return Response(200, self.shapes.get(entry, request.base_url))

    def _list(self, request: Request) -> Response:
        page = _int(request, "page", 1, 1, None)
        per_page = _int(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        statuses = self._statuses(request)
        include = _ids(request, "include")
        gmt = (request.param("dates_are_gmt") or "").lower() in ("1", "true")
        created = (self._time(request, "after", gmt), self._time(request, "before", gmt))
        modified = (self._time(request, "modified_after", gmt),
                    self._time(request, "modified_before", gmt))
        orderby = request.param("orderby") or "date"
        if orderby not in ORDERBY:
            raise _invalid("orderby", f"orderby is not one of {', '.join(ORDERBY)}.")
        direction = request.param("order") or "desc"
        if direction not in ("asc", "desc"):
            raise _invalid("order", "order is not one of asc, desc.")

        def keep(entry: Entry) -> bool:
            if include is not None and entry.order_id not in include:
                return False
            if statuses is not None and _status(entry) not in statuses:
                return False
            return _within(entry.created_ts, created) and _within(entry.updated_ts, modified)

        key = ("list", statuses, include, created, modified, orderby, direction)
        found = self.listings.matching(key, keep, _sort_key(orderby, include),
                                       descending=direction == "desc")
        total = len(found)
        pages = -(-total // per_page)
        body = json_list([self.shapes.get(e, request.base_url)
                          for e in page_of(found, page, per_page)])
        headers = [("X-WP-Total", str(total)), ("X-WP-TotalPages", str(pages))]
        link = _links(request, page, pages)
        if link:
            headers.append(("Link", link))
        return Response(200, body, headers=headers)

    def _statuses(self, request: Request) -> frozenset[str] | None:
        """The statuses asked for; None for ``any`` (everything but ``trash``)."""
        value = request.param("status") or "any"
        wanted = frozenset(s.strip() for s in value.split(",") if s.strip())
        if "any" in wanted:
            return None
        unknown = sorted(wanted - set(STATUSES))
        if unknown:
            raise _invalid("status", f"status[0] is not one of any, {', '.join(STATUSES)}.")
        return wanted

    def _time(self, request: Request, name: str, gmt: bool) -> int | None:
        """An ISO 8601 time in Unix seconds; zone-less is in the shop's zone unless ``gmt``."""
        value = request.param(name)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _invalid(name, f"Invalid date: {value}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC if gmt else self.store.tz)
        return int(moment.timestamp())


def _status(entry: Entry) -> str:
    return woocommerce_shape.status_of(entry.cancelled, entry.financial_status,
                                       entry.fulfillment_status)


def _within(ts: int, bounds: tuple[int | None, int | None]) -> bool:
    """WordPress's ``after``/``before`` are exclusive."""
    after, before = bounds
    return (after is None or ts > after) and (before is None or ts < before)


def _sort_key(orderby: str, include: frozenset[int] | None) -> Callable[[Entry], Any]:
    if orderby == "id" or (orderby == "include" and include is None):
        return lambda e: e.order_id
    if orderby == "modified":
        return lambda e: (e.updated_ts, e.order_id)
    if orderby == "include":
        return lambda e: e.order_id  # the demo keeps include= lists in id order
    return lambda e: (e.created_ts, e.order_id)


def _int(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    value = request.param(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < low or (high is not None and int(value) > high):
        bound = f"between {low} (inclusive) and {high} (inclusive)" if high else f"at least {low}"
        raise _invalid(name, f"{name} must be {bound}")
    return int(value)


def _ids(request: Request, name: str) -> frozenset[int] | None:
    value = request.param(name)
    if value is None or value == "":
        return None
    try:
        return frozenset(int(i) for i in value.split(",") if i.strip())
    except ValueError:
        raise _invalid(name, f"{name}[0] is not of type integer.") from None


def _links(request: Request, page: int, pages: int) -> str:
    """WordPress's ``Link`` header: ``prev`` and ``next`` pages, absolute, keys left out."""
    params = [(k, v) for k, values in request.query.items() for v in values
              if k not in ("page", "consumer_key", "consumer_secret")]
    base = f"{request.base_url}{request.path}"

    def url(number: int) -> str:
        return f"{base}?{urlencode([*params, ('page', number)])}"

    links = []
    if 1 < page <= pages + 1:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    if page < pages:
        links.append(f'<{url(page + 1)}>; rel="next"')
    return ", ".join(links)


def _error(problem: _Problem) -> Response:
    data: dict[str, Any] = {"status": problem.status}
    if problem.params:
        data["params"] = problem.params
    return json_response(problem.status, {"code": problem.code, "message": str(problem),
                                          "data": data})
