"""A fake WooCommerce store serving the orders a test writes, as REST v3 lists them.

``GET /wp-json/wc/v3/orders`` answers the stored orders in id order, one
page with ``X-WP-Total`` and ``X-WP-TotalPages``, and ``include=`` picks
orders by id, as WooCommerce does; Basic auth with the consumer key and
secret is checked.  The orders are the tests' own payloads, so a test can
serve shapes the demo store never makes: three-decimal currencies, two
orders sharing a number, a line listed twice.
"""

from __future__ import annotations

import base64
from typing import Any

from tests.fakes.httpfake import FakeApi, Reply, Request

_ORDERS = "/wp-json/wc/v3/orders"


class WooCommerceFake(FakeApi):
    """One store; ``orders`` maps the order id to the payload it is served as."""

    def __init__(self, *, key: str = "ck_test", secret: str = "cs_test") -> None:
        super().__init__()
        self.key = key
        self.secret = secret
        self.orders: dict[int, dict[str, Any]] = {}

    def add(self, order: dict[str, Any]) -> None:
        with self.lock:
            self.orders[int(order["id"])] = order

    def operation(self, request: Request) -> str:
        return "orders" if request.path == _ORDERS else "other"

    def handle(self, request: Request) -> Reply:
        expected = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return Reply(401, {"code": "woocommerce_rest_cannot_view",
                               "message": "Sorry, you cannot list resources.",
                               "data": {"status": 401}})
        if request.op != "orders":
            return Reply(404, {"code": "rest_no_route", "message": "No route was found.",
                               "data": {"status": 404}})
        orders = [self.orders[i] for i in sorted(self.orders)]
        include = request.params.get("include")
        if include:
            wanted = {int(i) for i in include.split(",") if i}
            orders = [o for o in orders if int(o["id"]) in wanted]
        page = int(request.params.get("page", "1"))
        body = orders if page == 1 else []
        return Reply(200, body, {"X-WP-Total": str(len(orders)), "X-WP-TotalPages": "1"})


def woo_order(order_id: int, number: str, total: str, *, currency: str = "USD",
              **changes: Any) -> dict[str, Any]:
    """A processing order paid by card, one line, as ``GET /orders`` lists it."""
    order: dict[str, Any] = {
        "id": order_id,
        "number": number,
        "status": "processing",
        "currency": currency,
        "date_created_gmt": "2026-11-20T10:00:00",
        "date_modified_gmt": "2026-11-20T10:05:00",
        "date_paid_gmt": "2026-11-20T10:01:00",
        "payment_method": "stripe",
        "total": total,
        "total_tax": "0",
        "shipping_total": "0",
        "discount_total": "0",
        "billing": {"first_name": "Dana", "last_name": "Saleh", "email": "dana@example.com"},
        "shipping": {},
        "line_items": [{"id": order_id * 10, "name": "Saffron", "sku": "SAF", "quantity": 1,
                        "subtotal": total, "total": total, "price": total}],
        "refunds": [],
    }
    order.update(changes)
    return order
