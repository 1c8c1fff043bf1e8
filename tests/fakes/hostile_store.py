"""A store that misbehaves on purpose: a real loopback server speaking four platforms' order APIs.

Unlike the demo store, which only ever sends well-formed orders, this one
serves whatever payloads a test puts in :attr:`HostileStore.orders`
(nulls, strings for numbers, non-objects, orders with no id), and can lie
about its clock, loop its ``Link`` header forever, or drip its answer one
byte at a time.  Each platform's listing and by-id lookup are served in
that platform's shape, so the real connectors read them:

- Shopify: ``/admin/api/2025-07/orders.json`` (``updated_at_min`` honoured, ``ids=`` for
  lookups, ``Link`` paging);
- WooCommerce: ``/wp-json/wc/v3/orders`` (``include=``, ``X-WP-TotalPages``);
- Magento: ``/rest/default/V1/orders`` (``entity_id in`` search, ``total_count``);
- BigCommerce: ``/stores/h/v2/orders``, ``/orders/{id}`` and its sub-resources.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

ID_KEYS = {"shopify": "id", "woocommerce": "id", "magento": "entity_id", "bigcommerce": "id"}


class HostileStore:
    """One platform's order API over loopback, serving exactly what the test put in it."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.orders: list[Any] = []
        #: The ``Date`` header to send: None sends the real time, "" sends none at all.
        self.date: str | None = None
        #: Shopify: a ``rel="next"`` link back to the same page, forever.
        self.loop_link = False
        #: With ``loop_link``: a new cursor every time, so no repeat ever shows.
        self.fresh_links = False
        #: Seconds between bytes of every answer's body (0: all at once).
        self.drip = 0.0
        self.requests: list[str] = []
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"store": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.drip = 0.0
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def store_options(self) -> dict[str, Any]:
        """The ``stores:`` entry keys a connector needs for this store."""
        if self.platform == "woocommerce":
            return {"url": self.url, "consumer_key": "ck_hostile0000", "consumer_secret":
                    "cs_hostile0000"}
        if self.platform == "bigcommerce":
            return {"url": self.url, "store_hash": "h", "token": "hostile-token"}
        if self.platform == "magento":
            return {"url": self.url, "token": "hostile-token"}
        return {"url": self.url, "token": "hostile-token"}

    def replace(self, remote_id: str, payload: Any) -> None:
        """Put ``payload`` where the order with this id was (the store "fixing" it)."""
        key = ID_KEYS[self.platform]
        with self.lock:
            for i, order in enumerate(self.orders):
                if isinstance(order, dict) and str(order.get(key)) == remote_id:
                    self.orders[i] = payload
                    return
        raise KeyError(remote_id)

    # -- answering --------------------------------------------------------------------------

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            orders = list(self.orders)
        key = ID_KEYS[self.platform]
        if self.platform == "shopify":
            wanted = params.get("ids")
            if wanted:
                ids = set(wanted.split(","))
                orders = [o for o in orders if isinstance(o, dict) and str(o.get(key)) in ids]
            elif "updated_at_min" in params:
                since = _time(params["updated_at_min"])
                orders = [o for o in orders if not since or _updated(o) is None
                          or _updated(o) >= since]  # type: ignore[operator]
            headers = {}
            if self.loop_link:
                cursor = f"page-{len(self.requests)}" if self.fresh_links else "same-page"
                headers["Link"] = (f'<{self.url}{path}?limit=250&page_info={cursor}>; '
                                   'rel="next"')
            return 200, {"orders": orders}, headers
        if self.platform == "woocommerce":
            wanted = params.get("include")
            if wanted:
                ids = set(wanted.split(","))
                orders = [o for o in orders if isinstance(o, dict) and str(o.get(key)) in ids]
            return 200, orders, {"X-WP-Total": str(len(orders)), "X-WP-TotalPages": "1"}
        if self.platform == "magento":
            field = params.get("searchCriteria[filter_groups][0][filters][0][field]")
            if field == "entity_id":
                ids = set(params["searchCriteria[filter_groups][0][filters][0][value]"]
                          .split(","))
                orders = [o for o in orders if isinstance(o, dict) and str(o.get(key)) in ids]
            return 200, {"items": orders, "total_count": len(orders)}, {}
        # BigCommerce V2
        match = re.fullmatch(r"/stores/h/v2/orders(?:/([^/]+))?(?:/(\w+))?", path)
        if match is None:
            return 404, {"status": 404}, {}
        remote_id, sub = match.groups()
        if sub:
            return 200, [], {}
        if remote_id:
            found = [o for o in orders if isinstance(o, dict) and str(o.get(key)) == remote_id]
            return (200, found[0], {}) if found else (404, [{"status": 404}], {})
        if params.get("page", "1") != "1":
            return 204, None, {}
        return 200, orders, {}


def _time(value: Any) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _updated(order: Any) -> datetime | None:
    """An order's ``updated_at``, or None when it has none we can read (it is always listed)."""
    return _time(order.get("updated_at")) if isinstance(order, dict) else None


class _Handler(BaseHTTPRequestHandler):
    store: HostileStore

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self.store.lock:
            self.store.requests.append(self.path)
        status, body, headers = self.store.answer(url.path, params)
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response_only(status)
        date = self.store.date
        if date is None:
            self.send_header("Date", formatdate(usegmt=True))
        elif date:
            self.send_header("Date", date)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        # The client may give up (its deadline) or be killed: what the test wanted.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(data)

    def _send(self, data: bytes) -> None:
        if not self.store.drip:
            self.wfile.write(data)
            return
        for i in range(len(data)):
            if not self.store.drip:
                self.wfile.write(data[i:])
                return
            self.wfile.write(data[i:i + 1])
            self.wfile.flush()
            time.sleep(self.store.drip)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read :attr:`HostileStore.requests` instead."""
