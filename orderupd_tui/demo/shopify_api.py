"""Shopify Admin REST orders API over the demo store, with the platform's quirks.

Routes (any ``YYYY-MM`` version, or ``unstable``):

- ``GET /admin/api/{v}/orders.json``: ``status`` (``open`` by default, so
  cancelled and archived orders are left out unless ``status=any``),
  ``updated_at_min``/``max`` and ``created_at_min``/``max`` (inclusive),
  ``since_id``, ``ids``, ``limit`` (50 by default, at most 250) and ``fields``.
  Sorted by id ascending. Further pages are linked from the ``Link`` header by
  ``page_info`` cursors; a request with ``page_info`` may only add ``limit``
  and ``fields``, anything else is a 400 as on Shopify.
- ``GET /admin/api/{v}/orders/{id}.json`` (any status) and ``orders/count.json``.

Every request needs ``X-Shopify-Access-Token`` (401 otherwise) and passes
the leaky bucket (429 with ``Retry-After: 2.0`` when full); answers carry
``X-Shopify-Shop-Api-Call-Limit``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from orderupd_tui.demo.ratelimit import LeakyBucket
from orderupd_tui.demo.shopify_tokens import PATH as TOKEN_PATH
from orderupd_tui.demo.shopify_tokens import TokenIssuer, client_pair
from orderupd_tui.demo.state import STATUSES, DemoStore, OrderQuery, Selection
from orderupd_tui.demo.web import Request, Response, json_response

MAX_LIMIT = 250
DEFAULT_LIMIT = 50
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_LIMITED = ("Exceeded 2 calls per second for api client. "
                "Reduce request rates to resume uninterrupted service.")
PAGINATION_DOCS = "https://shopify.dev/api/usage/pagination-rest"

_ROUTE = re.compile(r"^/admin/api/(?P<version>\d{4}-\d{2}|unstable)/orders"
                    r"(?:/(?P<target>count|\d+))?\.json$")
_PAGE_PARAMS = {"page_info", "limit", "fields"}


class _BadParam(ValueError):
    """A query parameter Shopify would reject; the 400 names it."""

    def __init__(self, name: str, message: str = "Invalid value.") -> None:
        super().__init__(name)
        self.name = name
        self.message = message


class ShopifyApi:
    """Answers Shopify Admin REST requests from a :class:`DemoStore`."""

    name = "shopify"
    prefix = "/admin/"

    def __init__(self, store: DemoStore, token: str, bucket: LeakyBucket | None) -> None:
        self.store = store
        self.token = token
        self.bucket = bucket
        self.tokens = TokenIssuer(*client_pair(token))
        """A Dev Dashboard app's client credentials grant; ``token`` is a legacy app's."""

    def endpoint(self, request: Request) -> str:
        if request.path == TOKEN_PATH:
            return "access_token"
        match = _ROUTE.match(request.path)
        if not match:
            return "unknown"
        target = match["target"]
        return "orders" if target is None else ("count" if target == "count" else "order")

    def error(self, status: int, retry_after: float | None = None) -> Response:
        if status == 401:
            message = INVALID_TOKEN
        elif status == 429:
            message = RATE_LIMITED
        elif status == 404:
            message = "Not Found"
        else:
            message = HTTPStatus(status).phrase
        headers = [] if retry_after is None else [("Retry-After", str(float(retry_after)))]
        return json_response(status, {"errors": message}, headers)

    def handle(self, request: Request) -> Response:
        if request.path == TOKEN_PATH and request.method == "POST":
            return self.tokens.grant(request)
        given = request.header("X-Shopify-Access-Token")
        if given != self.token and not self.tokens.valid(given):
            return self.error(401)
        headers: list[tuple[str, str]] = [("X-Request-Id", str(uuid.uuid4()))]
        if self.bucket is not None:
            allowed, level = self.bucket.take()
            headers.append(("X-Shopify-Shop-Api-Call-Limit", f"{level}/{self.bucket.size}"))
            if not allowed:
                response = self.error(429, 2.0)
                response.headers.extend(headers)
                return response
        match = _ROUTE.match(request.path)
        if match is None or request.method != "GET":
            response = self.error(404)
        else:
            headers.append(("X-Shopify-API-Version", match["version"]))
            try:
                response = self._route(request, match["version"], match["target"])
            except _BadParam as bad:
                response = json_response(400, {"errors": {bad.name: bad.message}})
        response.headers.extend(headers)
        return response

    def _route(self, request: Request, version: str, target: str | None) -> Response:
        if target is None:
            return self._list(request, version)
        if target == "count":
            return json_response(200, {"count": self.store.count(self._query(request))})
        blob = self.store.get_bytes(int(target))
        if blob is None:
            return self.error(404)
        fields = request.param("fields")
        if fields:
            blob = _only(blob, fields)
        return Response(200, b'{"order":' + blob + b"}")

    def _list(self, request: Request, version: str) -> Response:
        limit = _limit(request.param("limit"))
        fields = request.param("fields")
        page_info = request.param("page_info")
        if page_info is None:
            query = self._query(request)
            page = self.store.select(query, limit)
        else:
            extra = sorted(set(request.query) - _PAGE_PARAMS)
            if extra:
                return json_response(400, {"errors": {
                    name: f"{name} cannot be passed when page_info is present. "
                          f"See {PAGINATION_DOCS} for more information."
                    for name in extra
                }})
            query, direction, order_id = _decode_cursor(page_info)
            if direction == "next":
                page = self.store.select(query, limit, after=order_id)
            else:
                page = self.store.select(query, limit, before=order_id, last=True)
        blobs = [_only(b, fields) for b in page.blobs] if fields else page.blobs
        response = Response(200, b'{"orders":[' + b",".join(blobs) + b"]}")
        link = _link_header(request, version, query, page, limit, fields)
        if link:
            response.headers.append(("Link", link))
        return response

    def _query(self, request: Request) -> OrderQuery:
        status = request.param("status") or "open"
        if status not in STATUSES:
            raise _BadParam("status")
        ids_param = request.param("ids")
        ids = None
        if ids_param is not None:
            try:
                ids = frozenset(int(i) for i in ids_param.split(",") if i.strip())
            except ValueError:
                raise _BadParam("ids") from None
        since = request.param("since_id")
        if since is not None and not since.isdigit():
            raise _BadParam("since_id")
        return OrderQuery(
            status=status,
            updated_min=self._time(request, "updated_at_min"),
            updated_max=self._time(request, "updated_at_max"),
            created_min=self._time(request, "created_at_min"),
            created_max=self._time(request, "created_at_max"),
            since_id=int(since or 0),
            ids=ids,
        )

    def _time(self, request: Request, name: str) -> float | None:
        """An ISO-8601 time as Unix seconds; a time without offset is in the shop's zone."""
        value = request.param(name)
        if value is None or value == "":
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise _BadParam(name, f"Invalid value {value!r}: expected ISO 8601, e.g. "
                                  "2026-11-20T10:00:00-05:00 (a '+' must be sent as %2B)"
                            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.store.tz)
        return moment.timestamp()


