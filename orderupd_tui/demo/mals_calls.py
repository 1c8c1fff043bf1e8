"""The demo store as a Mal's E-Commerce cart: it posts each new order's "remote call".

Mal's has no API to read orders from; when an order completes, the cart
POSTs a urlencoded form describing it (the fields listed in the fixtures'
``remote_call_fields.tsv``, the lines packed in ``cart`` as
``desc:qty:price:ship_units:scode`` joined by ``~``) to the merchant's URL,
once. :func:`send_remote_calls` creates new orders in the store and makes
those calls, so tests and the demo can feed a ``MalsReceiver`` exactly as
the cart would. Calls only ever go to this machine (loopback): the demo
never sends order data anywhere else.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any
from urllib.parse import urlsplit

import httpx

from orderupd_tui.demo import order_facts as facts
from orderupd_tui.demo.state import DemoStore
from orderupd_tui.demo.totals import fmt

#: The Mals ID (``username``) the demo cart signs its calls with.
DEMO_MALS_ID = "DEMO0001"
#: Mal's order ids are eight-digit numbers; the demo's are this plus the order number.
FIRST_MALS_ID = 81_340_000
METHODS = {"manual": "Check", "shopify_payments": "Card", "paypal": "Paypal"}


@dataclass(frozen=True)
class CallResult:
    """What the receiver answered to one call (``status`` 0: it could not be reached)."""

    order_id: str
    status: int
    answer: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.order_id, "status": self.status, "answer": self.answer}


def is_loopback(url: str) -> bool:
    """Whether ``url`` is an http(s) URL on this machine (127.0.0.0/8, ::1 or localhost)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def mals_id(order: dict[str, Any]) -> str:
    """The Mal's order id of a demo order."""
    return str(FIRST_MALS_ID + int(order["order_number"]))


def remote_call(order: dict[str, Any], username: str = DEMO_MALS_ID,
                tz: tzinfo | None = None) -> dict[str, str]:
    """The remote call's fields for a demo order, as Mal's would post them.

    ``date`` is Mal's own zone-less "21 May 2010 - 19:00", in ``tz`` (the
    shop's zone) when given.
    """
    placed = facts.when(order["created_at"])
    if tz is not None:
        placed = placed.astimezone(tz)
    billing = order["billing_address"] or {}
    delivery = order["shipping_address"] or {}
    gateway = order["payment_gateway_names"][0]
    codes = order["discount_codes"]
    cart = "~".join(
        f"{li['name'].replace('~', '-')}:{li['quantity']}:{li['price']}:"
        f"{li['grams'] * li['quantity'] / 1000:g}:{li['sku']}"
        for li in order["line_items"]
    )
    return {
        "username": username,
        "id": mals_id(order),
        "ip": "203.0.113.7",
        "date": placed.strftime("%d %b %Y - %H:%M"),
        "method": METHODS.get(gateway, "Card"),
        "pay_data": f"{order['token'][:13].upper()}|verified" if gateway == "paypal" else "",
        "cart": cart,
        "discount": order["total_discounts"],
        "subtotal": order["total_line_items_price"],
        "shipping": fmt(facts.shipping(order)),
        "tax": order["total_tax"],
        "total": order["total_price"],
        "shipping_zone": "1",
        "shipping_calc": "",
        "inv_name": _name(billing),
        "inv_company": billing.get("company") or "",
        "inv_addr1": billing.get("address1") or "",
        "inv_addr2": billing.get("city") or "",
        "inv_state": billing.get("province_code") or "",
        "inv_zip": billing.get("zip") or "",
        "inv_country": billing.get("country") or "",
        "del_name": _name(delivery),
        "del_company": delivery.get("company") or "",
        "del_addr1": delivery.get("address1") or "",
        "del_addr2": delivery.get("city") or "",
        "del_state": delivery.get("province_code") or "",
        "del_zip": delivery.get("zip") or "",
        "del_country": delivery.get("country") or "",
        "del_tel": delivery.get("phone") or "",
        "tel": billing.get("phone") or "",
        "fax": "",
        "email": order["email"],
        "currency": "0",
        "extra": "",
        "vval": order["total_discounts"] if codes else "",
        "voucher": codes[0]["code"] if codes else "",
        "sd": "",
    }


def send_remote_calls(store: DemoStore, url: str, count: int = 1, *, duplicate: bool = False,
                      username: str = DEMO_MALS_ID, timeout: float = 10.0) -> list[CallResult]:
    """Create ``count`` new orders and post each one's remote call to ``url``.

    With ``duplicate`` each call is posted twice, as Mal's does when it did
    not see the first answer. Raises ValueError for a URL off this machine.
    """
    if not is_loopback(url):
        raise ValueError(f"the demo store only sends remote calls to this machine, not {url}")
    results = []
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for order_id in store.add_orders(count):
            order = store.get(order_id)
            if order is None:  # deleted meanwhile
                continue
            fields = remote_call(order, username, store.tz)
            for _ in range(2 if duplicate else 1):
                try:
                    answer = client.post(url, data=fields)
                except httpx.HTTPError as exc:
                    results.append(CallResult(fields["id"], 0, f"{type(exc).__name__}: {exc}"))
                    continue
                results.append(CallResult(fields["id"], answer.status_code,
                                          answer.text.strip()))
    return results


def _name(address: dict[str, Any]) -> str:
    return " ".join(p for p in (address.get("first_name"), address.get("last_name")) if p)
