"""BigCommerce Orders V2 over the demo store, with the platform's quirks.

Routes, under ``/stores/{store_hash}/v2``:

- ``GET /orders``: ``page`` (from 1), ``limit`` (50 by default, at most 250),
  ``sort`` (``id:asc`` by default; ``id``, ``date_created``, ``date_modified``
  or ``status_id``, ``:asc`` or ``:desc``), ``min_id``/``max_id``, ``status_id``,
  ``min_date_created``/``max_date_created`` and ``min_date_modified``/
  ``max_date_modified`` (inclusive; RFC 2822 or ISO 8601, zone-less meaning
  the store's zone). A page with no orders is **204 with no body**.
- ``GET /orders/count``, ``GET /orders/{id}``;
- ``GET /orders/{id}/products`` and ``/orders/{id}/shippingaddresses`` (paged
  like the list, 204 when empty), ``/orders/{id}/coupons`` (always 204 here).

Every request needs ``X-Auth-Token`` and ``Accept: application/json`` (V2
answers XML otherwise; the demo answers 406). BigCommerce counts requests
per time window: the server's bucket size is the quota, and the window is
as long as the bucket would take to drain (40 requests per 20 s by
default). Every answer carries the ``X-Rate-Limit-*`` headers; past the
quota the answer is 429 with ``X-Rate-Limit-Time-Reset-Ms``, the time left
in the window. Errors are V2's list of ``{"status", "message"}``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from orderupd_tui.demo import bigcommerce_shape
from orderupd_tui.demo.listing import Listings, Shapes, dumps, json_list, page_of
from orderupd_tui.demo.ratelimit import LeakyBucket, WindowQuota
from orderupd_tui.demo.state import DemoStore, Entry
from orderupd_tui.demo.web import Request, Response, json_response
from orderupd_tui.stores.demo import BIGCOMMERCE_STORE_HASH

STORE_HASH = BIGCOMMERCE_STORE_HASH
MAX_LIMIT = 250
DEFAULT_LIMIT = 50
SORT_FIELDS = ("id", "date_created", "date_modified", "status_id")

_ROUTE = re.compile(r"^/stores/(?P<hash>[^/]+)/v2/orders"
                    r"(?:/(?P<target>count|\d+)(?:/(?P<sub>products|shippingaddresses|coupons))?)?"
                    r"/?$")


class _Problem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Shaped:
    """One order's V2 answers, encoded once: the order and each sub-resource item."""

    def __init__(self, order: dict[str, Any], base_url: str) -> None:
        shaped = bigcommerce_shape.shape(order, base_url, STORE_HASH)
        self.order = dumps(shaped.order)
        self.products = [dumps(p) for p in shaped.products]
        self.shipping_addresses = [dumps(a) for a in shaped.shipping_addresses]