def _limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise _BadParam("limit")
    return int(value)


def _only(blob: bytes, fields: str) -> bytes:
    """The order with only the requested top-level fields, in the order's own key order."""
    wanted = {f.strip().replace("-", "_") for f in fields.split(",")}
    order = json.loads(blob)
    return json.dumps({k: v for k, v in order.items() if k in wanted}, ensure_ascii=False,
                      separators=(",", ":")).encode()


def _encode_cursor(query: OrderQuery, direction: str, order_id: int) -> str:
    """An opaque ``page_info``: the filter and the id to continue from, so pages stay stable."""
    state = {
        "direction": direction,
        "last_id": order_id,
        "status": query.status,
        "updated_min": query.updated_min,
        "updated_max": query.updated_max,
        "created_min": query.created_min,
        "created_max": query.created_max,
        "since_id": query.since_id,
        "ids": None if query.ids is None else sorted(query.ids),
    }
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str) -> tuple[OrderQuery, str, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state: dict[str, Any] = json.loads(raw)
        direction = state["direction"]
        if direction not in ("next", "prev") or state["status"] not in STATUSES:
            raise ValueError(direction)
        ids = state["ids"]
        query = OrderQuery(
            status=state["status"],
            updated_min=state["updated_min"],
            updated_max=state["updated_max"],
            created_min=state["created_min"],
            created_max=state["created_max"],
            since_id=int(state["since_id"]),
            ids=None if ids is None else frozenset(int(i) for i in ids),
        )
        return query, direction, int(state["last_id"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise _BadParam("page_info") from None


def _link_header(request: Request, version: str, query: OrderQuery, page: Selection,
                 limit: int, fields: str | None) -> str:
    """Shopify's ``Link`` header: previous first, then next, absolute URLs."""
    if not page.ids:
        return ""
    base = f"{request.base_url}/admin/api/{version}/orders.json"

    def url(direction: str, order_id: int) -> str:
        params: list[tuple[str, str | int]] = [("limit", limit)]
        if fields:
            params.append(("fields", fields))
        params.append(("page_info", _encode_cursor(query, direction, order_id)))
        return f"{base}?{urlencode(params)}"

    links = []
    if page.more_before:
        links.append(f'<{url("prev", page.ids[0])}>; rel="previous"')
    if page.more_after:
        links.append(f'<{url("next", page.ids[-1])}>; rel="next"')
    return ", ".join(links)