class BigCommerceApi:
    """Answers BigCommerce V2 order requests from a :class:`DemoStore`."""

    name = "bigcommerce"
    prefix = "/stores/"

    def __init__(self, store: DemoStore, token: str, bucket: LeakyBucket | None) -> None:
        self.store = store
        self.token = token
        self.quota = (None if bucket is None
                      else WindowQuota(bucket.size, bucket.size / bucket.leak_rate))
        self.listings = Listings(store)
        self.shapes: Shapes[_Shaped] = Shapes(_Shaped)

    def endpoint(self, request: Request) -> str:
        match = _ROUTE.match(request.path)
        if not match:
            return "unknown"
        if match["target"] is None:
            return "orders"
        return "count" if match["target"] == "count" else (match["sub"] or "order")

    def error(self, status: int, retry_after: float | None = None) -> Response:
        message = {
            401: "You are not authorized to access this resource. Check the X-Auth-Token.",
            404: "The requested resource was not found.",
            429: "Too many requests: the rate limit was exceeded.",
        }.get(status, "An internal server error occurred.")
        response = _error(_Problem(status, message))
        if retry_after is not None:
            response.headers.append(("X-Rate-Limit-Time-Reset-Ms",
                                     str(math.ceil(retry_after * 1000))))
        return response

    def handle(self, request: Request) -> Response:
        if request.header("X-Auth-Token") != self.token:
            return self.error(401)
        if "application/json" not in (request.header("Accept") or ""):
            return _error(_Problem(406, "Send Accept: application/json (V2 answers XML "
                                        "otherwise)."))
        headers: list[tuple[str, str]] = []
        if self.quota is not None:
            allowed, left, reset = self.quota.take()
            headers = [
                ("X-Rate-Limit-Requests-Quota", str(self.quota.quota)),
                ("X-Rate-Limit-Requests-Left", str(left)),
                ("X-Rate-Limit-Time-Window-Ms", str(math.ceil(self.quota.window * 1000))),
            ]
            if not allowed:
                response = self.error(429, reset)
                response.headers.extend(headers)
                return response
            headers.append(("X-Rate-Limit-Time-Reset-Ms", str(math.ceil(reset * 1000))))
        try:
            response = self._route(request)
        except _Problem as problem:
            response = _error(problem)
        response.headers.extend(headers)
        return response

    def _route(self, request: Request) -> Response:
        match = _ROUTE.match(request.path)
        if match is None or request.method != "GET" or match["hash"] != STORE_HASH:
            raise _Problem(404, "The requested resource was not found.")
        target, sub = match["target"], match["sub"]
        if target is None:
            return self._list(request)
        if target == "count":
            return self._count()
        entry = self.store.entry(int(target))
        if entry is None:
            raise _Problem(404, "The requested resource was not found.")
        shaped = self.shapes.get(entry, request.base_url)
        if sub is None:
            return Response(200, shaped.order)
        items = {"products": shaped.products, "shippingaddresses": shaped.shipping_addresses,
                 "coupons": []}[sub]
        return _page(request, items)

    def _list(self, request: Request) -> Response:
        limit = _int(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        page = _int(request, "page", 1, None)
        field, descending = _sort(request.param("sort"))
        ids = (_int(request, "min_id", 0, None), _int(request, "max_id", 0, None) or None)
        status = request.param("status_id")
        if status is not None and not (status.isdigit() and int(status) in
                                       bigcommerce_shape.STATUS_NAMES):
            raise _Problem(400, "The field 'status_id' is invalid.")
        created = (self._time(request, "min_date_created"),
                   self._time(request, "max_date_created"))
        modified = (self._time(request, "min_date_modified"),
                    self._time(request, "max_date_modified"))

        def keep(entry: Entry) -> bool:
            if entry.order_id < ids[0] or (ids[1] is not None and entry.order_id > ids[1]):
                return False
            if status is not None and _status_id(entry) != int(status):
                return False
            return _within(entry.created_ts, created) and _within(entry.updated_ts, modified)

        key = ("list", ids, status, created, modified, field, descending)
        found = self.listings.matching(key, keep, _SORT_KEYS[field], descending=descending)
        chosen = page_of(found, page, limit)
        if not chosen:
            return Response(204, b"", "")
        return Response(200, json_list([self.shapes.get(e, request.base_url).order
                                        for e in chosen]))

    def _count(self) -> Response:
        found = self.listings.matching(("all",), lambda e: True, _SORT_KEYS["id"])
        counts: dict[int, int] = {}
        for entry in found:
            counts[_status_id(entry)] = counts.get(_status_id(entry), 0) + 1
        statuses = [{"id": i, "name": name, "system_label": name, "custom_label": name,
                     "count": counts.get(i, 0), "sort_order": i}
                    for i, name in bigcommerce_shape.STATUS_NAMES.items()]
        return json_response(200, {"statuses": statuses, "count": len(found)})

    def _time(self, request: Request, name: str) -> int | None:
        """RFC 2822 or ISO 8601, in Unix seconds; without a zone, in the store's zone."""
        value = request.param(name)
        if not value:
            return None
        moment: datetime | None
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
        if moment is None:
            raise _Problem(400, f"The field '{name}' is invalid: use RFC 2822 or ISO 8601.")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.store.tz)
        return int(moment.timestamp())


def _status_id(entry: Entry) -> int:
    return bigcommerce_shape.status_id(entry.cancelled, entry.closed, entry.financial_status,
                                       entry.fulfillment_status)


_SORT_KEYS: dict[str, Callable[[Entry], Any]] = {
    "id": lambda e: e.order_id,
    "date_created": lambda e: (e.created_ts, e.order_id),
    "date_modified": lambda e: (e.updated_ts, e.order_id),
    "status_id": lambda e: (_status_id(e), e.order_id),
}


def _sort(value: str | None) -> tuple[str, bool]:
    field, _, direction = (value or "id:asc").partition(":")
    direction = direction.lower() or "asc"
    if field not in SORT_FIELDS or direction not in ("asc", "desc"):
        raise _Problem(400, f"The field 'sort' is invalid: use one of {', '.join(SORT_FIELDS)} "
                            "with :asc or :desc.")
    return field, direction == "desc"


def _within(ts: int, bounds: tuple[int | None, int | None]) -> bool:
    low, high = bounds
    return (low is None or ts >= low) and (high is None or ts <= high)


def _int(request: Request, name: str, default: int, high: int | None) -> int:
    value = request.param(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) < 1 or (high is not None and int(value) > high):
        limit = f" (1 to {high})" if high else ""
        raise _Problem(400, f"The field '{name}' is invalid{limit}.")
    return int(value)


def _page(request: Request, items: list[bytes]) -> Response:
    """A paged sub-resource: ``limit`` and ``page`` as for orders; 204 when the page is empty."""
    chosen = page_of(items, _int(request, "page", 1, None),
                     _int(request, "limit", DEFAULT_LIMIT, MAX_LIMIT))
    if not chosen:
        return Response(204, b"", "")
    return Response(200, json_list(chosen))


def _error(problem: _Problem) -> Response:
    return json_response(problem.status, [{"status": problem.status, "message": str(problem)}])
